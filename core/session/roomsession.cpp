#include "roomsession.h"

#include "../domain/roomregistry.h"
#include "../net/wireframe.h"
#include "../protocol/roomcodec.h"
#include "../server/commanddispatcher.h"
#include "../server/serverconfig.h"
#include "../server/trafficrecorder.h"

namespace roomkeeper {

RoomSession::RoomSession(const Protocol &protocol, SessionContext &context, QWebSocket *socket,
                         QTcpSocket *transport, OutboundBatch *batch, MemberId id)
    : Session(protocol, context, socket, transport, batch, id), m_key(randomSecret(128)),
      m_lastPingSentMs(context.nowMs())
{}

std::shared_ptr<Session> RoomSession::create(const Protocol &protocol, SessionContext &context,
                                             QWebSocket *socket, QTcpSocket *transport,
                                             OutboundBatch *batch, quint64 id)
{
    return std::make_shared<RoomSession>(protocol, context, socket, transport, batch, id);
}

void RoomSession::open(const QUrlQuery &, const UserDirectory::Identity &identity)
{
    setUser(identity.user.id);
    if (identity.resumed) {
        sendSession(identity.token);
        return;
    }
    // A new identity's token is handed out only once it is stored, so that a client never
    // holds a token the server could forget in a crash. The identities made in one
    // event-loop turn are stored in one transaction, then their sessions go out.
    m_newToken = identity.token;
    context().awaitStoredIdentity(id());
}

void RoomSession::identityStored()
{
    sendSession(m_newToken);
    m_newToken.clear();
}

void RoomSession::sendSession(const QByteArray &token)
{
    if (const User *user = context().users.find(this->user()))
        connection().send(
            roomcodec::session(*user, m_key, token, context().config.heartbeatIntervalMs));
}

void RoomSession::handleText(const QByteArray &utf8)
{
    const ParsedRoomFrame parsed = roomcodec::parse(utf8);
    if (const auto *bad = std::get_if<RoomFrameError>(&parsed)) {
        if (admit())
            refuse(bad->refusal, bad->ref, bad->roomId);
        return;
    }
    const RoomRequest &request = std::get<RoomRequest>(parsed);
    if (!request.isHeartbeat() && !admit())
        return;
    if (context().traffic.enabled())
        recordIncoming(request.typeName, request.roomId.value_or(QUuid()), int(utf8.size()),
                       request.type == RoomRequest::Type::Message ? request.content : request.name);
    if (request.needsKey() || request.key) {
        if (!request.key || !equalSecrets(request.key->toUtf8(), m_key)) {
            refuse(roomkeeper::refuse(ErrorCode::BadKey,
                                      QStringLiteral("wrong or missing session key")),
                   request.typeName, request.roomId);
            return;
        }
    }
    switch (request.type) {
    case RoomRequest::Type::Ping:
        connection().send(roomcodec::pong(request.time));
        return;
    case RoomRequest::Type::Pong:
        if (m_unansweredSinceMs && qint64(request.time) == m_lastPingTime) {
            setRoundTripMs(int(context().nowMs() - m_lastPingSentMs));
            m_unansweredSinceMs = 0;
        }
        return;
    case RoomRequest::Type::Rooms:
        connection().send(roomcodec::rooms(context().rooms.roomsVisibleTo(user())));
        return;
    default:
        break;
    }
    if (const std::optional<Command> command = roomcodec::command(request)) {
        if (const Outcome refused = context().dispatcher.execute(*command, id(), user()))
            refuse(*refused, request.typeName, request.roomId);
    }
}

bool RoomSession::heartbeat(HeartbeatTurn &turn)
{
    if (m_unansweredSinceMs && turn.nowMs - m_unansweredSinceMs > 2 * turn.intervalMs)
        return false;
    if (turn.nowMs - m_lastPingSentMs < turn.intervalMs)
        return true;
    // One ping frame for every room-protocol session of this sweep.
    QByteArray &ping = turn.sharedFrame(protocol().index());
    if (ping.isEmpty())
        ping = wireframe::text(roomcodec::ping(turn.wallNowMs));
    connection().sendFrame(ping);
    m_lastPingSentMs = turn.nowMs;
    m_lastPingTime = turn.wallNowMs;
    if (!m_unansweredSinceMs)
        m_unansweredSinceMs = turn.nowMs;
    return true;
}

void RoomSession::joined(const Room &room)
{
    connection().send(roomcodec::room(room, context().users, room.isAdmin(user())));
}

void RoomSession::left(const Room &room)
{
    connection().send(roomcodec::exit(room.id(), user()));
}

void RoomSession::refuse(const Refusal &refusal, const QString &ref,
                         const std::optional<QUuid> &roomId)
{
    connection().send(roomcodec::error(refusal, ref, roomId));
}

} // namespace roomkeeper

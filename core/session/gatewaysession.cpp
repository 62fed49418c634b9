#include "gatewaysession.h"

#include "../domain/roomregistry.h"
#include "../protocol/gatewaycodec.h"
#include "../server/commanddispatcher.h"
#include "../server/serverconfig.h"
#include "../server/trafficrecorder.h"

#include <QRandomGenerator>
#include <QUrlQuery>

namespace roomkeeper {

GatewaySession::GatewaySession(const Protocol &protocol, SessionContext &context,
                               QWebSocket *socket, QTcpSocket *transport, OutboundBatch *batch,
                               MemberId id)
    : Session(protocol, context, socket, transport, batch, id), m_lastAskedMs(context.nowMs())
{}

std::shared_ptr<Session> GatewaySession::create(const Protocol &protocol, SessionContext &context,
                                                QWebSocket *socket, QTcpSocket *transport,
                                                OutboundBatch *batch, quint64 id)
{
    return std::make_shared<GatewaySession>(protocol, context, socket, transport, batch, id);
}

int GatewaySession::closeCodeFor(ErrorCode refusal)
{
    switch (refusal) {
    case ErrorCode::Banned:
        return 4003;
    case ErrorCode::RoomFull:
        return 4005;
    case ErrorCode::RoomClosed:
        return 4006;
    default:
        return 4004;
    }
}

void GatewaySession::open(const QUrlQuery &query, const UserDirectory::Identity &identity)
{
    setUser(identity.user.id);
    m_pendingToken = identity.token;
    if (!identity.resumed)
        context().storeIdentitiesNow(); // the token in op 8 must outlive a crash
    Connection &c = connection();
    c.send(gatewaycodec::hello(context().config.heartbeatIntervalMs));
    m_lastClientHeartbeatMs = context().nowMs();
    const QString roomText = query.queryItemValue(QStringLiteral("room"), QUrl::FullyDecoded);
    const QUuid roomId = QUuid::fromString(roomText);
    Outcome refused;
    if (roomText.size() != 36 || roomId.isNull())
        refused = roomkeeper::refuse(ErrorCode::NoSuchRoom, QStringLiteral("no such room"));
    else
        refused = context().rooms.enter(id(), user(), roomId);
    if (!refused) {
        m_room = roomId;
        return;
    }
    // PROTOCOL.md §3/§4: the refusal is the close code.
    c.closeWith(closeCodeFor(refused->code), refused->message.left(100),
                context().config.slowClientGraceMs);
}

void GatewaySession::handleText(const QByteArray &utf8)
{
    const ParsedGatewayFrame parsed = gatewaycodec::parse(utf8);
    if (const Refusal *bad = std::get_if<Refusal>(&parsed)) {
        if (admit())
            refuse(*bad);
        return;
    }
    const GatewayRequest &request = std::get<GatewayRequest>(parsed);
    if (!request.isHeartbeat() && !admit())
        return;
    if (context().traffic.enabled())
        recordIncoming(QStringLiteral("op %1").arg(int(request.op)), m_room, int(utf8.size()),
                       request.content);
    if (request.op == GatewayRequest::Heartbeat) {
        const qint64 now = context().nowMs();
        m_lastClientHeartbeatMs = now;
        if (m_askedMs) {
            setRoundTripMs(int(now - m_askedMs));
            m_askedMs = 0;
        }
        return;
    }
    if (request.op == GatewayRequest::HeartbeatAck) {
        connection().send(gatewaycodec::heartbeat());
        return;
    }
    if (const std::optional<Command> command = gatewaycodec::command(request, m_room)) {
        if (const Outcome refused = context().dispatcher.execute(*command, id(), user()))
            refuse(*refused);
    }
}

bool GatewaySession::heartbeat(HeartbeatTurn &turn)
{
    // PROTOCOL.md §3: no op 1 within 1.5 intervals closes; we ask with op 2 at random
    // moments, at most once an interval.
    if (turn.nowMs - m_lastClientHeartbeatMs > turn.intervalMs * 3 / 2)
        return false;
    if (!m_askedMs && turn.nowMs - m_lastAskedMs >= turn.intervalMs &&
        QRandomGenerator::global()->bounded(4) == 0) {
        connection().send(gatewaycodec::heartbeatAck());
        m_lastAskedMs = turn.nowMs;
        m_askedMs = turn.nowMs;
    }
    return true;
}

void GatewaySession::joined(const Room &room)
{
    if (const User *me = context().users.find(user())) {
        connection().send(gatewaycodec::ready(*me, m_pendingToken, room, context().users));
        m_pendingToken.clear();
    }
}

void GatewaySession::left(const Room &)
{
    // A gateway connection has its one room for life: it leaves only by going away.
}

void GatewaySession::targeted(const Room &, const DomainEvent &event)
{
    const int grace = context().config.slowClientGraceMs;
    if (const auto *kicked = std::get_if<event::Kicked>(&event))
        connection().closeWith(kicked->banned ? 4011 : 4010,
                               kicked->banned ? QStringLiteral("banned") : QStringLiteral("kicked"),
                               grace);
    else if (std::holds_alternative<event::Closed>(event))
        connection().closeWith(1000, QStringLiteral("room closed"), grace);
}

void GatewaySession::refuse(const Refusal &refusal, const QString &, const std::optional<QUuid> &)
{
    connection().send(gatewaycodec::error(refusal));
}

} // namespace roomkeeper

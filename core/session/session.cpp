#include "session.h"

#include "../domain/roomregistry.h"
#include "../observe/watchlog.h"
#include "../server/serverconfig.h"
#include "../server/serverstats.h"
#include "../server/trafficrecorder.h"

namespace roomkeeper {

Session::Session(const Protocol &protocol, SessionContext &context, QWebSocket *socket,
                 QTcpSocket *transport, OutboundBatch *batch, MemberId id)
    : m_protocol(protocol), m_context(context),
      m_connection(socket, transport, batch, id, context.nowMs())
{
    const ServerConfig &config = context.config;
    m_connection.maxOutbound = config.maxOutboundQueue;
    m_connection.slowGraceMs = config.slowClientGraceMs;
    m_connection.bucket = TokenBucket(config.maxMessageRate, config.burst(), context.nowMs());
}

Session::~Session() = default;

void Session::receiveText(const QByteArray &utf8)
{
    if (m_connection.isClosing())
        return; // frames after a kick, a ban or a close decision are not acted on
    ++m_connection.framesIn;
    ++m_context.stats.framesIn;
    m_context.stats.bytesIn += quint64(utf8.size());
    handleText(utf8);
}

void Session::receiveBinary()
{
    if (!m_connection.isClosing() && admit())
        refuse(roomkeeper::refuse(
            ErrorCode::BadJson, QStringLiteral("binary frames are not accepted; send JSON text")));
}

bool Session::admit()
{
    const ServerConfig &config = m_context.config;
    Connection &c = m_connection;
    if (c.bucket.take(m_context.nowMs())) {
        c.floodStrikes = 0;
        return true;
    }
    ++m_context.stats.rateLimited;
    if (++c.floodStrikes > config.burst()) {
        m_context.watch.note(QStringLiteral("flood"), QUuid(), m_user, c.address().toString());
        c.closeWith(1008, QStringLiteral("flooding past the rate limit"), config.slowClientGraceMs);
        return false;
    }
    refuse(roomkeeper::refuse(
        ErrorCode::RateLimited,
        QStringLiteral("slow down: at most %1 requests a second").arg(config.maxMessageRate)));
    return false;
}

void Session::recordIncoming(const QString &type, const QUuid &room, int size,
                             const QString &summary)
{
    TrafficRecorder &traffic = m_context.traffic;
    if (!traffic.wants()) {
        traffic.skip();
        return;
    }
    TrafficEvent event;
    event.timeMs = m_context.wallNowMs();
    event.incoming = true;
    event.protocol = m_protocol.label();
    event.gateway = event.protocol == QLatin1StringView("gateway");
    event.room = room;
    event.user = m_user;
    event.type = type.left(24);
    event.size = size;
    event.summary = TrafficRecorder::summarize(summary);
    traffic.record(std::move(event));
}

void Session::targeted(const Room &, const DomainEvent &) {}

void Session::endForAddressBan(const QString &reason)
{
    if (m_connection.isClosing())
        return;
    RoomRegistry &rooms = m_context.rooms;
    for (const QUuid &roomId : rooms.roomsOf(id())) {
        if (const Room *room = rooms.find(roomId)) {
            const QByteArray frame = m_protocol.encoder().encode(
                *room, event::Kicked{m_user, reason, true}, room->isAdmin(m_user));
            if (!frame.isEmpty())
                m_connection.send(frame);
        }
    }
    rooms.memberGone(id(), ExitReason::Banned);
    m_connection.closeWith(4011, QStringLiteral("banned"), m_context.config.slowClientGraceMs);
}

} // namespace roomkeeper

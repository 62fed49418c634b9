#include "sessionregistry.h"

#include "../domain/roomregistry.h"
#include "../domain/textrules.h"
#include "../observe/watchlog.h"
#include "../server/moderationservice.h"
#include "../server/serverconfig.h"
#include "../server/serverstats.h"
#include "../store/statewriter.h"

#include <QLoggingCategory>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcSessions, "roomkeeper.sessions")

namespace roomkeeper {

SessionRegistry::SessionRegistry(const Protocols &protocols, SessionContext &context,
                                 ModerationService &moderation, StateWriter &writer,
                                 OutboundBatch &batch, QObject *parent)
    : QObject(parent), m_protocols(protocols), m_context(context), m_moderation(moderation),
      m_writer(writer), m_batch(batch)
{}

SessionRegistry::~SessionRegistry()
{
    clear();
}

QStringList SessionRegistry::addressesOf(const QUuid &user) const
{
    QStringList result;
    for (MemberId id : m_byUser.value(user)) {
        if (const Session *s = find(id)) {
            const QString address = s->connection().address().toString();
            if (!result.contains(address))
                result.append(address);
        }
    }
    return result;
}

void SessionRegistry::turnAway(QWebSocket *socket, int code, const QString &reason)
{
    // A socket we will not serve: its close code, then abort() if it does not go.
    connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
    socket->close(QWebSocketProtocol::CloseCode(code), reason);
    QTimer::singleShot(m_context.config.slowClientGraceMs, socket, [socket] { socket->abort(); });
}

void SessionRegistry::accept(QWebSocket *socket, QTcpSocket *transport, const QByteArray &path)
{
    const ServerConfig &config = m_context.config;
    const Protocol *protocol = m_protocols.byPath(path);
    const QHostAddress address = socket->peerAddress();
    if (!protocol) { // the listener serves only registered doors
        turnAway(socket, QWebSocketProtocol::CloseCodePolicyViolated,
                 QStringLiteral("no such door"));
        return;
    }
    if (m_shuttingDown) {
        turnAway(socket, QWebSocketProtocol::CloseCodeGoingAway,
                 QStringLiteral("server shutting down"));
        return;
    }
    const bool full = qsizetype(config.maxConnections) <= m_sessions.size();
    const bool addressFull = m_perAddress.value(address) >= config.maxConnectionsPerAddress;
    if (full || addressFull) {
        ++m_context.stats.refusedConnections;
        turnAway(socket, 4013,
                 addressFull ? QStringLiteral("too many connections from your address")
                             : QStringLiteral("too many connections"));
        return;
    }
    if (const Ban *ban = m_moderation.refusingBan(address)) {
        ++m_context.stats.bannedConnections;
        m_context.watch.note(QStringLiteral("ban-hit"), QUuid(), QUuid(), address.toString());
        turnAway(socket, 4003, QStringLiteral("banned"));
        qCInfo(lcSessions).noquote()
            << "refused" << address.toString() << "by address ban" << ban->addressText();
        return;
    }

    const MemberId id = m_nextId++;
    std::shared_ptr<Session> session =
        protocol->createSession(m_context, socket, transport, &m_batch, id);
    const QUrlQuery query(socket->requestUrl());
    const UserDirectory::Identity identity =
        m_context.users.identify(query.queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded),
                                 query.queryItemValue(QStringLiteral("name"), QUrl::FullyDecoded));
    scheduleIdentityStore(); // a new identity, or a new name for a known one
    m_sessions.insert(id, session);
    m_byUser[identity.user.id].append(id);
    ++m_perAddress[address];

    Session *s = session.get();
    connect(socket, &QWebSocket::textMessageReceived, this,
            [s](const QString &text) { s->receiveText(text.toUtf8()); });
    connect(socket, &QWebSocket::binaryMessageReceived, this,
            [s](const QByteArray &) { s->receiveBinary(); });
    // Queued: a socket can report its end from inside a write (an error while flushing),
    // and the member tables must not change under a broadcast that is walking them.
    connect(
        socket, &QWebSocket::disconnected, this, [this, id] { onDisconnected(id); },
        Qt::QueuedConnection);

    qCInfo(lcSessions).noquote() << "open" << address.toString() << protocol->path() << "user"
                                 << identity.user.id.toString(QUuid::WithoutBraces)
                                 << (identity.resumed ? "resumed" : "new");
    s->open(query, identity);
}

void SessionRegistry::onDisconnected(MemberId id)
{
    const std::shared_ptr<Session> keep = m_sessions.take(id);
    if (!keep)
        return;
    Connection &c = keep->connection();
    if (c.slowDropped) {
        ++m_context.stats.slowClientDrops;
        m_context.watch.note(QStringLiteral("slow-client"), QUuid(), keep->user(),
                             c.address().toString());
    }
    qCInfo(lcSessions).noquote() << "close" << c.address().toString() << keep->protocol().path()
                                 << "user" << keep->user().toString(QUuid::WithoutBraces) << "code"
                                 << c.closeCode()
                                 << textrules::printable(c.link().closeReason(), 60);
    auto users = m_byUser.find(keep->user());
    if (users != m_byUser.end()) {
        users->removeOne(id);
        if (users->isEmpty())
            m_byUser.erase(users);
    }
    auto perAddress = m_perAddress.find(c.address());
    if (perAddress != m_perAddress.end() && --perAddress.value() <= 0)
        m_perAddress.erase(perAddress);
    m_context.rooms.memberGone(id);
    emit ended();
}

void SessionRegistry::closeAll(int code, const QString &reason, int graceMs)
{
    for (const auto &s : std::as_const(m_sessions))
        s->connection().closeWith(code, reason, graceMs);
}

void SessionRegistry::clear()
{
    // The sockets abort as their sessions go; no event may reach the rooms any more.
    for (const auto &s : std::as_const(m_sessions)) {
        if (QWebSocket *socket = s->connection().link().socket())
            socket->disconnect(this);
    }
    m_sessions.clear();
    m_byUser.clear();
    m_perAddress.clear();
    m_awaitingIdentity.clear();
}

int SessionRegistry::endConnectionsFrom(const Ban &addressBan)
{
    int ended = 0;
    const QList<std::shared_ptr<Session>> all = m_sessions.values();
    for (const auto &s : all) {
        if (s->connection().isClosing() || !addressBan.matchesAddress(s->connection().address()))
            continue;
        s->endForAddressBan(addressBan.reason);
        ++ended;
    }
    return ended;
}

void SessionRegistry::applyLimits(bool rate, bool queue, bool size)
{
    const ServerConfig &config = m_context.config;
    const qint64 now = m_context.nowMs();
    for (const auto &s : std::as_const(m_sessions)) {
        Connection &c = s->connection();
        if (rate)
            c.bucket = TokenBucket(config.maxMessageRate, config.burst(), now);
        if (queue)
            c.maxOutbound = config.maxOutboundQueue;
        if (size)
            c.link().setMaxMessageSize(config.maxMessageSize);
    }
}

void SessionRegistry::sweepHeartbeats()
{
    HeartbeatTurn turn;
    turn.nowMs = m_context.nowMs();
    turn.wallNowMs = m_context.wallNowMs();
    turn.intervalMs = m_context.config.heartbeatIntervalMs;
    // Sweep, then act: closing inside the walk would change what is being walked.
    QList<Session *> overdue;
    for (const auto &s : std::as_const(m_sessions)) {
        if (!s->connection().isClosing() && !s->heartbeat(turn))
            overdue.append(s.get());
    }
    for (Session *s : std::as_const(overdue)) {
        ++m_context.stats.heartbeatTimeouts;
        m_context.watch.note(QStringLiteral("heartbeat-timeout"), QUuid(), s->user(),
                             s->connection().address().toString());
        s->connection().closeWith(4009, QStringLiteral("heartbeat timeout"),
                                  m_context.config.slowClientGraceMs);
    }
}

void SessionRegistry::scheduleIdentityStore()
{
    if (m_identityStoreQueued)
        return;
    m_identityStoreQueued = true;
    QMetaObject::invokeMethod(this, &SessionRegistry::storeIdentities, Qt::QueuedConnection);
}

void SessionRegistry::awaitStoredIdentity(MemberId id)
{
    m_awaitingIdentity.append(id);
    scheduleIdentityStore();
}

void SessionRegistry::storeIdentities()
{
    m_identityStoreQueued = false;
    m_writer.saveIdentities();
    const QList<MemberId> waiting = std::exchange(m_awaitingIdentity, {});
    for (MemberId id : waiting) {
        Session *s = find(id);
        if (s && !s->connection().isClosing())
            s->identityStored();
    }
}

void SessionRegistry::releaseIdleMemory()
{
    for (const auto &s : std::as_const(m_sessions))
        s->connection().link().releaseIdleMemory();
}

} // namespace roomkeeper

#include "chatserver.h"

#include "metrics.h"
#include "snapshotbuilder.h"

#include "../domain/textrules.h"
#include "../net/listener.h"
#include "../net/wireframe.h"
#include "../protocol/gatewaycodec.h"
#include "../protocol/roomcodec.h"
#include "../store/sqlitestore.h"
#include "../webhook/webhookforwarder.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QMetaMethod>
#include <QRandomGenerator>
#include <QUrlQuery>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcServer, "roomkeeper.server")

namespace roomkeeper {

namespace {

constexpr int ShutdownGraceMs = 2000;
constexpr int StatsIntervalMs = 250;
// Message ids are reserved in blocks so that no message needs a write (records.h).
constexpr qint64 MessageIdBlock = 1000;

qint64 wallMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

int heartbeatTick(int intervalMs)
{
    return std::clamp(intervalMs / 4, 20, 1000);
}

} // namespace

ChatServer::ChatServer(const ServerConfig &config, QObject *parent)
    : QObject(parent), m_config(config), m_rooms(m_users, *this),
      m_store(std::make_unique<SqliteStore>(config.dataDir)),
      m_moderation(std::make_unique<ModerationService>(m_rooms, m_users, *m_store,
                                                       static_cast<ModerationHost &>(*this))),
      m_webhooks(new WebhookForwarder(this)), m_sweepTimer(this), m_outbound(this),
      m_heartbeatTimer(this), m_statsTimer(this), m_windowTimer(this)
{
    qRegisterMetaType<roomkeeper::ServerStats>();
    qRegisterMetaType<roomkeeper::ServerSnapshot>();
    qRegisterMetaType<roomkeeper::TrafficBatch>();
    m_windowTimer.setInterval(100);
    connect(&m_windowTimer, &QTimer::timeout, this, &ChatServer::feedWindow);
    m_clock.start();
    m_sweepTimer.setInterval(m_config.sweepIntervalMs);
    connect(&m_sweepTimer, &QTimer::timeout, this, &ChatServer::sweep);
    m_rooms.setMaxContent(m_config.maxContent);
    m_heartbeatTimer.setInterval(heartbeatTick(m_config.heartbeatIntervalMs));
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &ChatServer::sweepHeartbeats);
    m_statsTimer.setInterval(StatsIntervalMs);
    connect(&m_statsTimer, &QTimer::timeout, this, [this] { emit statsUpdated(stats()); });
}

ChatServer::~ChatServer()
{
    m_heartbeatTimer.stop();
    if (m_listener)
        flushIdentities();
    // Connections abort their sockets; no event may reach the rooms any more. The
    // listener goes now, while every member is alive: its sockets may still signal.
    for (const auto &conn : std::as_const(m_connections))
        conn->link().socket()->disconnect(this);
    m_connections.clear();
    delete m_listener;
    m_listener = nullptr;
}

quint16 ChatServer::port() const
{
    return m_listener ? m_listener->port() : 0;
}

ServerStats ChatServer::stats() const
{
    ServerStats s = m_stats;
    s.connections = int(m_connections.size());
    for (const auto &conn : m_connections) {
        if (conn->protocol() == WireProtocol::Room)
            ++s.roomConnections;
        else
            ++s.gatewayConnections;
    }
    s.rooms = int(m_rooms.roomCount());
    s.handshakes = m_listener ? m_listener->handshakesInProgress() : 0;
    s.handshakesRefused = m_listener ? m_listener->handshakesRefused() : 0;
    s.webhookDelivered = m_webhooks->delivered();
    s.webhookFailed = m_webhooks->failed();
    s.webhookDropped = m_webhooks->dropped();
    s.accepting = m_accepting;
    return s;
}

QStringList ChatServer::addressesOf(const QUuid &user) const
{
    QStringList result;
    for (MemberId id : m_userConnections.value(user)) {
        if (const Connection *c = connection(id)) {
            const QString address = c->address().toString();
            if (!result.contains(address))
                result.append(address);
        }
    }
    return result;
}

void ChatServer::recordIncoming(const Connection &c, const QString &type, const QUuid &room,
                                int size, const QString &summary)
{
    if (!m_traffic.wants()) {
        m_traffic.skip();
        return;
    }
    TrafficEvent event;
    event.timeMs = wallMs();
    event.incoming = true;
    event.gateway = c.protocol() == WireProtocol::Gateway;
    event.room = room;
    event.user = c.user;
    event.type = type.left(24);
    event.size = size;
    event.summary = TrafficRecorder::summarize(summary);
    m_traffic.record(std::move(event));
}

void ChatServer::watch(const QString &what, const QUuid &room, const QUuid &user,
                       const QString &detail)
{
    if (!m_watching)
        return;
    const User *who = m_users.find(user);
    QStringList fields{QDateTime::currentDateTime().toString(Qt::ISODate), what,
                       room.isNull() ? QStringLiteral("-") : room.toString(QUuid::WithoutBraces),
                       user.isNull() ? QStringLiteral("-") : user.toString(QUuid::WithoutBraces),
                       who ? textrules::printable(who->name, 32) : QStringLiteral("-")};
    if (!detail.isEmpty())
        fields.append(textrules::printable(detail, 80));
    emit watchEvent(QStringLiteral("watch\t") + fields.join(QLatin1Char('\t')));
}

void ChatServer::connectNotify(const QMetaMethod &signal)
{
    // Connections are made from any thread; the timers live on this one.
    if (signal == QMetaMethod::fromSignal(&ChatServer::trafficReady) ||
        signal == QMetaMethod::fromSignal(&ChatServer::snapshotReady) ||
        signal == QMetaMethod::fromSignal(&ChatServer::statsUpdated))
        QMetaObject::invokeMethod(this, &ChatServer::updateWatchTimers, Qt::QueuedConnection);
}

void ChatServer::disconnectNotify(const QMetaMethod &signal)
{
    connectNotify(signal);
}

void ChatServer::updateWatchTimers()
{
    // A headless server wakes up only for its own work: with 10,000 connections each
    // wake-up of the event loop walks every socket.
    if (!m_listener)
        return;
    const auto watched = [this](auto signal) {
        return isSignalConnected(QMetaMethod::fromSignal(signal));
    };
    const bool window = watched(&ChatServer::trafficReady) || watched(&ChatServer::snapshotReady);
    if (window && !m_windowTimer.isActive())
        m_windowTimer.start();
    else if (!window) {
        m_windowTimer.stop();
        m_traffic.setEnabled(false);
    }
    const bool stats = watched(&ChatServer::statsUpdated);
    if (stats && !m_statsTimer.isActive())
        m_statsTimer.start();
    else if (!stats)
        m_statsTimer.stop();
}

void ChatServer::feedWindow()
{
    // Work only for what someone watches: a headless server builds nothing.
    m_traffic.setEnabled(isSignalConnected(QMetaMethod::fromSignal(&ChatServer::trafficReady)));
    if (m_traffic.enabled()) {
        TrafficBatch batch = m_traffic.take();
        if (!batch.events.isEmpty() || batch.skipped > 0)
            emit trafficReady(batch);
    }
    if (++m_windowTicks % 3 == 0 &&
        isSignalConnected(QMetaMethod::fromSignal(&ChatServer::snapshotReady))) {
        emit snapshotReady(buildSnapshot(
            {m_rooms, m_users, m_connections, m_messagesByUser, *m_webhooks, nowMs(), wallMs()}));
    }
}

QStringList ChatServer::reconfigure(const ServerConfig &next)
{
    QStringList report;
    const auto restart = [&report](bool differs, const char *key) {
        if (differs)
            report.append(QStringLiteral("needs a restart: %1").arg(QLatin1StringView(key)));
    };
    restart(next.listenAddress != m_config.listenAddress, "listen");
    restart(next.port != m_config.port, "port");
    restart(next.dataDir != m_config.dataDir, "data-dir");
    restart(next.listenBacklog != m_config.listenBacklog, "listen-backlog");
    restart(next.handshakeTimeoutMs != m_config.handshakeTimeoutMs, "handshake-timeout");
    restart(next.tlsCertFile != m_config.tlsCertFile || next.tlsKeyFile != m_config.tlsKeyFile,
            "tls-cert/tls-key");

    const auto applied = [&report](bool differs, const char *key) {
        if (differs)
            report.append(QStringLiteral("applied %1").arg(QLatin1StringView(key)));
        return differs;
    };
    const bool rate = applied(next.maxMessageRate != m_config.maxMessageRate ||
                                  next.maxMessageBurst != m_config.maxMessageBurst,
                              "max-message-rate");
    applied(next.maxConnections != m_config.maxConnections, "max-connections");
    applied(next.maxConnectionsPerAddress != m_config.maxConnectionsPerAddress,
            "max-connections-per-address");
    const bool size = applied(next.maxMessageSize != m_config.maxMessageSize, "max-message-size");
    applied(next.maxContent != m_config.maxContent, "max-content");
    applied(next.roomIdleExpiryHours != m_config.roomIdleExpiryHours, "room-idle-expiry");
    const bool queue =
        applied(next.maxOutboundQueue != m_config.maxOutboundQueue, "max-outbound-queue");
    const bool heartbeat =
        applied(next.heartbeatIntervalMs != m_config.heartbeatIntervalMs, "heartbeat-interval");
    applied(next.maxConcurrentHandshakes != m_config.maxConcurrentHandshakes, "max-handshakes");
    applied(next.allowedOrigins != m_config.allowedOrigins, "allow-origin");

    // Keep what needs a restart as it is running; take the rest.
    ServerConfig taken = next;
    taken.listenAddress = m_config.listenAddress;
    taken.port = m_config.port;
    taken.dataDir = m_config.dataDir;
    taken.listenBacklog = m_config.listenBacklog;
    taken.handshakeTimeoutMs = m_config.handshakeTimeoutMs;
    taken.tlsCertFile = m_config.tlsCertFile;
    taken.tlsKeyFile = m_config.tlsKeyFile;
    m_config = taken;
    m_rooms.setMaxContent(m_config.maxContent);
    if (heartbeat)
        m_heartbeatTimer.setInterval(heartbeatTick(m_config.heartbeatIntervalMs));
    for (const auto &conn : std::as_const(m_connections)) {
        if (rate)
            conn->bucket = TokenBucket(m_config.maxMessageRate, m_config.burst(), nowMs());
        if (queue)
            conn->maxOutbound = m_config.maxOutboundQueue;
        if (size)
            conn->link().setMaxMessageSize(m_config.maxMessageSize);
    }
    if (report.isEmpty())
        report.append(QStringLiteral("nothing changed"));
    return report;
}

void ChatServer::sweep()
{
    m_moderation->sweep(m_config.roomIdleMs());
    // A busy connection keeps its gathering buffer between turns; an idle one gives it back.
    for (const auto &conn : std::as_const(m_connections))
        conn->link().releaseIdleMemory();
}

QString ChatServer::openStore()
{
    if (const QString problem = m_store->open(); !problem.isEmpty())
        return problem;
    for (const StoredIdentity &identity : m_store->loadIdentities())
        m_users.restore(User{identity.id, identity.name, identity.color}, identity.tokenDigest);
    for (const StoredRoom &room : m_store->loadRooms()) {
        m_rooms.restoreRoom(room.id, room.settings, room.creator, room.admins, room.pinned,
                            room.messageIdCeiling, room.createdAtMs, room.emptySinceMs);
        m_messageIdCeilings.insert(room.id, room.messageIdCeiling);
    }
    for (const Ban &ban : m_store->loadBans()) {
        if (ban.isAddressBan())
            m_moderation->restoreAddressBan(ban);
        else
            m_rooms.restoreBan(ban);
    }
    if (!m_store->lastError().isEmpty())
        return QStringLiteral("cannot read database %1: %2")
            .arg(m_store->location(), m_store->lastError());
    qCInfo(lcServer).noquote() << "state from" << m_store->location() << ":" << m_users.size()
                               << "identities," << m_rooms.roomCount() << "rooms";
    return QString();
}

void ChatServer::persistRoom(const Room &room)
{
    // The people a room names (creator, admins) must be known after a restart too.
    flushIdentities();
    StoredRoom stored;
    stored.id = room.id();
    stored.settings = room.settings();
    stored.creator = room.creator();
    stored.pinned = room.isPinned();
    stored.messageIdCeiling = m_messageIdCeilings.value(room.id());
    stored.createdAtMs = room.createdAtMs();
    stored.emptySinceMs = room.emptySinceMs();
    stored.admins = room.admins().values();
    if (!m_store->saveRoom(stored))
        qCWarning(lcServer) << "room not stored:" << m_store->lastError();
}

void ChatServer::flushIdentities()
{
    const QList<UserDirectory::Changed> changed = m_users.takeChanged();
    if (changed.isEmpty())
        return;
    QList<StoredIdentity> rows;
    rows.reserve(changed.size());
    for (const UserDirectory::Changed &c : changed)
        rows.append({c.user.id, c.tokenDigest, c.user.name, c.user.color});
    if (!m_store->saveIdentities(rows))
        qCWarning(lcServer) << "identities not stored:" << m_store->lastError();
}

int ChatServer::endConnectionsFrom(const Ban &addressBan)
{
    int ended = 0;
    const QList<std::shared_ptr<Connection>> all = m_connections.values();
    for (const auto &conn : all) {
        if (conn->isClosing() || !addressBan.matchesAddress(conn->address()))
            continue;
        for (const QUuid &roomId : m_rooms.roomsOf(conn->id()))
            conn->send(conn->protocol() == WireProtocol::Room
                           ? roomcodec::kick(roomId, addressBan.reason, true)
                           : gatewaycodec::participantKick(conn->user));
        m_rooms.memberGone(conn->id(), ExitReason::Banned);
        conn->closeWith(4011, QStringLiteral("banned"), m_config.slowClientGraceMs);
        ++ended;
    }
    m_stats.bans += 1;
    return ended;
}

void ChatServer::setAccepting(bool accepting)
{
    m_accepting = accepting;
    if (m_listener)
        m_listener->setAcceptingUpgrades(accepting);
}

void ChatServer::start()
{
    if (m_listener)
        return;
    if (const QString problem = openStore(); !problem.isEmpty()) {
        emit startFailed(problem);
        return;
    }
    m_listener = new Listener(m_config, this);
    m_listener->setMetricsSource([this] { return renderMetrics(stats()); });
    connect(m_listener, &Listener::webSocketReady, this, &ChatServer::onWebSocket);
    if (!m_listener->listen()) {
        const QString reason = QStringLiteral("cannot listen on %1:%2: %3")
                                   .arg(m_config.listenAddress.toString())
                                   .arg(m_config.port)
                                   .arg(m_listener->errorString());
        delete m_listener;
        m_listener = nullptr;
        emit startFailed(reason);
        return;
    }
    m_heartbeatTimer.start();
    m_sweepTimer.start();
    updateWatchTimers();
    emit started(m_listener->address().toString(), m_listener->port());
}

void ChatServer::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_heartbeatTimer.stop();
    flushIdentities();
    if (m_listener)
        m_listener->close();
    for (const auto &conn : std::as_const(m_connections))
        conn->closeWith(1001, QStringLiteral("server shutting down"), ShutdownGraceMs);
    QTimer::singleShot(ShutdownGraceMs + 500, this, [this] {
        m_connections.clear();
        maybeFinishShutdown();
    });
    maybeFinishShutdown();
}

void ChatServer::maybeFinishShutdown()
{
    if (!m_shuttingDown || !m_connections.isEmpty())
        return;
    m_statsTimer.stop();
    emit statsUpdated(stats());
    emit stopped();
    m_shuttingDown = false; // stopped is emitted once
    m_connections.clear();
    disconnect(&m_statsTimer, nullptr, this, nullptr);
}

void ChatServer::onWebSocket(QWebSocket *socket, QTcpSocket *transport, WireProtocol protocol)
{
    const QHostAddress address = socket->peerAddress();
    const bool full = qsizetype(m_config.maxConnections) <= m_connections.size();
    const bool addressFull = m_perAddress.value(address) >= m_config.maxConnectionsPerAddress;
    // A socket we will not serve: its close code, then abort() if it does not go.
    const auto turnAway = [this, socket](int code, const QString &reason) {
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        socket->close(QWebSocketProtocol::CloseCode(code), reason);
        QTimer::singleShot(m_config.slowClientGraceMs, socket, [socket] { socket->abort(); });
    };
    if (m_shuttingDown) {
        turnAway(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("server shutting down"));
        return;
    }
    if (full || addressFull) {
        ++m_stats.refusedConnections;
        turnAway(4013, addressFull ? QStringLiteral("too many connections from your address")
                                   : QStringLiteral("too many connections"));
        return;
    }
    if (const Ban *ban = m_moderation->refusingBan(address)) {
        ++m_stats.bannedConnections;
        watch(QStringLiteral("ban-hit"), QUuid(), QUuid(), address.toString());
        turnAway(4003, QStringLiteral("banned"));
        qCInfo(lcServer).noquote()
            << "refused" << address.toString() << "by address ban" << ban->addressText();
        return;
    }

    const MemberId id = m_nextMemberId++;
    auto conn = std::make_shared<Connection>(socket, transport, &m_outbound, id, protocol, nowMs());
    conn->maxOutbound = m_config.maxOutboundQueue;
    conn->slowGraceMs = m_config.slowClientGraceMs;
    conn->bucket = TokenBucket(m_config.maxMessageRate, m_config.burst(), nowMs());
    conn->lastPingSentMs = nowMs();

    const QUrlQuery query(socket->requestUrl());
    const UserDirectory::Identity identity =
        m_users.identify(query.queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded),
                         query.queryItemValue(QStringLiteral("name"), QUrl::FullyDecoded));
    conn->user = identity.user.id;
    scheduleIdentityFlush(); // a new identity, or a new name for a known one
    conn->key = randomSecret(128);

    m_connections.insert(id, conn);
    m_userConnections[conn->user].append(id);
    ++m_perAddress[address];

    connect(socket, &QWebSocket::textMessageReceived, this, [this, id](const QString &text) {
        Connection *c = connection(id);
        if (!c)
            return;
        if (c->protocol() == WireProtocol::Room)
            onRoomFrame(*c, text.toUtf8());
        else
            onGatewayFrame(*c, text.toUtf8());
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this, id](const QByteArray &) {
        Connection *c = connection(id);
        if (c && !c->isClosing() && admit(*c))
            refuse(*c,
                   roomkeeper::refuse(
                       ErrorCode::BadJson,
                       QStringLiteral("binary frames are not accepted; send JSON text")),
                   QString());
    });
    // Queued: a socket can report its end from inside a write (an error while flushing),
    // and the member tables must not change under a broadcast that is walking them.
    connect(
        socket, &QWebSocket::disconnected, this,
        [this, id] {
            if (Connection *c = connection(id))
                onDisconnected(c);
        },
        Qt::QueuedConnection);

    qCInfo(lcServer).noquote() << "open" << address.toString()
                               << (protocol == WireProtocol::Room ? "/ws" : "/gateway") << "user"
                               << identity.user.id.toString(QUuid::WithoutBraces)
                               << (identity.resumed ? "resumed" : "new");
    if (protocol == WireProtocol::Gateway) {
        conn->pendingToken = identity.token;
        if (!identity.resumed)
            flushIdentities(); // the token in op 8 must outlive a crash
        openGateway(*conn, query);
        return;
    }
    if (identity.resumed) {
        conn->send(roomcodec::session(identity.user, conn->key, identity.token,
                                      m_config.heartbeatIntervalMs));
        return;
    }
    // A new identity's token is handed out only once it is stored, so that a client
    // never holds a token the server could forget in a crash. The identities made in
    // one event-loop turn are stored in one transaction, then their sessions go out.
    conn->pendingToken = identity.token;
    m_awaitingSession.append(id); // sent by storeIdentities(), scheduled above
}

void ChatServer::scheduleIdentityFlush()
{
    if (m_identityFlushQueued)
        return;
    m_identityFlushQueued = true;
    QMetaObject::invokeMethod(this, &ChatServer::storeIdentities, Qt::QueuedConnection);
}

void ChatServer::storeIdentities()
{
    m_identityFlushQueued = false;
    flushIdentities();
    const QList<MemberId> waiting = std::exchange(m_awaitingSession, {});
    for (MemberId id : waiting) {
        Connection *c = connection(id);
        if (!c || c->isClosing())
            continue;
        if (const User *user = m_users.find(c->user))
            c->send(
                roomcodec::session(*user, c->key, c->pendingToken, m_config.heartbeatIntervalMs));
        c->pendingToken.clear();
    }
}

void ChatServer::openGateway(Connection &c, const QUrlQuery &query)
{
    c.send(gatewaycodec::hello(m_config.heartbeatIntervalMs));
    c.lastClientHeartbeatMs = nowMs();
    const QString roomText = query.queryItemValue(QStringLiteral("room"), QUrl::FullyDecoded);
    const QUuid roomId = QUuid::fromString(roomText);
    Outcome refused;
    if (roomText.size() != 36 || roomId.isNull())
        refused = roomkeeper::refuse(ErrorCode::NoSuchRoom, QStringLiteral("no such room"));
    else
        refused = m_rooms.enter(c.id(), c.user, roomId);
    if (!refused) {
        c.gatewayRoom = roomId;
        return;
    }
    // PROTOCOL.md §3/§4: the refusal is the close code.
    int code = 4004;
    switch (refused->code) {
    case ErrorCode::Banned:
        code = 4003;
        break;
    case ErrorCode::RoomFull:
        code = 4005;
        break;
    case ErrorCode::RoomClosed:
        code = 4006;
        break;
    default:
        break;
    }
    c.closeWith(code, refused->message.left(100), m_config.slowClientGraceMs);
}

void ChatServer::refuse(Connection &c, const Refusal &refusal, const QString &ref,
                        const std::optional<QUuid> &roomId)
{
    if (c.protocol() == WireProtocol::Room)
        c.send(roomcodec::error(refusal, ref, roomId));
    else
        c.send(gatewaycodec::error(refusal));
}

void ChatServer::onGatewayFrame(Connection &c, const QByteArray &utf8)
{
    if (!countIncoming(c, utf8))
        return;
    const ParsedGatewayFrame parsed = gatewaycodec::parse(utf8);
    if (const Refusal *bad = std::get_if<Refusal>(&parsed)) {
        if (admit(c))
            c.send(gatewaycodec::error(*bad));
        return;
    }
    const GatewayRequest &request = std::get<GatewayRequest>(parsed);
    if (!request.isHeartbeat() && !admit(c))
        return;
    if (m_traffic.enabled())
        recordIncoming(c, QStringLiteral("op %1").arg(int(request.op)), c.gatewayRoom,
                       int(utf8.size()), request.content);
    const auto answer = [&c](const Outcome &outcome) {
        if (outcome)
            c.send(gatewaycodec::error(*outcome));
    };
    const Actor actor = Actor::person(c.user);
    const QUuid room = c.gatewayRoom;
    switch (request.op) {
    case GatewayRequest::Heartbeat:
        c.lastClientHeartbeatMs = nowMs();
        if (c.ackSentMs) {
            c.roundTripMs = int(nowMs() - c.ackSentMs);
            c.ackSentMs = 0;
        }
        return;
    case GatewayRequest::HeartbeatAck:
        c.send(gatewaycodec::heartbeat());
        return;
    case GatewayRequest::SendMessage:
        answer(m_rooms.postMessage(c.id(), room, request.content, wallMs()));
        return;
    case GatewayRequest::UpdateRoom:
        answer(m_moderation->update(actor, room, request.update));
        return;
    case GatewayRequest::KickParticipant:
        answer(request.banned ? m_moderation->ban(actor, room, request.userId, QString())
                              : m_moderation->kick(actor, room, request.userId, QString()));
        return;
    case GatewayRequest::ChangeParticipant: {
        // A refused request changes nothing (PROTOCOL.md §2.5), so a colour with an admin
        // change must not be half done: a bad colour is refused up front, a demotion (which
        // rank can refuse) goes before the colour, a grant after it (the new admin's rank
        // would forbid the colour).
        if (request.color && !UserDirectory::isColor(*request.color)) {
            answer(roomkeeper::refuse(ErrorCode::BadField,
                                      QStringLiteral("a colour is written #rrggbb")));
            return;
        }
        const bool demote = request.admin && !*request.admin;
        if (demote) {
            if (Outcome bad = m_moderation->setAdmin(actor, room, request.userId, false)) {
                answer(bad);
                return;
            }
        }
        if (request.color) {
            if (Outcome bad = m_moderation->setColor(actor, room, request.userId, *request.color)) {
                answer(bad);
                return;
            }
        }
        if (request.admin && !demote)
            answer(m_moderation->setAdmin(actor, room, request.userId, true));
        return;
    }
    case GatewayRequest::CloseRoom:
        answer(m_moderation->closeRoom(actor, room, QString()));
        return;
    case GatewayRequest::Read:
        answer(m_rooms.markRead(c.id(), room, request.messageId));
        return;
    }
}

void ChatServer::onDisconnected(Connection *c)
{
    const MemberId id = c->id();
    if (c->slowDropped) {
        ++m_stats.slowClientDrops;
        watch(QStringLiteral("slow-client"), QUuid(), c->user, c->address().toString());
    }
    if (c->link().socket())
        qCInfo(lcServer).noquote()
            << "close" << c->address().toString()
            << (c->protocol() == WireProtocol::Room ? "/ws" : "/gateway") << "user"
            << c->user.toString(QUuid::WithoutBraces) << "code" << c->closeCode()
            << textrules::printable(c->link().closeReason(), 60);
    const std::shared_ptr<Connection> keep = m_connections.take(id);
    auto users = m_userConnections.find(c->user);
    if (users != m_userConnections.end()) {
        users->removeOne(id);
        if (users->isEmpty())
            m_userConnections.erase(users);
    }
    auto perAddress = m_perAddress.find(c->address());
    if (perAddress != m_perAddress.end() && --perAddress.value() <= 0)
        m_perAddress.erase(perAddress);
    m_rooms.memberGone(id);
    maybeFinishShutdown();
}

bool ChatServer::admit(Connection &c)
{
    if (c.bucket.take(nowMs())) {
        c.floodStrikes = 0;
        return true;
    }
    ++m_stats.rateLimited;
    if (++c.floodStrikes > m_config.burst()) {
        watch(QStringLiteral("flood"), QUuid(), c.user, c.address().toString());
        c.closeWith(1008, QStringLiteral("flooding past the rate limit"),
                    m_config.slowClientGraceMs);
        return false;
    }
    refuse(
        c,
        roomkeeper::refuse(
            ErrorCode::RateLimited,
            QStringLiteral("slow down: at most %1 requests a second").arg(m_config.maxMessageRate)),
        QString());
    return false;
}

bool ChatServer::countIncoming(Connection &c, const QByteArray &utf8)
{
    if (c.isClosing())
        return false; // frames after a kick, a ban or a close decision are not acted on
    ++c.framesIn;
    ++m_stats.framesIn;
    m_stats.bytesIn += quint64(utf8.size());
    return true;
}

void ChatServer::onRoomFrame(Connection &c, const QByteArray &utf8)
{
    if (!countIncoming(c, utf8))
        return;
    const ParsedRoomFrame parsed = roomcodec::parse(utf8);
    if (const auto *bad = std::get_if<RoomFrameError>(&parsed)) {
        if (admit(c))
            c.send(roomcodec::error(bad->refusal, bad->ref, bad->roomId));
        return;
    }
    const RoomRequest &request = std::get<RoomRequest>(parsed);
    if (!request.isHeartbeat() && !admit(c))
        return;
    if (m_traffic.enabled())
        recordIncoming(c, request.typeName, request.roomId.value_or(QUuid()), int(utf8.size()),
                       request.type == RoomRequest::Type::Message ? request.content : request.name);
    handleRoomRequest(c, request);
}

void ChatServer::handleRoomRequest(Connection &c, const RoomRequest &request)
{
    using Type = RoomRequest::Type;
    const auto answer = [&c, &request](const Outcome &outcome) {
        if (outcome)
            c.send(roomcodec::error(*outcome, request.typeName, request.roomId));
    };
    if (request.needsKey() || request.key) {
        if (!request.key || !equalSecrets(request.key->toUtf8(), c.key)) {
            answer(roomkeeper::refuse(ErrorCode::BadKey,
                                      QStringLiteral("wrong or missing session key")));
            return;
        }
    }
    const Actor actor = Actor::person(c.user);
    const QUuid roomId = request.roomId.value_or(QUuid());
    switch (request.type) {
    case Type::Ping:
        c.send(roomcodec::pong(request.time));
        return;
    case Type::Pong: {
        const auto time = qint64(request.time);
        if (c.unansweredSinceMs && time == c.lastPingTime) {
            c.roundTripMs = int(nowMs() - c.lastPingSentMs);
            c.unansweredSinceMs = 0;
        }
        return;
    }
    case Type::Rooms:
        c.send(roomcodec::rooms(m_rooms.roomsVisibleTo(c.user)));
        return;
    case Type::Create: {
        const auto created = m_moderation->createRoom(actor, request.name, request.closed, c.id());
        if (const auto *refusal = std::get_if<Refusal>(&created))
            answer(*refusal);
        return;
    }
    case Type::Enter:
        answer(m_rooms.enter(c.id(), c.user, roomId));
        return;
    case Type::Exit:
        answer(m_rooms.exit(c.id(), roomId));
        return;
    case Type::Message:
        answer(m_rooms.postMessage(c.id(), roomId, request.content, wallMs()));
        return;
    case Type::Read: {
        QUuid target = roomId;
        if (!request.roomId) {
            const QList<QUuid> mine = m_rooms.roomsOf(c.id());
            if (mine.size() != 1) {
                answer(roomkeeper::refuse(
                    ErrorCode::MissingField,
                    QStringLiteral("missing field 'room_id' (you are in %1 rooms)")
                        .arg(mine.size())));
                return;
            }
            target = mine.first();
        }
        answer(m_rooms.markRead(c.id(), target, request.messageId));
        return;
    }
    case Type::Invite:
        answer(m_rooms.invite(c.id(), roomId, request.userId));
        return;
    case Type::Kick:
        answer(request.permanent
                   ? m_moderation->ban(actor, roomId, request.userId, request.message)
                   : m_moderation->kick(actor, roomId, request.userId, request.message));
        return;
    case Type::Unban:
        answer(m_moderation->unban(actor, roomId, request.userId));
        return;
    case Type::Update:
        answer(m_moderation->update(actor, roomId, request.update));
        return;
    case Type::Admin:
        answer(m_moderation->setAdmin(actor, roomId, request.userId, request.admin));
        return;
    case Type::Close:
        answer(m_moderation->closeRoom(actor, roomId, request.message));
        return;
    }
}

void ChatServer::sweepHeartbeats()
{
    const qint64 now = nowMs();
    const qint64 interval = m_config.heartbeatIntervalMs;
    QList<Connection *> dead;
    QByteArray pingFrame;
    qint64 pingTime = 0;
    for (const auto &conn : std::as_const(m_connections)) {
        Connection &c = *conn;
        if (c.isClosing())
            continue;
        if (c.protocol() == WireProtocol::Gateway) {
            // PROTOCOL.md §3: no op 1 within 1.5 intervals closes; we ask with op 2 at
            // random moments, at most once an interval.
            if (now - c.lastClientHeartbeatMs > interval * 3 / 2) {
                dead.append(&c);
            } else if (!c.ackSentMs && now - c.lastPingSentMs >= interval &&
                       QRandomGenerator::global()->bounded(4) == 0) {
                c.send(gatewaycodec::heartbeatAck());
                c.lastPingSentMs = now;
                c.ackSentMs = now;
            }
            continue;
        }
        if (c.unansweredSinceMs && now - c.unansweredSinceMs > 2 * interval) {
            dead.append(&c);
            continue;
        }
        if (now - c.lastPingSentMs < interval)
            continue;
        if (pingFrame.isEmpty()) {
            pingTime = wallMs();
            pingFrame = wireframe::text(roomcodec::ping(pingTime));
        }
        c.sendFrame(pingFrame);
        c.lastPingSentMs = now;
        c.lastPingTime = pingTime;
        if (!c.unansweredSinceMs)
            c.unansweredSinceMs = now;
    }
    for (Connection *c : std::as_const(dead)) {
        ++m_stats.heartbeatTimeouts;
        watch(QStringLiteral("heartbeat-timeout"), QUuid(), c->user, c->address().toString());
        c->closeWith(4009, QStringLiteral("heartbeat timeout"), m_config.slowClientGraceMs);
    }
}

namespace {

// Serialises an event at most once per protocol, and only when a member of that protocol
// is reached; an empty text skips the protocol.
class LazyTexts
{
public:
    LazyTexts(const std::function<QByteArray()> &roomText,
              const std::function<QByteArray()> &gatewayText)
        : m_make{&roomText, &gatewayText}
    {}

    void sendTo(Connection &c)
    {
        const int p = c.protocol() == WireProtocol::Room ? 0 : 1;
        if (!m_made[p]) {
            const QByteArray text = *m_make[p] ? (*m_make[p])() : QByteArray();
            if (!text.isEmpty())
                m_frames[p] = wireframe::text(text);
            m_made[p] = true;
        }
        if (!m_frames[p].isEmpty())
            c.sendFrame(m_frames[p]);
    }

private:
    const std::function<QByteArray()> *m_make[2];
    QByteArray m_frames[2];
    bool m_made[2] = {false, false};
};

} // namespace

void ChatServer::sendTo(const QList<MemberId> &members, const std::function<QByteArray()> &roomText,
                        const std::function<QByteArray()> &gatewayText)
{
    LazyTexts texts(roomText, gatewayText);
    for (MemberId id : members) {
        if (Connection *c = connection(id))
            texts.sendTo(*c);
    }
}

void ChatServer::broadcast(const Room &room, const std::function<QByteArray()> &roomText,
                           const std::function<QByteArray()> &gatewayText)
{
    // The member table is walked in place: no copy of it per broadcast.
    LazyTexts texts(roomText, gatewayText);
    const QHash<MemberId, QUuid> &members = room.members();
    for (auto it = members.cbegin(); it != members.cend(); ++it) {
        if (Connection *c = connection(it.key()))
            texts.sendTo(*c);
    }
}

void ChatServer::broadcastRoomPicture(const Room &room)
{
    // The webhook is a secret: admins get one picture, everyone else another.
    QByteArray forAdmins;
    QByteArray forMembers;
    const QHash<MemberId, QUuid> &members = room.members();
    for (auto it = members.cbegin(); it != members.cend(); ++it) {
        Connection *c = connection(it.key());
        if (!c || c->protocol() != WireProtocol::Room)
            continue;
        const bool admin = room.isAdmin(it.value());
        QByteArray &frame = admin ? forAdmins : forMembers;
        if (frame.isEmpty())
            frame = wireframe::text(roomcodec::room(room, m_users, admin));
        c->sendFrame(frame);
    }
}

void ChatServer::memberJoined(const Room &room, MemberId member)
{
    Connection *c = connection(member);
    if (!c)
        return;
    if (c->protocol() == WireProtocol::Room) {
        c->send(roomcodec::room(room, m_users, room.isAdmin(c->user)));
    } else if (const User *user = m_users.find(c->user)) {
        c->send(gatewaycodec::ready(*user, c->pendingToken, room, m_users));
        c->pendingToken.clear();
    }
}

void ChatServer::participantEntered(const Room &room, const User &user)
{
    watch(QStringLiteral("enter"), room.id(), user.id);
    const bool admin = room.isAdmin(user.id);
    broadcast(
        room, [&] { return roomcodec::enter(room.id(), user, admin); },
        [&] { return gatewaycodec::participantEnter(user, admin); });
}

void ChatServer::memberLeft(const Room &room, MemberId member, const QUuid &user)
{
    if (Connection *c = connection(member))
        c->send(roomcodec::exit(room.id(), user));
}

void ChatServer::participantExited(const Room &room, const QUuid &user, ExitReason reason)
{
    watch(QStringLiteral("exit"), room.id(), user);
    const QString why = reason == ExitReason::Banned ? QStringLiteral("ban") : QString();
    broadcast(
        room, [&] { return roomcodec::exit(room.id(), user, why); },
        [&] { return gatewaycodec::participantExit(user, why); });
}

void ChatServer::messagePosted(const Room &room, const ChatMessage &message)
{
    qint64 &ceiling = m_messageIdCeilings[room.id()];
    if (message.id > ceiling) {
        ceiling = message.id + MessageIdBlock; // reserve the next block before using it
        persistRoom(room);
    }
    ++m_stats.messagesPosted;
    ++m_messagesByUser[message.author];
    const auto members = quint64(room.members().size());
    m_stats.framesOut += members;
    quint64 bytes = 0;
    broadcast(
        room,
        [&] {
            QByteArray text = roomcodec::message(room, message);
            bytes = quint64(text.size());
            return text;
        },
        [&] { return gatewaycodec::messageCreate(message); });
    m_stats.bytesOut += members * bytes;
    if (m_traffic.wants()) {
        TrafficEvent event;
        event.timeMs = message.sentAtMs;
        event.incoming = false;
        event.room = room.id();
        event.user = message.author;
        event.type = QStringLiteral("message");
        event.size = int(bytes);
        event.summary = QStringLiteral("#%1 to %2: %3")
                            .arg(message.id)
                            .arg(members)
                            .arg(TrafficRecorder::summarize(message.content));
        m_traffic.record(std::move(event));
    } else {
        m_traffic.skip();
    }
    if (!room.settings().webhook.isEmpty())
        m_webhooks->enqueue(room.id(), QUrl(room.settings().webhook),
                            message.authorName.isEmpty() ? QStringLiteral("Roomkeeper")
                                                         : message.authorName,
                            message.content);
}

void ChatServer::readReceipt(const Room &room, const QUuid &reader, qint64 messageId)
{
    broadcast(
        room, [&] { return roomcodec::read(room.id(), reader, messageId); },
        [&] { return gatewaycodec::read(reader, messageId); });
}

void ChatServer::userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee)
{
    // The gateway protocol has no invitations: only room-protocol connections hear it.
    sendTo(m_userConnections.value(invitee), [&] { return roomcodec::invite(room.id(), inviter); },
           {});
}

void ChatServer::participantKicked(const Room &room, const QUuid &user,
                                   const QList<MemberId> &members, const QString &message,
                                   bool banned)
{
    ++m_stats.kicks;
    watch(banned ? QStringLiteral("ban") : QStringLiteral("kick"), room.id(), user, message);
    if (banned) {
        ++m_stats.bans;
        flushIdentities(); // a ban must find its user after a restart
        Ban ban = room.banRecords().value(user);
        if (!m_store->saveBan(ban))
            qCWarning(lcServer) << "ban not stored:" << m_store->lastError();
        persistRoom(room); // a banned admin loses the rank
    }
    // The kicked connections: 'kick' on /ws; op 5 then close 4010/4011 on /gateway.
    sendTo(
        members, [&] { return roomcodec::kick(room.id(), message, banned); },
        [&] { return gatewaycodec::participantKick(user); });
    for (MemberId id : members) {
        Connection *c = connection(id);
        if (c && c->protocol() == WireProtocol::Gateway)
            c->closeWith(banned ? 4011 : 4010,
                         banned ? QStringLiteral("banned") : QStringLiteral("kicked"),
                         m_config.slowClientGraceMs);
    }
    // Everyone else: 'exit' with the reason on /ws; op 5 (and op 6 banned) on /gateway.
    if (!members.isEmpty()) {
        const QString why = banned ? QStringLiteral("ban") : QStringLiteral("kick");
        broadcast(
            room, [&] { return roomcodec::exit(room.id(), user, why); },
            [&] { return gatewaycodec::participantKick(user); });
    }
    if (banned)
        broadcast(room, {}, [&] {
            return gatewaycodec::participantChange(user, true, std::nullopt, std::nullopt);
        });
}

void ChatServer::participantUnbanned(const Room &room, const QUuid &user)
{
    if (!m_store->deleteUserBan(room.id(), user))
        qCWarning(lcServer) << "unban not stored:" << m_store->lastError();
    broadcast(room, {}, [&] {
        return gatewaycodec::participantChange(user, false, std::nullopt, std::nullopt);
    });
}

void ChatServer::banExpired(const Room &room, const Ban &ban)
{
    participantUnbanned(room, ban.user);
}

void ChatServer::adminChanged(const Room &room, const QUuid &user, bool admin)
{
    persistRoom(room);
    broadcastRoomPicture(room);
    broadcast(room, {}, [&] {
        return gatewaycodec::participantChange(user, std::nullopt, std::nullopt, admin);
    });
}

void ChatServer::userChanged(const QUuid &user)
{
    scheduleIdentityFlush();
    const User *who = m_users.find(user);
    for (const Room *room : m_rooms.rooms()) {
        if (!room->hasParticipant(user))
            continue;
        broadcastRoomPicture(*room);
        broadcast(*room, {}, [&] {
            return gatewaycodec::participantChange(user, std::nullopt, who ? who->color : QString(),
                                                   std::nullopt);
        });
    }
}

void ChatServer::roomCreated(const Room &room)
{
    persistRoom(room);
}

void ChatServer::roomChanged(const Room &room, RoomChanges changes)
{
    persistRoom(room);
    if (changes & WebhookChanged)
        m_webhooks->forget(room.id());
    if (changes == PinnedChanged)
        return;
    broadcastRoomPicture(room);
    // op 4 carries only what changed; the webhook only for admins.
    QByteArray forAdmins;
    QByteArray forMembers;
    bool made[2] = {false, false};
    const QHash<MemberId, QUuid> &members = room.members();
    for (auto it = members.cbegin(); it != members.cend(); ++it) {
        Connection *c = connection(it.key());
        if (!c || c->protocol() != WireProtocol::Gateway)
            continue;
        const bool admin = room.isAdmin(it.value());
        QByteArray &frame = admin ? forAdmins : forMembers;
        if (!made[admin]) {
            const QByteArray text = gatewaycodec::roomUpdate(room, changes, admin);
            if (!text.isEmpty())
                frame = wireframe::text(text);
            made[admin] = true;
        }
        if (!frame.isEmpty())
            c->sendFrame(frame);
    }
}

void ChatServer::roomClosed(const Room &room, const QList<MemberId> &members,
                            const QString &message)
{
    if (!m_store->deleteRoom(room.id()))
        qCWarning(lcServer) << "room closing not stored:" << m_store->lastError();
    m_messageIdCeilings.remove(room.id());
    m_webhooks->forget(room.id());
    sendTo(
        members, [&] { return roomcodec::roomClosed(room.id(), message); },
        [] { return gatewaycodec::roomClose(); });
    for (MemberId id : members) {
        Connection *c = connection(id);
        if (c && c->protocol() == WireProtocol::Gateway)
            c->closeWith(1000, QStringLiteral("room closed"), m_config.slowClientGraceMs);
    }
}

} // namespace roomkeeper

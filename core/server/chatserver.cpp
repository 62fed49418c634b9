#include "chatserver.h"

#include "metrics.h"
#include "snapshotbuilder.h"

#include "../net/listener.h"
#include "../protocol/gatewayencoder.h"
#include "../protocol/roomencoder.h"
#include "../session/gatewaysession.h"
#include "../session/roomsession.h"
#include "../store/sqlitestore.h"
#include "../webhook/webhookforwarder.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QMetaMethod>

Q_LOGGING_CATEGORY(lcServer, "roomkeeper.server")

namespace roomkeeper {

namespace {

constexpr int ShutdownGraceMs = 2000;
constexpr int StatsIntervalMs = 250;

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
    : QObject(parent), m_config(config), m_rooms(m_users, m_events),
      m_store(std::make_unique<SqliteStore>(config.dataDir)), m_writer(*m_store, m_users),
      m_moderation(std::make_unique<ModerationService>(m_rooms, m_users, m_writer,
                                                       static_cast<ModerationHost &>(*this))),
      m_dispatcher(m_rooms, *m_moderation, &wallMs),
      m_watch(m_users, [this](const QString &line) { emit watchEvent(line); }),
      m_context{m_config,
                m_rooms,
                m_users,
                m_dispatcher,
                m_traffic,
                m_stats,
                m_watch,
                [this] { return nowMs(); },
                &wallMs,
                [this](MemberId id) { m_sessions.awaitStoredIdentity(id); },
                [this] {
                    m_writer.saveIdentities();
                }},
      m_outbound(this),
      m_sessions(m_protocols, m_context, *m_moderation, m_writer, m_outbound, this),
      m_fanOut(m_sessions, m_protocols),
      m_delivery(m_fanOut, m_sessions, m_rooms, m_users, m_stats), m_persistence(m_writer),
      m_counters(m_stats), m_trafficTap(m_traffic), m_webhooks(new WebhookForwarder(this)),
      m_webhookMirror(std::make_unique<WebhookMirror>(*m_webhooks)), m_sweepTimer(this),
      m_heartbeatTimer(this), m_statsTimer(this), m_windowTimer(this)
{
    qRegisterMetaType<roomkeeper::ServerStats>();
    qRegisterMetaType<roomkeeper::ServerSnapshot>();
    qRegisterMetaType<roomkeeper::TrafficBatch>();
    m_clock.start();
    registerProtocols();
    subscribe();
    m_rooms.setStateCommit(&m_writer);
    m_writer.setRewrite([this](Store &store) { return rewriteState(store); });
    m_rooms.setMaxContent(m_config.maxContent);
    connect(&m_sessions, &SessionRegistry::ended, this, &ChatServer::maybeFinishShutdown);
    m_windowTimer.setInterval(100);
    connect(&m_windowTimer, &QTimer::timeout, this, &ChatServer::feedWindow);
    m_sweepTimer.setInterval(m_config.sweepIntervalMs);
    connect(&m_sweepTimer, &QTimer::timeout, this, &ChatServer::sweep);
    m_heartbeatTimer.setInterval(heartbeatTick(m_config.heartbeatIntervalMs));
    connect(&m_heartbeatTimer, &QTimer::timeout, &m_sessions, &SessionRegistry::sweepHeartbeats);
    m_statsTimer.setInterval(StatsIntervalMs);
    connect(&m_statsTimer, &QTimer::timeout, this, [this] { emit statsUpdated(stats()); });
}

ChatServer::~ChatServer()
{
    m_heartbeatTimer.stop();
    if (m_listener)
        m_writer.saveIdentities();
    // Sessions abort their sockets; no event may reach the rooms any more. The listener
    // goes now, while every member is alive: its sockets may still signal.
    m_sessions.clear();
    delete m_listener;
    m_listener = nullptr;
}

void ChatServer::registerProtocols()
{
    // Each protocol once: its door, its encoder, its session class.
    m_protocols.add("/ws", QStringLiteral("room"), std::make_unique<RoomEncoder>(m_users),
                    &RoomSession::create);
    m_protocols.add("/gateway", QStringLiteral("gateway"), std::make_unique<GatewayEncoder>(),
                    &GatewaySession::create);
}

void ChatServer::subscribe()
{
    // Persistence first: what members are told is stored before they hear it.
    m_events.subscribe(&m_persistence);
    m_events.subscribe(&m_delivery);
    m_events.subscribe(&m_counters);
    m_events.subscribe(&m_trafficTap);
    m_events.subscribe(m_webhookMirror.get());
    m_events.subscribe(&m_watch);
}

quint16 ChatServer::port() const
{
    return m_listener ? m_listener->port() : 0;
}

ServerStats ChatServer::stats() const
{
    ServerStats s = m_stats;
    s.connections = int(m_sessions.size());
    for (int i = 0; i < m_protocols.size(); ++i)
        s.connectionsByProtocol.insert(m_protocols.at(i).name(), 0);
    for (const auto &session : m_sessions.all())
        ++s.connectionsByProtocol[session->protocol().name()];
    // The two fields the window shows today.
    s.roomConnections = s.connectionsByProtocol.value(QStringLiteral("room"));
    s.gatewayConnections = s.connectionsByProtocol.value(QStringLiteral("gateway"));
    s.rooms = int(m_rooms.roomCount());
    s.handshakes = m_listener ? m_listener->handshakesInProgress() : 0;
    s.handshakesRefused = m_listener ? m_listener->handshakesRefused() : 0;
    s.webhookDelivered = m_webhooks->delivered();
    s.webhookFailed = m_webhooks->failed();
    s.webhookDropped = m_webhooks->dropped();
    s.accepting = m_accepting;
    s.storeFailures = m_writer.failures();
    s.storeProblem = m_writer.failure();
    return s;
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
        emit snapshotReady(buildSnapshot({m_rooms, m_users, m_sessions, m_counters.messagesByUser(),
                                          *m_webhooks, nowMs(), wallMs()}));
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
    m_sessions.applyLimits(rate, queue, size);
    if (report.isEmpty())
        report.append(QStringLiteral("nothing changed"));
    return report;
}

void ChatServer::sweep()
{
    m_writer.probe(nowMs());
    m_moderation->sweep(m_config.roomIdleMs());
    // A busy connection keeps its gathering buffer between turns; an idle one gives it back.
    m_sessions.releaseIdleMemory();
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
        m_writer.setCeiling(room.id, room.messageIdCeiling);
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

bool ChatServer::rewriteState(Store &store)
{
    QList<StoredIdentity> identities;
    for (const User &user : m_users.all())
        identities.append({user.id, m_users.tokenDigestOf(user.id), user.name, user.color});
    if (!store.saveIdentities(identities))
        return false;
    for (const Room *room : m_rooms.rooms()) {
        const RoomRecord r = RoomRegistry::recordOf(*room);
        StoredRoom stored{
            r.id,          r.settings,     r.creator, r.pinned, m_writer.ceiling(r.id),
            r.createdAtMs, r.emptySinceMs, r.admins};
        if (!store.saveRoom(stored))
            return false;
        for (Ban ban : room->banRecords()) {
            ban.id = 0; // a new store numbers its bans anew
            if (!store.saveBan(ban))
                return false;
            m_rooms.renumberBan(room->id(), ban.user, ban.id);
        }
    }
    for (const Ban &ban : m_moderation->bans()) {
        if (!ban.isAddressBan())
            continue;
        Ban copy = ban;
        copy.id = 0;
        if (!store.saveBan(copy))
            return false;
        m_moderation->renumberAddressBan(ban.id, copy.id);
    }
    return true;
}

int ChatServer::endConnectionsFrom(const Ban &addressBan)
{
    const int ended = m_sessions.endConnectionsFrom(addressBan);
    m_stats.bans += 1;
    return ended;
}

void ChatServer::setAccepting(bool accepting)
{
    m_accepting = accepting;
    if (m_listener)
        m_listener->setAcceptingUpgrades(accepting);
}

void ChatServer::userChanged(const QUuid &user)
{
    m_sessions.scheduleIdentityStore();
    m_delivery.userChanged(user);
}

void ChatServer::start()
{
    if (m_listener)
        return;
    if (const QString problem = openStore(); !problem.isEmpty()) {
        emit startFailed(problem);
        return;
    }
    m_listener = new Listener(m_config, m_protocols.paths(), this);
    m_listener->setMetricsSource([this] { return renderMetrics(stats()); });
    m_listener->setHealthSource([this]() -> QString {
        if (const QString problem = m_writer.probe(nowMs()); !problem.isEmpty())
            return QStringLiteral("store cannot write: ") + problem;
        return QString();
    });
    connect(m_listener, &Listener::webSocketReady, &m_sessions, &SessionRegistry::accept);
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
    m_sessions.setShuttingDown(true);
    m_heartbeatTimer.stop();
    m_writer.saveIdentities();
    if (m_listener)
        m_listener->close();
    m_sessions.closeAll(1001, QStringLiteral("server shutting down"), ShutdownGraceMs);
    QTimer::singleShot(ShutdownGraceMs + 500, this, [this] {
        m_sessions.clear();
        maybeFinishShutdown();
    });
    maybeFinishShutdown();
}

void ChatServer::maybeFinishShutdown()
{
    if (!m_shuttingDown || m_sessions.size() > 0)
        return;
    m_statsTimer.stop();
    emit statsUpdated(stats());
    emit stopped();
    m_shuttingDown = false; // stopped is emitted once
    m_sessions.clear();
    disconnect(&m_statsTimer, nullptr, this, nullptr);
}

} // namespace roomkeeper

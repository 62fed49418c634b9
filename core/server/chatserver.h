#pragma once

#include "commanddispatcher.h"
#include "moderationservice.h"
#include "serverconfig.h"
#include "serverstats.h"
#include "snapshot.h"
#include "trafficrecorder.h"

#include "../domain/roomregistry.h"
#include "../domain/userdirectory.h"
#include "../fanout/eventdelivery.h"
#include "../fanout/localfanout.h"
#include "../net/websocketlink.h"
#include "../observe/eventcounters.h"
#include "../observe/eventhub.h"
#include "../observe/traffictap.h"
#include "../observe/watchlog.h"
#include "../session/protocol.h"
#include "../session/session.h"
#include "../session/sessionregistry.h"
#include "../store/roompersistence.h"
#include "../store/statewriter.h"
#include "../webhook/webhookmirror.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>

class QTcpSocket;
class QWebSocket;

namespace roomkeeper {

class Listener;
class Store;
class WebhookForwarder;

// The composition root of the network core: builds the parts (the rooms and their event
// hub with its subscribers, the store and its one writer, the moderation service, the
// protocols, the sessions, the fan-out, the listener), starts, reconfigures and shuts down.
// It lives on the core thread; other threads talk to it only through queued signals and
// slots. README "Inside" walks through the parts.
class ChatServer final : public QObject, private ModerationHost
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChatServer)

public:
    explicit ChatServer(const ServerConfig &config, QObject *parent = nullptr);
    ~ChatServer() override;

    // For tests and the front ends, on the core thread.
    quint16 port() const;
    const RoomRegistry &rooms() const { return m_rooms; }
    const UserDirectory &users() const { return m_users; }
    ModerationService &moderation() { return *m_moderation; }
    const SessionRegistry &sessions() const { return m_sessions; }
    ServerStats stats() const;
    // Wall clock for bans and idle rooms (tests set their own).
    void setClock(std::function<qint64()> clock) { m_rooms.setClock(std::move(clock)); }
    // Runs the periodic sweep now: expired bans, idle rooms.
    void sweep();
    // Applies new settings where that can be done live (limits, heartbeat, origins) and
    // returns what changed, one line each: "applied KEY" or "needs a restart: KEY".
    QStringList reconfigure(const ServerConfig &next);
    void setWatching(bool watching) { m_watch.setWatching(watching); }
    bool isWatching() const { return m_watch.isWatching(); }
    // The addresses a user is connected from, and how many connections they have.
    QStringList addressesOf(const QUuid &user) const { return m_sessions.addressesOf(user); }
    int connectionCount(const QUuid &user) const
    {
        return int(m_sessions.connectionsOf(user).size());
    }

public slots:
    // Starts listening: emits started() or startFailed().
    void start();
    // Tells every client (close 1001), stops listening, then emits stopped().
    void shutdown();

signals:
    void started(const QString &address, quint16 port);
    void startFailed(const QString &reason);
    void stopped();
    void statsUpdated(const roomkeeper::ServerStats &stats);
    // For the operator window: the rooms and people (at most 4 a second) and a sampled
    // slice of traffic (at most 10 a second). Built only while something is connected.
    void snapshotReady(const roomkeeper::ServerSnapshot &snapshot);
    void trafficReady(const roomkeeper::TrafficBatch &batch);
    // The console's "watch": one line per join, leave, kick, ban hit, flood, slow client
    // or heartbeat timeout; never message text. Emitted only while watching is on.
    void watchEvent(const QString &line);

protected:
    void connectNotify(const QMetaMethod &signal) override;
    void disconnectNotify(const QMetaMethod &signal) override;

private:
    void registerProtocols();
    void subscribe();
    QString openStore();
    // Writes everything that lasts into 'store' (a store made anew after it was lost).
    bool rewriteState(Store &store);
    void maybeFinishShutdown();
    void updateWatchTimers();
    void feedWindow();
    qint64 nowMs() const { return m_clock.elapsed(); }

    // ModerationHost
    int endConnectionsFrom(const Ban &addressBan) override;
    void setAccepting(bool accepting) override;
    bool isAccepting() const override { return m_accepting; }
    void userChanged(const QUuid &user) override;

    ServerConfig m_config; // changed only by reconfigure()
    QElapsedTimer m_clock;
    ServerStats m_stats;
    UserDirectory m_users;
    EventHub m_events;
    RoomRegistry m_rooms;
    std::unique_ptr<Store> m_store;
    StateWriter m_writer;
    std::unique_ptr<ModerationService> m_moderation;
    CommandDispatcher m_dispatcher;
    TrafficRecorder m_traffic;
    WatchLog m_watch;
    Protocols m_protocols;
    SessionContext m_context;
    OutboundBatch m_outbound; // before the sessions: they cancel themselves in it
    SessionRegistry m_sessions;
    LocalFanOut m_fanOut;
    EventDelivery m_delivery;
    RoomPersistence m_persistence;
    EventCounters m_counters;
    TrafficTap m_trafficTap;
    WebhookForwarder *m_webhooks = nullptr;
    std::unique_ptr<WebhookMirror> m_webhookMirror;
    Listener *m_listener = nullptr;
    bool m_accepting = true;
    bool m_shuttingDown = false;
    QTimer m_sweepTimer;
    QTimer m_heartbeatTimer;
    QTimer m_statsTimer;
    QTimer m_windowTimer;
    int m_windowTicks = 0;
};

} // namespace roomkeeper

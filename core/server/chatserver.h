#pragma once

#include "moderationservice.h"
#include "serverconfig.h"
#include "serverstats.h"
#include "snapshot.h"
#include "trafficrecorder.h"

#include "../domain/roomregistry.h"
#include "../domain/userdirectory.h"
#include "../net/connection.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

class QUrlQuery;
class QWebSocket;

namespace roomkeeper {

class Listener;
class Store;
class WebhookForwarder;
struct RoomRequest;
struct StoredRoom;

// The network core: owns the listener, every connection, the users and the rooms, and
// turns frames into domain commands and domain events into frames. It lives on the core
// thread; other threads talk to it only through queued signals and slots.
class ChatServer final : public QObject, private RoomEventSink, private ModerationHost
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
    ServerStats stats() const;
    // Wall clock for bans and idle rooms (tests set their own).
    void setClock(std::function<qint64()> clock) { m_rooms.setClock(std::move(clock)); }
    // Runs the periodic sweep now: expired bans, idle rooms.
    void sweep();
    // Applies new settings where that can be done live (limits, heartbeat, origins) and
    // returns what changed, one line each: "applied KEY" or "needs a restart: KEY".
    QStringList reconfigure(const ServerConfig &next);
    void setWatching(bool watching) { m_watching = watching; }
    bool isWatching() const { return m_watching; }
    // The addresses a user is connected from, and how many connections they have.
    QStringList addressesOf(const QUuid &user) const;
    int connectionCount(const QUuid &user) const
    {
        return int(m_userConnections.value(user).size());
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
    void onWebSocket(QWebSocket *socket, QTcpSocket *transport, WireProtocol protocol);
    void onDisconnected(Connection *connection);
    // Counts a frame in; false when the connection is closing and the frame is ignored.
    bool countIncoming(Connection &connection, const QByteArray &utf8);
    void onRoomFrame(Connection &connection, const QByteArray &utf8);
    void handleRoomRequest(Connection &connection, const RoomRequest &request);
    void onGatewayFrame(Connection &connection, const QByteArray &utf8);
    void openGateway(Connection &connection, const QUrlQuery &query);
    void refuse(Connection &connection, const Refusal &refusal, const QString &ref,
                const std::optional<QUuid> &roomId = std::nullopt);
    bool admit(Connection &connection);
    void sweepHeartbeats();
    void maybeFinishShutdown();
    qint64 nowMs() const { return m_clock.elapsed(); }

    Connection *connection(MemberId id) const
    {
        const auto it = m_connections.constFind(id); // no shared_ptr copy on the hot path
        return it == m_connections.cend() ? nullptr : it->get();
    }
    // Sends an event to every member, serialised at most once per protocol (lazily: a
    // protocol with no member in the room costs nothing). An empty text skips a protocol.
    void broadcast(const Room &room, const std::function<QByteArray()> &roomText,
                   const std::function<QByteArray()> &gatewayText);
    void sendTo(const QList<MemberId> &members, const std::function<QByteArray()> &roomText,
                const std::function<QByteArray()> &gatewayText);
    void broadcastRoomPicture(const Room &room);
    QString openStore();
    void persistRoom(const Room &room);
    void flushIdentities();
    // Stores changed identities at the end of this event-loop turn, then sends the
    // sessions of new identities.
    void scheduleIdentityFlush();
    void storeIdentities();
    void updateWatchTimers();

    // ModerationHost
    int endConnectionsFrom(const Ban &addressBan) override;
    void setAccepting(bool accepting) override;
    bool isAccepting() const override { return m_accepting; }
    void userChanged(const QUuid &user) override;

    // RoomEventSink
    void memberJoined(const Room &room, MemberId member) override;
    void participantEntered(const Room &room, const User &user) override;
    void memberLeft(const Room &room, MemberId member, const QUuid &user) override;
    void participantExited(const Room &room, const QUuid &user, ExitReason reason) override;
    void messagePosted(const Room &room, const ChatMessage &message) override;
    void readReceipt(const Room &room, const QUuid &reader, qint64 messageId) override;
    void userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee) override;
    void participantKicked(const Room &room, const QUuid &user, const QList<MemberId> &members,
                           const QString &message, bool banned) override;
    void participantUnbanned(const Room &room, const QUuid &user) override;
    void adminChanged(const Room &room, const QUuid &user, bool admin) override;
    void roomChanged(const Room &room, RoomChanges changes) override;
    void roomClosed(const Room &room, const QList<MemberId> &members,
                    const QString &message) override;
    void roomCreated(const Room &room) override;
    void banExpired(const Room &room, const Ban &ban) override;

    ServerConfig m_config; // changed only by reconfigure()
    QElapsedTimer m_clock;
    UserDirectory m_users;
    RoomRegistry m_rooms;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<ModerationService> m_moderation;
    WebhookForwarder *m_webhooks = nullptr;
    QHash<QUuid, qint64> m_messageIdCeilings;
    Listener *m_listener = nullptr;
    bool m_accepting = true;
    QTimer m_sweepTimer;
    bool m_identityFlushQueued = false;
    OutboundBatch m_outbound; // before the connections: they cancel themselves in it
    QHash<MemberId, std::shared_ptr<Connection>> m_connections;
    QList<MemberId> m_awaitingSession; // new identities, until they are stored
    QHash<QUuid, QList<MemberId>> m_userConnections;
    QHash<QHostAddress, int> m_perAddress;
    MemberId m_nextMemberId = 1;
    QTimer m_heartbeatTimer;
    QTimer m_statsTimer;
    QTimer m_windowTimer;
    int m_windowTicks = 0;
    TrafficRecorder m_traffic;
    bool m_watching = false;
    void watch(const QString &what, const QUuid &room, const QUuid &user,
               const QString &detail = QString());
    QHash<QUuid, quint64> m_messagesByUser;
    void feedWindow();
    void recordIncoming(const Connection &c, const QString &type, const QUuid &room, int size,
                        const QString &summary);
    bool m_shuttingDown = false;
    ServerStats m_stats;
};

} // namespace roomkeeper

#pragma once

#include "protocol.h"

#include "../domain/domainevent.h"
#include "../domain/errorcode.h"
#include "../domain/userdirectory.h"
#include "../net/connection.h"

#include <QByteArray>
#include <QUuid>
#include <QVarLengthArray>

#include <functional>
#include <optional>

class QUrlQuery;

namespace roomkeeper {

class CommandDispatcher;
class RoomRegistry;
class TrafficRecorder;
class WatchLog;
struct ServerConfig;
struct ServerStats;

// What every session may use of the server around it (the composition root fills it).
struct SessionContext
{
    const ServerConfig &config; // the running settings; reconfigure() changes them in place
    RoomRegistry &rooms;
    UserDirectory &users;
    CommandDispatcher &dispatcher;
    TrafficRecorder &traffic;
    ServerStats &stats;
    WatchLog &watch;
    std::function<qint64()> nowMs;     // monotonic
    std::function<qint64()> wallNowMs; // UNIX time
    // A new identity is stored at the end of this event-loop turn; then the session's
    // identityStored() is called.
    std::function<void(MemberId)> awaitStoredIdentity;
    // Stores changed identities now.
    std::function<void()> storeIdentitiesNow;
};

// One heartbeat sweep over every session: the time, and frames built once for all
// sessions of a protocol (by Protocol::index()).
struct HeartbeatTurn
{
    qint64 nowMs = 0;
    qint64 wallNowMs = 0;
    qint64 intervalMs = 0;
    QVarLengthArray<QByteArray, 4> shared;
    QByteArray &sharedFrame(int protocolIndex)
    {
        if (shared.size() <= protocolIndex)
            shared.resize(protocolIndex + 1);
        return shared[protocolIndex];
    }
};

// One upgraded connection speaking one protocol: its handshake, how its frames become
// domain commands (and its refusals become that protocol's errors or close codes), and its
// own heartbeat rule. The session registry owns sessions; core thread only.
class Session
{
public:
    Session(const Protocol &protocol, SessionContext &context, QWebSocket *socket,
            QTcpSocket *transport, OutboundBatch *batch, MemberId id);
    virtual ~Session();
    Q_DISABLE_COPY_MOVE(Session)

    const Protocol &protocol() const { return m_protocol; }
    Connection &connection() { return m_connection; }
    const Connection &connection() const { return m_connection; }
    MemberId id() const { return m_connection.id(); }
    const QUuid &user() const { return m_user; }
    // Last heartbeat round trip in milliseconds, -1 before the first.
    int roundTripMs() const { return m_roundTripMs; }

    // The first frames, for the person the upgrade request named (new or resumed).
    virtual void open(const QUrlQuery &query, const UserDirectory::Identity &identity) = 0;
    // The new identity this session waited for is stored.
    virtual void identityStored() {}

    void receiveText(const QByteArray &utf8);
    void receiveBinary();

    // One step of the heartbeat sweep: asks the peer for a sign of life as this protocol
    // does. False when the peer is overdue; the sweep then closes it (4009).
    virtual bool heartbeat(HeartbeatTurn &turn) = 0;

    // This connection became a member of 'room': it needs the room's whole picture.
    virtual void joined(const Room &room) = 0;
    // This connection left 'room' at its own request.
    virtual void left(const Room &room) = 0;
    // 'event' was delivered to this connection as one of its targets (a kick, a close).
    virtual void targeted(const Room &room, const DomainEvent &event);
    // Answers a refused request in this protocol's words.
    virtual void refuse(const Refusal &refusal, const QString &ref = QString(),
                        const std::optional<QUuid> &roomId = std::nullopt) = 0;

    // Ended by an address ban: told in each of its rooms, then closed with 4011.
    void endForAddressBan(const QString &reason);

protected:
    virtual void handleText(const QByteArray &utf8) = 0;
    // Rate limit: false when the request must not be acted on (refused, or the connection
    // closed for flooding).
    bool admit();
    void recordIncoming(const QString &type, const QUuid &room, int size, const QString &summary);
    void setUser(const QUuid &user) { m_user = user; }
    void setRoundTripMs(int ms) { m_roundTripMs = ms; }
    SessionContext &context() { return m_context; }

private:
    const Protocol &m_protocol;
    SessionContext &m_context;
    Connection m_connection;
    QUuid m_user;
    int m_roundTripMs = -1;
};

} // namespace roomkeeper

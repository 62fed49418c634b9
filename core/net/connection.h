#pragma once

#include "tokenbucket.h"
#include "websocketlink.h"

#include "../domain/room.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QUuid>

namespace roomkeeper {

enum class WireProtocol
{
    Room,
    Gateway
};

// One upgraded WebSocket and what the server knows of it. Owned by the ChatServer, used
// only on the core thread. Sending never blocks and never grows without bound: past the
// outbound limit the connection is dropped as too slow (4008).
class Connection
{
public:
    // Takes ownership of 'socket' (see WebSocketLink for 'transport' and 'batch').
    Connection(QWebSocket *socket, QTcpSocket *transport, OutboundBatch *batch, MemberId id,
               WireProtocol protocol, qint64 nowMs);
    ~Connection();
    Q_DISABLE_COPY_MOVE(Connection)

    WebSocketLink &link() { return m_link; }
    const WebSocketLink &link() const { return m_link; }
    MemberId id() const { return m_id; }
    WireProtocol protocol() const { return m_protocol; }
    const QHostAddress &address() const { return m_address; }

    // Sends one text frame to this connection now (behind what is gathered). Returns false
    // when the connection is closing or was just found too slow (its outbound queue passed
    // 'maxOutbound' bytes).
    bool send(const QByteArray &utf8);
    // The same with a frame made by wireframe::text() for many members: a broadcast builds
    // its frame once and the same bytes go to every member, gathered per connection and
    // written at the end of the event-loop turn, so a turn's frames leave in one write.
    bool sendFrame(const QByteArray &frame);
    // Bytes written and not yet taken by the kernel.
    qint64 queuedBytes() const;

    // Sends a close frame with 'code' behind what is queued and drops the connection after
    // 'graceMs' if the peer has not gone. Never closes synchronously, so it is safe inside
    // a broadcast loop.
    void closeWith(int code, const QString &reason, int graceMs);
    bool isClosing() const { return m_closing; }
    // The code of our close, or else the peer's.
    int closeCode() const;

    QUuid user;
    QByteArray key;
    qint64 connectedAtMs = 0;
    qint64 maxOutbound = 4 * 1024 * 1024;
    int slowGraceMs = 1000;

    // Heartbeat bookkeeping (monotonic milliseconds).
    qint64 lastPingSentMs = 0;
    qint64 lastPingTime = 0;      // the 'time' of our last ping
    qint64 unansweredSinceMs = 0; // 0 = nothing outstanding
    int roundTripMs = -1;

    // Gateway connections: the one room, the client's heartbeats, our pending op 2.
    QUuid gatewayRoom;
    qint64 lastClientHeartbeatMs = 0;
    qint64 ackSentMs = 0;    // 0 = no op 2 waiting for its op 1
    QByteArray pendingToken; // sent once: in op 8 ready, or in a new identity's session

    TokenBucket bucket;
    int floodStrikes = 0;

    quint64 framesIn = 0;
    quint64 framesOut = 0;
    bool slowDropped = false;

private:
    bool deliver(const QByteArray &frame, bool gather);

    WebSocketLink m_link;
    MemberId m_id;
    WireProtocol m_protocol;
    QHostAddress m_address;
    bool m_closing = false;
};

} // namespace roomkeeper

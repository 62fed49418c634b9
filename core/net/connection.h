#pragma once

#include "tokenbucket.h"
#include "websocketlink.h"

#include "../domain/room.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QUuid>

namespace roomkeeper {

// One upgraded WebSocket as the server drives it: sending with the outbound limit, closing,
// the rate limit's bucket and the counters. What a protocol adds lives in its Session,
// which owns the connection. Core thread only. Sending never blocks and never grows
// without bound: past the outbound limit the connection is dropped as too slow (4008).
class Connection
{
public:
    // Takes ownership of 'socket' (see WebSocketLink for 'transport' and 'batch').
    Connection(QWebSocket *socket, QTcpSocket *transport, OutboundBatch *batch, MemberId id,
               qint64 nowMs);
    ~Connection();
    Q_DISABLE_COPY_MOVE(Connection)

    WebSocketLink &link() { return m_link; }
    const WebSocketLink &link() const { return m_link; }
    MemberId id() const { return m_id; }
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

    qint64 connectedAtMs = 0; // monotonic
    qint64 maxOutbound = 4 * 1024 * 1024;
    int slowGraceMs = 1000;

    TokenBucket bucket;
    int floodStrikes = 0;

    quint64 framesIn = 0;
    quint64 framesOut = 0;
    bool slowDropped = false;

private:
    bool deliver(const QByteArray &frame, bool gather);

    WebSocketLink m_link;
    MemberId m_id;
    QHostAddress m_address;
    bool m_closing = false;
};

} // namespace roomkeeper

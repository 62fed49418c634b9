#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTcpSocket>
#include <QUrl>
#include <QWebSocket>

namespace roomkeeper {

class WebSocketLink;

// Hands every link's batched frames to its socket once per event-loop turn: one posted
// event for all links written to in the turn. One per thread that runs links.
class OutboundBatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OutboundBatch)

public:
    explicit OutboundBatch(QObject *parent = nullptr) : QObject(parent) {}
    ~OutboundBatch() override;

    void schedule(WebSocketLink *link);
    void cancel(WebSocketLink *link);
    // Writes every scheduled link now.
    void flushAll();

protected:
    bool event(QEvent *event) override;

private:
    QList<WebSocketLink *> m_links; // a link that goes away before the turn ends is nulled
    bool m_posted = false;
};

// One upgraded QWebSocket (made by QWebSocketServer) and the TCP or TLS socket under it.
// Qt reads the peer's frames and answers its pings and closes; data frames the server
// sends are pre-built (wireframe::text(); a broadcast builds its frame once) and written
// straight to the transport, so the same bytes go to every member without re-framing.
//
// Why writing under the QWebSocket is safe: everything happens on the one thread that
// owns both sockets, and only whole frames are written: QWebSocket writes each control
// frame with one write() to the same transport, and so do we, so frames never interleave
// inside the transport's buffer. Server frames are unmasked (RFC 6455 §5.1), so a
// pre-built frame needs no per-socket state.
//
// Broadcast frames (queue()) are gathered per link and handed to the transport once per
// event-loop turn, then written to the kernel at once; a frame for this link alone
// (write()) goes to the transport at once, behind what was gathered. Either way a turn's
// frames reach the kernel in one write, never one per message. Qt's pongs may overtake
// gathered frames (control frames may come between messages); its close frame may not:
// every close we make writes what is gathered first.
class WebSocketLink
{
public:
    // Takes ownership of 'socket'; 'transport' is the socket it was upgraded from, or null
    // if it is not known (then frames go through QWebSocket::sendTextMessage()).
    WebSocketLink(QWebSocket *socket, QTcpSocket *transport, OutboundBatch *batch);
    ~WebSocketLink();
    Q_DISABLE_COPY_MOVE(WebSocketLink)

    QWebSocket *socket() const { return m_socket; }
    QHostAddress peerAddress() const;
    QUrl requestUrl() const;
    // Caps incoming frames and messages (Qt closes with 1009 past it).
    void setMaxMessageSize(qint64 bytes);

    bool isOpen() const;
    // Gathers one whole frame, sent at the end of this event-loop turn.
    void queue(const QByteArray &frame);
    // Writes one whole frame to the transport now, behind what is gathered.
    void write(const QByteArray &frame);
    // Bytes not yet taken by the kernel, as last seen: cheap, and never less than what is
    // gathered; queuedBytes() looks at the transport.
    qint64 queuedEstimate() const { return m_gathered.size() + m_transportQueued; }
    qint64 queuedBytes() const;
    // Hands everything gathered to the transport and the kernel what it takes now;
    // false if the peer turned out to be gone.
    bool flush();
    // Gives back the gathering buffer's memory while nothing is gathered.
    void releaseIdleMemory();

    // Our close frame behind everything queued, then a half-close once it has left, while
    // the peer's frames go on being read (and dropped) until it closes too; whatever the
    // peer does, the socket is aborted after 'graceMs'. Never closes synchronously.
    void close(int code, const QString &reason, int graceMs);
    void abort();

    // Our close code if we closed, else the peer's.
    int closeCode() const;
    QString closeReason() const;

private:
    friend class OutboundBatch;
    // Moves what is gathered into the transport's buffer.
    void handOver();

    QByteArray m_gathered; // frames of this turn not yet in the transport
    qint64 m_transportQueued = 0;
    OutboundBatch *m_batch;
    qsizetype m_batchSlot = -1; // our place in m_batch's list, -1 when not scheduled
    QPointer<QWebSocket> m_socket;
    QPointer<QTcpSocket> m_transport;
    int m_closeCode = 0;
    QString m_closeReason;
};

} // namespace roomkeeper

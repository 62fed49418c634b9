#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QPointer>
#include <QString>
#include <QTcpSocket>
#include <QUrl>
#include <QWebSocket>

namespace roomkeeper {

// One upgraded QWebSocket (made by QWebSocketServer) and the TCP or TLS socket under it.
// Qt reads the peer's frames and answers its pings and closes; data frames the server
// sends are pre-built (wireframe::text(): a broadcast builds its frame once) and written
// straight to the transport, so the same bytes go to every member without re-framing.
//
// Why writing under the QWebSocket is safe: everything happens on the one thread that
// owns both sockets; QWebSocket writes each control frame whole with one write() to the
// same transport, and so do we, so frames never interleave in the transport's buffer.
// Server frames are unmasked (RFC 6455 §5.1), so a pre-built frame needs no per-socket
// state. Writes only fill the transport's buffer; Qt hands it to the kernel when the
// event loop next finds the socket writable, so a turn's frames leave in one write.
class WebSocketLink
{
public:
    // Takes ownership of 'socket'; 'transport' is the socket it was upgraded from, or null
    // if it is not known (then frames go through QWebSocket::sendTextMessage()).
    WebSocketLink(QWebSocket *socket, QTcpSocket *transport);
    ~WebSocketLink();
    Q_DISABLE_COPY_MOVE(WebSocketLink)

    QWebSocket *socket() const { return m_socket; }
    QHostAddress peerAddress() const;
    QUrl requestUrl() const;
    // Caps incoming frames and messages (Qt closes with 1009 past it).
    void setMaxMessageSize(qint64 bytes);

    bool isOpen() const;
    // Appends one whole frame to the transport's buffer.
    void write(const QByteArray &frame);
    // Bytes written and not yet taken by the kernel.
    qint64 bytesToWrite() const;
    // Hands the kernel what it takes now; false if the peer turned out to be gone.
    bool flush();

    // Our close frame behind everything queued, then a half-close once it has left, while
    // the peer's frames go on being read (and dropped) until it closes too; whatever the
    // peer does, the socket is aborted after 'graceMs'. Never closes synchronously.
    void close(int code, const QString &reason, int graceMs);
    void abort();

    // Our close code if we closed, else the peer's.
    int closeCode() const;
    QString closeReason() const;

private:
    QPointer<QWebSocket> m_socket;
    QPointer<QTcpSocket> m_transport;
    int m_closeCode = 0;
    QString m_closeReason;
};

} // namespace roomkeeper

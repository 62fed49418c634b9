#include "websocketlink.h"

#include "wireframe.h"

#include <sys/socket.h>

#include <memory>

#include <QSslSocket>
#include <QTimer>

namespace roomkeeper {

namespace {

// Sends FIN once everything written to 'tcp' has reached the kernel; reading goes on.
void shutdownWritesWhenFlushed(QTcpSocket *tcp)
{
    const auto shutdownIfFlushed = [tcp] {
        if (tcp->bytesToWrite() > 0)
            return false;
        ::shutdown(int(tcp->socketDescriptor()), SHUT_WR);
        return true;
    };
    if (shutdownIfFlushed())
        return;
    auto pending = std::make_shared<QMetaObject::Connection>();
    *pending = QObject::connect(tcp, &QTcpSocket::bytesWritten, tcp, [pending, shutdownIfFlushed] {
        if (shutdownIfFlushed())
            QObject::disconnect(*pending);
    });
}

} // namespace

WebSocketLink::WebSocketLink(QWebSocket *socket, QTcpSocket *transport)
    : m_socket(socket), m_transport(transport)
{}

WebSocketLink::~WebSocketLink()
{
    if (m_socket) {
        m_socket->disconnect();
        m_socket->abort();
        m_socket->deleteLater();
    }
    // The transport goes when it disconnects: QWebSocketServer deletes it then.
}

QHostAddress WebSocketLink::peerAddress() const
{
    return m_socket ? m_socket->peerAddress() : QHostAddress();
}

QUrl WebSocketLink::requestUrl() const
{
    return m_socket ? m_socket->requestUrl() : QUrl();
}

void WebSocketLink::setMaxMessageSize(qint64 bytes)
{
    if (m_socket) {
        m_socket->setMaxAllowedIncomingFrameSize(quint64(bytes));
        m_socket->setMaxAllowedIncomingMessageSize(quint64(bytes));
    }
}

bool WebSocketLink::isOpen() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

void WebSocketLink::write(const QByteArray &frame)
{
    if (m_transport)
        m_transport->write(frame);
    else if (m_socket)
        m_socket->sendTextMessage(QString::fromUtf8(wireframe::payload(frame)));
}

qint64 WebSocketLink::bytesToWrite() const
{
    if (m_transport)
        return m_transport->bytesToWrite();
    return m_socket ? m_socket->bytesToWrite() : 0;
}

bool WebSocketLink::flush()
{
    if (!m_transport)
        return isOpen();
    m_transport->flush();
    return m_transport->state() == QAbstractSocket::ConnectedState;
}

void WebSocketLink::close(int code, const QString &reason, int graceMs)
{
    if (!m_socket || m_closeCode)
        return;
    m_closeCode = code;
    m_closeReason = reason;
    QPointer<QWebSocket> socket = m_socket;
    QPointer<QTcpSocket> tcp = m_transport;
    QTimer::singleShot(0, socket, [socket, tcp, code, reason, graceMs] {
        // Whatever the peer does, the socket is freed after the grace.
        QTimer::singleShot(graceMs, socket, [socket] { socket->abort(); });
        if (!tcp || qobject_cast<QSslSocket *>(tcp.data()) ||
            tcp->state() != QAbstractSocket::ConnectedState) {
            socket->close(QWebSocketProtocol::CloseCode(code), reason);
            return;
        }
        // QWebSocket::close() closes the TCP socket as soon as its close frame is written.
        // With input from the peer still unread (a client in mid-flood), the kernel then
        // answers with a reset and the peer may never read the frames before it: the kick
        // or the close code. So: our close frame behind what is queued, then a half-close
        // once it has left, while Qt goes on reading the peer's frames until it closes
        // too, or the grace ends.
        tcp->write(wireframe::close(code, reason));
        shutdownWritesWhenFlushed(tcp);
    });
}

void WebSocketLink::abort()
{
    if (m_socket)
        m_socket->abort();
}

int WebSocketLink::closeCode() const
{
    if (m_closeCode)
        return m_closeCode;
    return m_socket ? int(m_socket->closeCode()) : 0;
}

QString WebSocketLink::closeReason() const
{
    if (m_closeCode)
        return m_closeReason;
    return m_socket ? m_socket->closeReason() : QString();
}

} // namespace roomkeeper

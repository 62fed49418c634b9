#include "connection.h"

#include "wireframe.h"

#include <sys/socket.h>

#include <memory>

#include <QSslSocket>
#include <QTimer>
#include <QWebSocket>

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

Connection::Connection(QWebSocket *socket, QTcpSocket *transport, MemberId id,
                       WireProtocol protocol, qint64 nowMs)
    : connectedAtMs(nowMs), m_socket(socket), m_tcp(transport), m_id(id), m_protocol(protocol),
      m_address(socket->peerAddress())
{}

Connection::~Connection()
{
    if (m_socket) {
        m_socket->disconnect();
        m_socket->abort();
        m_socket->deleteLater();
    }
}

qint64 Connection::queuedBytes() const
{
    if (m_tcp)
        return m_tcp->bytesToWrite();
    return m_socket ? m_socket->bytesToWrite() : 0;
}

bool Connection::send(const QString &text)
{
    return sendFrame(wireframe::text(text));
}

bool Connection::sendFrame(const QByteArray &frame)
{
    if (m_closing || !m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return false;
    // A burst written in one event-loop turn is not yet flushed: hand it to the kernel
    // before judging. Only what the peer's socket does not take counts as queued.
    if (queuedBytes() > maxOutbound && m_tcp) {
        m_tcp->flush();
        if (m_tcp->state() != QAbstractSocket::ConnectedState)
            return false; // the write failed: the peer is gone
    }
    if (queuedBytes() > maxOutbound) {
        slowDropped = true;
        closeWith(4008, QStringLiteral("too slow: outbound queue limit passed"), slowGraceMs);
        return false;
    }
    if (m_tcp)
        m_tcp->write(frame);
    else
        m_socket->sendTextMessage(QString::fromUtf8(wireframe::payload(frame)));
    ++framesOut;
    return true;
}

void Connection::closeWith(int code, const QString &reason, int graceMs)
{
    if (m_closing || !m_socket)
        return;
    m_closing = true;
    m_closeCode = code;
    QPointer<QWebSocket> socket = m_socket;
    QPointer<QTcpSocket> tcp = m_tcp;
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
        // once it has left, while the peer's frames go on being read (and ignored) until it
        // closes too, or the grace ends.
        tcp->write(wireframe::close(code, reason));
        shutdownWritesWhenFlushed(tcp);
    });
}

int Connection::closeCode() const
{
    if (m_closeCode)
        return m_closeCode;
    return m_socket ? int(m_socket->closeCode()) : 0;
}

} // namespace roomkeeper

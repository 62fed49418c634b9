#include "connection.h"

#include "wireframe.h"

#include <QTimer>
#include <QWebSocket>

namespace roomkeeper {

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
    return sendFrame(wireframe::text(text.toUtf8()));
}

bool Connection::sendFrame(const QByteArray &frame)
{
    if (m_closing || !m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return false;
    // A burst written in one event-loop turn is not yet flushed: hand it to the kernel
    // before judging. Only what the peer's socket does not take counts as queued.
    if (queuedBytes() > maxOutbound && m_tcp)
        m_tcp->flush();
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
    QPointer<QWebSocket> socket = m_socket;
    QTimer::singleShot(0, socket, [socket, code, reason, graceMs] {
        socket->close(QWebSocketProtocol::CloseCode(code), reason);
        // close() waits behind a full send queue; abort() frees the socket at once.
        QTimer::singleShot(graceMs, socket, [socket] { socket->abort(); });
    });
}

} // namespace roomkeeper

#include "connection.h"

#include <QTimer>
#include <QWebSocket>

namespace roomkeeper {

Connection::Connection(QWebSocket *socket, MemberId id, WireProtocol protocol, qint64 nowMs)
    : connectedAtMs(nowMs), m_socket(socket), m_id(id), m_protocol(protocol),
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

bool Connection::send(const QString &text)
{
    if (m_closing || !m_socket)
        return false;
    if (m_socket->bytesToWrite() > maxOutbound) {
        slowDropped = true;
        closeWith(4008, QStringLiteral("too slow: outbound queue limit passed"), slowGraceMs);
        return false;
    }
    m_socket->sendTextMessage(text);
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

#include "websocketlink.h"

#include "wireframe.h"

#include <sys/socket.h>

#include <memory>

#include <QCoreApplication>
#include <QEvent>
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

OutboundBatch::~OutboundBatch()
{
    for (WebSocketLink *link : std::as_const(m_links)) {
        if (link)
            link->m_batchSlot = -1;
    }
}

void OutboundBatch::schedule(WebSocketLink *link)
{
    if (link->m_batchSlot >= 0)
        return;
    link->m_batchSlot = m_links.size();
    m_links.append(link);
    if (!m_posted) {
        m_posted = true;
        // Low priority: whatever else this turn posts (a reply, a close) is handled first.
        QCoreApplication::postEvent(this, new QEvent(QEvent::User), Qt::LowEventPriority);
    }
}

void OutboundBatch::cancel(WebSocketLink *link)
{
    if (link->m_batchSlot >= 0 && link->m_batchSlot < m_links.size() &&
        m_links.at(link->m_batchSlot) == link)
        m_links[link->m_batchSlot] = nullptr;
    link->m_batchSlot = -1;
}

void OutboundBatch::flushAll()
{
    // A flush can end a connection (a write error); its link then cancels itself, which
    // only nulls its slot in this list.
    for (qsizetype i = 0; i < m_links.size(); ++i) {
        if (WebSocketLink *link = m_links.at(i)) {
            link->m_batchSlot = -1;
            m_links[i] = nullptr;
            link->flush();
        }
    }
    m_links.clear();
}

bool OutboundBatch::event(QEvent *event)
{
    if (event->type() != QEvent::User)
        return QObject::event(event);
    m_posted = false;
    flushAll();
    return true;
}

WebSocketLink::WebSocketLink(QWebSocket *socket, QTcpSocket *transport, OutboundBatch *batch)
    : m_batch(batch), m_socket(socket), m_transport(transport)
{}

WebSocketLink::~WebSocketLink()
{
    if (m_batch)
        m_batch->cancel(this);
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

void WebSocketLink::queue(const QByteArray &frame)
{
    if (!m_transport) {
        write(frame); // no transport known: frame by frame through QWebSocket
        return;
    }
    if (m_gathered.isEmpty() && m_batch)
        m_batch->schedule(this);
    m_gathered.append(frame);
}

void WebSocketLink::write(const QByteArray &frame)
{
    handOver();
    if (m_transport && m_transport->isOpen())
        m_transport->write(frame.constData(), frame.size());
    else if (m_socket)
        m_socket->sendTextMessage(QString::fromUtf8(wireframe::payload(frame)));
}

void WebSocketLink::handOver()
{
    if (m_gathered.isEmpty())
        return;
    // A copy into the transport's buffer: the gathering buffer is kept for the next turn
    // (allocating one each turn costs more than the copy). A transport Qt has closed (a
    // protocol error, the peer's close) takes nothing more.
    if (m_transport && m_transport->isOpen())
        m_transport->write(m_gathered.constData(), m_gathered.size());
    m_gathered.resize(0);
}

qint64 WebSocketLink::queuedBytes() const
{
    if (m_transport)
        return m_gathered.size() + m_transport->bytesToWrite();
    return m_gathered.size() + (m_socket ? m_socket->bytesToWrite() : 0);
}

bool WebSocketLink::flush()
{
    if (m_batch)
        m_batch->cancel(this);
    handOver();
    if (!m_transport) {
        m_transportQueued = m_socket ? m_socket->bytesToWrite() : 0;
        return isOpen();
    }
    // QAbstractSocket::flush() writes one block of its buffer: repeat while the kernel
    // takes something.
    qint64 before = m_transport->bytesToWrite();
    while (before > 0 && m_transport->flush()) {
        const qint64 after = m_transport->bytesToWrite();
        if (after >= before)
            break;
        before = after;
    }
    m_transportQueued = m_transport->bytesToWrite();
    return m_transport->state() == QAbstractSocket::ConnectedState;
}

void WebSocketLink::releaseIdleMemory()
{
    if (m_gathered.isEmpty())
        m_gathered = QByteArray();
}

void WebSocketLink::close(int code, const QString &reason, int graceMs)
{
    if (!m_socket || m_closeCode)
        return;
    m_closeCode = code;
    m_closeReason = reason;
    handOver(); // what was gathered goes before the close frame
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

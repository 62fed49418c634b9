#include "connection.h"

#include "wireframe.h"

namespace roomkeeper {

Connection::Connection(QWebSocket *socket, QTcpSocket *transport, OutboundBatch *batch, MemberId id,
                       qint64 nowMs)
    : connectedAtMs(nowMs), m_link(socket, transport, batch), m_id(id),
      m_address(socket->peerAddress())
{}

Connection::~Connection() = default;

qint64 Connection::queuedBytes() const
{
    return m_link.queuedBytes();
}

bool Connection::send(const QByteArray &utf8)
{
    return deliver(wireframe::text(utf8), false);
}

bool Connection::sendFrame(const QByteArray &frame)
{
    return deliver(frame, true);
}

bool Connection::deliver(const QByteArray &frame, bool gather)
{
    if (m_closing)
        return false;
    // The estimate is never below what is really queued, and costs no look at the socket.
    // Past the limit, a burst of this turn may still be waiting for its write: hand it to
    // the kernel before judging. Only what the peer's socket does not take counts.
    if (m_link.queuedEstimate() > maxOutbound) {
        if (!m_link.flush())
            return false; // the peer is gone
        if (m_link.queuedBytes() > maxOutbound) {
            slowDropped = true;
            closeWith(4008, QStringLiteral("too slow: outbound queue limit passed"), slowGraceMs);
            return false;
        }
    }
    if (gather)
        m_link.queue(frame);
    else
        m_link.write(frame);
    ++framesOut;
    return true;
}

void Connection::closeWith(int code, const QString &reason, int graceMs)
{
    if (m_closing)
        return;
    m_closing = true;
    m_link.close(code, reason, graceMs);
}

int Connection::closeCode() const
{
    return m_link.closeCode();
}

} // namespace roomkeeper

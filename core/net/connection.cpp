#include "connection.h"

#include "wireframe.h"

namespace roomkeeper {

Connection::Connection(QWebSocket *socket, QTcpSocket *transport, MemberId id,
                       WireProtocol protocol, qint64 nowMs)
    : connectedAtMs(nowMs), m_link(socket, transport), m_id(id), m_protocol(protocol),
      m_address(socket->peerAddress())
{}

Connection::~Connection() = default;

qint64 Connection::queuedBytes() const
{
    return m_link.bytesToWrite();
}

bool Connection::send(const QString &text)
{
    return sendFrame(wireframe::text(text));
}

bool Connection::sendFrame(const QByteArray &frame)
{
    if (m_closing || !m_link.isOpen())
        return false;
    // A burst written in one event-loop turn is not yet flushed: hand it to the kernel
    // before judging. Only what the peer's socket does not take counts as queued.
    if (queuedBytes() > maxOutbound && !m_link.flush())
        return false; // the peer is gone
    if (queuedBytes() > maxOutbound) {
        slowDropped = true;
        closeWith(4008, QStringLiteral("too slow: outbound queue limit passed"), slowGraceMs);
        return false;
    }
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

#include "connection.h"

#include "wireframe.h"
#include "wschannel.h"

namespace roomkeeper {

Connection::Connection(WsChannel *channel, MemberId id, WireProtocol protocol, qint64 nowMs)
    : connectedAtMs(nowMs), m_channel(channel), m_id(id), m_protocol(protocol),
      m_address(channel->peerAddress())
{}

Connection::~Connection()
{
    if (m_channel) {
        m_channel->disconnect();
        m_channel->abort();
        m_channel->deleteLater();
    }
}

qint64 Connection::queuedBytes() const
{
    return m_channel ? m_channel->bytesToWrite() : 0;
}

bool Connection::send(const QString &text)
{
    return sendFrame(wireframe::text(text));
}

bool Connection::sendFrame(const QByteArray &frame)
{
    if (m_closing || !m_channel || !m_channel->isOpen())
        return false;
    // A burst written in one event-loop turn is not yet flushed: hand it to the kernel
    // before judging. Only what the peer's socket does not take counts as queued.
    if (queuedBytes() > maxOutbound && !m_channel->flush())
        return false; // the peer is gone
    if (queuedBytes() > maxOutbound) {
        slowDropped = true;
        closeWith(4008, QStringLiteral("too slow: outbound queue limit passed"), slowGraceMs);
        return false;
    }
    m_channel->write(frame);
    ++framesOut;
    return true;
}

void Connection::closeWith(int code, const QString &reason, int graceMs)
{
    if (m_closing || !m_channel)
        return;
    m_closing = true;
    m_channel->close(code, reason, graceMs);
}

int Connection::closeCode() const
{
    return m_channel ? m_channel->closeCode() : 0;
}

} // namespace roomkeeper

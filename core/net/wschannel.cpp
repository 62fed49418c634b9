#include "wschannel.h"

#include "wireframe.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <QCoreApplication>
#include <QEvent>
#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

namespace roomkeeper {

namespace {
// What one read notification takes from a socket at most before the others get a turn.
constexpr qsizetype ReadBudget = 256 * 1024;
// A buffer the kernel takes only part of at a time drops its written part once that
// passes this size (and half the buffer), so it never grows by what has already left.
constexpr qsizetype CompactOutboundAfter = 64 * 1024;
} // namespace

WsChannel::WsChannel(qint64 maxMessageSize, WsFlusher *flusher)
    : m_flusher(flusher), m_reader(maxMessageSize)
{}

WsChannel *WsChannel::takeOver(QTcpSocket *socket, const QByteArray &requestTarget,
                               qint64 maxMessageSize, WsFlusher *flusher)
{
    auto *channel = new WsChannel(maxMessageSize, flusher);
    channel->m_peerAddress = socket->peerAddress();
    channel->m_peerPort = socket->peerPort();
    channel->m_requestTarget = requestTarget;
    if (qobject_cast<QSslSocket *>(socket)) {
        socket->setParent(channel);
        channel->m_tls = socket;
        connect(socket, &QTcpSocket::disconnected, channel, [channel] { channel->finish(1006); });
        return channel;
    }
    // The connection lives on in a descriptor of our own; the Qt socket object, its
    // buffers and its notifiers go.
    channel->m_initialInput = socket->readAll();
    channel->m_fd = ::fcntl(int(socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    socket->abort();
    socket->deleteLater();
    if (channel->m_fd < 0)
        channel->finish(1006);
    return channel;
}

WsChannel::~WsChannel()
{
    if (m_flushQueued && m_flusher)
        m_flusher->cancel(this);
    delete m_readNotifier;
    delete m_writeNotifier;
    if (m_fd >= 0)
        ::close(m_fd);
}

void WsChannel::start()
{
    if (m_started)
        return;
    m_started = true;
    QMetaObject::invokeMethod(this, &WsChannel::beginReading, Qt::QueuedConnection);
}

void WsChannel::beginReading()
{
    if (m_state == State::Gone)
        return;
    const QByteArray initial = std::exchange(m_initialInput, QByteArray());
    if (!initial.isEmpty() && !consume(initial))
        return;
    if (m_tls) {
        connect(m_tls, &QTcpSocket::readyRead, this, &WsChannel::onReadable);
        if (m_tls->bytesAvailable() > 0)
            onReadable();
        return;
    }
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &WsChannel::onReadable);
}

void WsChannel::onReadable()
{
    if (m_state == State::Gone)
        return;
    if (m_tls) {
        // QSslSocket signals only new data: take all of it.
        const QByteArray data = m_tls->readAll();
        if (!data.isEmpty())
            consume(data);
        return;
    }
    static thread_local char buffer[64 * 1024];
    qsizetype budget = ReadBudget;
    while (budget > 0) {
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            budget -= n;
            if (!consume(QByteArrayView(buffer, n)))
                return;
            if (size_t(n) < sizeof buffer)
                return; // drained; a level-triggered notifier calls again for more
            continue;
        }
        if (n == 0) {
            finish(1006); // the peer closed its side (or ours was half-closed and it answered)
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            finish(1006);
        return;
    }
}

bool WsChannel::consume(QByteArrayView bytes)
{
    if (m_state == State::Gone)
        return false;
    m_reader.append(bytes);
    const QPointer<WsChannel> alive(this);
    while (std::optional<ws::Message> message = m_reader.next()) {
        switch (message->kind) {
        case ws::Message::Kind::Text:
            if (m_state == State::Open)
                emit textReceived(message->payload);
            break;
        case ws::Message::Kind::Binary:
            if (m_state == State::Open)
                emit binaryReceived(message->payload);
            break;
        case ws::Message::Kind::Ping:
            write(wireframe::pong(message->payload));
            break;
        case ws::Message::Kind::Pong:
            break;
        case ws::Message::Kind::Close:
            if (m_state == State::Open) {
                // The peer closes first: echo its code, then end once the echo has left.
                m_closeCode = message->code;
                m_closeReason = message->reason;
                m_state = State::Closing;
                m_outBuffer.append(wireframe::close(message->code, QString()));
                m_finishWhenFlushed = true;
                queueFlush();
                QTimer::singleShot(m_closeGraceMs, this, &WsChannel::abort);
            } else if (m_state == State::Closing) {
                // The answer to our close: end once our frames have left.
                m_finishWhenFlushed = true;
                if (bytesQueued() == 0)
                    finish(1006);
            }
            break;
        case ws::Message::Kind::Failure:
            close(message->code, message->reason, m_closeGraceMs);
            break;
        }
        if (!alive || m_state == State::Gone)
            return false;
    }
    return true;
}

void WsChannel::write(const QByteArray &frame)
{
    if (m_state != State::Open)
        return;
    m_outBuffer.append(frame);
    queueFlush();
}

qint64 WsChannel::bytesToWrite() const
{
    if (m_tls)
        return bytesQueued() + m_tls->bytesToWrite();
    return bytesQueued();
}

void WsChannel::queueFlush()
{
    if (m_flushQueued || m_state == State::Gone)
        return;
    if (m_writeNotifier && m_writeNotifier->isEnabled())
        return; // the kernel is full; the notifier flushes when it takes more
    m_flushQueued = true;
    if (m_flusher) {
        m_flusher->schedule(this);
        return;
    }
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_flushQueued = false;
            flush();
        },
        Qt::QueuedConnection);
}

bool WsChannel::flush()
{
    if (m_state == State::Gone)
        return false;
    if (m_tls) {
        m_tls->write(std::exchange(m_outBuffer, QByteArray()));
        m_outOffset = 0;
        afterFlushed();
        return m_state != State::Gone;
    }
    while (m_outOffset < m_outBuffer.size()) {
        const ssize_t written = ::send(m_fd, m_outBuffer.constData() + m_outOffset,
                                       size_t(m_outBuffer.size() - m_outOffset), MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            finish(1006); // the peer is gone
            return false;
        }
        m_outOffset += written;
    }
    if (bytesQueued() > 0) {
        if (m_outOffset > CompactOutboundAfter && m_outOffset > m_outBuffer.size() / 2) {
            m_outBuffer.remove(0, m_outOffset);
            m_outOffset = 0;
        }
        if (!m_writeNotifier) {
            m_writeNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
            connect(m_writeNotifier, &QSocketNotifier::activated, this, &WsChannel::onWritable);
        }
        m_writeNotifier->setEnabled(true);
        return true;
    }
    // Everything left. The buffer keeps its memory for the next turn's frames (freeing
    // and growing it every turn costs page faults); releaseIdleMemory() frees it.
    if (m_outBuffer.isDetached())
        m_outBuffer.resize(0);
    else
        m_outBuffer = QByteArray(); // still a broadcast's frame
    m_outOffset = 0;
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    afterFlushed();
    return m_state != State::Gone;
}

void WsChannel::releaseIdleMemory()
{
    if (bytesQueued() == 0 && m_state != State::Gone) {
        m_outBuffer = QByteArray();
        m_outOffset = 0;
    }
}

void WsChannel::onWritable()
{
    flush();
}

void WsChannel::afterFlushed()
{
    if (m_finishWhenFlushed) {
        if (m_tls)
            m_tls->disconnectFromHost(); // writes what it holds, then closes
        else
            finish(1006);
        return;
    }
    if (m_shutdownWhenFlushed) {
        m_shutdownWhenFlushed = false;
        if (m_tls)
            m_tls->disconnectFromHost();
        else
            ::shutdown(m_fd, SHUT_WR);
    }
}

void WsChannel::close(int code, const QString &reason, int graceMs)
{
    if (m_state != State::Open)
        return;
    m_state = State::Closing;
    m_closeCode = code;
    m_closeReason = reason;
    // Behind what is queued, so the peer reads everything before it (a kick's reason,
    // the last messages); then a half-close, while the peer's frames go on being read.
    m_outBuffer.append(wireframe::close(code, reason));
    m_shutdownWhenFlushed = true;
    queueFlush();
    QTimer::singleShot(graceMs, this, &WsChannel::abort);
    start(); // the peer's answer must be read even if the owner never started reading
}

void WsChannel::abort()
{
    finish(1006);
}

int WsChannel::closeCode() const
{
    return m_closeCode;
}

QString WsChannel::closeReason() const
{
    return m_closeReason;
}

void WsChannel::finish(int closeCodeIfNone)
{
    if (m_state == State::Gone)
        return;
    m_state = State::Gone;
    if (!m_closeCode)
        m_closeCode = closeCodeIfNone;
    if (m_flushQueued && m_flusher)
        m_flusher->cancel(this);
    m_flushQueued = false;
    m_outBuffer = QByteArray();
    m_outOffset = 0;
    // This may run inside a notifier's own activation: unhook it now, free it later.
    for (QSocketNotifier **notifier : {&m_readNotifier, &m_writeNotifier}) {
        if (*notifier) {
            (*notifier)->setEnabled(false);
            (*notifier)->deleteLater();
            *notifier = nullptr;
        }
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (m_tls) {
        m_tls->disconnect(this);
        m_tls->abort();
    }
    QMetaObject::invokeMethod(this, &WsChannel::disconnected, Qt::QueuedConnection);
}

WsFlusher::WsFlusher(QObject *parent) : QObject(parent) {}

WsFlusher::~WsFlusher()
{
    for (WsChannel *channel : std::as_const(m_pending))
        channel->m_flushQueued = false;
}

void WsFlusher::schedule(WsChannel *channel)
{
    m_pending.append(channel);
    if (m_posted)
        return;
    m_posted = true;
    // Low priority: whatever else this turn posted (storing new identities, which then
    // send their sessions) runs first, so its frames leave in the same write.
    QCoreApplication::postEvent(this, new QEvent(QEvent::User), Qt::LowEventPriority);
}

void WsFlusher::cancel(WsChannel *channel)
{
    m_pending.removeOne(channel);
    const qsizetype at = m_flushing.indexOf(channel);
    if (at >= 0)
        m_flushing[at] = nullptr;
}

void WsFlusher::flushAll()
{
    m_flushing = std::exchange(m_pending, {});
    for (qsizetype i = 0; i < m_flushing.size(); ++i) {
        if (WsChannel *channel = m_flushing.at(i)) {
            channel->m_flushQueued = false;
            channel->flush();
        }
    }
    m_flushing.clear();
}

bool WsFlusher::event(QEvent *event)
{
    if (event->type() != QEvent::User)
        return QObject::event(event);
    m_posted = false;
    flushAll();
    return true;
}

} // namespace roomkeeper

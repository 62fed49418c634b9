#pragma once

#include "wsprotocol.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

class QSocketNotifier;
class QTcpSocket;

namespace roomkeeper {

class WsFlusher;

// One upgraded WebSocket, read and written by us (RFC 6455, server side), on the core
// thread. A plain connection is its bare descriptor: no Qt socket object and no buffer
// is kept while it is idle. Through TLS the channel owns the QSslSocket the listener
// accepted and reads and writes through it.
//
// Writes queue whole frames (a broadcast builds its frame once for every member) and
// leave once per event-loop turn, in one send() per connection, so a turn's frames are
// batched. Nothing is ever written or closed synchronously from write() or
// close(): both are safe inside a loop over members.
class WsChannel final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WsChannel)

public:
    // Takes over 'socket', whose request head has been read: a plain socket's
    // descriptor is duplicated and the QTcpSocket goes; a TLS socket is kept. Bytes
    // already read past the head are the first input. 'flusher' batches the writes of
    // every channel of this thread.
    static WsChannel *takeOver(QTcpSocket *socket, const QByteArray &requestTarget,
                               qint64 maxMessageSize, WsFlusher *flusher);
    ~WsChannel() override;

    const QHostAddress &peerAddress() const { return m_peerAddress; }
    quint16 peerPort() const { return m_peerPort; }
    // Path and query as the client sent them, e.g. "/gateway?room=...".
    const QByteArray &requestTarget() const { return m_requestTarget; }

    void setMaxMessageSize(qint64 bytes) { m_reader.setMaxMessageSize(bytes); }
    // How long a close the channel starts itself (a frame it refuses: 1002, 1007, 1009)
    // or answers waits for the peer before the connection is dropped.
    void setCloseGraceMs(int ms) { m_closeGraceMs = ms; }

    // Starts reading (first the bytes that came with the request head) at the next
    // event-loop turn, so that the owner's replies to the handshake go out first.
    void start();

    bool isOpen() const { return m_state == State::Open; }
    // Queues one whole frame. Ignored once a close frame is queued or the peer is gone.
    void write(const QByteArray &frame);
    // Bytes queued and not yet taken by the kernel.
    qint64 bytesToWrite() const;
    // Hands the kernel what it takes now. False if the peer turned out to be gone.
    bool flush();
    // Frees the outbound buffer if nothing is queued. An active connection keeps its
    // buffer between turns; the owner calls this now and then, so an idle connection
    // holds no buffer.
    void releaseIdleMemory();

    // Queues a close frame behind what is queued, half-closes once it has left and goes
    // on reading (and dropping) the peer's frames until it closes too; whatever the peer
    // does, the connection is dropped after 'graceMs'.
    void close(int code, const QString &reason, int graceMs);
    // Drops the connection now (disconnected() follows, queued).
    void abort();

    // Our close code if we closed, else the peer's; 1006 if the connection just ended.
    int closeCode() const;
    QString closeReason() const;

signals:
    void textReceived(const QByteArray &utf8);
    void binaryReceived(const QByteArray &data);
    // Emitted once, queued, when the connection is gone.
    void disconnected();

private:
    enum class State
    {
        Open,
        Closing, // our close frame is queued or sent
        Gone
    };

    WsChannel(qint64 maxMessageSize, WsFlusher *flusher);
    void beginReading();
    void onReadable();
    void onWritable();
    // Feeds bytes to the reader and acts on what it finds; false once the channel is gone.
    bool consume(QByteArrayView bytes);
    void closeWithFrame(int code, const QString &reason);
    void queueFlush();
    void afterFlushed();
    void finish(int closeCodeIfNone);

    int m_fd = -1; // plain: our descriptor
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr; // only while the kernel does not take all
    QPointer<QTcpSocket> m_tls;                 // TLS: the socket we read and write through
    QPointer<WsFlusher> m_flusher;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    QByteArray m_requestTarget;
    ws::FrameReader m_reader;
    QByteArray m_initialInput;

    qint64 bytesQueued() const { return m_outBuffer.size() - m_outOffset; }

    // Queued frames, back to back; the first m_outOffset bytes have been written.
    QByteArray m_outBuffer;
    qsizetype m_outOffset = 0;
    bool m_flushQueued = false;
    bool m_started = false;
    bool m_shutdownWhenFlushed = false;
    bool m_finishWhenFlushed = false;

    int m_closeGraceMs = 1000;
    State m_state = State::Open;
    int m_closeCode = 0;
    QString m_closeReason;

    friend class WsFlusher;
};

// Writes every channel with queued frames once per event-loop turn (one posted event for
// all of them). One per thread that runs channels; channels may outlive it.
class WsFlusher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WsFlusher)

public:
    explicit WsFlusher(QObject *parent = nullptr);
    ~WsFlusher() override;

    void schedule(WsChannel *channel);
    void cancel(WsChannel *channel);
    // Flushes every scheduled channel now.
    void flushAll();

protected:
    bool event(QEvent *event) override;

private:
    QList<WsChannel *> m_pending;
    QList<WsChannel *> m_flushing; // the batch being written; a channel that dies is nulled
    bool m_posted = false;
};

} // namespace roomkeeper

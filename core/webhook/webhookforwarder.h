#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>
#include <QUuid>

#include <deque>

class QNetworkAccessManager;
class QNetworkReply;

namespace roomkeeper {

// Forwards accepted chat messages to each room's webhook (PROTOCOL.md §5): a POST of
// Discord-compatible JSON {"content": ..., "username": ...} to the URL exactly as given, with
// no cookies, credentials or redirects added by us.
//
// Threading: every public function is called on the forwarder's own thread; nothing blocks.
// The QNetworkAccessManager is a child, so moveToThread() (done before first use) takes it
// along.
//
// Delivery: one bounded FIFO per room and at most one request in flight per room, so a room's
// messages arrive in order; rooms never wait for one another. A message ends in exactly one of
// 'delivered' (a 2xx answer), 'failed' (given up) or 'dropped' (its room's queue was full when it
// was enqueued). Messages discarded by forget() are in none of these.
//
// Retries: a network error, a timeout or any non-2xx answer other than 429 is a failed attempt;
// after it the same message is retried after retryBaseDelay * 2^(attempt - 1) until maxAttempts
// attempts have failed, then the message is given up and the next one goes.
// A 429 is the server pacing us, not a failed attempt: the message waits for 'retry_after'
// (JSON body, seconds, may be fractional) or else the Retry-After header, capped at
// maxRetryAfterMs, and is sent again without using up an attempt. So that a server answering
// 429 forever cannot hold a room's queue for ever, a message that got MaxRateLimitedAnswers
// 429s is given up as failed too.
class WebhookForwarder final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebhookForwarder)

public:
    static constexpr int MaxRateLimitedAnswers = 10;
    // Only this much of an answer's body is kept (it is read only for a 429's retry_after).
    static constexpr qsizetype MaxAnswerBytes = 64 * 1024;

    struct RoomState
    {
        int queued = 0; // waiting, including the one in flight or waiting to be retried
        quint64 delivered = 0;
        quint64 failed = 0;
        quint64 dropped = 0;
        QString lastError; // why the last failed message was given up; kept after successes
    };

    explicit WebhookForwarder(QObject *parent = nullptr);
    ~WebhookForwarder() override;

    // Queues one message for 'room'. 'url' must be http or https; any other URL fails the
    // message at once (counted in 'failed'). A full queue drops this new message.
    void enqueue(const QUuid &room, const QUrl &url, const QString &username,
                 const QString &content);
    // The room was closed or its webhook removed: aborts its request in flight, discards its
    // queue and forgets its per-room counters (the totals keep them).
    void forget(const QUuid &room);

    RoomState state(const QUuid &room) const;
    quint64 delivered() const { return m_delivered; }
    quint64 failed() const { return m_failed; }
    quint64 dropped() const { return m_dropped; }

    // Limits apply to decisions made after the call; a smaller queue drops nothing already in.
    void setMaxQueue(int messages);    // per room, default 100, at least 1
    void setMaxAttempts(int attempts); // per message, default 3, at least 1
    void setRequestTimeoutMs(int ms);  // whole request, default 10000, at least 1
    void setMaxRetryAfterMs(int ms);   // cap on a 429's wait, default 60000
    void setRetryBaseDelayMs(int ms);  // first backoff after a failure, default 500
    int maxQueue() const { return m_maxQueue; }
    int maxAttempts() const { return m_maxAttempts; }
    int requestTimeoutMs() const { return m_requestTimeoutMs; }
    int maxRetryAfterMs() const { return m_maxRetryAfterMs; }
    int retryBaseDelayMs() const { return m_retryBaseDelayMs; }

signals:
    // Any field of state(room) may have changed.
    void stateChanged(const QUuid &room);

private:
    struct Message
    {
        QUrl url;
        QByteArray body;
    };

    struct Room
    {
        std::deque<Message> queue; // front() is the message being sent or waiting to retry
        QNetworkReply *reply = nullptr;
        QByteArray answer;      // start of the in-flight request's answer body
        quint64 waitToken = 0;  // non-zero while a retry timer is pending for front()
        int failedAttempts = 0; // of front()
        int rateLimited = 0;    // 429 answers to front()
        RoomState state;
    };

    void sendNext(const QUuid &roomId);
    void finished(const QUuid &roomId, QNetworkReply *reply);
    void retryLater(const QUuid &roomId, Room &room, int delayMs);
    void giveUp(const QUuid &roomId, Room &room, const QString &error);
    int retryAfterMs(QNetworkReply *reply, const QByteArray &answer) const;

    QNetworkAccessManager *m_network;
    QHash<QUuid, Room> m_rooms;
    quint64 m_delivered = 0;
    quint64 m_failed = 0;
    quint64 m_dropped = 0;
    quint64 m_lastToken = 0;
    int m_maxQueue = 100;
    int m_maxAttempts = 3;
    int m_requestTimeoutMs = 10000;
    int m_maxRetryAfterMs = 60000;
    int m_retryBaseDelayMs = 500;
};

} // namespace roomkeeper

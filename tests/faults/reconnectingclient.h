#pragma once

#include "jsonfields.h"

#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

namespace roomkeeper::test {

// Milliseconds on the monotonic clock (the clock the SIGKILL test's figures are taken on).
qint64 monotonicMs();

// One member of one room that behaves like the browser client (resources/web/app.js) when
// its connection ends, whatever the close code: it keeps the token its last session gave
// it, waits
//     base = min(15000, 500 * 2^attempt) ms, attempt += 1
//     delay = base / 2 + random * base / 2            (random uniform in [0, 1))
// and connects again; a session (/ws) or ready (/gateway) sets attempt back to 0. On /ws it
// then enters its room again; on /gateway the room is in the URL. It answers heartbeats as
// PROTOCOL.md asks (ping -> pong on /ws; op 1 every heartbeatInterval and op 1 at once for
// op 2 on /gateway) and remembers the highest message id it saw in its room.
class ReconnectingClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReconnectingClient)

public:
    enum class Door
    {
        Room,
        Gateway
    };

    ReconnectingClient(Door door, const QString &name, const QString &roomId,
                       QObject *parent = nullptr);
    ~ReconnectingClient() override;

    // Connects to 'server' (ws://HOST:PORT) and keeps connecting after every end.
    void start(const QUrl &server);
    // Stops reconnecting and closes the connection.
    void stop();
    // Starts counting attempts and the time to rejoin afresh (e.g. at a SIGKILL).
    void resetCounters();

    bool isJoined() const { return m_joined; }
    bool hasJoinedSinceReset() const { return m_joinedSinceReset; }
    // Connection attempts since resetCounters() (the one that succeeded included).
    int attempts() const { return m_attempts; }
    // Monotonic ms (QElapsedTimer clock) of the last join.
    qint64 joinedAtMs() const { return m_joinedAtMs; }
    // The user id of the first session, and whether a later one named another user.
    QString userId() const { return m_userId; }
    QString lastUserId() const { return m_lastUserId; }
    bool identityChanged() const { return m_identityChanged; }
    QString token() const { return m_token; }
    QString roomId() const { return m_roomId; }
    Door door() const { return m_door; }
    qint64 highestMessageId() const { return m_highestMessageId; }
    // Messages of its room received since resetCounters(), and the lowest id among them.
    int messagesSinceReset() const { return m_messagesSinceReset; }
    qint64 lowestIdSinceReset() const { return m_lowestIdSinceReset; }
    // Why attempts since resetCounters() ended before a session: "close CODE" or Qt's
    // socket error text, with how often.
    const QMap<QString, int> &failuresSinceReset() const { return m_failures; }
    // The last close code the server sent, or -1.
    int lastCloseCode() const { return m_lastCloseCode; }
    // Frames of type 'error' (/ws) or op 12 (/gateway), and what the last one said.
    int errors() const { return m_errors; }
    QString lastError() const { return m_lastError; }

    // Posts a chat message to its room; false when not joined.
    bool sendMessage(const QString &content);

signals:
    void joined();
    // A heartbeat went out: a pong on /ws, an op 1 on /gateway.
    void heartbeatSent();

private:
    void connectNow();
    void ended();
    void textReceived(const QString &text);
    void roomFrame(const QJsonObject &frame);
    void gatewayFrame(const QJsonObject &frame);
    void identified(const QString &userId, const QString &token);
    void becameJoined();
    void sendJson(const QJsonObject &object);
    void sendHeartbeat();
    void messageReceived(qint64 id);

    Door m_door;
    QString m_name;
    QString m_roomId;
    QUrl m_server;
    QWebSocket m_socket;
    QTimer m_retryTimer;
    QTimer m_heartbeatTimer;
    bool m_running = false;
    bool m_connecting = false;
    bool m_joined = false;
    bool m_joinedSinceReset = false;
    int m_attempt = 0; // the browser client's S.attempt
    int m_attempts = 0;
    qint64 m_joinedAtMs = -1;
    QString m_userId;
    QString m_lastUserId;
    QString m_token;
    QString m_key;
    bool m_identityChanged = false;
    qint64 m_highestMessageId = 0;
    int m_messagesSinceReset = 0;
    qint64 m_lowestIdSinceReset = 0;
    int m_lastCloseCode = -1;
    QMap<QString, int> m_failures;
    bool m_identifiedThisAttempt = false;
    int m_errors = 0;
    QString m_lastError;
};

} // namespace roomkeeper::test

#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QWebSocket>

#include <functional>

namespace roomkeeper::test {

// A room-protocol client for tests: a real QWebSocket that records every frame it gets.
class TestClient final : public QObject
{
    Q_OBJECT

public:
    explicit TestClient(QObject *parent = nullptr);
    ~TestClient() override;

    // Connects to ws://127.0.0.1:port/ws?query and waits for the 'session' frame.
    bool open(quint16 port, const QString &query = QString(), int timeoutMs = 5000);
    // Connects and waits only for the socket (or its failure); for refused connections.
    bool openRaw(const QUrl &url, int timeoutMs = 5000);

    // Sends the object, adding this session's key unless 'withKey' is false.
    void send(QJsonObject object, bool withKey = true);
    void sendText(const QString &text);

    // Waits for a frame of 'type' (optionally also matching 'match') received after
    // the last frame this call or next() consumed; returns it, or an empty object.
    QJsonObject waitFor(const QString &type,
                        const std::function<bool(const QJsonObject &)> &match = {},
                        int timeoutMs = 5000);
    // The next error frame, for requests expected to be refused.
    QJsonObject waitForError(int timeoutMs = 5000)
    {
        return waitFor(QStringLiteral("error"), {}, timeoutMs);
    }
    // Whether a frame of 'type' arrives within 'ms' (for things that must not happen).
    bool receivesWithin(const QString &type, int ms);

    bool waitForDisconnect(int timeoutMs = 5000);
    bool isConnected() const;
    int closeCode() const { return m_closeCode; }

    const QJsonObject &session() const { return m_session; }
    QString userId() const { return m_session.value(QStringLiteral("user_id")).toString(); }
    QString key() const { return m_session.value(QStringLiteral("key")).toString(); }
    QString token() const { return m_session.value(QStringLiteral("token")).toString(); }
    QList<QJsonObject> frames() const { return m_frames; }
    QWebSocket &socket() { return m_socket; }

    // Creates a room and returns its id (empty on failure).
    QString createRoom(const QString &name, bool closed = false);
    // Enters a room and waits for its 'room' picture.
    bool enter(const QString &roomId);

private:
    QWebSocket m_socket;
    QList<QJsonObject> m_frames;
    qsizetype m_consumed = 0;
    QJsonObject m_session;
    int m_closeCode = -1;
    bool m_disconnected = false;
};

} // namespace roomkeeper::test

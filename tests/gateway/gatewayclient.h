#pragma once

// A gateway-protocol client for tests (PROTOCOL.md §3): a real QWebSocket on
// ws://127.0.0.1:PORT/gateway?room=..&name=..&token=.. that records every frame it gets.
// Header-only, used by tst_gateway and tst_crossprotocol.

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLatin1StringView>
#include <QList>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>
#include <QWebSocket>

#include <functional>

namespace roomkeeper::test {

class GatewayClient
{
public:
    using Match = std::function<bool(const QJsonObject &d)>;

    GatewayClient()
    {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, &m_socket,
                         [this](const QString &text) { onText(text); });
        QObject::connect(&m_socket, &QWebSocket::disconnected, &m_socket, [this] {
            m_disconnected = true;
            m_closeCode = int(m_socket.closeCode());
            m_heartbeat.stop();
        });
        QObject::connect(&m_heartbeat, &QTimer::timeout, &m_socket, [this] { sendOp(1); });
    }
    ~GatewayClient() { m_socket.abort(); }
    Q_DISABLE_COPY_MOVE(GatewayClient)

    // The query of a gateway URL; empty values are left out.
    static QString query(const QString &room, const QString &name = QString(),
                         const QString &token = QString())
    {
        QUrlQuery q;
        if (!room.isEmpty())
            q.addQueryItem(QStringLiteral("room"), room);
        if (!name.isEmpty())
            q.addQueryItem(QStringLiteral("name"), name);
        if (!token.isEmpty())
            q.addQueryItem(QStringLiteral("token"), token);
        return q.toString(QUrl::FullyEncoded);
    }

    // Connects and waits only for the socket (or its failure).
    bool connectTo(quint16 port, const QString &query, int timeoutMs = 5000)
    {
        QUrl url(QStringLiteral("ws://127.0.0.1:%1/gateway").arg(port));
        if (!query.isEmpty())
            url.setQuery(query, QUrl::StrictMode);
        QSignalSpy connected(&m_socket, &QWebSocket::connected);
        QSignalSpy failed(&m_socket, &QWebSocket::disconnected);
        m_socket.open(url);
        return QTest::qWaitFor([&] { return !connected.isEmpty() || !failed.isEmpty(); },
                               timeoutMs) &&
               !connected.isEmpty();
    }

    // Connects and waits for op 0 hello and op 8 ready; false if either does not come.
    bool open(quint16 port, const QString &query, int timeoutMs = 5000)
    {
        if (!connectTo(port, query, timeoutMs))
            return false;
        m_hello = data(waitForOp(0, {}, timeoutMs));
        m_ready = data(waitForOp(8, {}, timeoutMs));
        return !m_hello.isEmpty() && !m_ready.isEmpty();
    }
    bool open(quint16 port, const QString &room, const QString &name, const QString &token)
    {
        return open(port, query(room, name, token));
    }

    void sendOp(int op, const QJsonObject &d = QJsonObject())
    {
        sendText(QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("op"), op}, {QStringLiteral("d"), d}})
                .toJson(QJsonDocument::Compact)));
    }
    void sendText(const QString &text) { m_socket.sendTextMessage(text); }
    void sendBinary(const QByteArray &bytes) { m_socket.sendBinaryMessage(bytes); }

    // The payload of a frame.
    static QJsonObject data(const QJsonObject &frame)
    {
        return frame.value(QLatin1StringView("d")).toObject();
    }

    // Waits for a frame of 'op' (whose 'd' satisfies 'match', if given) received after
    // the last frame a wait consumed; returns the whole frame, or an empty object.
    QJsonObject waitForOp(int op, const Match &match = {}, int timeoutMs = 5000)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            while (m_consumed < m_frames.size()) {
                const QJsonObject frame = m_frames.at(m_consumed++);
                if (frame.value(QLatin1StringView("op")).toInt(-1) == op &&
                    (!match || match(data(frame))))
                    return frame;
            }
            if (deadline.hasExpired() || m_disconnected)
                return QJsonObject();
            QTest::qWait(5);
        }
    }
    // The 'd' of the next frame of 'op' (empty on timeout; some ops have an empty 'd').
    QJsonObject waitForData(int op, const Match &match = {}, int timeoutMs = 5000)
    {
        return data(waitForOp(op, match, timeoutMs));
    }
    // Whether a frame of 'op' arrives within 'ms' (for things that must not happen).
    bool receivesOpWithin(int op, int ms) { return !waitForOp(op, {}, ms).isEmpty(); }
    // Consumes every frame received so far.
    void drain() { m_consumed = m_frames.size(); }
    // The frames of 'op' received so far (consumed or not).
    QList<QJsonObject> framesOfOp(int op) const
    {
        QList<QJsonObject> result;
        for (const QJsonObject &f : m_frames) {
            if (f.value(QLatin1StringView("op")).toInt(-1) == op)
                result.append(f);
        }
        return result;
    }

    // Sends op 1 every 'intervalMs' (0 stops).
    void heartbeatEvery(int intervalMs)
    {
        if (intervalMs <= 0) {
            m_heartbeat.stop();
            return;
        }
        m_heartbeat.start(intervalMs);
    }
    // Answers every op 2 of the server with op 1 at once.
    void answerAcks(bool answer) { m_answerAcks = answer; }

    // Whether the server still answers: op 2 gets op 1 back.
    bool answersAck(int timeoutMs = 3000)
    {
        drain();
        sendOp(2);
        return !waitForOp(1, {}, timeoutMs).isEmpty();
    }

    bool waitForDisconnect(int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this] { return m_disconnected; }, timeoutMs);
    }
    bool isConnected() const
    {
        return !m_disconnected && m_socket.state() == QAbstractSocket::ConnectedState;
    }
    int closeCode() const { return m_closeCode; }
    void close() { m_socket.close(); }

    const QJsonObject &hello() const { return m_hello; }
    const QJsonObject &ready() const { return m_ready; }
    QString userId() const { return m_ready.value(QLatin1StringView("userId")).toString(); }
    QString token() const { return m_ready.value(QLatin1StringView("token")).toString(); }
    QString name() const { return m_ready.value(QLatin1StringView("name")).toString(); }
    QList<QJsonObject> frames() const { return m_frames; }
    QWebSocket &socket() { return m_socket; }

private:
    void onText(const QString &text)
    {
        const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
        m_frames.append(frame);
        if (m_answerAcks && frame.value(QLatin1StringView("op")).toInt(-1) == 2)
            sendOp(1);
    }

    QWebSocket m_socket;
    QTimer m_heartbeat;
    QList<QJsonObject> m_frames;
    qsizetype m_consumed = 0;
    QJsonObject m_hello;
    QJsonObject m_ready;
    int m_closeCode = -1;
    bool m_disconnected = false;
    bool m_answerAcks = false;
};

} // namespace roomkeeper::test

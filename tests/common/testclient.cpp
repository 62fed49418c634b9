#include "testclient.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

namespace roomkeeper::test {

TestClient::TestClient(QObject *parent) : QObject(parent)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        m_frames.append(QJsonDocument::fromJson(text.toUtf8()).object());
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        m_disconnected = true;
        m_closeCode = int(m_socket.closeCode());
    });
}

TestClient::~TestClient()
{
    m_socket.abort();
}

bool TestClient::openRaw(const QUrl &url, int timeoutMs)
{
    QSignalSpy connected(&m_socket, &QWebSocket::connected);
    QSignalSpy failed(&m_socket, &QWebSocket::disconnected);
    m_socket.open(url);
    return QTest::qWaitFor([&] { return !connected.isEmpty() || !failed.isEmpty(); }, timeoutMs) &&
           !connected.isEmpty();
}

bool TestClient::open(quint16 port, const QString &query, int timeoutMs)
{
    QUrl url(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port));
    if (!query.isEmpty())
        url.setQuery(query);
    if (!openRaw(url, timeoutMs))
        return false;
    m_session = waitFor(QStringLiteral("session"), {}, timeoutMs);
    return !m_session.isEmpty();
}

void TestClient::send(QJsonObject object, bool withKey)
{
    if (withKey && !object.contains(QStringLiteral("key")))
        object.insert(QStringLiteral("key"), key());
    sendText(QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)));
}

void TestClient::sendText(const QString &text)
{
    m_socket.sendTextMessage(text);
}

QJsonObject TestClient::waitFor(const QString &type,
                                const std::function<bool(const QJsonObject &)> &match,
                                int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        while (m_consumed < m_frames.size()) {
            const QJsonObject frame = m_frames.at(m_consumed++);
            if (frame.value(QStringLiteral("type")).toString() == type && (!match || match(frame)))
                return frame;
        }
        if (deadline.hasExpired() || m_disconnected)
            return QJsonObject();
        QTest::qWait(5);
    }
}

bool TestClient::receivesWithin(const QString &type, int ms)
{
    return !waitFor(type, {}, ms).isEmpty();
}

bool TestClient::waitForDisconnect(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_disconnected; }, timeoutMs);
}

bool TestClient::isConnected() const
{
    return !m_disconnected && m_socket.state() == QAbstractSocket::ConnectedState;
}

QString TestClient::createRoom(const QString &name, bool closed)
{
    send({{QStringLiteral("type"), QStringLiteral("create")},
          {QStringLiteral("name"), name},
          {QStringLiteral("closed"), closed}});
    return waitFor(QStringLiteral("room"),
                   [&name](const QJsonObject &o) {
                       return o.value(QStringLiteral("name")).toString() == name;
                   })
        .value(QStringLiteral("room_id"))
        .toString();
}

bool TestClient::enter(const QString &roomId)
{
    send({{QStringLiteral("type"), QStringLiteral("enter")}, {QStringLiteral("room_id"), roomId}});
    return !waitFor(QStringLiteral("room"), [&roomId](const QJsonObject &o) {
                return o.value(QStringLiteral("room_id")).toString() == roomId;
            }).isEmpty();
}

} // namespace roomkeeper::test

// The one port's HTTP side (PROTOCOL.md §1): routes, unknown paths, and the Origin rule
// for WebSocket upgrades.

#include "rawclient.h"
#include "serverconfigs.h"
#include "servertestmain.h"
#include "testclient.h"

#include "net/listener.h"
#include "server/chatserver.h"

#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

// Sends one request and returns the whole response (the server closes after it).
QByteArray request(quint16 port, const QByteArray &text)
{
    RawClient client;
    if (!client.connectTo(port))
        return QByteArray();
    client.write(text);
    client.waitForDisconnected(3000);
    return client.buffered();
}

} // namespace

class HttpTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void routes_data();
    void routes();
    void upgradeOnUnknownPathIs404();
    void gatewayUpgradesThenClosesForUnknownRoom();
    void originRule_data();
    void originRule();
    void originUnitRules();

private:
    std::unique_ptr<ChatServer> m_server;
};

void HttpTest::initTestCase()
{
    ServerConfig c = localServerConfig();
    c.allowedOrigins = {QStringLiteral("http://trusted.example:8080")};
    m_server = std::make_unique<ChatServer>(c);
    m_server->start();
    QVERIFY(m_server->port() != 0);
}

void HttpTest::routes_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<QByteArray>("bodyPart");
    QTest::newRow("page") << QByteArray("GET / HTTP/1.1") << QByteArray("200")
                          << QByteArray("<html");
    QTest::newRow("healthz") << QByteArray("GET /healthz HTTP/1.1") << QByteArray("200")
                             << QByteArray("ok\n");
    QTest::newRow("unknown") << QByteArray("GET /nope HTTP/1.1") << QByteArray("404")
                             << QByteArray("not found");
    QTest::newRow("traversal") << QByteArray("GET /../etc/passwd HTTP/1.1") << QByteArray("404")
                               << QByteArray();
    QTest::newRow("post") << QByteArray("POST / HTTP/1.1") << QByteArray("405") << QByteArray();
    QTest::newRow("garbage") << QByteArray("HELLO") << QByteArray("400") << QByteArray();
}

void HttpTest::routes()
{
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, status);
    QFETCH(QByteArray, bodyPart);
    const QByteArray response = request(m_server->port(), head + "\r\nHost: x\r\n\r\n");
    QVERIFY2(response.startsWith(QByteArray("HTTP/1.1 " + status + ' ')),
             response.left(60).constData());
    QVERIFY(response.contains(bodyPart));
}

void HttpTest::upgradeOnUnknownPathIs404()
{
    RawClient client;
    QVERIFY(client.connectTo(m_server->port()));
    QCOMPARE(client.upgrade("/chat"), 404);
}

void HttpTest::gatewayUpgradesThenClosesForUnknownRoom()
{
    RawClient client;
    QVERIFY(client.connectTo(m_server->port()));
    QCOMPARE(client.upgrade("/gateway?room=x"), 101);
    QVERIFY(client.waitForDisconnected(3000)); // hello, then close 4004: no such room
}

void HttpTest::originRule_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<int>("status");
    QTest::newRow("no origin (native client)") << QByteArray() << 101;
    QTest::newRow("own page") << QByteArray("http://127.0.0.1") << 101;
    QTest::newRow("own page, https") << QByteArray("https://127.0.0.1") << 101;
    QTest::newRow("foreign page") << QByteArray("http://evil.example") << 403;
    QTest::newRow("allowed by flag") << QByteArray("http://trusted.example:8080") << 101;
    QTest::newRow("null") << QByteArray("null") << 403;
}

void HttpTest::originRule()
{
    QFETCH(QByteArray, origin);
    QFETCH(int, status);
    RawClient client;
    QVERIFY(client.connectTo(m_server->port()));
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!origin.isEmpty())
        headers.append({"Origin", origin});
    QCOMPARE(client.upgrade("/ws", headers), status);
}

void HttpTest::originUnitRules()
{
    const QStringList none;
    QVERIFY(Listener::originAllowed("", "host:1", none));
    QVERIFY(Listener::originAllowed("HTTP://Host:1", "host:1", none));
    QVERIFY(!Listener::originAllowed("http://host:2", "host:1", none));
    QVERIFY(!Listener::originAllowed("http://host:1", "", none));
    QVERIFY(Listener::originAllowed("http://any.example", "host:1", {QStringLiteral("*")}));
}

ROOMKEEPER_SERVER_TEST_MAIN(HttpTest)
#include "tst_http.moc"

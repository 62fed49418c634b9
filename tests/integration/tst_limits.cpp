// Every limit of DESIGN.md "Limits and faults" that the foundation enforces, driven over
// real sockets against the real server on port 0.

#include "rawclient.h"
#include "serverconfigs.h"
#include "servertestmain.h"
#include "testclient.h"

#include "server/chatserver.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QJsonObject message(const QString &roomId, const QString &content)
{
    return {{QStringLiteral("type"), QStringLiteral("message")},
            {QStringLiteral("room_id"), roomId},
            {QStringLiteral("content"), content}};
}

} // namespace

class LimitsTest : public QObject
{
    Q_OBJECT

private slots:
    void messageOverSizeLimitClosesWith1009();
    void rateLimitAnswersThenCloses1008();
    void heartbeatsAreExemptFromRateLimit();
    void clientThatDoesNotReadIsDropped4008();
    void maxConnectionsCloses4013_data();
    void maxConnectionsCloses4013();
    void silentHandshakeIsClosedByDeadline();
    void handshakesInProgressAreCapped();
    void oversizedRequestHeadGets431();
};

void LimitsTest::messageOverSizeLimitClosesWith1009()
{
    ServerConfig c = localServerConfig();
    c.maxMessageSize = 1024;
    ChatServer server(c);
    server.start();

    TestClient ok;
    QVERIFY(ok.open(server.port()));
    ok.sendText(QString(1024, QLatin1Char('x'))); // at the limit: answered, not closed
    QCOMPARE(ok.waitForError().value(QStringLiteral("code")).toString(),
             QStringLiteral("bad_json"));
    QVERIFY(ok.isConnected());

    TestClient big;
    QVERIFY(big.open(server.port()));
    big.sendText(QString(1025, QLatin1Char('x')));
    QVERIFY(big.waitForDisconnect());
    QCOMPARE(big.closeCode(), 1009);
    QVERIFY(ok.isConnected());
}

void LimitsTest::rateLimitAnswersThenCloses1008()
{
    ServerConfig c = localServerConfig();
    c.maxMessageRate = 5; // burst 10
    ChatServer server(c);
    server.start();

    TestClient flooder;
    QVERIFY(flooder.open(server.port()));
    const QString room = flooder.createRoom(QStringLiteral("flood")); // uses one token
    QVERIFY(!room.isEmpty());
    for (int i = 0; i < 9; ++i)
        flooder.send(message(room, QStringLiteral("m%1").arg(i)));
    QVERIFY(!flooder
                 .waitFor(QStringLiteral("message"),
                          [](const QJsonObject &o) {
                              return o.value(QStringLiteral("message_id")).toInt() == 9;
                          })
                 .isEmpty());
    flooder.send(message(room, QStringLiteral("one too many")));
    const QJsonObject error = flooder.waitForError();
    QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("rate_limited"));
    QVERIFY(flooder.isConnected());

    for (int i = 0; i < 30; ++i)
        flooder.send(message(room, QStringLiteral("flood")));
    QVERIFY(flooder.waitForDisconnect());
    QCOMPARE(flooder.closeCode(), 1008);
    QVERIFY(server.stats().rateLimited >= 11);
}

void LimitsTest::heartbeatsAreExemptFromRateLimit()
{
    ServerConfig c = localServerConfig();
    c.maxMessageRate = 1; // burst 2
    ChatServer server(c);
    server.start();

    TestClient client;
    QVERIFY(client.open(server.port()));
    for (int i = 0; i < 50; ++i)
        client.send({{QStringLiteral("type"), QStringLiteral("ping")}, {QStringLiteral("time"), i}},
                    false);
    QVERIFY(!client
                 .waitFor(QStringLiteral("pong"),
                          [](const QJsonObject &o) {
                              return o.value(QStringLiteral("time")).toInt() == 49;
                          })
                 .isEmpty());
    QCOMPARE(server.stats().rateLimited, quint64(0));
    QVERIFY(client.isConnected());
}

void LimitsTest::clientThatDoesNotReadIsDropped4008()
{
    ServerConfig c = localServerConfig();
    c.maxMessageRate = 0;
    c.maxOutboundQueue = 64 * 1024;
    c.slowClientGraceMs = 200;
    ChatServer server(c);
    server.start();

    TestClient sender;
    QVERIFY(sender.open(server.port()));
    const QString room = sender.createRoom(QStringLiteral("busy"));

    RawClient slow;
    slow.socket().setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
    QVERIFY(slow.connectTo(server.port()));
    QCOMPARE(slow.upgrade("/ws"), 101);
    const QJsonObject session = QJsonDocument::fromJson(slow.readFrame()).object();
    QVERIFY(session.contains(QStringLiteral("key")));
    const QString slowUser = session.value(QStringLiteral("user_id")).toString();
    slow.sendText(
        QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("enter")},
                                  {QStringLiteral("room_id"), room},
                                  {QStringLiteral("key"), session.value(QStringLiteral("key"))}})
            .toJson(QJsonDocument::Compact));
    QVERIFY(!sender.waitFor(QStringLiteral("enter")).isEmpty());
    slow.socket().setReadBufferSize(1); // from now on it reads (almost) nothing

    const QString content(4000, QLatin1Char('z'));
    QJsonObject exit;
    for (int i = 0; i < 400 && exit.isEmpty(); ++i) {
        for (int j = 0; j < 20; ++j)
            sender.send(message(room, content));
        exit = sender.waitFor(
            QStringLiteral("exit"),
            [&slowUser](const QJsonObject &o) {
                return o.value(QStringLiteral("user_id")).toString() == slowUser;
            },
            20);
    }
    QVERIFY2(!exit.isEmpty(), "the slow member was never dropped");
    QTRY_COMPARE(server.stats().slowClientDrops, quint64(1));
    QVERIFY(sender.isConnected()); // the reading member is unharmed
}

void LimitsTest::maxConnectionsCloses4013_data()
{
    QTest::addColumn<bool>("perAddress");
    QTest::newRow("in all") << false;
    QTest::newRow("per address") << true;
}

void LimitsTest::maxConnectionsCloses4013()
{
    QFETCH(bool, perAddress);
    ServerConfig c = localServerConfig();
    if (perAddress)
        c.maxConnectionsPerAddress = 2;
    else
        c.maxConnections = 2;
    ChatServer server(c);
    server.start();

    TestClient a;
    TestClient b;
    TestClient refused;
    QVERIFY(a.open(server.port()));
    QVERIFY(b.open(server.port()));
    refused.openRaw(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.port())));
    QVERIFY(refused.waitForDisconnect());
    QCOMPARE(refused.closeCode(), 4013);
    QVERIFY(refused.session().isEmpty());
    QCOMPARE(server.stats().refusedConnections, quint64(1));

    // A place frees up when someone leaves.
    a.socket().close();
    QVERIFY(a.waitForDisconnect());
    QTRY_COMPARE(server.stats().connections, 1);
    TestClient later;
    QVERIFY(later.open(server.port()));
}

void LimitsTest::silentHandshakeIsClosedByDeadline()
{
    ServerConfig c = localServerConfig();
    c.handshakeTimeoutMs = 300;
    ChatServer server(c);
    server.start();

    RawClient silent;
    QVERIFY(silent.connectTo(server.port()));
    silent.write("GET /ws HTTP/1.1\r\nHost: x\r\n"); // never finishes the head
    TestClient legit;                                // meanwhile a real client gets in at once
    QVERIFY(legit.open(server.port(), QString(), 1000));
    QVERIFY(silent.waitForDisconnected(3000));
    QVERIFY(legit.isConnected());
}

void LimitsTest::handshakesInProgressAreCapped()
{
    ServerConfig c = localServerConfig();
    c.maxConcurrentHandshakes = 3;
    c.handshakeTimeoutMs = 1500;
    ChatServer server(c);
    server.start();

    RawClient silent[3];
    for (RawClient &s : silent) {
        QVERIFY(s.connectTo(server.port()));
        s.write("GET /");
    }
    QTest::qWait(100);
    RawClient extra;
    QVERIFY(extra.connectTo(server.port()));
    QVERIFY(extra.waitForDisconnected(1000)); // refused at once, not after the deadline
    QCOMPARE(server.stats().handshakesRefused, quint64(1));

    // Past the cap, a request whose whole head is there when it is accepted (a burst of
    // reconnects) is still served. Blocking calls: the server's loop does not run until
    // the head has been sent.
    QTcpSocket quick;
    quick.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(quick.waitForConnected(2000));
    quick.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QVERIFY(quick.waitForBytesWritten(2000));
    QTRY_VERIFY(quick.bytesAvailable() > 0);
    const QByteArray answer = quick.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 200 "), answer.left(40).constData());
    QCOMPARE(server.stats().handshakesRefused, quint64(1));

    for (RawClient &s : silent)
        QVERIFY(s.waitForDisconnected(4000));
    TestClient later;
    QVERIFY(later.open(server.port()));
}

void LimitsTest::oversizedRequestHeadGets431()
{
    ChatServer server(localServerConfig());
    server.start();
    RawClient client;
    QVERIFY(client.connectTo(server.port()));
    client.write("GET / HTTP/1.1\r\nX-Fill: " + QByteArray(20000, 'a'));
    QVERIFY(client.waitForDisconnected(3000));
    QVERIFY2(client.buffered().startsWith("HTTP/1.1 431 "), client.buffered().left(40).constData());
}

ROOMKEEPER_SERVER_TEST_MAIN(LimitsTest)
#include "tst_limits.moc"

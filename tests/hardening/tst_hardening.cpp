// Hostile-client hardening: oversized frame headers, trickled frames, hostile JSON and
// slowloris handshakes, driven over real sockets against the real server on port 0.

#include "processinfo.h"
#include "rawclient.h"
#include "serverconfigs.h"
#include "servertestmain.h"
#include "testclient.h"

#include "server/chatserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>
#include <vector>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

// Reads what arrived on 'socket' into 'buffer'; returns the close code of a close frame
// found in it (skipping other frames), 0 if the socket is gone without one, -1 if neither.
int pollClose(QTcpSocket &socket, QByteArray &buffer)
{
    buffer += socket.readAll();
    quint8 opcode = 0;
    QByteArray payload;
    while (RawClient::takeFrame(buffer, opcode, payload)) {
        if (opcode == 0x8)
            return payload.size() >= 2 ? (quint8(payload.at(0)) << 8) | quint8(payload.at(1))
                                       : 1005;
    }
    return socket.state() == QAbstractSocket::UnconnectedState ? 0 : -1;
}

int waitForClose(QTcpSocket &socket, QByteArray &buffer, int timeoutMs)
{
    int code = -1;
    [[maybe_unused]] const bool closed = QTest::qWaitFor(
        [&] {
            code = pollClose(socket, buffer);
            return code >= 0;
        },
        timeoutMs);
    return code;
}

// An upgraded raw client whose session frame was already read.
bool openRaw(RawClient &raw, quint16 port)
{
    return raw.connectTo(port) && raw.upgrade("/ws") == 101 && !raw.readFrame().isEmpty();
}

// Makes 'client' answer every server ping with the matching pong, as a real client does.
void answerPings(TestClient &client)
{
    QObject::connect(&client.socket(), &QWebSocket::textMessageReceived, &client,
                     [&client](const QString &text) {
                         const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
                         if (o.value(QStringLiteral("type")).toString() == QStringLiteral("ping"))
                             client.send(
                                 {{QStringLiteral("type"), QStringLiteral("pong")},
                                  {QStringLiteral("time"), o.value(QStringLiteral("time"))}},
                                 false);
                     });
}

bool pingAnswered(TestClient &client, int time)
{
    client.send({{QStringLiteral("type"), QStringLiteral("ping")}, {QStringLiteral("time"), time}},
                false);
    return !client
                .waitFor(QStringLiteral("pong"),
                         [time](const QJsonObject &o) {
                             return o.value(QStringLiteral("time")).toInt() == time;
                         })
                .isEmpty();
}

} // namespace

class HardeningTest : public QObject
{
    Q_OBJECT

private slots:
    void hugeFrameHeaderClosesAtOnce();
    void oneByteOverLimitCloses1009();
    void trickledFrameIsClosedByHeartbeat();
    void hostileJsonIsAnswered_data();
    void hostileJsonIsAnswered();
    void slowlorisHandshakesAreClosed();
};

// Pass: after a header declaring a 100 MiB masked text frame (64-bit length), the server
// sends close 1009 within 100 ms of the header, and this process's RSS grows < 1 MiB.
void HardeningTest::hugeFrameHeaderClosesAtOnce()
{
    ServerConfig c = localServerConfig();
    c.maxMessageSize = 1024;
    ChatServer server(c);
    server.start();

    RawClient raw;
    QVERIFY(openRaw(raw, server.port()));
    QByteArray buffer = raw.buffered();

    QByteArray header;
    header.append(char(0x81));
    header.append(char(0x80 | 127));
    const quint64 length = 100ULL * 1024 * 1024;
    for (int shift = 56; shift >= 0; shift -= 8)
        header.append(char((length >> shift) & 0xff));
    header.append("\x11\x22\x33\x44", 4);

    const qint64 rssBefore = rssKiB();
    QVERIFY(rssBefore > 0);
    QElapsedTimer timer;
    timer.start();
    raw.write(header);
    const int code = waitForClose(raw.socket(), buffer, 2000);
    const qint64 elapsed = timer.elapsed();
    const qint64 rssGrowth = rssKiB() - rssBefore;
    qInfo("close %d after %lld ms, RSS growth %lld KiB", code, elapsed, rssGrowth);
    QCOMPARE(code, 1009);
    QVERIFY2(elapsed < 100, qPrintable(QStringLiteral("closed after %1 ms").arg(elapsed)));
    QVERIFY2(rssGrowth < 1024, qPrintable(QStringLiteral("RSS grew %1 KiB").arg(rssGrowth)));
}

// Pass: a real masked text frame of maxMessageSize + 1 bytes (1025) is closed with 1009.
void HardeningTest::oneByteOverLimitCloses1009()
{
    ServerConfig c = localServerConfig();
    c.maxMessageSize = 1024;
    ChatServer server(c);
    server.start();

    RawClient raw;
    QVERIFY(openRaw(raw, server.port()));
    QByteArray buffer = raw.buffered();
    raw.sendText(QByteArray(1025, 'x'));
    QCOMPARE(waitForClose(raw.socket(), buffer, 3000), 1009);
}

// Pass: a frame trickled one byte per 100 ms (after its first 2 header bytes) is ended by
// the heartbeat deadline (close 4009, or a plain disconnect) within 1.5 s, while a normal
// client connected meanwhile, answering pings, stays connected and gets a pong.
void HardeningTest::trickledFrameIsClosedByHeartbeat()
{
    ServerConfig c = localServerConfig();
    c.heartbeatIntervalMs = 200;
    ChatServer server(c);
    server.start();

    RawClient trickler;
    QVERIFY(openRaw(trickler, server.port()));
    QByteArray buffer = trickler.buffered();

    TestClient good;
    answerPings(good);
    QVERIFY(good.open(server.port()));

    const QByteArray frame = RawClient::maskedFrame(0x1, R"({"type":"ping","time":1,"padding":")" +
                                                             QByteArray(80, 'p') + "\"}");
    QElapsedTimer timer;
    timer.start();
    trickler.write(frame.left(2));
    qsizetype sent = 2;
    int code = -1;
    [[maybe_unused]] const bool ended = QTest::qWaitFor(
        [&] {
            code = pollClose(trickler.socket(), buffer);
            if (code >= 0)
                return true;
            if (timer.elapsed() >= 100 * (sent - 1) && sent < frame.size() &&
                trickler.socket().state() == QAbstractSocket::ConnectedState)
                trickler.write(frame.mid(sent++, 1));
            return false;
        },
        3000);
    const qint64 elapsed = timer.elapsed();
    qInfo("trickler ended with %d after %lld ms, %lld bytes sent", code, elapsed, qint64(sent));
    QVERIFY2(code == 4009 || code == 0, qPrintable(QStringLiteral("close code %1").arg(code)));
    QVERIFY2(elapsed <= 1500, qPrintable(QStringLiteral("ended after %1 ms").arg(elapsed)));
    QVERIFY(good.isConnected());
    QVERIFY(pingAnswered(good, 77));
    QVERIFY(good.isConnected());
}

void HardeningTest::hostileJsonIsAnswered_data()
{
    QTest::addColumn<QByteArray>("request"); // "KEY" stands for the session key
    QTest::addColumn<QString>("code");

    QTest::newRow("nesting 1025") << QByteArray(
                                         R"({"type":"create","key":"KEY","name":"deep","x":)" +
                                         QByteArray(1024, '[') + QByteArray(1024, ']') + "}")
                                  << QStringLiteral("bad_json");
    QByteArray zeros = "[0";
    while (zeros.size() < 64 * 1024 - 1)
        zeros += ",0";
    zeros += ']';
    QTest::newRow("64 KiB array") << zeros << QStringLiteral("bad_json");
    QTest::newRow("1e400") << QByteArray(R"({"type":"create","key":"KEY","name":"big","x":1e400})")
                           << QStringLiteral("bad_json");
    QTest::newRow("array top level")
        << QByteArray(R"([{"type":"create","key":"KEY","name":"arr"}])")
        << QStringLiteral("bad_json");
    QTest::newRow("string top level") << QByteArray(R"("create")") << QStringLiteral("bad_json");
    QTest::newRow("NUL in name") << QByteArray(R"({"type":"create","key":"KEY","name":"a\u0000b"})")
                                 << QStringLiteral("bad_field");
    QTest::newRow("U+202E in name")
        << QByteArray(R"({"type":"create","key":"KEY","name":"abc\u202Efed"})")
        << QStringLiteral("bad_field");
    QTest::newRow("raw U+202E in name")
        << QByteArray("{\"type\":\"create\",\"key\":\"KEY\",\"name\":\"abc\xE2\x80\xAE"
                      "fed\"}")
        << QStringLiteral("bad_field");
    QTest::newRow("CR/LF in name") << QByteArray(R"({"type":"create","key":"KEY","name":"a\r\nb"})")
                                   << QStringLiteral("bad_field");
}

// Pass: each hostile request is answered with an 'error' of the expected code (PROTOCOL.md
// §2.5), no room exists afterwards ('rooms' lists none), and a ping still gets its pong.
void HardeningTest::hostileJsonIsAnswered()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, code);

    ServerConfig c = localServerConfig();
    c.maxMessageSize = 1024 * 1024;
    ChatServer server(c);
    server.start();

    TestClient client;
    QVERIFY(client.open(server.port()));
    request.replace("KEY", client.key().toUtf8());
    client.sendText(QString::fromUtf8(request));
    const QJsonObject error = client.waitForError();
    QVERIFY2(!error.isEmpty(), "no error frame");
    qInfo("error: %s", qPrintable(error.value(QStringLiteral("message")).toString()));
    QCOMPARE(error.value(QStringLiteral("code")).toString(), code);
    QVERIFY(client.isConnected());

    client.send({{QStringLiteral("type"), QStringLiteral("rooms")}});
    const QJsonObject rooms = client.waitFor(QStringLiteral("rooms"));
    QVERIFY(rooms.value(QStringLiteral("rooms")).isArray());
    QCOMPARE(rooms.value(QStringLiteral("rooms")).toArray().size(), 0);
    QVERIFY(pingAnswered(client, 5));
}

// Pass: with 200 sockets each stuck after "GET /ws HTTP/1.1\r\n" (handshake timeout 500 ms,
// at most 256 concurrent handshakes), a real client still gets its session within 1 s, and
// all 200 are closed within 3 s of the first being opened.
void HardeningTest::slowlorisHandshakesAreClosed()
{
    ServerConfig c = localServerConfig();
    c.handshakeTimeoutMs = 500;
    c.maxConcurrentHandshakes = 256;
    ChatServer server(c);
    server.start();

    QElapsedTimer total;
    total.start();
    std::vector<std::unique_ptr<RawClient>> slow;
    for (int i = 0; i < 200; ++i) {
        slow.push_back(std::make_unique<RawClient>());
        QVERIFY(slow.back()->connectTo(server.port()));
        slow.back()->write("GET /ws HTTP/1.1\r\n");
    }
    qInfo("200 slow sockets opened in %lld ms", total.elapsed());

    QElapsedTimer legitTimer;
    legitTimer.start();
    TestClient legit;
    QVERIFY(legit.open(server.port(), QString(), 1000));
    const qint64 legitMs = legitTimer.elapsed();
    QVERIFY2(legitMs < 1000, qPrintable(QStringLiteral("legit took %1 ms").arg(legitMs)));

    const auto openCount = [&slow] {
        int open = 0;
        for (const auto &s : slow) {
            s->socket().readAll();
            if (s->socket().state() != QAbstractSocket::UnconnectedState)
                ++open;
        }
        return open;
    };
    [[maybe_unused]] const bool allClosed = QTest::qWaitFor(
        [&] { return openCount() == 0; }, int(qMax<qint64>(0, 3000 - total.elapsed())));
    qInfo("legit in %lld ms; slow sockets all closed after %lld ms", legitMs, total.elapsed());
    QCOMPARE(openCount(), 0);
    QVERIFY(total.elapsed() <= 3100);
    QVERIFY(legit.isConnected());
}

ROOMKEEPER_SERVER_TEST_MAIN(HardeningTest)
#include "tst_hardening.moc"

// The WebSocket layer over real sockets against the real server on port 0: the listener's
// refusals of malformed upgrades, QWebSocketServer's handshake, and the frames the server
// writes itself under each QWebSocket (WebSocketLink) mixed with Qt's own pongs and close
// frames. Where Qt 6.4 departs from RFC 6455 (QT-PITFALLS #7, #8), a test pins what it does,
// so that a Qt upgrade that changes it is noticed.

#include "rawclient.h"
#include "serverconfigs.h"
#include "servertestmain.h"

#include "server/chatserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

ServerConfig localConfig()
{
    ServerConfig c = localServerConfig();
    c.slowClientGraceMs = 500;
    return c;
}

QByteArray upgradeRequest(const QByteArray &path, const QByteArray &version, const QByteArray &key)
{
    QByteArray request = "GET " + path +
                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: keep-alive, Upgrade\r\n";
    if (!key.isEmpty())
        request += "Sec-WebSocket-Key: " + key + "\r\n";
    if (!version.isEmpty())
        request += "Sec-WebSocket-Version: " + version + "\r\n";
    return request + "\r\n";
}

// Everything the server sends until it closes the connection (or the timeout).
QByteArray readUntilClosed(RawClient &raw, int timeoutMs)
{
    raw.waitForDisconnected(timeoutMs);
    return raw.buffered() + raw.socket().readAll();
}

QJsonObject json(const QByteArray &payload)
{
    return QJsonDocument::fromJson(payload).object();
}

int closeCodeOf(const QByteArray &payload)
{
    return payload.size() >= 2 ? (quint8(payload.at(0)) << 8) | quint8(payload.at(1)) : 1005;
}

// An unmasked client frame (RFC 6455 §5.1 says a server must close on it).
QByteArray unmaskedText(const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x81));
    frame.append(char(payload.size()));
    return frame + payload;
}

// A masked frame with FIN and the opcode as given (for fragments: fin=false).
QByteArray fragment(quint8 opcode, const QByteArray &payload, bool fin)
{
    QByteArray frame = RawClient::maskedFrame(opcode, payload);
    if (!fin)
        frame[0] = char(quint8(frame.at(0)) & 0x7f);
    return frame;
}

// Reads frames until a close frame; returns its code (-1 on timeout). The payloads of
// the text frames before it go to 'before'.
int readUntilCloseFrame(RawClient &raw, QList<QByteArray> *before = nullptr)
{
    int code = -1;
    [[maybe_unused]] const bool closed = QTest::qWaitFor([&] {
        quint8 opcode = 0;
        QByteArray payload;
        while (raw.readAnyFrame(opcode, payload, 100)) {
            if (opcode == 0x8) {
                code = closeCodeOf(payload);
                return true;
            }
            if (before)
                before->append(payload);
        }
        return false;
    });
    return code;
}

} // namespace

class WebSocketTest : public QObject
{
    Q_OBJECT

    // A fresh server for each test, with localConfig() unless the test restarts it.
    std::unique_ptr<ChatServer> m_server;
    quint16 port() const { return m_server->port(); }
    bool restart(const ServerConfig &config)
    {
        m_server.reset();
        m_server = std::make_unique<ChatServer>(config);
        m_server->start();
        return m_server->port() != 0;
    }
    // Connected, upgraded on 'path', and the session frame read.
    bool openSession(RawClient &raw, const QByteArray &path = "/ws")
    {
        return raw.connectTo(port()) && raw.upgrade(path) == 101 && !raw.readFrame().isEmpty();
    }

private slots:
    void init() { QVERIFY(restart(localConfig())); }
    void cleanup() { m_server.reset(); }

    void handshakeRefusals_data();
    void handshakeRefusals();
    void handshakeAnswer();
    void frameSentWithTheHandshakeIsLost();
    void pingIsAnsweredWithPong();
    void qtPongsAndServerFramesKeepTheirOrder();
    void clientCloseIsEchoedAndTheConnectionEnds();
    void fragmentedMessageWithPingBetween();
    void unmaskedFrameIsAccepted();
    void reservedBitsClose1002();
    void oversizeAcrossFragmentsCloses1009();
    void closeIsSentBehindQueuedFrames();
    void largeBacklogArrivesWholeAndInOrder();
};

void WebSocketTest::handshakeRefusals_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("header");
    const QByteArray key = "dGhlIHNhbXBsZSBub25jZQ==";
    QTest::newRow("version 8") << upgradeRequest("/ws", "8", key) << 426
                               << QByteArray("Sec-WebSocket-Version: 13");
    QTest::newRow("no version") << upgradeRequest("/ws", "", key) << 426
                                << QByteArray("Sec-WebSocket-Version: 13");
    QTest::newRow("no key") << upgradeRequest("/gateway", "13", "") << 400
                            << QByteArray("Connection: close");
    QTest::newRow("short key") << upgradeRequest("/ws", "13", "c2hvcnQ=") << 400
                               << QByteArray("Connection: close");
    QTest::newRow("POST") << QByteArray(upgradeRequest("/ws", "13", key)).replace("GET", "POST")
                          << 400 << QByteArray("Connection: close");
}

// Pass: each malformed upgrade gets its HTTP status and header, the connection ends, and
// the server counts no WebSocket connection.
void WebSocketTest::handshakeRefusals()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArray, header);
    RawClient raw;
    QVERIFY(raw.connectTo(port()));
    raw.write(request);
    const QByteArray answer = readUntilClosed(raw, 3000);
    QVERIFY2(answer.startsWith(QByteArray("HTTP/1.1 " + QByteArray::number(status) + ' ')),
             answer.constData());
    QVERIFY2(answer.contains(QByteArray(header + "\r\n")), answer.constData());
    QVERIFY(!answer.contains("Sec-WebSocket-Accept"));
    QCOMPARE(raw.socket().state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(m_server->stats().connections, 0);
}

// Pass: the 101 carries the RFC's accept value for the RFC's sample key, and nothing else
// comes before the session frame.
void WebSocketTest::handshakeAnswer()
{
    RawClient raw;
    QVERIFY(raw.connectTo(port()));
    raw.write(upgradeRequest("/ws", "13", "dGhlIHNhbXBsZSBub25jZQ=="));
    QByteArray head;
    QVERIFY(QTest::qWaitFor([&] {
        head += raw.socket().readAll();
        return head.contains("\r\n\r\n");
    }));
    QVERIFY2(head.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), head.constData());
    QVERIFY(head.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    QVERIFY(head.contains("\r\nUpgrade: websocket\r\n"));
    QByteArray rest = head.mid(head.indexOf("\r\n\r\n") + 4);
    quint8 opcode = 0;
    QByteArray payload;
    QVERIFY(QTest::qWaitFor([&] {
        rest += raw.socket().readAll();
        return RawClient::takeFrame(rest, opcode, payload);
    }));
    QCOMPARE(opcode, quint8(0x1));
    QCOMPARE(json(payload).value(QStringLiteral("type")).toString(), QStringLiteral("session"));
}

// Pins QT-PITFALLS #8: a frame written in the same TCP segment as the request head is
// read by QWebSocket before the server can listen to it, and is lost. RFC 6455 §4.1 has a
// client wait for the 101 before it sends; browsers do. The connection itself is fine: the
// session frame comes, and the next frame is answered.
void WebSocketTest::frameSentWithTheHandshakeIsLost()
{
    RawClient raw;
    QVERIFY(raw.connectTo(port()));
    raw.write(upgradeRequest("/ws", "13", "dGhlIHNhbXBsZSBub25jZQ==") +
              RawClient::maskedFrame(0x1, R"({"type":"ping","time":77})"));
    QByteArray head;
    QVERIFY(QTest::qWaitFor([&] {
        head += raw.socket().readAll();
        return head.contains("\r\n\r\n");
    }));
    QVERIFY(head.startsWith("HTTP/1.1 101 "));
    QByteArray buffer = head.mid(head.indexOf("\r\n\r\n") + 4);
    QStringList types;
    QVERIFY(QTest::qWaitFor([&] {
        buffer += raw.socket().readAll();
        quint8 opcode = 0;
        QByteArray payload;
        while (RawClient::takeFrame(buffer, opcode, payload))
            types.append(json(payload).value(QStringLiteral("type")).toString());
        return !types.isEmpty();
    }));
    QCOMPARE(types.value(0), QStringLiteral("session"));
    QTest::qWait(300);
    buffer += raw.socket().readAll();
    quint8 opcode = 0;
    QByteArray payload;
    QVERIFY2(!RawClient::takeFrame(buffer, opcode, payload),
             "the frame sent with the handshake was answered: Qt no longer loses it "
             "(update QT-PITFALLS #8, README and this test)");
    raw.write(RawClient::maskedFrame(0x1, R"({"type":"ping","time":78})"));
    QVERIFY(QTest::qWaitFor([&] {
        buffer += raw.socket().readAll();
        return RawClient::takeFrame(buffer, opcode, payload);
    }));
    QCOMPARE(json(payload).value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    QCOMPARE(json(payload).value(QStringLiteral("time")).toInt(), 78);
}

// Pass: a WebSocket ping's application data comes back in a pong (opcode 10).
void WebSocketTest::pingIsAnsweredWithPong()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    raw.write(RawClient::maskedFrame(0x9, "are you there"));
    quint8 opcode = 0;
    QByteArray payload;
    QVERIFY(raw.readAnyFrame(opcode, payload));
    QCOMPARE(opcode, quint8(0xA));
    QCOMPARE(payload, QByteArray("are you there"));
}

// Pass: text frames the server writes itself and the pongs QWebSocket writes go into the
// same socket whole and in the order they were made: a room-protocol ping, a WebSocket
// ping, another room-protocol ping, in one TCP write, come back as pong 1, the WebSocket
// pong, pong 2, each a well-formed frame.
void WebSocketTest::qtPongsAndServerFramesKeepTheirOrder()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    for (int round = 0; round < 50; ++round) {
        raw.write(RawClient::maskedFrame(0x1, R"({"type":"ping","time":1})") +
                  RawClient::maskedFrame(0x9, "between") +
                  RawClient::maskedFrame(0x1, R"({"type":"ping","time":2})"));
        quint8 opcode = 0;
        QByteArray payload;
        QVERIFY(raw.readAnyFrame(opcode, payload));
        QCOMPARE(opcode, quint8(0x1));
        QCOMPARE(json(payload).value(QStringLiteral("time")).toInt(), 1);
        QVERIFY(raw.readAnyFrame(opcode, payload));
        QCOMPARE(opcode, quint8(0xA));
        QCOMPARE(payload, QByteArray("between"));
        QVERIFY(raw.readAnyFrame(opcode, payload));
        QCOMPARE(opcode, quint8(0x1));
        QCOMPARE(json(payload).value(QStringLiteral("time")).toInt(), 2);
    }
}

// Pass: a client's close 1000 is answered with close 1000, then the server ends the TCP
// connection and forgets the member.
void WebSocketTest::clientCloseIsEchoedAndTheConnectionEnds()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    QCOMPARE(m_server->stats().connections, 1);
    raw.write(RawClient::maskedFrame(0x8, QByteArray("\x03\xe8", 2) + "bye"));
    QCOMPARE(readUntilCloseFrame(raw), 1000);
    QVERIFY(raw.waitForDisconnected(3000));
    QTRY_COMPARE(m_server->stats().connections, 0);
}

// Pass: a room-protocol ping split in three fragments, with a WebSocket ping between the
// first two, is answered: the pong frame first, then the protocol's pong.
void WebSocketTest::fragmentedMessageWithPingBetween()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    raw.write(fragment(0x1, R"({"type":)", false) + RawClient::maskedFrame(0x9, "mid") +
              fragment(0x0, R"("ping","ti)", false) + fragment(0x0, R"(me":5})", true));
    quint8 opcode = 0;
    QByteArray payload;
    QVERIFY(raw.readAnyFrame(opcode, payload));
    QCOMPARE(opcode, quint8(0xA));
    QCOMPARE(payload, QByteArray("mid"));
    QVERIFY(raw.readAnyFrame(opcode, payload));
    QCOMPARE(opcode, quint8(0x1));
    const QJsonObject pong = json(payload);
    QCOMPARE(pong.value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    QCOMPARE(pong.value(QStringLiteral("time")).toInt(), 5);
}

// Pins QT-PITFALLS #7: RFC 6455 §5.1 says a server must close on an unmasked client frame;
// QWebSocket reads it as if it were masked. The frame is served like any other.
void WebSocketTest::unmaskedFrameIsAccepted()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    raw.write(unmaskedText(R"({"type":"ping","time":1})"));
    quint8 opcode = 0;
    QByteArray payload;
    QVERIFY(raw.readAnyFrame(opcode, payload));
    QVERIFY2(opcode == 0x1, "the unmasked frame was refused: Qt now checks masking "
                            "(update QT-PITFALLS #7, README and this test)");
    QCOMPARE(json(payload).value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    QCOMPARE(json(payload).value(QStringLiteral("time")).toInt(), 1);
    QCOMPARE(m_server->stats().connections, 1);
}

// Pass: a frame with RSV1 set (no extension was agreed) is closed with 1002.
void WebSocketTest::reservedBitsClose1002()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    QByteArray frame = RawClient::maskedFrame(0x1, "{}");
    frame[0] = char(quint8(frame.at(0)) | 0x40);
    raw.write(frame);
    QCOMPARE(readUntilCloseFrame(raw), 1002);
}

// Pass: fragments that together pass the message limit are refused with 1009 as soon as
// the fragment that crosses it is announced, though each alone is under it.
void WebSocketTest::oversizeAcrossFragmentsCloses1009()
{
    ServerConfig c = localConfig();
    c.maxMessageSize = 1000;
    QVERIFY(restart(c));
    RawClient raw;
    QVERIFY(openSession(raw));
    raw.write(fragment(0x1, QByteArray(600, ' '), false) +
              fragment(0x0, QByteArray(600, ' '), true));
    QCOMPARE(readUntilCloseFrame(raw), 1009);
}

// Pass: frames the server queued before Qt's own close in the same turn reach the peer
// before the close frame, and the connection ends after it.
void WebSocketTest::closeIsSentBehindQueuedFrames()
{
    RawClient raw;
    QVERIFY(openSession(raw));
    // Three pings and a frame with RSV1 set in one write: three pongs, then Qt's close 1002.
    QByteArray bad = RawClient::maskedFrame(0x1, "x");
    bad[0] = char(quint8(bad.at(0)) | 0x40);
    raw.write(RawClient::maskedFrame(0x1, R"({"type":"ping","time":1})") +
              RawClient::maskedFrame(0x1, R"({"type":"ping","time":2})") +
              RawClient::maskedFrame(0x1, R"({"type":"ping","time":3})") + bad);
    QList<QByteArray> before;
    QCOMPARE(readUntilCloseFrame(raw, &before), 1002);
    QList<int> times;
    for (const QByteArray &payload : std::as_const(before))
        times.append(json(payload).value(QStringLiteral("time")).toInt());
    QCOMPARE(times, (QList<int>{1, 2, 3}));
    QVERIFY(raw.waitForDisconnected(3000));
}

// Pass: a client that does not read while ~6 MB of answers pile up (more than the kernel's
// socket buffers take, so the server must wait until it can write) gets every answer,
// whole and in order, once it reads.
void WebSocketTest::largeBacklogArrivesWholeAndInOrder()
{
    ServerConfig c = localConfig();
    c.maxMessageRate = 0;
    c.maxOutboundQueue = 64 * 1024 * 1024;
    QVERIFY(restart(c));
    RawClient raw;
    QVERIFY(raw.connectTo(port()));
    raw.socket().setReadBufferSize(4096);
    QCOMPARE(raw.upgrade("/ws"), 101);
    QVERIFY(!raw.readFrame().isEmpty());
    constexpr int Count = 200000;
    QByteArray burst;
    for (int i = 0; i < Count; ++i)
        burst +=
            RawClient::maskedFrame(0x1, R"({"type":"ping","time":)" + QByteArray::number(i) + "}");
    raw.write(burst);
    QTest::qWait(500); // the answers pile up behind the small read buffer
    raw.socket().setReadBufferSize(0);
    int expected = 0;
    QVERIFY(QTest::qWaitFor(
        [&] {
            quint8 opcode = 0;
            QByteArray payload;
            while (raw.readAnyFrame(opcode, payload, 0)) {
                if (opcode != 0x1 ||
                    json(payload).value(QStringLiteral("time")).toInt() != expected)
                    return true; // fails below
                ++expected;
            }
            return expected == Count;
        },
        20000));
    QCOMPARE(expected, Count);
}

ROOMKEEPER_SERVER_TEST_MAIN(WebSocketTest)
#include "tst_websocket.moc"

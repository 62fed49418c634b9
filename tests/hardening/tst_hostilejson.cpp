// Hostile JSON over live sockets, on both protocols (issue 9, item 4): nesting 100,000
// deep, keys named twice (at the top level and deeper, plainly or escaped), lone
// surrogates, control characters, integers past 2^53 - 1, numbers past double range, and
// text frames that are not UTF-8. The cases tst_hardening already covers (nesting 1025,
// 64 KiB of [0,0,...], 1e400, non-object top levels, NUL/U+202E/CR-LF in names) are not
// repeated here.
//
// Pass, for every hostile frame: its sender gets an error with the code of PROTOCOL.md §2.5
// given in the table (op 12 on /gateway) and stays connected; nothing changes: the room's
// settings, members and message counter are as before, and the other members (one on each
// protocol) get no frame at all before the next real message, which carries message id 1;
// the sender still gets its heartbeat answered. A text frame that is not UTF-8 is closed
// with 1007 (RFC 6455) while the other clients keep being served.

#include "../gateway/gatewayclient.h"
#include "jsonfields.h"
#include "rawclient.h"
#include "servertestmain.h"
#include "testclient.h"

#include "server/chatserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int Deep = 100000;

// A room "lobby" made by alice (/ws), with bob (/ws) and carol (/gateway) in it, and
// alice's admin rights also on a gateway connection of hers.
struct Lobby
{
    std::unique_ptr<ChatServer> server;
    TestClient alice;
    TestClient bob;
    GatewayClient aliceGateway;
    GatewayClient carol;
    QString room;
    qsizetype aliceSeen = 0;
    qsizetype bobSeen = 0;
    qsizetype carolSeen = 0;

    bool open()
    {
        ServerConfig c;
        c.listenAddress = QHostAddress(QHostAddress::LocalHost);
        c.port = 0;
        c.maxMessageSize = 1024 * 1024; // room for 100,000 levels of nesting
        server = std::make_unique<ChatServer>(c);
        server->start();
        const quint16 port = server->port();
        if (!alice.open(port, u"name=alice"_s) || !bob.open(port, u"name=bob"_s))
            return false;
        room = alice.createRoom(u"lobby"_s);
        if (room.isEmpty() || !bob.enter(room))
            return false;
        if (!carol.open(port, GatewayClient::query(room, u"carol"_s)) ||
            !aliceGateway.open(port, GatewayClient::query(room, QString(), alice.token())))
            return false;
        if (!aliceGateway.ready().value("admin"_L1).toBool())
            return false;
        // Everyone has seen everyone enter; from here on nobody may get anything unasked.
        if (alice
                .waitFor(u"enter"_s,
                         [](const QJsonObject &o) { return str(o, "name") == "carol"_L1; })
                .isEmpty() ||
            bob.waitFor(u"enter"_s,
                        [](const QJsonObject &o) { return str(o, "name") == "carol"_L1; })
                .isEmpty())
            return false;
        QTest::qWait(20);
        aliceSeen = alice.frames().size();
        bobSeen = bob.frames().size();
        carolSeen = carol.frames().size();
        return true;
    }

    const Room *serverRoom() const { return server->rooms().find(QUuid::fromString(room)); }
};

bool isHeartbeat(const QJsonObject &frame)
{
    const QString type = str(frame, "type");
    const int op = frame.value("op"_L1).toInt(-1);
    return type == "ping"_L1 || type == "pong"_L1 || op == 1 || op == 2;
}

// What a client got after 'from', heartbeats left out, as one line per frame.
QStringList framesAfter(const QList<QJsonObject> &frames, qsizetype from)
{
    QStringList out;
    for (qsizetype i = from; i < frames.size(); ++i) {
        if (!isHeartbeat(frames.at(i)))
            out << QString::fromUtf8(QJsonDocument(frames.at(i)).toJson(QJsonDocument::Compact));
    }
    return out;
}

// The table's frames name the room and the sender's key with these words.
QByteArray fill(QByteArray frame, const QString &key, const QString &room)
{
    frame.replace("KEY", key.toUtf8());
    frame.replace("ROOM", room.toUtf8());
    return frame;
}

QByteArray deepArrays(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

// After the hostile frame was answered: nothing changed and nobody else heard of it.
void checkNothingChanged(Lobby &l)
{
    const Room *room = l.serverRoom();
    QVERIFY(room);
    QCOMPARE(l.server->rooms().roomCount(), qsizetype(1));
    QCOMPARE(room->settings().name, u"lobby"_s);
    QVERIFY(!room->settings().closed);
    QVERIFY(!room->settings().chatLocked);
    QCOMPARE(room->settings().maxParticipants, 0);
    QVERIFY(room->settings().webhook.isEmpty());
    QCOMPARE(room->participantCount(), 3);
    QCOMPARE(room->lastMessageId(), qint64(0));
    QVERIFY(room->banRecords().isEmpty());

    // The next real message is the first thing the others get, and it is message 1.
    l.bob.send({{u"type"_s, u"message"_s}, {u"room_id"_s, l.room}, {u"content"_s, u"sync"_s}});
    QVERIFY(!l.bob.waitFor(u"message"_s).isEmpty());
    QVERIFY(!l.carol.waitForOp(3).isEmpty());
    const QStringList bobGot = framesAfter(l.bob.frames(), l.bobSeen);
    const QStringList carolGot = framesAfter(l.carol.frames(), l.carolSeen);
    QVERIFY2(bobGot.size() == 1, qPrintable(bobGot.join(u'\n')));
    QVERIFY2(bobGot.first().contains(R"("message_id":1,)"_L1), qPrintable(bobGot.first()));
    QVERIFY2(carolGot.size() == 1, qPrintable(carolGot.join(u'\n')));
    QVERIFY2(carolGot.first().contains(R"("messageId":1,)"_L1) ||
                 carolGot.first().contains(R"("messageId":1})"_L1),
             qPrintable(carolGot.first()));
}

} // namespace

class HostileJsonTest : public QObject
{
    Q_OBJECT

private slots:
    void roomProtocol_data();
    void roomProtocol();
    void gatewayProtocol_data();
    void gatewayProtocol();
    void validSurrogatePairsArriveIntact();
    void textThatIsNotUtf8Closes1007_data();
    void textThatIsNotUtf8Closes1007();
};

void HostileJsonTest::roomProtocol_data()
{
    QTest::addColumn<QByteArray>("frame"); // KEY: alice's key, ROOM: the room
    QTest::addColumn<QString>("code");

    QTest::addRow("nesting 100,000 in a request")
        << R"({"type":"create","key":"KEY","name":"deep","x":)" + deepArrays(Deep) + "}"
        << u"bad_json"_s;
    QTest::addRow("nesting 100,000 unclosed") << QByteArray(Deep, '[') << u"bad_json"_s;
    QTest::addRow("nesting 100,000 objects")
        << QByteArray(R"({"a":)").repeated(Deep) + "1" + QByteArray(Deep, '}') << u"bad_json"_s;
    // Qt keeps the last of two keys: each of these would change something if read that way.
    QTest::addRow("type twice")
        << QByteArray(R"({"type":"rooms","key":"KEY","name":"dup","type":"create"})")
        << u"bad_json"_s;
    QTest::addRow("type twice, escaped")
        << QByteArray(R"({"type":"rooms","key":"KEY","name":"dup","\u0074ype":"create"})")
        << u"bad_json"_s;
    QTest::addRow("chat_locked twice")
        << QByteArray(
               R"({"type":"update","key":"KEY","room_id":"ROOM","chat_locked":false,"chat_locked":true})")
        << u"bad_json"_s;
    QTest::addRow("key twice deep inside")
        << QByteArray(
               R"({"type":"update","key":"KEY","room_id":"ROOM","name":"renamed","x":[{"a":1,"a":2}]})")
        << u"bad_json"_s;
    QTest::addRow("lone high surrogate in a room name")
        << QByteArray(R"({"type":"update","key":"KEY","room_id":"ROOM","name":"half\ud800"})")
        << u"bad_field"_s;
    QTest::addRow("lone low surrogate in a new room's name")
        << QByteArray(R"({"type":"create","key":"KEY","name":"\udc00x"})") << u"bad_field"_s;
    QTest::addRow("surrogates reversed in a name")
        << QByteArray(R"({"type":"create","key":"KEY","name":"\ude00\ud83d"})") << u"bad_field"_s;
    QTest::addRow("lone surrogate in content")
        << QByteArray(R"({"type":"message","key":"KEY","room_id":"ROOM","content":"hi\ud800"})")
        << u"bad_field"_s;
    QTest::addRow("NUL in content")
        << QByteArray(R"({"type":"message","key":"KEY","room_id":"ROOM","content":"a\u0000b"})")
        << u"bad_field"_s;
    QTest::addRow("ESC in content")
        << QByteArray(
               R"({"type":"message","key":"KEY","room_id":"ROOM","content":"\u001b[2J\u001b[31mred"})")
        << u"bad_field"_s;
    QTest::addRow("lone surrogate in a kick reason")
        << QByteArray(
               R"({"type":"kick","key":"KEY","room_id":"ROOM","user_id":"BOB","message":"\udfff"})")
        << u"bad_field"_s;
    QTest::addRow("ANSI escape in a kick reason")
        << QByteArray(
               R"({"type":"kick","key":"KEY","room_id":"ROOM","user_id":"BOB","message":"\u001b[8m"})")
        << u"bad_field"_s;
    QTest::addRow("read id 2^53+1")
        << QByteArray(R"({"type":"read","room_id":"ROOM","message_id":9007199254740993})")
        << u"bad_field"_s;
    QTest::addRow("read id 2^53")
        << QByteArray(R"({"type":"read","room_id":"ROOM","message_id":9007199254740992})")
        << u"bad_field"_s;
    QTest::addRow("read id 2^64")
        << QByteArray(R"({"type":"read","room_id":"ROOM","message_id":18446744073709551616})")
        << u"bad_field"_s;
    QTest::addRow("max_participants 2^53+1")
        << QByteArray(
               R"({"type":"update","key":"KEY","room_id":"ROOM","max_participants":9007199254740993})")
        << u"bad_field"_s;
    QTest::addRow("max_participants 1e400")
        << QByteArray(R"({"type":"update","key":"KEY","room_id":"ROOM","max_participants":1e400})")
        << u"bad_json"_s;
    QTest::addRow("pong time 1e300")
        << QByteArray(R"({"type":"pong","time":1e300})") << u"bad_field"_s;
    QTest::addRow("number top level") << QByteArray("9007199254740993") << u"bad_json"_s;
    QTest::addRow("null top level") << QByteArray("null") << u"bad_json"_s;
}

void HostileJsonTest::roomProtocol()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);

    Lobby l;
    QVERIFY(l.open());
    frame.replace("BOB", l.bob.userId().toUtf8());
    l.alice.sendText(QString::fromUtf8(fill(frame, l.alice.key(), l.room)));
    const QJsonObject error = l.alice.waitForError();
    QVERIFY2(!error.isEmpty(), "no error frame");
    qInfo("error: %s", qPrintable(str(error, "message")));
    QCOMPARE(str(error, "code"), code);
    QVERIFY(!str(error, "message").isEmpty());
    QVERIFY(l.alice.isConnected());
    checkNothingChanged(l);
    // Nothing but the error (and the sync message) reached the sender either.
    const QStringList aliceGot = framesAfter(l.alice.frames(), l.aliceSeen);
    QVERIFY2(aliceGot.size() == 2, qPrintable(aliceGot.join(u'\n')));
    l.alice.send({{u"type"_s, u"ping"_s}, {u"time"_s, 41}}, false);
    QVERIFY(!l.alice
                 .waitFor(u"pong"_s,
                          [](const QJsonObject &o) { return o.value("time"_L1).toInt() == 41; })
                 .isEmpty());
}

void HostileJsonTest::gatewayProtocol_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");

    QByteArray zeros = "[0";
    while (zeros.size() < 64 * 1024 - 1)
        zeros += ",0";
    zeros += ']';

    QTest::addRow("nesting past 1024")
        << R"({"op":3,"d":{"content":"deep","x":)" + deepArrays(1024) + "}}" << u"bad_json"_s;
    QTest::addRow("nesting 100,000")
        << R"({"op":3,"d":{"content":"deep","x":)" + deepArrays(Deep) + "}}" << u"bad_json"_s;
    QTest::addRow("64 KiB of [0,0,...]") << zeros << u"bad_json"_s;
    // Read last-wins, each would do something: lock the chat, post a message, ban bob.
    QTest::addRow("op twice") << QByteArray(R"({"op":1,"d":{"chatLocked":true},"op":4})")
                              << u"bad_json"_s;
    QTest::addRow("op twice, escaped")
        << QByteArray(R"({"op":1,"d":{"content":"sneaky"},"\u006fp":3})") << u"bad_json"_s;
    QTest::addRow("chatLocked twice in d")
        << QByteArray(R"({"op":4,"d":{"chatLocked":false,"chatLocked":true}})") << u"bad_json"_s;
    QTest::addRow("banned twice in d")
        << QByteArray(R"({"op":5,"d":{"userId":"BOB","banned":false,"banned":true}})")
        << u"bad_json"_s;
    QTest::addRow("lone surrogate in content")
        << QByteArray(R"({"op":3,"d":{"content":"\ud83d"}})") << u"bad_field"_s;
    QTest::addRow("NUL in content")
        << QByteArray(R"({"op":3,"d":{"content":"\u0000"}})") << u"bad_field"_s;
    QTest::addRow("messageId 2^53+1")
        << QByteArray(R"({"op":11,"d":{"messageId":9007199254740993}})") << u"bad_field"_s;
    QTest::addRow("maxParticipants 2^53+1")
        << QByteArray(R"({"op":4,"d":{"maxParticipants":9007199254740993}})") << u"bad_field"_s;
    QTest::addRow("1e400") << QByteArray(R"({"op":3,"d":{"content":"x","n":1e400}})")
                           << u"bad_json"_s;
    QTest::addRow("op 1e400") << QByteArray(R"({"op":1e400,"d":{}})") << u"bad_json"_s;
    QTest::addRow("array top level")
        << QByteArray(R"([{"op":3,"d":{"content":"x"}}])") << u"bad_json"_s;
    QTest::addRow("string top level") << QByteArray(R"("op")") << u"bad_json"_s;
}

void HostileJsonTest::gatewayProtocol()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);

    Lobby l;
    QVERIFY(l.open());
    frame.replace("BOB", l.bob.userId().toUtf8());
    l.aliceGateway.drain();
    l.aliceGateway.sendText(QString::fromUtf8(frame));
    const QJsonObject error = GatewayClient::data(l.aliceGateway.waitForOp(12));
    QVERIFY2(!error.isEmpty(), "no op 12");
    qInfo("error: %s", qPrintable(str(error, "message")));
    QCOMPARE(str(error, "code"), code);
    QVERIFY(!str(error, "message").isEmpty());
    QVERIFY(l.aliceGateway.isConnected());
    checkNothingChanged(l);
    QVERIFY(l.aliceGateway.answersAck());
}

// Pass: content with a valid surrogate pair (escaped and raw) reaches the other members on
// both protocols as exactly the same text.
void HostileJsonTest::validSurrogatePairsArriveIntact()
{
    Lobby l;
    QVERIFY(l.open());
    const QString face = u"\U0001F600 ok"_s;
    l.alice.sendText(
        uR"({"type":"message","key":"%1","room_id":"%2","content":"\ud83d\ude00 ok"})"_s.arg(
            l.alice.key(), l.room));
    QCOMPARE(str(l.bob.waitFor(u"message"_s), "content"), face);
    QCOMPARE(str(GatewayClient::data(l.carol.waitForOp(3)), "content"), face);
    l.aliceGateway.sendOp(3, {{u"content"_s, face}});
    QCOMPARE(str(l.bob.waitFor(u"message"_s), "content"), face);
    QCOMPARE(str(GatewayClient::data(l.carol.waitForOp(3)), "content"), face);
}

void HostileJsonTest::textThatIsNotUtf8Closes1007_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("payload");

    const QByteArray surrogate = "{\"type\":\"ping\",\"time\":1,\"x\":\"\xed\xa0\x80\"}";
    const QByteArray invalid = "{\"type\":\"ping\",\"time\":1,\"x\":\"\xff\xfe\"}";
    const QByteArray overlong = "{\"type\":\"ping\",\"time\":1,\"x\":\"\xc0\xaf\"}";
    QTest::addRow("/ws, UTF-8 of a surrogate") << QByteArray("/ws") << surrogate;
    QTest::addRow("/ws, bytes FF FE") << QByteArray("/ws") << invalid;
    QTest::addRow("/ws, overlong slash") << QByteArray("/ws") << overlong;
    QTest::addRow("/gateway, UTF-8 of a surrogate")
        << QByteArray("/gateway?room=ROOM") << surrogate;
}

// Pass: the server closes the socket with 1007; the room and its members are untouched.
void HostileJsonTest::textThatIsNotUtf8Closes1007()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, payload);

    Lobby l;
    QVERIFY(l.open());
    RawClient raw;
    QVERIFY(raw.connectTo(l.server->port()));
    QCOMPARE(raw.upgrade(fill(path, QString(), l.room)), 101);
    QVERIFY(!raw.readFrame().isEmpty()); // session, or op 0 hello
    raw.sendText(payload);

    QByteArray buffer = raw.buffered();
    int code = -1;
    const bool closed = QTest::qWaitFor(
        [&] {
            buffer += raw.socket().readAll();
            // Skip whole frames up to a close frame (opcode 8) and read its code.
            while (buffer.size() >= 2) {
                const auto length = qsizetype(quint8(buffer.at(1)) & 0x7f);
                const qsizetype header = length == 126 ? 4 : 2;
                const qsizetype size =
                    length == 126 && buffer.size() >= 4
                        ? (qsizetype(quint8(buffer.at(2))) << 8 | quint8(buffer.at(3)))
                        : length;
                if (buffer.size() < header + size)
                    break;
                if ((quint8(buffer.at(0)) & 0x0f) == 0x8 && size >= 2) {
                    code = quint8(buffer.at(header)) << 8 | quint8(buffer.at(header + 1));
                    return true;
                }
                buffer.remove(0, header + size);
            }
            return false;
        },
        5000);
    QVERIFY2(closed, "no close frame");
    QCOMPARE(code, 1007);
    if (path.startsWith("/gateway")) {
        // That connection was a member: the others saw it come and go, and nothing else.
        QVERIFY(!l.bob.waitFor(u"exit"_s).isEmpty());
        QVERIFY(!l.carol.waitForOp(10).isEmpty());
        QTest::qWait(20);
        l.bobSeen = l.bob.frames().size();
        l.carolSeen = l.carol.frames().size();
    }
    checkNothingChanged(l);
    QVERIFY(l.aliceGateway.answersAck());
}

ROOMKEEPER_SERVER_TEST_MAIN(HostileJsonTest)
#include "tst_hostilejson.moc"

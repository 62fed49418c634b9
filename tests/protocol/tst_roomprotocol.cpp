// The room protocol of PROTOCOL.md §2 over real sockets: session start, rooms, entering
// and leaving, messages, read receipts, invitations, heartbeats, every refusal that can
// be provoked over the wire, and hostile input. Admin requests are in tst_roomadmin.

#include "protocoltest.h"
#include "servertestmain.h"
#include "testclient.h"

#include "server/chatserver.h"

#include <QElapsedTimer>
#include <QSet>
#include <QTest>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QJsonObject chat(const QString &roomId, const QString &content)
{
    return request("message", {{"room_id", roomId}, {"content", content}});
}

// Three people in one server: alice created "lobby" and bob is in it; bob2 is bob's second
// connection (same token, not in the room); carol is connected but outside.
struct Lobby
{
    explicit Lobby(const ServerConfig &config) : server(config) {}

    bool open() { return connect() && newRoom(QStringLiteral("lobby")); }

    bool connect()
    {
        server.start();
        const quint16 port = server.port();
        return alice.open(port, QStringLiteral("name=alice")) &&
               bob.open(port, QStringLiteral("name=bob")) &&
               carol.open(port, QStringLiteral("name=carol")) &&
               bob2.open(port, QStringLiteral("token=") + bob.token());
    }

    // alice creates 'name' and bob enters it.
    bool newRoom(const QString &name)
    {
        room = alice.createRoom(name);
        if (room.isEmpty() || !bob.enter(room))
            return false;
        return !alice
                    .waitFor(QStringLiteral("enter"),
                             [this](const QJsonObject &o) {
                                 return str(o, "user_id") == bob.userId() &&
                                        str(o, "room_id") == room;
                             })
                    .isEmpty();
    }

    ChatServer server;
    TestClient alice;
    TestClient bob;
    TestClient bob2;
    TestClient carol;
    QString room;
};

const QRegularExpression &colorPattern()
{
    static const QRegularExpression re(QStringLiteral("^#[0-9a-f]{6}$"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re;
}

} // namespace

class RoomProtocolTest : public QObject
{
    Q_OBJECT

private slots:
    // 2.1 session start
    void sessionOnConnect();
    void displayNameFromQuery_data();
    void displayNameFromQuery();
    void knownTokenResumesIdentity();
    void unknownTokenGetsNewIdentity_data();
    void unknownTokenGetsNewIdentity();
    void keysDifferPerConnection();

    // rooms, create, enter, exit
    void createMakesCreatorAdmin();
    void roomsListsWhatUserMaySee();
    void enterAndExitAreAnnounced();

    // message and read
    void messagesReachEveryMemberWithPerRoomIds();
    void burstArrivesInOrderAtEveryMember();
    void contentLengthLimits();
    void readReceiptsAreRelayed();

    // invite
    void inviteToOpenRoomByAnyMember();
    void inviteToClosedRoomByAdminsOnly();

    // heartbeats
    void clientPingGetsPong();
    void answeredServerPingsKeepConnection();
    void unansweredServerPingsClose4009_data();
    void unansweredServerPingsClose4009();

    // 2.5 refusals
    void refusedRequestChangesNothing_data();
    void refusedRequestChangesNothing();
    void binaryFrameIsBadJson();
    void roomNameLengthLimits();
    void hostileInputKeepsServerAlive();

    void cleanupTestCase() { m_shared.reset(); }

private:
    std::unique_ptr<Lobby> m_shared; // for refusedRequestChangesNothing
};

// ---------------------------------------------------------------------------------------
// 2.1 session start

void RoomProtocolTest::sessionOnConnect()
{
    ChatServer server(localConfig());
    server.start();
    TestClient client;
    QVERIFY(client.open(server.port(), QStringLiteral("name=alice")));
    const QJsonObject s = client.session();
    QCOMPARE(str(s, "type"), QStringLiteral("session"));
    QVERIFY2(isProtocolUuid(str(s, "user_id")), qPrintable(compact(s)));
    QCOMPARE(str(s, "name"), QStringLiteral("alice"));
    // 128 random bits in URL-safe base64: 22 characters (padding, if any, is '=').
    static const QRegularExpression keyPattern(QStringLiteral("^[A-Za-z0-9_-]{22}(==)?$"));
    QVERIFY2(keyPattern.match(str(s, "key")).hasMatch(), qPrintable(compact(s)));
    QVERIFY(s.value(QLatin1StringView("token")).isString());
    QVERIFY(str(s, "token").size() >= 16);
    QVERIFY(str(s, "token") != str(s, "key"));
    QVERIFY(s.value(QLatin1StringView("heartbeat_interval")).isDouble());
    QCOMPARE(num(s, "heartbeat_interval"), qint64(15000));
    QCOMPARE(client.frames().size(), 1); // session is the first frame

    // The configured interval is what the client is told.
    ServerConfig c = localConfig();
    c.heartbeatIntervalMs = 4321;
    ChatServer other(c);
    other.start();
    TestClient second;
    QVERIFY(second.open(other.port()));
    QCOMPARE(num(second.session(), "heartbeat_interval"), qint64(4321));
}

void RoomProtocolTest::displayNameFromQuery_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("expected"); // empty: a "guest-XXXX" name

    const QString max32 = QString(32, QLatin1Char('n'));
    QTest::newRow("plain") << QStringLiteral("name=alice") << QStringLiteral("alice");
    QTest::newRow("trimmed") << QStringLiteral("name=%20%20alice%20%20") << QStringLiteral("alice");
    QTest::newRow("inner space kept")
        << QStringLiteral("name=Ann%20Lee") << QStringLiteral("Ann Lee");
    const QString wide32 = QString(32, QChar(0x00EB));
    QTest::newRow("32 characters") << QString(QStringLiteral("name=") + max32) << max32;
    QTest::newRow("32 non-ASCII characters")
        << QString(QStringLiteral("name=") +
                   QString::fromLatin1(wide32.toUtf8().toPercentEncoding()))
        << wide32;
    QTest::newRow("33 characters")
        << QString(QStringLiteral("name=") + QString(33, QLatin1Char('n'))) << QString();
    QTest::newRow("empty") << QStringLiteral("name=") << QString();
    QTest::newRow("only spaces") << QStringLiteral("name=%20%20%20") << QString();
    QTest::newRow("missing") << QString() << QString();
    QTest::newRow("control character") << QStringLiteral("name=al%01ice") << QString();
    QTest::newRow("newline inside") << QStringLiteral("name=al%0Aice") << QString();
    QTest::newRow("NUL inside") << QStringLiteral("name=al%00ice") << QString();
    QTest::newRow("right-to-left override") << QStringLiteral("name=%E2%80%AEecila") << QString();
    QTest::newRow("other parameter only") << QStringLiteral("nick=alice") << QString();
}

void RoomProtocolTest::displayNameFromQuery()
{
    QFETCH(QString, query);
    QFETCH(QString, expected);
    ChatServer server(localConfig());
    server.start();
    TestClient client;
    QVERIFY(client.open(server.port(), query));
    const QString name = str(client.session(), "name");
    if (expected.isEmpty()) {
        static const QRegularExpression guest(QStringLiteral("^guest-[0-9A-Za-z]{4}$"));
        QVERIFY2(guest.match(name).hasMatch(), qPrintable(name));
    } else {
        QCOMPARE(name, expected);
    }

    // The name is what others see: it is the author name of messages.
    const QString room = client.createRoom(QStringLiteral("names"));
    QVERIFY(!room.isEmpty());
    client.send(chat(room, QStringLiteral("hi")));
    QCOMPARE(str(waitForContent(client, QStringLiteral("hi")), "name"), name);
}

void RoomProtocolTest::knownTokenResumesIdentity()
{
    ChatServer server(localConfig());
    server.start();
    TestClient first;
    QVERIFY(first.open(server.port(), QStringLiteral("name=alice")));
    const QString room = first.createRoom(QStringLiteral("mine"));
    QVERIFY(!room.isEmpty());

    TestClient second;
    QVERIFY(second.open(server.port(), QStringLiteral("token=") + first.token()));
    QCOMPARE(second.userId(), first.userId());
    QCOMPARE(str(second.session(), "name"), QStringLiteral("alice"));
    QVERIFY(second.key() != first.key());

    // Admin rights follow the person: the second connection may change the room.
    QVERIFY(second.enter(room));
    second.send(request("update", {{"room_id", room}, {"chat_locked", true}}));
    const QJsonObject picture = second.waitFor(QStringLiteral("room"), [](const QJsonObject &o) {
        return o.value(QLatin1StringView("chat_locked")).toBool();
    });
    QVERIFY2(!picture.isEmpty(), "the resumed user is not admin of the room it created");

    // The token the resumed session reports works too, even after the first one left.
    first.socket().close();
    QVERIFY(first.waitForDisconnect());
    TestClient third;
    QVERIFY(third.open(server.port(), QStringLiteral("token=") + second.token()));
    QCOMPARE(third.userId(), first.userId());
}

void RoomProtocolTest::unknownTokenGetsNewIdentity_data()
{
    QTest::addColumn<QString>("token");
    QTest::newRow("unknown, well-formed") << QString::fromLatin1(
        QByteArray(32, '\x5a')
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    QTest::newRow("malformed") << QStringLiteral("not a token!");
    QTest::newRow("very long") << QString(600, QLatin1Char('A'));
    QTest::newRow("empty") << QString();
    QTest::newRow("control characters") << QStringLiteral("%00%01%02");
}

void RoomProtocolTest::unknownTokenGetsNewIdentity()
{
    QFETCH(QString, token);
    ChatServer server(localConfig());
    server.start();
    TestClient existing;
    QVERIFY(existing.open(server.port()));

    TestClient client;
    QVERIFY(client.open(server.port(), QStringLiteral("name=zed&token=") + token));
    QVERIFY(isProtocolUuid(client.userId()));
    QVERIFY(client.userId() != existing.userId());
    QCOMPARE(str(client.session(), "name"), QStringLiteral("zed"));
    QVERIFY(!client.token().isEmpty());
    QVERIFY(client.token() != token);

    // The newly issued token resumes the new identity.
    TestClient again;
    QVERIFY(again.open(server.port(), QStringLiteral("token=") + client.token()));
    QCOMPARE(again.userId(), client.userId());
}

void RoomProtocolTest::keysDifferPerConnection()
{
    ChatServer server(localConfig());
    server.start();
    TestClient a;
    TestClient b;
    TestClient c;
    QVERIFY(a.open(server.port()));
    QVERIFY(b.open(server.port(), QStringLiteral("token=") + a.token()));
    QVERIFY(c.open(server.port()));
    QCOMPARE(b.userId(), a.userId());
    const QSet<QString> keys{a.key(), b.key(), c.key()};
    QCOMPARE(keys.size(), 3);
    QVERIFY(a.userId() != c.userId());
}

// ---------------------------------------------------------------------------------------
// rooms, create, enter, exit

void RoomProtocolTest::createMakesCreatorAdmin()
{
    ChatServer server(localConfig());
    server.start();
    TestClient alice;
    QVERIFY(alice.open(server.port(), QStringLiteral("name=alice")));

    alice.send(request("create", {{"name", QStringLiteral("lobby")}}));
    const QJsonObject room = alice.waitFor(QStringLiteral("room"));
    QVERIFY2(!room.isEmpty(), "create got no 'room' reply");
    QVERIFY2(isProtocolUuid(str(room, "room_id")), qPrintable(compact(room)));
    QCOMPARE(str(room, "name"), QStringLiteral("lobby"));
    QCOMPARE(room.value(QLatin1StringView("closed")), QJsonValue(false));
    QCOMPARE(room.value(QLatin1StringView("chat_locked")), QJsonValue(false));
    QCOMPARE(num(room, "max_participants"), qint64(0));
    QCOMPARE(num(room, "last_message_id"), qint64(0));
    const QJsonArray participants = room.value(QLatin1StringView("participants")).toArray();
    QCOMPARE(participants.size(), 1);
    const QJsonObject me = participants.first().toObject();
    QCOMPARE(str(me, "user_id"), alice.userId());
    QCOMPARE(str(me, "name"), QStringLiteral("alice"));
    QCOMPARE(me.value(QLatin1StringView("admin")), QJsonValue(true));
    QVERIFY2(colorPattern().match(str(me, "color")).hasMatch(), qPrintable(compact(me)));

    // The creator is in the room at once: it can send without entering.
    alice.send(chat(str(room, "room_id"), QStringLiteral("first")));
    QCOMPARE(num(waitForContent(alice, QStringLiteral("first")), "message_id"), qint64(1));

    alice.send(request("create", {{"name", QStringLiteral("secret")}, {"closed", true}}));
    const QJsonObject closed = alice.waitFor(QStringLiteral("room"));
    QCOMPARE(str(closed, "name"), QStringLiteral("secret"));
    QCOMPARE(closed.value(QLatin1StringView("closed")), QJsonValue(true));
    QVERIFY(str(closed, "room_id") != str(room, "room_id"));
    QCOMPARE(participant(closed, alice.userId()).value(QLatin1StringView("admin")),
             QJsonValue(true));
}

void RoomProtocolTest::roomsListsWhatUserMaySee()
{
    ChatServer server(localConfig());
    server.start();
    TestClient alice;
    TestClient bob;
    TestClient carol;
    QVERIFY(alice.open(server.port(), QStringLiteral("name=alice")));
    QVERIFY(bob.open(server.port(), QStringLiteral("name=bob")));
    QVERIFY(carol.open(server.port(), QStringLiteral("name=carol")));

    QVERIFY(roomList(bob).value(QLatin1StringView("rooms")).toArray().isEmpty());

    const QString open = alice.createRoom(QStringLiteral("open"));
    const QString secret = alice.createRoom(QStringLiteral("secret"), true);
    QVERIFY(!open.isEmpty() && !secret.isEmpty());

    const QJsonObject forAlice = roomList(alice);
    QCOMPARE(forAlice.value(QLatin1StringView("rooms")).toArray().size(), 2);
    QVERIFY(!listedRoom(forAlice, secret).isEmpty());

    QVERIFY(bob.enter(open));
    const QJsonObject forBob = roomList(bob);
    QCOMPARE(forBob.value(QLatin1StringView("rooms")).toArray().size(), 1);
    const QJsonObject entry = listedRoom(forBob, open);
    QCOMPARE(str(entry, "name"), QStringLiteral("open"));
    QCOMPARE(num(entry, "participants"), qint64(2));
    QCOMPARE(num(entry, "max_participants"), qint64(0));
    QCOMPARE(entry.value(QLatin1StringView("closed")), QJsonValue(false));
    QCOMPARE(entry.value(QLatin1StringView("chat_locked")), QJsonValue(false));
    QVERIFY2(listedRoom(forBob, secret).isEmpty(), "a closed room is listed to an outsider");

    // Invited, bob may enter the closed room, so he may see it; carol still may not.
    alice.send(request("invite", {{"room_id", secret}, {"user_id", bob.userId()}}));
    QVERIFY(!waitInRoom(bob, "invite", secret).isEmpty());
    const QJsonObject invited = roomList(bob);
    QCOMPARE(listedRoom(invited, secret).value(QLatin1StringView("closed")), QJsonValue(true));
    QVERIFY(listedRoom(roomList(carol), secret).isEmpty());

    // Counts follow people leaving.
    bob.send(request("exit", {{"room_id", open}}));
    QVERIFY(!waitInRoom(alice, "exit", open).isEmpty());
    QCOMPARE(num(listedRoom(roomList(carol), open), "participants"), qint64(1));
}

void RoomProtocolTest::enterAndExitAreAnnounced()
{
    ChatServer server(localConfig());
    server.start();
    TestClient alice;
    TestClient bob;
    TestClient carol;
    QVERIFY(alice.open(server.port(), QStringLiteral("name=alice")));
    QVERIFY(bob.open(server.port(), QStringLiteral("name=bob")));
    QVERIFY(carol.open(server.port(), QStringLiteral("name=carol")));
    const QString room = alice.createRoom(QStringLiteral("lobby"));
    QVERIFY(!room.isEmpty());

    bob.send(request("enter", {{"room_id", room}}));
    const QJsonObject picture = waitInRoom(bob, "room", room);
    QVERIFY2(!picture.isEmpty(), "the entrant got no 'room' picture");
    QCOMPARE(str(picture, "name"), QStringLiteral("lobby"));
    QCOMPARE(picture.value(QLatin1StringView("participants")).toArray().size(), 2);
    QCOMPARE(participant(picture, alice.userId()).value(QLatin1StringView("admin")),
             QJsonValue(true));
    QCOMPARE(participant(picture, bob.userId()).value(QLatin1StringView("admin")),
             QJsonValue(false));
    QCOMPARE(str(participant(picture, bob.userId()), "name"), QStringLiteral("bob"));
    QVERIFY2(!picture.contains(QLatin1StringView("webhook")), "the webhook went to a member");

    const QJsonObject entered = alice.waitFor(QStringLiteral("enter"), [&](const QJsonObject &o) {
        return str(o, "user_id") == bob.userId();
    });
    QCOMPARE(str(entered, "user_id"), bob.userId());
    QCOMPARE(str(entered, "room_id"), room);
    QCOMPARE(str(entered, "name"), QStringLiteral("bob"));
    QCOMPARE(entered.value(QLatin1StringView("admin")), QJsonValue(false));
    QCOMPARE(str(entered, "color"), str(participant(picture, bob.userId()), "color"));
    QVERIFY(colorPattern().match(str(entered, "color")).hasMatch());

    QVERIFY(carol.enter(room));
    for (TestClient *member : {&alice, &bob}) {
        const QJsonObject e = member->waitFor(QStringLiteral("enter"), [&](const QJsonObject &o) {
            return str(o, "user_id") == carol.userId();
        });
        QCOMPARE(str(e, "name"), QStringLiteral("carol"));
        QCOMPARE(str(e, "room_id"), room);
    }

    bob.send(request("exit", {{"room_id", room}}));
    for (TestClient *member : {&alice, &carol}) {
        const QJsonObject e = member->waitFor(QStringLiteral("exit"));
        QCOMPARE(str(e, "user_id"), bob.userId());
        QCOMPARE(str(e, "room_id"), room);
        QVERIFY2(str(e, "reason") != QLatin1StringView("kick") &&
                     str(e, "reason") != QLatin1StringView("ban"),
                 qPrintable(compact(e)));
    }
    QVERIFY(answersPing(bob));
    // Out means out: no more messages, and sending is refused.
    alice.send(chat(room, QStringLiteral("after bob")));
    QVERIFY(!waitForContent(carol, QStringLiteral("after bob")).isEmpty());
    QVERIFY(!bob.receivesWithin(QStringLiteral("message"), 100));
    bob.send(chat(room, QStringLiteral("let me in")));
    EXPECT_ERROR(bob, "not_member", "message", room);
    QCOMPARE(num(listedRoom(roomList(bob), room), "participants"), qint64(2));

    // A connection that goes away leaves its rooms.
    carol.socket().close();
    const QJsonObject gone = alice.waitFor(QStringLiteral("exit"));
    QCOMPARE(str(gone, "user_id"), carol.userId());
    QCOMPARE(str(gone, "room_id"), room);
}

// ---------------------------------------------------------------------------------------
// message and read

void RoomProtocolTest::messagesReachEveryMemberWithPerRoomIds()
{
    Lobby l(localConfig());
    QVERIFY(l.open());
    QVERIFY(l.bob2.enter(l.room)); // bob's second connection is in the room too

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    l.alice.send(chat(l.room, QStringLiteral("hello")));
    for (TestClient *member : {&l.alice, &l.bob, &l.bob2}) {
        const QJsonObject m = member->waitFor(QStringLiteral("message"));
        QVERIFY2(!m.isEmpty(), "a member (maybe the sender) did not get the message");
        QCOMPARE(str(m, "content"), QStringLiteral("hello"));
        QCOMPARE(num(m, "message_id"), qint64(1));
        QCOMPARE(str(m, "room_id"), l.room);
        QCOMPARE(str(m, "user_id"), l.alice.userId());
        QCOMPARE(str(m, "name"), QStringLiteral("alice"));
        // A UNIX timestamp of the moment of sending (milliseconds, like ping times;
        // seconds would be accepted too).
        const double t = m.value(QLatin1StringView("time")).toDouble();
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        const bool ms = t >= double(before - 1000) && t <= double(after + 1000);
        const bool s = t >= double(before / 1000 - 1) && t <= double(after / 1000 + 1);
        QVERIFY2(ms || s, qPrintable(compact(m)));
    }
    QVERIFY2(!l.carol.receivesWithin(QStringLiteral("message"), 150),
             "an outsider received a room message");

    l.bob.send(chat(l.room, QStringLiteral("hi alice")));
    for (TestClient *member : {&l.alice, &l.bob, &l.bob2}) {
        const QJsonObject m = member->waitFor(QStringLiteral("message"));
        QCOMPARE(num(m, "message_id"), qint64(2));
        QCOMPARE(str(m, "user_id"), l.bob.userId());
        QCOMPARE(str(m, "name"), QStringLiteral("bob"));
    }

    // Ids are per room: another room starts at 1.
    const QString other = l.carol.createRoom(QStringLiteral("other"));
    QVERIFY(!other.isEmpty());
    l.carol.send(chat(other, QStringLiteral("elsewhere")));
    QCOMPARE(num(waitForContent(l.carol, QStringLiteral("elsewhere")), "message_id"), qint64(1));

    // The picture of the room tells a newcomer where the counter is.
    QVERIFY(l.carol.enter(l.room));
    const QList<QJsonObject> pictures = framesOfType(l.carol, "room");
    QCOMPARE(num(pictures.last(), "last_message_id"), qint64(2));
    l.carol.send(chat(l.room, QStringLiteral("third")));
    QCOMPARE(num(waitForContent(l.alice, QStringLiteral("third")), "message_id"), qint64(3));
}

void RoomProtocolTest::burstArrivesInOrderAtEveryMember()
{
    ServerConfig c = localConfig();
    c.maxMessageRate = 0;
    Lobby l(c);
    QVERIFY(l.open());
    QVERIFY(l.carol.enter(l.room));

    constexpr int PerSender = 15;
    for (int i = 0; i < PerSender; ++i) {
        l.alice.send(chat(l.room, QStringLiteral("a%1").arg(i)));
        l.bob.send(chat(l.room, QStringLiteral("b%1").arg(i)));
    }

    QList<QJsonObject> reference;
    for (TestClient *member : {&l.alice, &l.bob, &l.carol}) {
        QVERIFY(QTest::qWaitFor(
            [member] { return framesOfType(*member, "message").size() >= 2 * PerSender; }, 10000));
        const QList<QJsonObject> got = framesOfType(*member, "message");
        QCOMPARE(got.size(), 2 * PerSender);
        int nextA = 0;
        int nextB = 0;
        for (int i = 0; i < got.size(); ++i) {
            QCOMPARE(num(got.at(i), "message_id"), qint64(i + 1));
            const QString content = str(got.at(i), "content");
            if (content.startsWith(QLatin1Char('a'))) {
                QCOMPARE(content, QStringLiteral("a%1").arg(nextA++));
                QCOMPARE(str(got.at(i), "user_id"), l.alice.userId());
            } else {
                QCOMPARE(content, QStringLiteral("b%1").arg(nextB++));
                QCOMPARE(str(got.at(i), "user_id"), l.bob.userId());
            }
        }
        if (reference.isEmpty())
            reference = got;
        else
            QCOMPARE(got, reference); // everyone sees the same sequence
    }
    QVERIFY(framesOfType(l.bob2, "message").isEmpty());
}

void RoomProtocolTest::contentLengthLimits()
{
    {
        Lobby l(localConfig()); // default: 4000 characters
        QVERIFY(l.open());
        const QString max = QString(4000, QLatin1Char('x'));
        l.bob.send(chat(l.room, max));
        QCOMPARE(num(waitForContent(l.alice, max), "message_id"), qint64(1));

        l.bob.send(chat(l.room, max + QLatin1Char('x')));
        EXPECT_ERROR(l.bob, "too_long", "message", l.room);

        // Characters, not UTF-16 units: 4000 emoji are 4000 characters.
        QString emoji;
        for (int i = 0; i < 4000; ++i)
            emoji += QString::fromUcs4(U"\U0001F600", 1);
        l.bob.send(chat(l.room, emoji));
        QCOMPARE(num(waitForContent(l.alice, emoji), "message_id"), qint64(2));
        l.bob.send(chat(l.room, emoji + QString::fromUcs4(U"\U0001F600", 1)));
        EXPECT_ERROR(l.bob, "too_long", "message", l.room);

        l.bob.send(chat(l.room, QStringLiteral("short")));
        QCOMPARE(num(waitForContent(l.alice, QStringLiteral("short")), "message_id"), qint64(3));
    }
    {
        ServerConfig c = localConfig();
        c.maxContent = 10;
        Lobby l(c);
        QVERIFY(l.open());
        l.bob.send(chat(l.room, QStringLiteral("0123456789")));
        QCOMPARE(num(waitForContent(l.alice, QStringLiteral("0123456789")), "message_id"),
                 qint64(1));
        l.bob.send(chat(l.room, QStringLiteral("0123456789A")));
        EXPECT_ERROR(l.bob, "too_long", "message", l.room);
        // Newlines and tabs are content, not control characters to refuse.
        l.bob.send(chat(l.room, QStringLiteral("a\nb\tc")));
        QCOMPARE(num(waitForContent(l.alice, QStringLiteral("a\nb\tc")), "message_id"), qint64(2));
    }
}

void RoomProtocolTest::readReceiptsAreRelayed()
{
    Lobby l(localConfig());
    QVERIFY(l.open());
    l.alice.send(chat(l.room, QStringLiteral("one")));
    QVERIFY(!waitForContent(l.bob, QStringLiteral("one")).isEmpty());

    // The seed's read carries no key; with room_id it names the room.
    l.bob.send(request("read", {{"room_id", l.room}, {"message_id", 1}}), false);
    for (TestClient *member : {&l.alice, &l.bob}) {
        const QJsonObject r = member->waitFor(QStringLiteral("read"));
        QVERIFY2(!r.isEmpty(), "read receipt not relayed");
        QCOMPARE(num(r, "message_id"), qint64(1));
        QCOMPARE(str(r, "user_id"), l.bob.userId());
        QCOMPARE(str(r, "room_id"), l.room);
    }
    QVERIFY(!l.carol.receivesWithin(QStringLiteral("read"), 100));

    // Without room_id while in exactly one room: that room.
    l.alice.send(chat(l.room, QStringLiteral("two")));
    QVERIFY(!waitForContent(l.bob, QStringLiteral("two")).isEmpty());
    l.bob.send(request("read", {{"message_id", 2}}));
    const QJsonObject implied = l.alice.waitFor(QStringLiteral("read"));
    QCOMPARE(num(implied, "message_id"), qint64(2));
    QCOMPARE(str(implied, "room_id"), l.room);

    // A read that carries a key must carry the right one.
    l.bob.send(request("read", {{"room_id", l.room}, {"message_id", 2}, {"key", l.carol.key()}}));
    EXPECT_ERROR(l.bob, "bad_key", "read", l.room);
    QVERIFY(!l.alice.receivesWithin(QStringLiteral("read"), 100));

    // In two rooms, room_id is needed.
    const QString second = l.alice.createRoom(QStringLiteral("second"));
    QVERIFY(!second.isEmpty());
    QVERIFY(l.bob.enter(second));
    l.bob.send(request("read", {{"message_id", 1}}));
    EXPECT_ERROR(l.bob, "missing_field", "read", NoRoomId());
    QVERIFY(!l.alice.receivesWithin(QStringLiteral("read"), 100));

    l.bob.send(request("read", {{"room_id", l.room}, {"message_id", 1}}));
    const QJsonObject explicitRoom = l.alice.waitFor(QStringLiteral("read"));
    QCOMPARE(str(explicitRoom, "room_id"), l.room);
    QCOMPARE(num(explicitRoom, "message_id"), qint64(1));
}

// ---------------------------------------------------------------------------------------
// invite

void RoomProtocolTest::inviteToOpenRoomByAnyMember()
{
    Lobby l(localConfig());
    QVERIFY(l.open());

    l.bob.send(request("invite", {{"room_id", l.room}, {"user_id", l.carol.userId()}}));
    const QJsonObject invite = l.carol.waitFor(QStringLiteral("invite"));
    QVERIFY2(!invite.isEmpty(), "a member's invitation to an open room did not arrive");
    QCOMPARE(str(invite, "user_id"), l.bob.userId()); // the inviter
    QCOMPARE(str(invite, "room_id"), l.room);
    QVERIFY(!l.bob.receivesWithin(QStringLiteral("error"), 100));
    QVERIFY(l.carol.enter(l.room));
    QVERIFY(
        !l.alice
             .waitFor(QStringLiteral("enter"),
                      [&](const QJsonObject &o) { return str(o, "user_id") == l.carol.userId(); })
             .isEmpty());

    l.bob.send(request("invite", {{"room_id", l.room}, {"user_id", newId()}}));
    EXPECT_ERROR(l.bob, "no_such_user", "invite", l.room);
    QVERIFY(answersPing(l.bob));
}

void RoomProtocolTest::inviteToClosedRoomByAdminsOnly()
{
    ChatServer server(localConfig());
    server.start();
    const quint16 port = server.port();
    TestClient alice;
    TestClient bob;
    TestClient carol;
    TestClient carol2;
    TestClient dave;
    QVERIFY(alice.open(port, QStringLiteral("name=alice")));
    QVERIFY(bob.open(port, QStringLiteral("name=bob")));
    QVERIFY(carol.open(port, QStringLiteral("name=carol")));
    QVERIFY(carol2.open(port, QStringLiteral("token=") + carol.token()));
    QVERIFY(dave.open(port, QStringLiteral("name=dave")));
    const QString secret = alice.createRoom(QStringLiteral("secret"), true);
    QVERIFY(!secret.isEmpty());

    // Not invited: refused.
    bob.send(request("enter", {{"room_id", secret}}));
    EXPECT_ERROR(bob, "room_closed", "enter", secret);

    alice.send(request("invite", {{"room_id", secret}, {"user_id", bob.userId()}}));
    QCOMPARE(str(bob.waitFor(QStringLiteral("invite")), "user_id"), alice.userId());
    QVERIFY(bob.enter(secret));

    // A member who is not an admin may not invite to a closed room.
    bob.send(request("invite", {{"room_id", secret}, {"user_id", carol.userId()}}));
    EXPECT_ERROR(bob, "forbidden", "invite", secret);
    QVERIFY(!carol.receivesWithin(QStringLiteral("invite"), 100));
    carol.send(request("enter", {{"room_id", secret}}));
    EXPECT_ERROR(carol, "room_closed", "enter", secret);

    // An admin may; the invitee gets it on every open connection.
    alice.send(request("invite", {{"room_id", secret}, {"user_id", carol.userId()}}));
    for (TestClient *connection : {&carol, &carol2}) {
        const QJsonObject invite = connection->waitFor(QStringLiteral("invite"));
        QVERIFY2(!invite.isEmpty(), "an open connection of the invitee missed the invitation");
        QCOMPARE(str(invite, "user_id"), alice.userId());
        QCOMPARE(str(invite, "room_id"), secret);
    }
    QVERIFY(carol2.enter(secret));
    QVERIFY(!bob.waitFor(QStringLiteral("enter"),
                         [&](const QJsonObject &o) { return str(o, "user_id") == carol.userId(); })
                 .isEmpty());

    // Not invited: still refused; nothing changed for the room.
    dave.send(request("enter", {{"room_id", secret}}));
    EXPECT_ERROR(dave, "room_closed", "enter", secret);
    QVERIFY(answersPing(dave));

    // The invitation was used: once out, carol needs a new one.
    carol2.send(request("exit", {{"room_id", secret}}));
    QCOMPARE(str(alice.waitFor(QStringLiteral("exit")), "user_id"), carol.userId());
    carol.send(request("enter", {{"room_id", secret}}));
    EXPECT_ERROR(carol, "room_closed", "enter", secret);

    // Admins need no invitation.
    alice.send(request("exit", {{"room_id", secret}}));
    QVERIFY(!waitInRoom(alice, "exit", secret).isEmpty());
    QVERIFY(alice.enter(secret));
}

// ---------------------------------------------------------------------------------------
// heartbeats

void RoomProtocolTest::clientPingGetsPong()
{
    ChatServer server(localConfig());
    server.start();
    TestClient client;
    QVERIFY(client.open(server.port()));
    const double times[] = {1700000000123.0, 0.0, 42.5};
    for (const double time : times) {
        client.send(request("ping", {{"time", time}}), false);
        const QJsonObject pong = client.waitFor(QStringLiteral("pong"));
        QVERIFY2(!pong.isEmpty(), "no pong");
        QCOMPARE(pong.value(QLatin1StringView("time")).toDouble(), time);
    }
    // The key is optional on heartbeats, but accepted when right.
    client.send(request("ping", {{"time", 7}}));
    QCOMPARE(num(client.waitFor(QStringLiteral("pong")), "time"), qint64(7));
}

void RoomProtocolTest::answeredServerPingsKeepConnection()
{
    ServerConfig c = localConfig();
    c.heartbeatIntervalMs = 200;
    ChatServer server(c);
    server.start();
    TestClient client;
    QVERIFY(client.open(server.port()));
    QCOMPARE(num(client.session(), "heartbeat_interval"), qint64(200));

    QElapsedTimer clock;
    clock.start();
    int answered = 0;
    while (clock.elapsed() < 5 * 200) {
        const QJsonObject ping = client.waitFor(QStringLiteral("ping"), {}, 100);
        if (ping.isEmpty())
            continue;
        QVERIFY(ping.value(QLatin1StringView("time")).isDouble());
        client.send(request("pong", {{"time", ping.value(QLatin1StringView("time"))}}), false);
        ++answered;
    }
    QVERIFY2(answered >= 3, qPrintable(QString::number(answered)));
    QVERIFY2(client.isConnected(), qPrintable(QString::number(client.closeCode())));
    QVERIFY(answersPing(client));
}

void RoomProtocolTest::unansweredServerPingsClose4009_data()
{
    QTest::addColumn<bool>("answerWrongTime");
    QTest::newRow("no pong") << false;
    QTest::newRow("pong with another time") << true;
}

void RoomProtocolTest::unansweredServerPingsClose4009()
{
    QFETCH(bool, answerWrongTime);
    ServerConfig c = localConfig();
    c.heartbeatIntervalMs = 200;
    ChatServer server(c);
    server.start();
    TestClient silent;
    TestClient other;
    QVERIFY(silent.open(server.port()));
    QVERIFY(other.open(server.port()));
    const QString room = other.createRoom(QStringLiteral("beat"));
    QVERIFY(silent.enter(room));

    QElapsedTimer clock;
    clock.start();
    const QJsonObject ping = silent.waitFor(QStringLiteral("ping"), {}, 2000);
    QVERIFY2(!ping.isEmpty(), "the server sent no ping");
    if (answerWrongTime)
        silent.send(
            request("pong", {{"time", ping.value(QLatin1StringView("time")).toDouble() + 1}}),
            false);
    // Keep 'other' alive meanwhile.
    QVERIFY(QTest::qWaitFor(
        [&] {
            const QJsonObject p = other.waitFor(QStringLiteral("ping"), {}, 0);
            if (!p.isEmpty())
                other.send(request("pong", {{"time", p.value(QLatin1StringView("time"))}}), false);
            return !silent.isConnected();
        },
        3000));
    QVERIFY(silent.waitForDisconnect());
    QCOMPARE(silent.closeCode(), 4009);
    QVERIFY2(clock.elapsed() >= 2 * 200, qPrintable(QString::number(clock.elapsed())));
    // The timed-out user has left the room ('other' consumed its frames above).
    QVERIFY(QTest::qWaitFor(
        [&] {
            const QList<QJsonObject> exits = framesOfType(other, "exit");
            return !exits.isEmpty() && str(exits.last(), "user_id") == silent.userId();
        },
        2000));
    QVERIFY(other.isConnected());
}

// ---------------------------------------------------------------------------------------
// 2.5 refusals

void RoomProtocolTest::refusedRequestChangesNothing_data()
{
    QTest::addColumn<QString>("sender"); // alice (room admin), bob (member), carol (outside)
    QTest::addColumn<QString>("text");   // with %PLACEHOLDERS%, see the test
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("ref");
    QTest::addColumn<QString>("roomId"); // "": none; "*": not checked; or a placeholder

    const auto row = [](const char *name, const char *sender, const char *text, const char *code,
                        const char *ref, const char *roomId) {
        QTest::newRow(name) << QString::fromUtf8(sender) << QString::fromUtf8(text)
                            << QString::fromUtf8(code) << QString::fromUtf8(ref)
                            << QString::fromUtf8(roomId);
    };

    // bad_json
    row("truncated JSON", "alice", R"({"type":"message","key":"%KEY%","room_id":"%ROOM%")",
        "bad_json", "", "");
    row("array, not object", "alice", R"(["message"])", "bad_json", "", "");
    row("JSON string", "alice", R"("hello")", "bad_json", "", "");
    row("JSON null", "alice", "null", "bad_json", "", "");
    row("empty frame", "alice", "", "bad_json", "", "");
    row("trailing garbage", "alice", R"({"type":"rooms","key":"%KEY%"} x)", "bad_json", "", "");
    row("single quotes", "alice", R"({'type':'rooms'})", "bad_json", "", "");
    row("not JSON at all", "carol", "hello there", "bad_json", "", "");

    // bad_type
    row("unknown type", "alice", R"({"type":"dance","key":"%KEY%"})", "bad_type", "dance", "");
    row("server-only type", "alice", R"({"type":"session","key":"%KEY%"})", "bad_type", "session",
        "");
    row("empty type", "alice", R"({"type":"","key":"%KEY%"})", "bad_type", "", "");
    row("type in capitals", "bob",
        R"({"type":"MESSAGE","key":"%KEY%","room_id":"%ROOM%","content":"x"})", "bad_type",
        "MESSAGE", "*");

    // missing_field
    row("no type", "alice", R"({"key":"%KEY%"})", "missing_field", "", "");
    row("message without content", "bob", R"({"type":"message","key":"%KEY%","room_id":"%ROOM%"})",
        "missing_field", "message", "%ROOM%");
    row("message without room_id", "bob", R"({"type":"message","key":"%KEY%","content":"x"})",
        "missing_field", "message", "");
    row("enter without room_id", "carol", R"({"type":"enter","key":"%KEY%"})", "missing_field",
        "enter", "");
    row("exit without room_id", "bob", R"({"type":"exit","key":"%KEY%"})", "missing_field", "exit",
        "");
    row("create without name", "alice", R"({"type":"create","key":"%KEY%"})", "missing_field",
        "create", "");
    row("ping without time", "bob", R"({"type":"ping"})", "missing_field", "ping", "");
    row("read without message_id", "bob", R"({"type":"read","room_id":"%ROOM%"})", "missing_field",
        "read", "%ROOM%");
    row("invite without user_id", "bob", R"({"type":"invite","key":"%KEY%","room_id":"%ROOM%"})",
        "missing_field", "invite", "%ROOM%");
    row("invite without room_id", "bob", R"({"type":"invite","key":"%KEY%","user_id":"%CAROL%"})",
        "missing_field", "invite", "");
    row("kick without user_id", "alice", R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%"})",
        "missing_field", "kick", "%ROOM%");
    row("unban without user_id", "alice", R"({"type":"unban","key":"%KEY%","room_id":"%ROOM%"})",
        "missing_field", "unban", "%ROOM%");
    row("admin without admin flag", "alice",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","user_id":"%BOB%"})", "missing_field",
        "admin", "%ROOM%");
    row("admin without user_id", "alice",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","admin":true})", "missing_field",
        "admin", "%ROOM%");
    row("update without room_id", "alice", R"({"type":"update","key":"%KEY%","name":"x"})",
        "missing_field", "update", "");
    row("close without room_id", "alice", R"({"type":"close","key":"%KEY%"})", "missing_field",
        "close", "");

    // bad_field
    row("type is a number", "alice", R"({"type":5,"key":"%KEY%"})", "bad_field", "", "");
    row("room_id not a UUID", "carol", R"({"type":"enter","key":"%KEY%","room_id":"lobby"})",
        "bad_field", "enter", "*");
    row("room_id in braces", "carol", R"({"type":"enter","key":"%KEY%","room_id":"{%ROOM%}"})",
        "bad_field", "enter", "*");
    row("room_id is a number", "carol", R"({"type":"enter","key":"%KEY%","room_id":42})",
        "bad_field", "enter", "*");
    row("content is a number", "bob",
        R"({"type":"message","key":"%KEY%","room_id":"%ROOM%","content":7})", "bad_field",
        "message", "%ROOM%");
    row("empty content", "bob",
        R"({"type":"message","key":"%KEY%","room_id":"%ROOM%","content":""})", "bad_field",
        "message", "%ROOM%");
    row("control character in content", "bob",
        R"({"type":"message","key":"%KEY%","room_id":"%ROOM%","content":"a\u0007b"})", "bad_field",
        "message", "%ROOM%");
    row("closed is a string", "alice",
        R"({"type":"create","key":"%KEY%","name":"x","closed":"yes"})", "bad_field", "create", "");
    row("name is a number", "alice", R"({"type":"create","key":"%KEY%","name":12})", "bad_field",
        "create", "");
    row("empty room name", "alice", R"({"type":"create","key":"%KEY%","name":""})", "bad_field",
        "create", "");
    row("blank room name", "alice", R"({"type":"create","key":"%KEY%","name":"   "})", "bad_field",
        "create", "");
    row("message_id zero", "bob", R"({"type":"read","room_id":"%ROOM%","message_id":0})",
        "bad_field", "read", "%ROOM%");
    row("message_id negative", "bob", R"({"type":"read","room_id":"%ROOM%","message_id":-3})",
        "bad_field", "read", "%ROOM%");
    row("message_id fraction", "bob", R"({"type":"read","room_id":"%ROOM%","message_id":1.5})",
        "bad_field", "read", "%ROOM%");
    row("message_id string", "bob", R"({"type":"read","room_id":"%ROOM%","message_id":"1"})",
        "bad_field", "read", "%ROOM%");
    row("message_id not sent yet", "bob", R"({"type":"read","room_id":"%ROOM%","message_id":1})",
        "bad_field", "read", "%ROOM%");
    row("max_participants negative", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","max_participants":-1})", "bad_field",
        "update", "%ROOM%");
    row("max_participants fraction", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","max_participants":2.5})", "bad_field",
        "update", "%ROOM%");
    row("max_participants string", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","max_participants":"3"})", "bad_field",
        "update", "%ROOM%");
    row("chat_locked is a string", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","chat_locked":"yes"})", "bad_field",
        "update", "%ROOM%");
    row("webhook not http", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","webhook":"ftp://example.com/x"})",
        "bad_field", "update", "%ROOM%");
    row("webhook not a URL", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","webhook":"not a url"})", "bad_field",
        "update", "%ROOM%");
    row("update mixes good and bad fields", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","chat_locked":true,"max_participants":-5})",
        "bad_field", "update", "%ROOM%");
    row("admin flag is a string", "alice",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","user_id":"%BOB%","admin":"yes"})",
        "bad_field", "admin", "%ROOM%");
    row("permanent is a string", "alice",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%BOB%","permanent":"yes"})",
        "bad_field", "kick", "%ROOM%");
    row("user_id not a UUID", "bob",
        R"({"type":"invite","key":"%KEY%","room_id":"%ROOM%","user_id":"carol"})", "bad_field",
        "invite", "%ROOM%");
    row("time is a string", "bob", R"({"type":"ping","time":"soon"})", "bad_field", "ping", "");

    // bad_key
    row("wrong key", "bob",
        R"({"type":"message","key":"AAAAAAAAAAAAAAAAAAAAAA","room_id":"%ROOM%","content":"x"})",
        "bad_key", "message", "%ROOM%");
    row("missing key", "bob", R"({"type":"message","room_id":"%ROOM%","content":"x"})", "bad_key",
        "message", "%ROOM%");
    row("key of another user", "bob",
        R"({"type":"message","key":"%CAROLKEY%","room_id":"%ROOM%","content":"x"})", "bad_key",
        "message", "%ROOM%");
    row("key of own other connection", "bob",
        R"({"type":"message","key":"%TWINKEY%","room_id":"%ROOM%","content":"x"})", "bad_key",
        "message", "%ROOM%");
    row("key is a number", "bob",
        R"({"type":"message","key":12345,"room_id":"%ROOM%","content":"x"})", "bad_key", "message",
        "%ROOM%");
    row("empty key", "bob", R"({"type":"message","key":"","room_id":"%ROOM%","content":"x"})",
        "bad_key", "message", "%ROOM%");
    row("key with extra character", "bob",
        R"({"type":"message","key":"%KEY%x","room_id":"%ROOM%","content":"x"})", "bad_key",
        "message", "%ROOM%");
    row("rooms without key", "carol", R"({"type":"rooms"})", "bad_key", "rooms", "");
    row("create with another key", "alice",
        R"({"type":"create","key":"%CAROLKEY%","name":"sneaky"})", "bad_key", "create", "");
    row("enter with another key", "carol",
        R"({"type":"enter","key":"%ALICEKEY%","room_id":"%ROOM%"})", "bad_key", "enter", "%ROOM%");
    row("exit without key", "bob", R"({"type":"exit","room_id":"%ROOM%"})", "bad_key", "exit",
        "%ROOM%");
    row("kick with the victim's key", "alice",
        R"({"type":"kick","key":"%BOBKEY%","room_id":"%ROOM%","user_id":"%BOB%"})", "bad_key",
        "kick", "%ROOM%");
    row("update with another key", "alice",
        R"({"type":"update","key":"%BOBKEY%","room_id":"%ROOM%","closed":true})", "bad_key",
        "update", "%ROOM%");
    row("admin without key", "alice",
        R"({"type":"admin","room_id":"%ROOM%","user_id":"%BOB%","admin":true})", "bad_key", "admin",
        "%ROOM%");
    row("close with another key", "alice",
        R"({"type":"close","key":"%BOBKEY%","room_id":"%ROOM%"})", "bad_key", "close", "%ROOM%");
    row("invite without key", "bob", R"({"type":"invite","room_id":"%ROOM%","user_id":"%CAROL%"})",
        "bad_key", "invite", "%ROOM%");

    // no_such_room
    row("enter unknown room", "carol", R"({"type":"enter","key":"%KEY%","room_id":"%NOROOM%"})",
        "no_such_room", "enter", "%NOROOM%");
    row("exit unknown room", "bob", R"({"type":"exit","key":"%KEY%","room_id":"%NOROOM%"})",
        "no_such_room", "exit", "%NOROOM%");
    row("message to unknown room", "bob",
        R"({"type":"message","key":"%KEY%","room_id":"%NOROOM%","content":"x"})", "no_such_room",
        "message", "%NOROOM%");
    row("read in unknown room", "bob", R"({"type":"read","room_id":"%NOROOM%","message_id":1})",
        "no_such_room", "read", "%NOROOM%");
    row("invite to unknown room", "bob",
        R"({"type":"invite","key":"%KEY%","room_id":"%NOROOM%","user_id":"%CAROL%"})",
        "no_such_room", "invite", "%NOROOM%");
    row("kick in unknown room", "alice",
        R"({"type":"kick","key":"%KEY%","room_id":"%NOROOM%","user_id":"%BOB%"})", "no_such_room",
        "kick", "%NOROOM%");
    row("unban in unknown room", "alice",
        R"({"type":"unban","key":"%KEY%","room_id":"%NOROOM%","user_id":"%BOB%"})", "no_such_room",
        "unban", "%NOROOM%");
    row("update unknown room", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%NOROOM%","name":"x"})", "no_such_room",
        "update", "%NOROOM%");
    row("admin in unknown room", "alice",
        R"({"type":"admin","key":"%KEY%","room_id":"%NOROOM%","user_id":"%BOB%","admin":true})",
        "no_such_room", "admin", "%NOROOM%");
    row("close unknown room", "alice", R"({"type":"close","key":"%KEY%","room_id":"%NOROOM%"})",
        "no_such_room", "close", "%NOROOM%");

    // no_such_user
    row("invite unknown user", "bob",
        R"({"type":"invite","key":"%KEY%","room_id":"%ROOM%","user_id":"%NOUSER%"})",
        "no_such_user", "invite", "%ROOM%");
    row("ban unknown user", "alice",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%NOUSER%","permanent":true})",
        "no_such_user", "kick", "%ROOM%");
    row("grant admin to unknown user", "alice",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","user_id":"%NOUSER%","admin":true})",
        "no_such_user", "admin", "%ROOM%");

    // not_member
    row("message from outside", "carol",
        R"({"type":"message","key":"%KEY%","room_id":"%ROOM%","content":"x"})", "not_member",
        "message", "%ROOM%");
    row("message from the other connection", "bob2",
        R"({"type":"message","key":"%KEY%","room_id":"%ROOM%","content":"x"})", "not_member",
        "message", "%ROOM%");
    row("exit from outside", "carol", R"({"type":"exit","key":"%KEY%","room_id":"%ROOM%"})",
        "not_member", "exit", "%ROOM%");
    row("invite from outside", "carol",
        R"({"type":"invite","key":"%KEY%","room_id":"%ROOM%","user_id":"%ALICE%"})", "not_member",
        "invite", "%ROOM%");
    row("kick someone outside", "alice",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%CAROL%"})", "not_member",
        "kick", "%ROOM%");

    // forbidden
    row("member kicks", "bob",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%ALICE%"})", "forbidden",
        "kick", "%ROOM%");
    row("member bans", "bob",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%CAROL%","permanent":true})",
        "forbidden", "kick", "%ROOM%");
    row("member updates", "bob",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","chat_locked":true})", "forbidden",
        "update", "%ROOM%");
    row("member grants itself admin", "bob",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","user_id":"%BOB%","admin":true})",
        "forbidden", "admin", "%ROOM%");
    row("member demotes the creator", "bob",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","user_id":"%ALICE%","admin":false})",
        "forbidden", "admin", "%ROOM%");
    row("member unbans", "bob",
        R"({"type":"unban","key":"%KEY%","room_id":"%ROOM%","user_id":"%CAROL%"})", "forbidden",
        "unban", "%ROOM%");
    row("member closes", "bob", R"({"type":"close","key":"%KEY%","room_id":"%ROOM%"})", "forbidden",
        "close", "%ROOM%");
    row("outsider closes", "carol", R"({"type":"close","key":"%KEY%","room_id":"%ROOM%"})",
        "forbidden", "close", "%ROOM%");
    row("creator kicks itself", "alice",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%ALICE%"})", "forbidden",
        "kick", "%ROOM%");
    row("creator bans itself", "alice",
        R"({"type":"kick","key":"%KEY%","room_id":"%ROOM%","user_id":"%ALICE%","permanent":true})",
        "forbidden", "kick", "%ROOM%");
    row("creator demotes itself", "alice",
        R"({"type":"admin","key":"%KEY%","room_id":"%ROOM%","user_id":"%ALICE%","admin":false})",
        "forbidden", "admin", "%ROOM%");

    // too_long
    row("content of 4001 characters", "bob",
        R"({"type":"message","key":"%KEY%","room_id":"%ROOM%","content":"%LONG4001%"})", "too_long",
        "message", "%ROOM%");
    row("room name of 65 characters", "alice",
        R"({"type":"create","key":"%KEY%","name":"%LONG65%"})", "too_long", "create", "");
    row("new room name of 65 characters", "alice",
        R"({"type":"update","key":"%KEY%","room_id":"%ROOM%","name":"%LONG65%"})", "too_long",
        "update", "%ROOM%");
}

// Every refused request is answered with the right error on a connection that stays up,
// and nothing changes: the room list is the same, nobody gets any event, and the next
// message gets message_id 1.
void RoomProtocolTest::refusedRequestChangesNothing()
{
    QFETCH(QString, sender);
    QFETCH(QString, text);
    QFETCH(QString, code);
    QFETCH(QString, ref);
    QFETCH(QString, roomId);

    ServerConfig c = localConfig();
    c.maxMessageRate = 0;
    // One server and its connections serve every row (opening them costs more than the
    // row itself); each row gets a room of its own and starts with nothing pending.
    if (!m_shared) {
        m_shared = std::make_unique<Lobby>(c);
        QVERIFY(m_shared->connect());
    }
    Lobby &l = *m_shared;
    static int rows = 0;
    QVERIFY(l.newRoom(QStringLiteral("row %1").arg(++rows)));
    const QHash<QString, TestClient *> clients{{QStringLiteral("alice"), &l.alice},
                                               {QStringLiteral("bob"), &l.bob},
                                               {QStringLiteral("bob2"), &l.bob2},
                                               {QStringLiteral("carol"), &l.carol}};
    TestClient *from = clients.value(sender);
    QVERIFY(from);

    const QString noRoom = newId();
    const auto fill = [&](QString s) {
        return s.replace(QLatin1StringView("%NOROOM%"), noRoom)
            .replace(QLatin1StringView("%ROOM%"), l.room)
            .replace(QLatin1StringView("%NOUSER%"), newId())
            .replace(QLatin1StringView("%ALICEKEY%"), l.alice.key())
            .replace(QLatin1StringView("%BOBKEY%"), l.bob.key())
            .replace(QLatin1StringView("%CAROLKEY%"), l.carol.key())
            .replace(QLatin1StringView("%TWINKEY%"), l.bob2.key())
            .replace(QLatin1StringView("%KEY%"), from->key())
            .replace(QLatin1StringView("%ALICE%"), l.alice.userId())
            .replace(QLatin1StringView("%BOB%"), l.bob.userId())
            .replace(QLatin1StringView("%CAROL%"), l.carol.userId())
            .replace(QLatin1StringView("%LONG4001%"), QString(4001, QLatin1Char('x')))
            .replace(QLatin1StringView("%LONG65%"), QString(65, QLatin1Char('r')));
    };

    const QJsonObject roomsBefore = roomList(l.alice);
    QVERIFY(!roomsBefore.isEmpty());
    QHash<TestClient *, qsizetype> seen;
    for (TestClient *client : clients) {
        drain(*client);
        seen.insert(client, client->frames().size());
    }

    from->sendText(fill(text));
    const QString why = checkError(*from, code, ref, fill(roomId));
    QVERIFY2(why.isEmpty(), qPrintable(why));

    // The connection stays up and the state is unchanged.
    QVERIFY2(from->isConnected(), qPrintable(QString::number(from->closeCode())));
    QVERIFY(answersPing(*from));
    QCOMPARE(roomList(l.alice).value(QLatin1StringView("rooms")),
             roomsBefore.value(QLatin1StringView("rooms")));
    l.alice.send(chat(l.room, QStringLiteral("still here")));
    for (TestClient *member : {&l.alice, &l.bob}) {
        const QJsonObject m = waitForContent(*member, QStringLiteral("still here"));
        QVERIFY2(!m.isEmpty(), "a member is no longer in the room");
        QCOMPARE(num(m, "message_id"), qint64(1));
    }
    QVERIFY(answersPing(l.carol));
    QVERIFY(answersPing(l.bob2));
    static const QSet<QString> harmless{QStringLiteral("error"), QStringLiteral("pong"),
                                        QStringLiteral("rooms"), QStringLiteral("message")};
    for (TestClient *client : clients) {
        const QList<QJsonObject> frames = client->frames();
        for (qsizetype i = seen.value(client); i < frames.size(); ++i) {
            QVERIFY2(
                harmless.contains(str(frames.at(i), "type")),
                qPrintable(clients.key(client) + QStringLiteral(" got ") + compact(frames.at(i))));
        }
    }
    // Exactly one error, to the sender only.
    for (TestClient *client : clients) {
        qsizetype errors = 0;
        const QList<QJsonObject> frames = client->frames();
        for (qsizetype i = seen.value(client); i < frames.size(); ++i)
            errors += str(frames.at(i), "type") == QLatin1StringView("error") ? 1 : 0;
        QCOMPARE(errors, client == from ? 1 : 0);
    }
    l.alice.send(request("close", {{"room_id", l.room}}));
    QVERIFY(!waitInRoom(l.alice, "room_closed", l.room).isEmpty());
}

void RoomProtocolTest::binaryFrameIsBadJson()
{
    Lobby l(localConfig());
    QVERIFY(l.open());
    l.bob.socket().sendBinaryMessage(QByteArrayLiteral(R"({"type":"rooms"})"));
    EXPECT_ERROR(l.bob, "bad_json", "", NoRoomId());
    l.bob.socket().sendBinaryMessage(QByteArray("\x00\xff\x10", 3));
    EXPECT_ERROR(l.bob, "bad_json", "", NoRoomId());
    QVERIFY(l.bob.isConnected());
    l.bob.send(chat(l.room, QStringLiteral("after binary")));
    QCOMPARE(num(waitForContent(l.alice, QStringLiteral("after binary")), "message_id"), qint64(1));
}

void RoomProtocolTest::roomNameLengthLimits()
{
    ChatServer server(localConfig());
    server.start();
    TestClient alice;
    QVERIFY(alice.open(server.port()));
    const QString max = QString(64, QLatin1Char('r'));
    const QString room = alice.createRoom(max);
    QVERIFY2(!room.isEmpty(), "a 64-character room name was refused");
    const QString wide = QString(64, QChar(0x00E9));
    QVERIFY2(!alice.createRoom(wide).isEmpty(), "64 non-ASCII characters were refused");

    const QString tooLong = max + QLatin1Char('r');
    alice.send(request("create", {{"name", tooLong}}));
    EXPECT_ERROR(alice, "too_long", "create", NoRoomId());
    alice.send(request("update", {{"room_id", room}, {"name", tooLong}}));
    EXPECT_ERROR(alice, "too_long", "update", room);
    alice.send(request("update", {{"room_id", room}, {"name", QStringLiteral("short")}}));
    QVERIFY(!alice
                 .waitFor(QStringLiteral("room"),
                          [](const QJsonObject &o) {
                              return str(o, "name") == QLatin1StringView("short");
                          })
                 .isEmpty());
    QCOMPARE(roomList(alice).value(QLatin1StringView("rooms")).toArray().size(), 2);
}

void RoomProtocolTest::hostileInputKeepsServerAlive()
{
    ServerConfig c = localConfig();
    c.maxMessageRate = 0;
    Lobby l(c);
    QVERIFY(l.open());
    const QString key = l.alice.key();

    // Nesting past QJsonDocument's limit, alone and inside a request.
    l.alice.sendText(QString(1025, QLatin1Char('[')) + QString(1025, QLatin1Char(']')));
    EXPECT_ERROR(l.alice, "bad_json", "", NoRoomId());
    l.alice.sendText(QStringLiteral(R"({"type":"rooms","key":"%1","x":)").arg(key) +
                     QString(1025, QLatin1Char('[')) + QString(1025, QLatin1Char(']')) +
                     QLatin1Char('}'));
    EXPECT_ERROR(l.alice, "bad_json", "", NoRoomId());
    l.alice.sendText(QString(5000, QLatin1Char('{')));
    EXPECT_ERROR(l.alice, "bad_json", "", NoRoomId());

    // A number out of double range: the document or the field is refused.
    l.bob.sendText(
        QStringLiteral(R"({"type":"read","room_id":"%1","message_id":1e400})").arg(l.room));
    const QJsonObject huge = l.bob.waitForError();
    QVERIFY2(str(huge, "code") == QLatin1StringView("bad_json") ||
                 str(huge, "code") == QLatin1StringView("bad_field"),
             qPrintable(compact(huge)));

    // Integers past 2^53 are not exact: refused, not rounded to something valid.
    const char *bigIds[] = {"9007199254740993", "18446744073709551616", "1e300", "-1e300"};
    for (const char *big : bigIds) {
        l.bob.sendText(QStringLiteral(R"({"type":"read","room_id":"%1","message_id":%2})")
                           .arg(l.room, QString::fromLatin1(big)));
        EXPECT_ERROR(l.bob, "bad_field", "read", l.room);
        l.alice.sendText(
            QStringLiteral(R"({"type":"update","key":"%1","room_id":"%2","max_participants":%3})")
                .arg(key, l.room, QString::fromLatin1(big)));
        EXPECT_ERROR(l.alice, "bad_field", "update", l.room);
    }

    // Names with NUL, U+202E or a lone surrogate are refused.
    const char *names[] = {R"(a\u0000b)", R"(\u202Eevil)", R"(half\ud800)", R"(\udc00)",
                           R"(line\u2028break)"};
    for (const char *name : names) {
        l.alice.sendText(QStringLiteral(R"({"type":"create","key":"%1","name":"%2"})")
                             .arg(key, QString::fromLatin1(name)));
        EXPECT_ERROR(l.alice, "bad_field", "create", NoRoomId());
        l.alice.sendText(
            QStringLiteral(R"({"type":"update","key":"%1","room_id":"%2","name":"%3"})")
                .arg(key, l.room, QString::fromLatin1(name)));
        EXPECT_ERROR(l.alice, "bad_field", "update", l.room);
    }
    // NUL in message content is a control character too.
    l.bob.sendText(
        QStringLiteral(R"({"type":"message","key":"%1","room_id":"%2","content":"a\u0000"})")
            .arg(l.bob.key(), l.room));
    EXPECT_ERROR(l.bob, "bad_field", "message", l.room);

    // A huge unknown type and duplicate keys do not confuse the server.
    l.carol.sendText(QStringLiteral(R"({"type":"%1"})").arg(QString(10000, QLatin1Char('t'))));
    QCOMPARE(str(l.carol.waitForError(), "code"), QStringLiteral("bad_type"));
    l.carol.sendText(
        QStringLiteral(R"({"type":"rooms","type":"dance","key":"%1"})").arg(l.carol.key()));
    QVERIFY(!l.carol.waitForError().isEmpty());

    // Everything is still up and unchanged; normal requests work.
    for (TestClient *client : {&l.alice, &l.bob, &l.carol})
        QVERIFY(client->isConnected());
    const QJsonObject rooms = roomList(l.carol);
    QCOMPARE(rooms.value(QLatin1StringView("rooms")).toArray().size(), 1);
    QCOMPARE(str(listedRoom(rooms, l.room), "name"), QStringLiteral("lobby"));
    QCOMPARE(num(listedRoom(rooms, l.room), "max_participants"), qint64(0));
    l.bob.send(chat(l.room, QStringLiteral("survived")));
    QCOMPARE(num(waitForContent(l.alice, QStringLiteral("survived")), "message_id"), qint64(1));
    QVERIFY(!l.carol.createRoom(QStringLiteral("after the storm")).isEmpty());
    TestClient late;
    QVERIFY(late.open(l.server.port()));
}

ROOMKEEPER_SERVER_TEST_MAIN(RoomProtocolTest)
#include "tst_roomprotocol.moc"

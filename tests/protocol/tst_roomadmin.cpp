// Admin requests of the room protocol (PROTOCOL.md §2.2–2.4) over real sockets: kick,
// ban, unban, update, admin grant/revoke with the rank rules, and close.

#include "protocoltest.h"
#include "servertestmain.h"
#include "testclient.h"

#include "server/chatserver.h"

#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QJsonObject chat(const QString &roomId, const QString &content)
{
    return request("message", {{"room_id", roomId}, {"content", content}});
}

QJsonObject kick(const QString &roomId, const QString &userId, bool permanent = false,
                 const QString &message = QString())
{
    QJsonObject r = request("kick", {{"room_id", roomId}, {"user_id", userId}});
    if (permanent)
        r.insert(QStringLiteral("permanent"), true);
    if (!message.isEmpty())
        r.insert(QStringLiteral("message"), message);
    return r;
}

QJsonObject setAdmin(const QString &roomId, const QString &userId, bool admin)
{
    return request("admin", {{"room_id", roomId}, {"user_id", userId}, {"admin", admin}});
}

QJsonObject update(const QString &roomId, const char *field, const QJsonValue &value)
{
    return request("update", {{"room_id", roomId}, {field, value}});
}

QJsonObject enter(const QString &roomId)
{
    return request("enter", {{"room_id", roomId}});
}

// Waits for a 'room' picture of 'roomId' that satisfies 'match'.
QJsonObject waitForPicture(TestClient &client, const QString &roomId,
                           const std::function<bool(const QJsonObject &)> &match)
{
    return client.waitFor(QStringLiteral("room"), [&](const QJsonObject &o) {
        return str(o, "room_id") == roomId && match(o);
    });
}

bool isAdminIn(const QJsonObject &picture, const QString &userId)
{
    return participant(picture, userId).value(QLatin1StringView("admin")).toBool();
}

// alice created "hall"; bob and carol are in it; dave and eve are connected outside.
struct Party
{
    Party() : server(config()) {}

    static ServerConfig config()
    {
        ServerConfig c = localConfig();
        c.maxMessageRate = 0;
        return c;
    }

    bool open()
    {
        server.start();
        port = server.port();
        if (!alice.open(port, QStringLiteral("name=alice")) ||
            !bob.open(port, QStringLiteral("name=bob")) ||
            !carol.open(port, QStringLiteral("name=carol")) ||
            !dave.open(port, QStringLiteral("name=dave")) ||
            !eve.open(port, QStringLiteral("name=eve")))
            return false;
        room = alice.createRoom(QStringLiteral("hall"));
        return !room.isEmpty() && bob.enter(room) && carol.enter(room) &&
               waitForEnter(alice, carol) && waitForEnter(bob, carol);
    }

    // Waits until 'member' has seen 'who' enter the room.
    bool waitForEnter(TestClient &member, const TestClient &who)
    {
        return !member
                    .waitFor(QStringLiteral("enter"),
                             [&](const QJsonObject &o) {
                                 return str(o, "user_id") == who.userId() &&
                                        str(o, "room_id") == room;
                             })
                    .isEmpty();
    }

    // Waits until 'member' has seen 'who' leave the room; returns the exit frame.
    QJsonObject waitForExit(TestClient &member, const TestClient &who)
    {
        return member.waitFor(QStringLiteral("exit"), [&](const QJsonObject &o) {
            return str(o, "user_id") == who.userId() && str(o, "room_id") == room;
        });
    }

    int participants(TestClient &asker)
    {
        return int(num(listedRoom(roomList(asker), room), "participants"));
    }

    ChatServer server;
    quint16 port = 0;
    TestClient alice;
    TestClient bob;
    TestClient carol;
    TestClient dave;
    TestClient eve;
    QString room;
};

} // namespace

class RoomAdminTest : public QObject
{
    Q_OBJECT

private slots:
    void kickRemovesFromRoom();
    void banKeepsUserOutOnEveryConnection();
    void banOfAbsentUser();
    void unbanLetsUserBackIn();
    void bannedAdminCannotLiftOwnBan();
    void chatLockedBlocksMembers();
    void maxParticipantsFillsRoom();
    void closedSettingNeedsInvitation();
    void settingChangeReachesEveryMember();
    void webhookOnlyInAdminPictures();
    void grantAndRevokeAdmin();
    void rankRules_data();
    void rankRules();
    void closeRoom();
    void refusedLongReasonNamesRoom_data();
    void refusedLongReasonNamesRoom();
};

void RoomAdminTest::kickRemovesFromRoom()
{
    Party p;
    QVERIFY(p.open());

    p.alice.send(kick(p.room, p.bob.userId(), false, QStringLiteral("behave")));
    const QJsonObject kicked = waitInRoom(p.bob, "kick", p.room);
    QVERIFY2(!kicked.isEmpty(), "the kicked user got no 'kick'");
    QCOMPARE(str(kicked, "message"), QStringLiteral("behave"));
    QCOMPARE(kicked.value(QLatin1StringView("permanent")), QJsonValue(false));
    for (TestClient *member : {&p.alice, &p.carol}) {
        const QJsonObject exit = p.waitForExit(*member, p.bob);
        QVERIFY2(!exit.isEmpty(), "a member did not see the kicked user go");
        QCOMPARE(str(exit, "reason"), QStringLiteral("kick"));
    }
    QVERIFY(!p.alice.receivesWithin(QStringLiteral("error"), 50));

    // Out of the room: hears nothing, may not send; the connection itself stays up.
    p.alice.send(chat(p.room, QStringLiteral("without bob")));
    QVERIFY(!waitForContent(p.carol, QStringLiteral("without bob")).isEmpty());
    QVERIFY(!p.bob.receivesWithin(QStringLiteral("message"), 100));
    QVERIFY(p.bob.isConnected());
    p.bob.send(chat(p.room, QStringLiteral("still here?")));
    EXPECT_ERROR(p.bob, "not_member", "message", p.room);
    QCOMPARE(p.participants(p.dave), 2);

    // A kick is not a ban: bob may come back.
    QVERIFY(p.bob.enter(p.room));
    QVERIFY(p.waitForEnter(p.carol, p.bob));
    QCOMPARE(p.participants(p.dave), 3);
}

void RoomAdminTest::banKeepsUserOutOnEveryConnection()
{
    Party p;
    QVERIFY(p.open());
    TestClient bob2;
    QVERIFY(bob2.open(p.port, QStringLiteral("token=") + p.bob.token()));
    QVERIFY(bob2.enter(p.room));

    p.alice.send(kick(p.room, p.bob.userId(), true, QStringLiteral("gone")));
    for (TestClient *connection : {&p.bob, &bob2}) {
        const QJsonObject kicked = waitInRoom(*connection, "kick", p.room);
        QVERIFY2(!kicked.isEmpty(), "a connection of the banned user got no 'kick'");
        QCOMPARE(kicked.value(QLatin1StringView("permanent")), QJsonValue(true));
        QCOMPARE(str(kicked, "message"), QStringLiteral("gone"));
    }
    for (TestClient *member : {&p.alice, &p.carol})
        QCOMPARE(str(p.waitForExit(*member, p.bob), "reason"), QStringLiteral("ban"));

    // Both connections are out at once.
    bob2.send(chat(p.room, QStringLiteral("from the second connection")));
    EXPECT_ERROR(bob2, "not_member", "message", p.room);
    p.alice.send(chat(p.room, QStringLiteral("after the ban")));
    QVERIFY(!waitForContent(p.carol, QStringLiteral("after the ban")).isEmpty());
    QVERIFY(!bob2.receivesWithin(QStringLiteral("message"), 100));
    QVERIFY(framesOfType(p.bob, "message").isEmpty());

    // Entering is refused, on old and new connections alike.
    p.bob.send(enter(p.room));
    EXPECT_ERROR(p.bob, "banned", "enter", p.room);
    TestClient bob3;
    QVERIFY(bob3.open(p.port, QStringLiteral("token=") + p.bob.token()));
    QCOMPARE(bob3.userId(), p.bob.userId());
    bob3.send(enter(p.room));
    EXPECT_ERROR(bob3, "banned", "enter", p.room);
    QCOMPARE(p.participants(p.dave), 2);

    // Not even an invitation to the room, once closed, lets a banned user in.
    p.alice.send(update(p.room, "closed", true));
    QVERIFY(!waitForPicture(p.alice, p.room, [](const QJsonObject &o) {
                 return o.value(QLatin1StringView("closed")).toBool();
             }).isEmpty());
    p.alice.send(request("invite", {{"room_id", p.room}, {"user_id", p.bob.userId()}}));
    QVERIFY(answersPing(p.alice));
    bob3.send(enter(p.room));
    EXPECT_ERROR(bob3, "banned", "enter", p.room);
    QVERIFY(bob3.isConnected());
}

void RoomAdminTest::banOfAbsentUser()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(kick(p.room, p.dave.userId(), true));
    QVERIFY(answersPing(p.alice));
    QVERIFY(framesOfType(p.alice, "error").isEmpty());
    p.dave.send(enter(p.room));
    EXPECT_ERROR(p.dave, "banned", "enter", p.room);
    QCOMPARE(p.participants(p.eve), 3);
}

void RoomAdminTest::unbanLetsUserBackIn()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(kick(p.room, p.bob.userId(), true));
    QVERIFY(!waitInRoom(p.bob, "kick", p.room).isEmpty());
    p.bob.send(enter(p.room));
    EXPECT_ERROR(p.bob, "banned", "enter", p.room);

    // Only admins may unban.
    p.carol.send(request("unban", {{"room_id", p.room}, {"user_id", p.bob.userId()}}));
    EXPECT_ERROR(p.carol, "forbidden", "unban", p.room);
    p.bob.send(enter(p.room));
    EXPECT_ERROR(p.bob, "banned", "enter", p.room);

    p.alice.send(request("unban", {{"room_id", p.room}, {"user_id", p.bob.userId()}}));
    QVERIFY(answersPing(p.alice));
    QVERIFY(framesOfType(p.alice, "error").isEmpty());
    QVERIFY(p.bob.enter(p.room));
    QVERIFY(p.waitForEnter(p.carol, p.bob));
    p.bob.send(chat(p.room, QStringLiteral("back")));
    QCOMPARE(num(waitForContent(p.alice, QStringLiteral("back")), "message_id"), qint64(1));
}

// A ban keeps the user out: an admin banned by the creator cannot undo it by itself.
void RoomAdminTest::bannedAdminCannotLiftOwnBan()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(setAdmin(p.room, p.bob.userId(), true));
    QVERIFY(!waitForPicture(p.bob, p.room, [&](const QJsonObject &o) {
                 return isAdminIn(o, p.bob.userId());
             }).isEmpty());
    p.alice.send(kick(p.room, p.bob.userId(), true));
    QVERIFY(!waitInRoom(p.bob, "kick", p.room).isEmpty());

    p.bob.send(request("unban", {{"room_id", p.room}, {"user_id", p.bob.userId()}}));
    EXPECT_ERROR(p.bob, "forbidden", "unban", p.room);
    p.bob.send(enter(p.room));
    EXPECT_ERROR(p.bob, "banned", "enter", p.room);
    QCOMPARE(p.participants(p.dave), 2);
}

void RoomAdminTest::chatLockedBlocksMembers()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(update(p.room, "chat_locked", true));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol}) {
        const QJsonObject picture = waitInRoom(*member, "room", p.room);
        QVERIFY2(!picture.isEmpty(), "a member got no picture after the change");
        QCOMPARE(picture.value(QLatin1StringView("chat_locked")), QJsonValue(true));
    }
    QCOMPARE(listedRoom(roomList(p.dave), p.room).value(QLatin1StringView("chat_locked")),
             QJsonValue(true));

    p.bob.send(chat(p.room, QStringLiteral("muted")));
    EXPECT_ERROR(p.bob, "chat_locked", "message", p.room);
    QVERIFY(p.bob.isConnected());
    p.alice.send(chat(p.room, QStringLiteral("admins speak")));
    QCOMPARE(num(waitForContent(p.bob, QStringLiteral("admins speak")), "message_id"), qint64(1));

    // An admin is not locked out.
    p.alice.send(setAdmin(p.room, p.bob.userId(), true));
    QVERIFY(!waitForPicture(p.bob, p.room, [&](const QJsonObject &o) {
                 return isAdminIn(o, p.bob.userId());
             }).isEmpty());
    p.bob.send(chat(p.room, QStringLiteral("now I may")));
    QCOMPARE(num(waitForContent(p.carol, QStringLiteral("now I may")), "message_id"), qint64(2));

    p.alice.send(update(p.room, "chat_locked", false));
    QVERIFY(!waitForPicture(p.carol, p.room, [](const QJsonObject &o) {
                 return !o.value(QLatin1StringView("chat_locked")).toBool();
             }).isEmpty());
    p.carol.send(chat(p.room, QStringLiteral("unlocked")));
    QCOMPARE(num(waitForContent(p.alice, QStringLiteral("unlocked")), "message_id"), qint64(3));
}

void RoomAdminTest::maxParticipantsFillsRoom()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(update(p.room, "max_participants", 3));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol})
        QCOMPARE(num(waitInRoom(*member, "room", p.room), "max_participants"), qint64(3));

    p.dave.send(enter(p.room));
    EXPECT_ERROR(p.dave, "room_full", "enter", p.room);
    const QJsonObject listed = listedRoom(roomList(p.dave), p.room);
    QCOMPARE(num(listed, "max_participants"), qint64(3));
    QCOMPARE(num(listed, "participants"), qint64(3));
    QVERIFY(!p.alice.receivesWithin(QStringLiteral("enter"), 50));

    // Admins are excepted.
    p.alice.send(setAdmin(p.room, p.dave.userId(), true));
    QVERIFY(answersPing(p.alice));
    QVERIFY(p.dave.enter(p.room));
    const QJsonObject entered = p.alice.waitFor(QStringLiteral("enter"));
    QCOMPARE(str(entered, "user_id"), p.dave.userId());
    QCOMPARE(entered.value(QLatin1StringView("admin")), QJsonValue(true));
    QCOMPARE(p.participants(p.eve), 4);

    // The limit counts people: another connection of someone inside is not refused.
    TestClient bob2;
    QVERIFY(bob2.open(p.port, QStringLiteral("token=") + p.bob.token()));
    QVERIFY(bob2.enter(p.room));
    QCOMPARE(p.participants(p.eve), 4);
    p.eve.send(enter(p.room));
    EXPECT_ERROR(p.eve, "room_full", "enter", p.room);

    // No limit again: anyone may enter.
    p.alice.send(update(p.room, "max_participants", 0));
    QVERIFY(!waitForPicture(p.alice, p.room, [](const QJsonObject &o) {
                 return num(o, "max_participants") == 0;
             }).isEmpty());
    QVERIFY(p.eve.enter(p.room));
    QCOMPARE(p.participants(p.eve), 5);
}

void RoomAdminTest::closedSettingNeedsInvitation()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(update(p.room, "closed", true));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol})
        QCOMPARE(waitInRoom(*member, "room", p.room).value(QLatin1StringView("closed")),
                 QJsonValue(true));

    p.dave.send(enter(p.room));
    EXPECT_ERROR(p.dave, "room_closed", "enter", p.room);
    QVERIFY2(listedRoom(roomList(p.dave), p.room).isEmpty(), "closed room listed to outsider");
    QVERIFY(!listedRoom(roomList(p.bob), p.room).isEmpty());

    // Members already inside stay and talk.
    p.bob.send(chat(p.room, QStringLiteral("cosy")));
    QCOMPARE(num(waitForContent(p.carol, QStringLiteral("cosy")), "message_id"), qint64(1));

    p.alice.send(request("invite", {{"room_id", p.room}, {"user_id", p.dave.userId()}}));
    QVERIFY(!waitInRoom(p.dave, "invite", p.room).isEmpty());
    QVERIFY(p.dave.enter(p.room));

    p.alice.send(update(p.room, "closed", false));
    QVERIFY(!waitForPicture(p.dave, p.room, [](const QJsonObject &o) {
                 return !o.value(QLatin1StringView("closed")).toBool();
             }).isEmpty());
    QVERIFY(p.eve.enter(p.room));
}

void RoomAdminTest::settingChangeReachesEveryMember()
{
    Party p;
    QVERIFY(p.open());
    p.alice.send(request(
        "update",
        {{"room_id", p.room}, {"name", QStringLiteral("great hall")}, {"max_participants", 10}}));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol}) {
        const QJsonObject picture = waitInRoom(*member, "room", p.room);
        QVERIFY2(!picture.isEmpty(), "a member got no picture after the change");
        QCOMPARE(str(picture, "name"), QStringLiteral("great hall"));
        QCOMPARE(num(picture, "max_participants"), qint64(10));
        QCOMPARE(picture.value(QLatin1StringView("closed")), QJsonValue(false));
        QCOMPARE(picture.value(QLatin1StringView("chat_locked")), QJsonValue(false));
        QCOMPARE(picture.value(QLatin1StringView("participants")).toArray().size(), qsizetype(3));
        QVERIFY(isAdminIn(picture, p.alice.userId()));
        QVERIFY(!isAdminIn(picture, p.bob.userId()));
    }
    QVERIFY2(!p.dave.receivesWithin(QStringLiteral("room"), 100), "an outsider got the picture");
    QCOMPARE(str(listedRoom(roomList(p.dave), p.room), "name"), QStringLiteral("great hall"));
}

void RoomAdminTest::webhookOnlyInAdminPictures()
{
    Party p;
    QVERIFY(p.open());
    // A local address where nothing listens: no message is sent here anyway.
    const QString hook = QStringLiteral("http://127.0.0.1:9/hook");
    p.alice.send(update(p.room, "webhook", hook));
    const QJsonObject forAdmin = waitInRoom(p.alice, "room", p.room);
    QCOMPARE(str(forAdmin, "webhook"), hook);
    for (TestClient *member : {&p.bob, &p.carol}) {
        const QJsonObject picture = waitInRoom(*member, "room", p.room);
        QVERIFY2(!picture.isEmpty(), "a member got no picture after the change");
        QVERIFY2(!picture.contains(QLatin1StringView("webhook")), qPrintable(compact(picture)));
    }
    QVERIFY(!compact(roomList(p.bob)).contains(hook));

    // A newcomer does not see it; a new admin does.
    QVERIFY(p.dave.enter(p.room));
    const QList<QJsonObject> davePictures = framesOfType(p.dave, "room");
    QVERIFY(!davePictures.last().contains(QLatin1StringView("webhook")));
    p.alice.send(setAdmin(p.room, p.bob.userId(), true));
    const QJsonObject promoted = waitForPicture(
        p.bob, p.room, [&](const QJsonObject &o) { return isAdminIn(o, p.bob.userId()); });
    QCOMPARE(str(promoted, "webhook"), hook);
    const QJsonObject stillMember = waitForPicture(
        p.carol, p.room, [&](const QJsonObject &o) { return isAdminIn(o, p.bob.userId()); });
    QVERIFY(!stillMember.isEmpty());
    QVERIFY(!stillMember.contains(QLatin1StringView("webhook")));

    for (const TestClient *member : {&p.carol, &p.dave, &p.eve}) {
        for (const QJsonObject &frame : member->frames())
            QVERIFY2(!compact(frame).contains(hook), qPrintable(compact(frame)));
    }
}

void RoomAdminTest::grantAndRevokeAdmin()
{
    Party p;
    QVERIFY(p.open());

    p.alice.send(setAdmin(p.room, p.bob.userId(), true));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol}) {
        const QJsonObject picture = waitInRoom(*member, "room", p.room);
        QVERIFY2(isAdminIn(picture, p.bob.userId()), qPrintable(compact(picture)));
        QVERIFY(isAdminIn(picture, p.alice.userId()));
        QVERIFY(!isAdminIn(picture, p.carol.userId()));
    }

    // The new admin may change settings and grant in turn.
    p.bob.send(update(p.room, "chat_locked", true));
    QVERIFY(!waitForPicture(p.carol, p.room, [](const QJsonObject &o) {
                 return o.value(QLatin1StringView("chat_locked")).toBool();
             }).isEmpty());
    p.bob.send(setAdmin(p.room, p.carol.userId(), true));
    QVERIFY(!waitForPicture(p.alice, p.room, [&](const QJsonObject &o) {
                 return isAdminIn(o, p.carol.userId());
             }).isEmpty());

    // Equal rank: an admin may not demote another admin.
    p.bob.send(setAdmin(p.room, p.carol.userId(), false));
    EXPECT_ERROR(p.bob, "forbidden", "admin", p.room);

    // The creator outranks them and revokes.
    p.alice.send(setAdmin(p.room, p.bob.userId(), false));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol}) {
        const QJsonObject picture = waitForPicture(
            *member, p.room, [&](const QJsonObject &o) { return !isAdminIn(o, p.bob.userId()); });
        QVERIFY2(!picture.isEmpty(), "no picture after the revoke");
        QVERIFY(isAdminIn(picture, p.carol.userId()));
    }
    p.bob.send(update(p.room, "chat_locked", false));
    EXPECT_ERROR(p.bob, "forbidden", "update", p.room);
    p.bob.send(chat(p.room, QStringLiteral("locked again for me")));
    EXPECT_ERROR(p.bob, "chat_locked", "message", p.room);
    QCOMPARE(listedRoom(roomList(p.dave), p.room).value(QLatin1StringView("chat_locked")),
             QJsonValue(true));
}

void RoomAdminTest::rankRules_data()
{
    // alice: creator; bob and carol: admins; dave: member.
    QTest::addColumn<QString>("actor");
    QTest::addColumn<QString>("action"); // kick, ban, demote, grant
    QTest::addColumn<QString>("target");
    QTest::addColumn<bool>("allowed");

    const auto row = [](const char *actor, const char *action, const char *target, bool allowed) {
        QTest::addRow("%s %s %s", actor, action, target)
            << QString::fromLatin1(actor) << QString::fromLatin1(action)
            << QString::fromLatin1(target) << allowed;
    };
    row("bob", "kick", "alice", false);   // an admin cannot kick the creator
    row("bob", "ban", "alice", false);    // nor ban
    row("bob", "demote", "alice", false); // nor demote
    row("bob", "kick", "carol", false);   // equal rank
    row("bob", "ban", "carol", false);
    row("bob", "demote", "carol", false);
    row("bob", "kick", "bob", false); // nobody kicks or bans themselves
    row("bob", "ban", "bob", false);
    row("bob", "demote", "bob", false);
    row("alice", "kick", "alice", false);
    row("alice", "ban", "alice", false);
    row("dave", "kick", "dave", false);
    row("dave", "kick", "bob", false); // a member is outranked by everyone
    row("dave", "grant", "dave", false);
    row("bob", "kick", "dave", true);
    row("bob", "ban", "dave", true);
    row("alice", "kick", "bob", true); // the creator outranks admins
    row("alice", "ban", "bob", true);
    row("alice", "demote", "bob", true);
    row("bob", "grant", "dave", true);
}

void RoomAdminTest::rankRules()
{
    QFETCH(QString, actor);
    QFETCH(QString, action);
    QFETCH(QString, target);
    QFETCH(bool, allowed);

    Party p;
    QVERIFY(p.open());
    QVERIFY(p.dave.enter(p.room));
    for (TestClient *admin : {&p.bob, &p.carol}) {
        p.alice.send(setAdmin(p.room, admin->userId(), true));
        QVERIFY(!waitForPicture(p.dave, p.room, [&](const QJsonObject &o) {
                     return isAdminIn(o, admin->userId());
                 }).isEmpty());
    }
    const QHash<QString, TestClient *> people{{QStringLiteral("alice"), &p.alice},
                                              {QStringLiteral("bob"), &p.bob},
                                              {QStringLiteral("carol"), &p.carol},
                                              {QStringLiteral("dave"), &p.dave}};
    TestClient &from = *people.value(actor);
    TestClient &to = *people.value(target);
    const QString ref = action == QLatin1StringView("kick") || action == QLatin1StringView("ban")
                            ? QStringLiteral("kick")
                            : QStringLiteral("admin");

    if (action == QLatin1StringView("kick"))
        from.send(kick(p.room, to.userId()));
    else if (action == QLatin1StringView("ban"))
        from.send(kick(p.room, to.userId(), true));
    else
        from.send(setAdmin(p.room, to.userId(), action == QLatin1StringView("grant")));

    if (!allowed) {
        const QString why = checkError(from, QStringLiteral("forbidden"), ref, p.room);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // Nothing changed: the target is still in, with the same rank.
        QCOMPARE(p.participants(p.eve), 4);
        from.send(chat(p.room, QStringLiteral("after refusal")));
        QVERIFY(!waitForContent(to, QStringLiteral("after refusal")).isEmpty());
        QVERIFY(framesOfType(to, "kick").isEmpty());
        const bool wasAdmin = target != QLatin1StringView("dave");
        p.eve.send(enter(p.room));
        const QJsonObject picture = waitInRoom(p.eve, "room", p.room);
        QCOMPARE(isAdminIn(picture, to.userId()), wasAdmin);
        return;
    }

    if (action == QLatin1StringView("kick") || action == QLatin1StringView("ban")) {
        const QJsonObject kicked = waitInRoom(to, "kick", p.room);
        QVERIFY2(!kicked.isEmpty(), "the target got no 'kick'");
        QCOMPARE(kicked.value(QLatin1StringView("permanent")).toBool(),
                 action == QLatin1StringView("ban"));
        QCOMPARE(str(p.waitForExit(p.carol, to), "reason"), action);
        QCOMPARE(p.participants(p.eve), 3);
    } else {
        const bool grant = action == QLatin1StringView("grant");
        const QJsonObject picture = waitForPicture(p.carol, p.room, [&](const QJsonObject &o) {
            return isAdminIn(o, to.userId()) == grant;
        });
        QVERIFY2(!picture.isEmpty(), "no picture with the new rank");
    }
    QVERIFY(framesOfType(from, "error").isEmpty());
}

void RoomAdminTest::closeRoom()
{
    Party p;
    QVERIFY(p.open());

    p.bob.send(request("close", {{"room_id", p.room}}));
    EXPECT_ERROR(p.bob, "forbidden", "close", p.room);
    QVERIFY(!listedRoom(roomList(p.dave), p.room).isEmpty());

    p.alice.send(request("close", {{"room_id", p.room}, {"message", QStringLiteral("bye")}}));
    for (TestClient *member : {&p.alice, &p.bob, &p.carol}) {
        const QJsonObject closed = waitInRoom(*member, "room_closed", p.room);
        QVERIFY2(!closed.isEmpty(), "a member did not hear of the close");
        QCOMPARE(str(closed, "message"), QStringLiteral("bye"));
    }
    QVERIFY(!p.dave.receivesWithin(QStringLiteral("room_closed"), 100));
    for (TestClient *anyone : {&p.alice, &p.dave})
        QVERIFY2(listedRoom(roomList(*anyone), p.room).isEmpty(), "closed room still listed");

    // Gone for everyone; connections stay up.
    for (TestClient *anyone : {&p.bob, &p.dave}) {
        anyone->send(enter(p.room));
        EXPECT_ERROR(*anyone, "no_such_room", "enter", p.room);
    }
    p.bob.send(chat(p.room, QStringLiteral("hello?")));
    EXPECT_ERROR(p.bob, "no_such_room", "message", p.room);
    p.alice.send(update(p.room, "name", QStringLiteral("revive")));
    EXPECT_ERROR(p.alice, "no_such_room", "update", p.room);
    for (TestClient *member : {&p.alice, &p.bob, &p.carol})
        QVERIFY(answersPing(*member));

    // A granted admin may close too.
    const QString second = p.alice.createRoom(QStringLiteral("second"));
    QVERIFY(!second.isEmpty());
    QVERIFY(p.carol.enter(second));
    p.alice.send(setAdmin(second, p.carol.userId(), true));
    QVERIFY(!waitForPicture(p.carol, second, [&](const QJsonObject &o) {
                 return isAdminIn(o, p.carol.userId());
             }).isEmpty());
    p.carol.send(request("close", {{"room_id", second}}));
    QVERIFY(!waitInRoom(p.alice, "room_closed", second).isEmpty());
    QVERIFY(roomList(p.alice).value(QLatin1StringView("rooms")).toArray().isEmpty());
}

void RoomAdminTest::refusedLongReasonNamesRoom_data()
{
    QTest::addColumn<QString>("type");
    QTest::newRow("kick") << QStringLiteral("kick");
    QTest::newRow("close") << QStringLiteral("close");
}

// A kick or close message has no documented limit; if the server refuses a very long one,
// the refusal is like any other: too_long, with ref and room_id, and nothing happens.
void RoomAdminTest::refusedLongReasonNamesRoom()
{
    QFETCH(QString, type);
    Party p;
    QVERIFY(p.open());
    const QString reason(20000, QLatin1Char('r'));
    QJsonObject r = type == QLatin1StringView("kick") ? kick(p.room, p.bob.userId())
                                                      : request("close", {{"room_id", p.room}});
    r.insert(QStringLiteral("message"), reason);
    p.alice.send(r);

    const char *effect = type == QLatin1StringView("kick") ? "kick" : "room_closed";
    QVERIFY(QTest::qWaitFor(
        [&] {
            return !framesOfType(p.alice, "error").isEmpty() ||
                   !framesOfType(p.bob, effect).isEmpty();
        },
        5000));
    if (framesOfType(p.alice, "error").isEmpty()) {
        QCOMPARE(str(framesOfType(p.bob, effect).first(), "message"), reason);
        return;
    }
    const QString why = checkError(p.alice, QStringLiteral("too_long"), type, p.room);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QVERIFY(!p.bob.receivesWithin(QString::fromLatin1(effect), 100));
    QCOMPARE(p.participants(p.dave), 3);
}

ROOMKEEPER_SERVER_TEST_MAIN(RoomAdminTest)
#include "tst_roomadmin.moc"

// The moderation service (DESIGN.md "One moderation API") acting on people, through
// server.moderation() on a real server, checked by what real room-protocol clients get
// (PROTOCOL.md §2, §4): kick, ban with a duration, unban, the rank rules, bans by address
// and subnet, clearing a room, and refusals that change nothing.

#include "moderationtest.h"
#include "servertestmain.h"

#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

// The exit frames about 'who' in 'room' that 'client' got after 'from'.
QList<QJsonObject> exitsOf(const TestClient &client, qsizetype from, const QUuid &room,
                           const TestClient &who)
{
    QList<QJsonObject> result;
    for (const QJsonObject &f : framesOfType(client, "exit", from)) {
        if (str(f, "room_id") == idText(room) && str(f, "user_id") == who.userId())
            result.append(f);
    }
    return result;
}

// Waits for the exit frame about 'who' in 'room'; returns its reason, or "(none)".
QString exitReason(TestClient &client, qsizetype from, const QUuid &room, const TestClient &who)
{
    const QJsonObject exit = frameAfter(client, from, "exit", [&](const QJsonObject &o) {
        return str(o, "room_id") == idText(room) && str(o, "user_id") == who.userId();
    });
    return exit.isEmpty() ? QStringLiteral("(none)") : str(exit, "reason");
}

// Opens a connection that the server is expected to end at once; returns its close code.
int refusedCloseCode(quint16 port)
{
    TestClient client;
    client.openRaw(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws?name=late").arg(port)));
    if (!client.waitForDisconnect(5000))
        return -2;
    if (!framesOfType(client, "session").isEmpty())
        return -3; // it was let in first
    return client.closeCode();
}

QList<Ban> addressBans(ModerationService &moderation)
{
    QList<Ban> result;
    const QList<Ban> all = moderation.bans();
    for (const Ban &ban : all) {
        if (ban.isAddressBan())
            result.append(ban);
    }
    return result;
}

} // namespace

class ModerationTest : public QObject
{
    Q_OBJECT

private slots:
    void kickSendsKickAndExitReason();
    void banWithReasonAndDuration();
    void banForGoodOutlivesAnyClock();
    void unbanLetsUserBackIn();
    void rankRulesForPeople();
    void demotedCreatorLosesAdminRights();
    void bannedCreatorStaysWithoutRightsAfterUnban();
    void banAddressEndsEveryConnection();
    void banAddressSparesOtherAddresses();
    void mappedFormOfAnAddressBansIt();
    void badAddressesAreRefused_data();
    void badAddressesAreRefused();
    void subnetBansAndBothKindsListed();
    void timedAddressBanExpires();
    void clearRoomKicksAllButAdmins();
    void refusedActionsChangeNothing();
};

void ModerationTest::kickSendsKickAndExitReason()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, bob2, carol;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol"));
    QVERIFY(s.openAgain(bob2, bob));
    const QUuid room = s.consoleRoom("hall");
    QVERIFY(!room.isNull());
    QVERIFY(enterAll(room, {&alice, &bob, &bob2, &carol}));
    const qsizetype a = mark(alice), b = mark(bob), b2 = mark(bob2), c = mark(carol);

    CHECK_DONE(s.moderation().kick(console(), room, userOf(bob), QStringLiteral("behave")));

    // Every connection of the kicked user gets 'kick'; the others see it go, once.
    for (auto [client, from] : {std::pair{&bob, b}, std::pair{&bob2, b2}}) {
        const QJsonObject kick = frameAfter(*client, from, "kick", inRoom(room));
        QVERIFY2(!kick.isEmpty(), "a connection of the kicked user got no 'kick'");
        QCOMPARE(str(kick, "message"), QStringLiteral("behave"));
        QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(false));
    }
    QCOMPARE(exitReason(alice, a, room, bob), QStringLiteral("kick"));
    QCOMPARE(exitReason(carol, c, room, bob), QStringLiteral("kick"));
    QVERIFY(settle({&alice, &carol}));
    QCOMPARE(exitsOf(alice, a, room, bob).size(), 1);
    QVERIFY(framesOfType(alice, "kick", a).isEmpty());
    QVERIFY(framesOfType(carol, "kick", c).isEmpty());

    // Out of the room, but connected; a kick is no ban.
    const Room *r = s.server.rooms().find(room);
    QVERIFY(r && !r->hasParticipant(userOf(bob)));
    QVERIFY(bob.isConnected() && bob2.isConnected());
    QCOMPARE(trySend(bob, room, QStringLiteral("still here?")), QStringLiteral("not_member"));
    QCOMPARE(trySend(alice, room, QStringLiteral("without bob")), QStringLiteral("ok"));
    QVERIFY(framesOfType(bob, "message", b).isEmpty());
    QCOMPARE(s.server.stats().kicks, quint64(1));
    QCOMPARE(s.server.stats().bans, quint64(0));
    QVERIFY(s.moderation().bans().isEmpty());
    QCOMPARE(tryEnter(bob, room), QStringLiteral("ok"));
}

void ModerationTest::banWithReasonAndDuration()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid room = s.consoleRoom("hall");
    QVERIFY(enterAll(room, {&alice, &bob}));
    const qsizetype a = mark(alice), b = mark(bob);

    CHECK_REFUSED(s.moderation().ban(console(), room, userOf(bob), QStringLiteral("x"), -5),
                  ErrorCode::BadField);
    CHECK_DONE(
        s.moderation().ban(console(), room, userOf(bob), QStringLiteral("spamming"), 60'000));

    const QJsonObject kick = frameAfter(bob, b, "kick", inRoom(room));
    QVERIFY2(!kick.isEmpty(), "the banned user got no 'kick'");
    QCOMPARE(str(kick, "message"), QStringLiteral("spamming"));
    QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(true));
    QCOMPARE(exitReason(alice, a, room, bob), QStringLiteral("ban"));

    const QList<Ban> bans = s.moderation().bans();
    QCOMPARE(bans.size(), 1);
    const Ban &ban = bans.first();
    QVERIFY(!ban.isAddressBan());
    QCOMPARE(ban.room, room);
    QCOMPARE(ban.user, userOf(bob));
    QCOMPARE(ban.reason, QStringLiteral("spamming"));
    QCOMPARE(ban.bannedBy, QStringLiteral("console"));
    QCOMPARE(ban.sinceMs, Stage::Epoch);
    QCOMPARE(ban.untilMs, Stage::Epoch + 60'000);
    QCOMPARE(s.server.stats().bans, quint64(1));
    QCOMPARE(s.server.stats().kicks, quint64(1));

    // Refused on the old connection and on a new one with the same token.
    QCOMPARE(tryEnter(bob, room), QStringLiteral("banned"));
    TestClient bobAgain;
    QVERIFY(s.openAgain(bobAgain, bob));
    QCOMPARE(tryEnter(bobAgain, room), QStringLiteral("banned"));

    // Half way: still banned, even after a sweep.
    s.clockMs += 30'000;
    s.server.sweep();
    QCOMPARE(s.moderation().bans().size(), 1);
    QCOMPARE(tryEnter(bobAgain, room), QStringLiteral("banned"));

    // Past the duration, the sweep removes the ban and entering works.
    s.clockMs += 30'001;
    s.server.sweep();
    QVERIFY(s.moderation().bans().isEmpty());
    const qsizetype a2 = mark(alice);
    QCOMPARE(tryEnter(bobAgain, room), QStringLiteral("ok"));
    QVERIFY(!frameAfter(alice, a2, "enter", [&](const QJsonObject &o) {
                 return str(o, "user_id") == bob.userId();
             }).isEmpty());
}

void ModerationTest::banForGoodOutlivesAnyClock()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid room = s.consoleRoom("hall");
    QVERIFY(enterAll(room, {&alice, &bob}));

    CHECK_DONE(s.moderation().ban(console(), room, userOf(bob), QString()));
    QCOMPARE(s.moderation().bans().value(0).untilMs, qint64(0));
    s.clockMs += qint64(10) * 365 * 24 * 3600 * 1000;
    s.server.sweep();
    QCOMPARE(s.moderation().bans().size(), 1);
    QCOMPARE(tryEnter(bob, room), QStringLiteral("banned"));

    // A ban also works on someone who is not in the room at the time.
    TestClient carol;
    QVERIFY(s.open(carol, "carol"));
    CHECK_DONE(s.moderation().ban(console(), room, userOf(carol), QStringLiteral("pre-emptive")));
    QCOMPARE(tryEnter(carol, room), QStringLiteral("banned"));
    QCOMPARE(s.moderation().bans().size(), 2);
}

void ModerationTest::unbanLetsUserBackIn()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid room = Stage::clientRoom(alice, "hall");
    QVERIFY(!room.isNull());
    QVERIFY(enterAll(room, {&bob}));

    CHECK_DONE(s.moderation().ban(console(), room, userOf(bob), QStringLiteral("out")));
    QCOMPARE(tryEnter(bob, room), QStringLiteral("banned"));

    // The banned person may not lift it; only an admin or the console.
    CHECK_REFUSED(s.moderation().unban(as(bob), room, userOf(bob)), ErrorCode::Forbidden);
    QCOMPARE(s.moderation().bans().size(), 1);

    CHECK_DONE(s.moderation().unban(console(), room, userOf(bob)));
    QVERIFY(s.moderation().bans().isEmpty());
    const qsizetype a = mark(alice);
    QCOMPARE(tryEnter(bob, room), QStringLiteral("ok"));
    QVERIFY(!frameAfter(alice, a, "enter", [&](const QJsonObject &o) {
                 return str(o, "user_id") == bob.userId();
             }).isEmpty());
    QCOMPARE(trySend(bob, room, QStringLiteral("back")), QStringLiteral("ok"));

    // Nothing left to lift.
    CHECK_REFUSED(s.moderation().unban(console(), room, userOf(bob)), ErrorCode::NoSuchUser);

    // A room admin (the creator) may unban too.
    CHECK_DONE(s.moderation().ban(as(alice), room, userOf(bob), QStringLiteral("again")));
    CHECK_DONE(s.moderation().unban(as(alice), room, userOf(bob)));
    QCOMPARE(tryEnter(bob, room), QStringLiteral("ok"));
}

// PROTOCOL.md §2.4: console > creator > admin > member; nobody acts on equal or higher
// rank, nor kicks or bans themselves.
void ModerationTest::rankRulesForPeople()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol, dave;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol") &&
            s.open(dave, "dave"));
    const QUuid room = Stage::clientRoom(alice, "hall");
    QVERIFY(!room.isNull());
    QVERIFY(enterAll(room, {&bob, &carol, &dave}));
    CHECK_DONE(s.moderation().setAdmin(console(), room, userOf(bob), true));
    QVERIFY(settle({&alice, &bob, &carol, &dave}));
    const qsizetype a = mark(alice), b = mark(bob), c = mark(carol), d = mark(dave);

    auto &m = s.moderation();
    const QString why = QStringLiteral("because");
    CHECK_REFUSED(m.kick(as(carol), room, userOf(dave), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.kick(as(bob), room, userOf(alice), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.kick(as(bob), room, userOf(bob), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.ban(as(bob), room, userOf(alice), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.ban(as(alice), room, userOf(alice), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setAdmin(as(bob), room, userOf(alice), false), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setAdmin(as(carol), room, userOf(carol), true), ErrorCode::Forbidden);
    CHECK_REFUSED(m.clearRoom(as(carol), room, why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.closeRoom(as(carol), room, why), ErrorCode::Forbidden);
    QVERIFY(settle({&alice, &bob, &carol, &dave}));
    for (auto [client, from] :
         {std::pair{&alice, a}, std::pair{&bob, b}, std::pair{&carol, c}, std::pair{&dave, d}})
        QVERIFY2(framesSince(*client, from).isEmpty(),
                 qPrintable(compact(framesSince(*client, from).value(0))));
    QCOMPARE(s.server.rooms().find(room)->participantCount(), 4);

    // An admin outranks a member.
    CHECK_DONE(m.kick(as(bob), room, userOf(carol), QStringLiteral("bob says")));
    QCOMPARE(str(frameAfter(carol, c, "kick", inRoom(room)), "message"),
             QStringLiteral("bob says"));
    QCOMPARE(exitReason(alice, a, room, carol), QStringLiteral("kick"));

    // The creator outranks an admin; the ban takes the admin's rank away.
    CHECK_DONE(m.ban(as(alice), room, userOf(bob), QStringLiteral("alice says")));
    const QJsonObject kick = frameAfter(bob, b, "kick", inRoom(room));
    QCOMPARE(str(kick, "message"), QStringLiteral("alice says"));
    QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(true));
    QCOMPARE(exitReason(dave, d, room, bob), QStringLiteral("ban"));
    QVERIFY(!s.server.rooms().find(room)->isAdmin(userOf(bob)));
    QCOMPARE(m.bans().value(0).bannedBy, alice.userId());
    CHECK_REFUSED(m.unban(as(bob), room, userOf(bob)), ErrorCode::Forbidden);

    // The console outranks the creator.
    const qsizetype d2 = mark(dave);
    CHECK_DONE(m.kick(console(), room, userOf(alice), QStringLiteral("operator says")));
    QCOMPARE(str(frameAfter(alice, a, "kick", inRoom(room)), "message"),
             QStringLiteral("operator says"));
    QCOMPARE(exitReason(dave, d2, room, alice), QStringLiteral("kick"));
}

// The console outranks the creator, so it may revoke the creator's admin rights; once the
// revocation is reported done and every picture says admin:false, the creator must not act
// as an admin any more.
void ModerationTest::demotedCreatorLosesAdminRights()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    QVERIFY(enterAll(hall, {&bob}));
    const qsizetype b = mark(bob);

    CHECK_DONE(s.moderation().setAdmin(console(), hall, userOf(alice), false));
    const QJsonObject picture = pictureAfter(bob, b, hall);
    QVERIFY(!picture.isEmpty());
    QVERIFY(!flag(participant(picture, userOf(alice)), "admin"));
    QVERIFY(!s.server.rooms().find(hall)->isAdmin(userOf(alice)));

    RoomUpdate mute;
    mute.chatLocked = true;
    CHECK_REFUSED(s.moderation().update(as(alice), hall, mute), ErrorCode::Forbidden);
    CHECK_REFUSED(s.moderation().kick(as(alice), hall, userOf(bob), QString()),
                  ErrorCode::Forbidden);
    QVERIFY(s.server.rooms().find(hall)->hasParticipant(userOf(bob)));
}

// A ban takes the creator's rights (roomregistry.cpp: "a banned creator or admin keeps no
// rights"); lifting the ban lets the person in again but does not hand the rights back
// behind the pictures' back: what the picture says and what the person may do agree.
void ModerationTest::bannedCreatorStaysWithoutRightsAfterUnban()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    QVERIFY(enterAll(hall, {&bob}));

    CHECK_DONE(s.moderation().ban(console(), hall, userOf(alice), QStringLiteral("time out")));
    CHECK_DONE(s.moderation().unban(console(), hall, userOf(alice)));
    const qsizetype a = mark(alice);
    QCOMPARE(tryEnter(alice, hall), QStringLiteral("ok"));
    const bool shownAsAdmin =
        flag(participant(pictureAfter(alice, a, hall), userOf(alice)), "admin");
    RoomUpdate mute;
    mute.chatLocked = true;
    const Outcome acted = s.moderation().update(as(alice), hall, mute);
    QVERIFY2(shownAsAdmin == !acted,
             qPrintable(QStringLiteral("picture says admin=%1, but update was %2")
                            .arg(shownAsAdmin ? QStringLiteral("true") : QStringLiteral("false"),
                                 describe(acted))));
}

void ModerationTest::banAddressEndsEveryConnection()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, idle;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(idle, "idle"));
    const QUuid hall = s.consoleRoom("hall");
    const QUuid lobby = s.consoleRoom("lobby");
    QVERIFY(enterAll(hall, {&alice, &bob}));
    QVERIFY(enterAll(lobby, {&alice}));
    const qsizetype a = mark(alice), b = mark(bob), i = mark(idle);

    // Only the console bans addresses.
    CHECK_REFUSED(outcomeOf(s.moderation().banAddress(as(alice), QStringLiteral("127.0.0.1"),
                                                      QStringLiteral("no"))),
                  ErrorCode::Forbidden);
    QVERIFY(settle({&alice, &bob, &idle}));
    QVERIFY(framesSince(alice, a).isEmpty() && framesSince(bob, b).isEmpty());
    QVERIFY(s.moderation().bans().isEmpty());

    const auto banned = s.moderation().banAddress(console(), QStringLiteral("127.0.0.1"),
                                                  QStringLiteral("go away"));
    CHECK_DONE(outcomeOf(banned));
    const qint64 banId = std::get<qint64>(banned);
    QVERIFY(banId > 0);

    // Each connection gets a 'kick' (permanent) for each room it is in, then close 4011.
    for (auto [client, from, rooms] :
         {std::tuple{&alice, a, QList<QUuid>{hall, lobby}}, std::tuple{&bob, b, QList{hall}},
          std::tuple{&idle, i, QList<QUuid>{}}}) {
        QVERIFY(client->waitForDisconnect(5000));
        QCOMPARE(client->closeCode(), 4011);
        const QList<QJsonObject> kicks = framesOfType(*client, "kick", from);
        QCOMPARE(kicks.size(), rooms.size());
        for (const QJsonObject &kick : kicks) {
            QVERIFY(rooms.contains(uuidOf(str(kick, "room_id"))));
            QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(true));
            QCOMPARE(str(kick, "message"), QStringLiteral("go away"));
        }
    }
    QTRY_COMPARE(s.server.stats().connections, 0);
    QCOMPARE(s.server.rooms().find(hall)->participantCount(), 0);
    QCOMPARE(s.server.rooms().find(lobby)->participantCount(), 0);

    // New connections from the address are refused with 4003, and counted.
    QCOMPARE(s.server.stats().bannedConnections, quint64(0));
    QCOMPARE(refusedCloseCode(s.port), 4003);
    QCOMPARE(refusedCloseCode(s.port), 4003);
    QCOMPARE(s.server.stats().bannedConnections, quint64(2));
    const QList<Ban> listed = addressBans(s.moderation());
    QCOMPARE(listed.size(), 1);
    QCOMPARE(listed.first().id, banId);
    QCOMPARE(listed.first().addressText(), QStringLiteral("127.0.0.1"));
    QCOMPARE(listed.first().reason, QStringLiteral("go away"));
    QCOMPARE(listed.first().bannedBy, QStringLiteral("console"));
    QCOMPARE(listed.first().hits, quint64(2));

    // Lifting it lets people in again; lifting needs the console and a real ban id.
    CHECK_REFUSED(s.moderation().liftAddressBan(as(alice), banId), ErrorCode::Forbidden);
    QVERIFY(s.moderation().liftAddressBan(console(), banId + 1000).has_value());
    CHECK_DONE(s.moderation().liftAddressBan(console(), banId));
    QVERIFY(addressBans(s.moderation()).isEmpty());
    TestClient back;
    QVERIFY(s.open(back, "back"));
    QCOMPARE(tryEnter(back, hall), QStringLiteral("ok"));
    QCOMPARE(s.server.stats().bannedConnections, quint64(2));
}

// Only connections from the banned address end; the others in the room see them go.
void ModerationTest::banAddressSparesOtherAddresses()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice;
    RemoteClient remote; // from 127.0.0.2
    QVERIFY(s.open(alice, "alice"));
    QVERIFY(remote.open(s.port, "remote"));
    const QUuid hall = s.consoleRoom("hall");
    QVERIFY(enterAll(hall, {&alice}));
    remote.send(enterRequest(hall));
    QVERIFY(!remote.waitFor("room", inRoom(hall)).isEmpty());
    QVERIFY(!frameAfter(alice, 0, "enter", [&](const QJsonObject &o) {
                 return str(o, "user_id") == remote.userId();
             }).isEmpty());
    const qsizetype a = mark(alice);
    const qsizetype r = remote.frames().size();

    CHECK_DONE(outcomeOf(
        s.moderation().banAddress(console(), QStringLiteral("127.0.0.2"), QStringLiteral("bye"))));
    const QJsonObject kick = remote.waitFor("kick", inRoom(hall), 5000, r);
    QVERIFY2(!kick.isEmpty(), "the banned address got no 'kick'");
    QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(true));
    QCOMPARE(str(kick, "message"), QStringLiteral("bye"));
    QCOMPARE(remote.waitForCloseCode(), 4011);
    const QJsonObject exit = frameAfter(alice, a, "exit", [&](const QJsonObject &o) {
        return str(o, "user_id") == remote.userId() && str(o, "room_id") == idText(hall);
    });
    QCOMPARE(str(exit, "reason"), QStringLiteral("ban"));
    QTRY_COMPARE(s.server.stats().connections, 1);
    QVERIFY(alice.isConnected());
    QVERIFY(framesOfType(alice, "kick", a).isEmpty());
    QCOMPARE(trySend(alice, hall, QStringLiteral("still here")), QStringLiteral("ok"));

    RemoteClient again;
    QVERIFY(!again.open(s.port, "again"));
    QCOMPARE(again.waitForCloseCode(), 4003);
    QCOMPARE(s.server.stats().bannedConnections, quint64(1));
    TestClient local;
    QVERIFY(s.open(local, "local"));
}

// matchesAddress() treats ::ffff:a.b.c.d as a.b.c.d: a ban written in that form (as a
// dual-stack listener shows IPv4 peers) must hold the IPv4 peer too.
void ModerationTest::mappedFormOfAnAddressBansIt()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice;
    QVERIFY(s.open(alice, "alice"));
    CHECK_DONE(outcomeOf(s.moderation().banAddress(console(), QStringLiteral("::ffff:127.0.0.1"),
                                                   QStringLiteral("mapped"))));
    QVERIFY2(alice.waitForDisconnect(2000), "a ban on ::ffff:127.0.0.1 left 127.0.0.1 connected");
    QCOMPARE(alice.closeCode(), 4011);
    QCOMPARE(refusedCloseCode(s.port), 4003);
}

void ModerationTest::badAddressesAreRefused_data()
{
    QTest::addColumn<QString>("address");
    QTest::newRow("empty") << QString();
    QTest::newRow("words") << QStringLiteral("not an address");
    QTest::newRow("octet too big") << QStringLiteral("300.1.2.3");
    QTest::newRow("v4 prefix too long") << QStringLiteral("10.0.0.0/33");
    QTest::newRow("negative prefix") << QStringLiteral("10.0.0.0/-1");
    QTest::newRow("prefix not a number") << QStringLiteral("10.0.0.0/x");
    QTest::newRow("no address before prefix") << QStringLiteral("/24");
    QTest::newRow("no address before /0") << QStringLiteral("/0");
    QTest::newRow("v6 prefix too long") << QStringLiteral("fd00::/129");
    QTest::newRow("bad v6") << QStringLiteral("fd00:::1");
    QTest::newRow("host name") << QStringLiteral("localhost");
}

void ModerationTest::badAddressesAreRefused()
{
    QFETCH(QString, address);
    Stage s;
    QVERIFY(s.start());
    TestClient alice;
    QVERIFY(s.open(alice, "alice"));
    const QUuid room = s.consoleRoom("hall");
    QVERIFY(enterAll(room, {&alice}));
    const qsizetype a = mark(alice);
    const qsizetype audit = s.auditCount();

    CHECK_REFUSED(outcomeOf(s.moderation().banAddress(console(), address, QStringLiteral("x"))),
                  ErrorCode::BadField);
    QVERIFY(s.moderation().bans().isEmpty());
    QCOMPARE(s.auditCount(), audit);
    QCOMPARE(s.server.stats().bans, quint64(0));
    QVERIFY(settle({&alice}));
    QVERIFY(framesSince(alice, a).isEmpty());
    QVERIFY(alice.isConnected());
}

void ModerationTest::subnetBansAndBothKindsListed()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid room = s.consoleRoom("hall");
    QVERIFY(enterAll(room, {&alice, &bob}));
    CHECK_DONE(s.moderation().ban(console(), room, userOf(bob), QStringLiteral("user ban")));
    QVERIFY(settle({&alice}));
    const qsizetype a = mark(alice);

    // Subnets that do not hold 127.0.0.1 end nothing.
    auto &m = s.moderation();
    const auto v6Net = m.banAddress(console(), QStringLiteral("fd00::/64"), QStringLiteral("v6"));
    CHECK_DONE(outcomeOf(v6Net));
    const auto v6Host =
        m.banAddress(console(), QStringLiteral("2001:db8::7"), QStringLiteral("v6 host"));
    CHECK_DONE(outcomeOf(v6Host));
    const auto v4Net = m.banAddress(console(), QStringLiteral(" 10.0.0.0/24 "), QString());
    CHECK_DONE(outcomeOf(v4Net));
    QVERIFY(settle({&alice}));
    QVERIFY(alice.isConnected());
    QVERIFY(framesSince(alice, a).isEmpty());

    // A subnet holding 127.0.0.1 ends the connection and refuses new ones.
    const auto loopback =
        m.banAddress(console(), QStringLiteral("127.0.0.0/8"), QStringLiteral("lo"));
    CHECK_DONE(outcomeOf(loopback));
    QVERIFY(alice.waitForDisconnect(5000));
    QCOMPARE(alice.closeCode(), 4011);
    QCOMPARE(framesOfType(alice, "kick", a).size(), 1);
    QCOMPARE(refusedCloseCode(s.port), 4003);

    // bans() lists the user ban and every address ban, each as written.
    const QList<Ban> all = m.bans();
    QCOMPARE(all.size(), 5);
    QStringList texts;
    int userBans = 0;
    for (const Ban &ban : all) {
        if (ban.isAddressBan()) {
            texts << ban.addressText();
            QVERIFY(ban.room.isNull());
        } else {
            ++userBans;
            QCOMPARE(ban.user, userOf(bob));
            QCOMPARE(ban.room, room);
        }
    }
    QCOMPARE(userBans, 1);
    texts.sort();
    QCOMPARE(texts, (QStringList{QStringLiteral("10.0.0.0/24"), QStringLiteral("127.0.0.0/8"),
                                 QStringLiteral("2001:db8::7"), QStringLiteral("fd00::/64")}));
    for (const Ban &ban : all) {
        if (ban.addressText() == QLatin1StringView("fd00::/64")) {
            QCOMPARE(ban.address.protocol(), QAbstractSocket::IPv6Protocol);
            QCOMPARE(ban.prefixLength, 64);
            QVERIFY(ban.matchesAddress(QHostAddress(QStringLiteral("fd00::1234"))));
            QVERIFY(!ban.matchesAddress(QHostAddress(QStringLiteral("fd01::1"))));
        }
    }

    // Lifting the one that holds 127.0.0.1 is enough to get in again.
    CHECK_DONE(m.liftAddressBan(console(), std::get<qint64>(loopback)));
    TestClient back;
    QVERIFY(s.open(back, "back"));
    QCOMPARE(tryEnter(back, room), QStringLiteral("ok"));
    QCOMPARE(m.bans().size(), 4);
}

void ModerationTest::timedAddressBanExpires()
{
    Stage s;
    QVERIFY(s.start());
    const auto banned = s.moderation().banAddress(console(), QStringLiteral("127.0.0.1"),
                                                  QStringLiteral("cool off"), 10'000);
    CHECK_DONE(outcomeOf(banned));
    QCOMPARE(addressBans(s.moderation()).value(0).untilMs, Stage::Epoch + 10'000);
    QCOMPARE(refusedCloseCode(s.port), 4003);

    s.clockMs += 10'000;
    s.server.sweep();
    QVERIFY(addressBans(s.moderation()).isEmpty());
    TestClient alice;
    QVERIFY(s.open(alice, "alice"));
    QCOMPARE(s.server.stats().bannedConnections, quint64(1));
}

void ModerationTest::clearRoomKicksAllButAdmins()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol, dave;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol") &&
            s.open(dave, "dave"));
    const QUuid room = Stage::clientRoom(alice, "hall");
    QVERIFY(!room.isNull());
    QVERIFY(enterAll(room, {&bob, &carol, &dave}));
    CHECK_DONE(s.moderation().setAdmin(console(), room, userOf(bob), true));
    QVERIFY(settle({&alice, &bob, &carol, &dave}));
    const qsizetype a = mark(alice), b = mark(bob), c = mark(carol), d = mark(dave);

    CHECK_REFUSED(s.moderation().clearRoom(as(carol), room, QStringLiteral("no")),
                  ErrorCode::Forbidden);
    CHECK_REFUSED(s.moderation().clearRoom(console(), QUuid::createUuid(), QStringLiteral("no")),
                  ErrorCode::NoSuchRoom);
    CHECK_DONE(s.moderation().clearRoom(console(), room, QStringLiteral("cleanup")));

    for (auto [client, from] : {std::pair{&carol, c}, std::pair{&dave, d}}) {
        const QJsonObject kick = frameAfter(*client, from, "kick", inRoom(room));
        QVERIFY2(!kick.isEmpty(), "a member was not kicked");
        QCOMPARE(str(kick, "message"), QStringLiteral("cleanup"));
        QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(false));
    }
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&bob, b}}) {
        QCOMPARE(exitReason(*client, from, room, carol), QStringLiteral("kick"));
        QCOMPARE(exitReason(*client, from, room, dave), QStringLiteral("kick"));
    }
    QVERIFY(settle({&alice, &bob}));
    QVERIFY(framesOfType(alice, "kick", a).isEmpty());
    QVERIFY(framesOfType(bob, "kick", b).isEmpty());

    const Room *r = s.server.rooms().find(room);
    QVERIFY(r);
    QStringList left;
    for (const QUuid &id : r->participants())
        left << idText(id);
    left.sort();
    QStringList admins{alice.userId(), bob.userId()};
    admins.sort();
    QCOMPARE(left, admins);
    QCOMPARE(s.server.stats().kicks, quint64(2));
    QVERIFY(s.moderation().bans().isEmpty());
    QCOMPARE(tryEnter(carol, room), QStringLiteral("ok")); // a kick, not a ban
}

// A bad or unauthorised request gets a refusal and changes nothing: no frames to anyone,
// no ban, no audit entry, no counter moves, the settings stay.
void ModerationTest::refusedActionsChangeNothing()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol, outsider;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol") &&
            s.open(outsider, "outsider"));
    const QUuid room = Stage::clientRoom(alice, "hall");
    QVERIFY(!room.isNull());
    QVERIFY(enterAll(room, {&bob, &carol}));
    QVERIFY(settle({&alice, &bob, &carol, &outsider}));
    const std::initializer_list<TestClient *> everyone = {&alice, &bob, &carol, &outsider};
    QList<qsizetype> marks;
    for (TestClient *client : everyone)
        marks << mark(*client);
    const qsizetype audit = s.auditCount();
    const ServerStats before = s.server.stats();

    auto &m = s.moderation();
    const QUuid nowhere = QUuid::createUuid();
    const QUuid nobody = QUuid::createUuid();
    const Actor member = as(carol);
    const QString why = QStringLiteral("why");
    RoomUpdate lock;
    lock.chatLocked = true;
    lock.closed = true;

    // A plain member may do none of it.
    CHECK_REFUSED(m.kick(member, room, userOf(bob), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.ban(member, room, userOf(bob), why, 1000), ErrorCode::Forbidden);
    CHECK_REFUSED(m.unban(member, room, userOf(bob)), ErrorCode::Forbidden);
    CHECK_REFUSED(m.update(member, room, lock), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setAdmin(member, room, userOf(carol), true), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setColor(member, room, userOf(bob), QStringLiteral("#123456")),
                  ErrorCode::Forbidden);
    CHECK_REFUSED(m.closeRoom(member, room, why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.clearRoom(member, room, why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setPinned(member, room, true), ErrorCode::Forbidden);
    // Console-only actions, even for the room's creator.
    const Actor creator = as(alice);
    CHECK_REFUSED(m.announce(creator, room, why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.announce(creator, QUuid(), why), ErrorCode::Forbidden);
    CHECK_REFUSED(m.lockAllRooms(creator, true), ErrorCode::Forbidden);
    CHECK_REFUSED(m.muteAllRooms(creator, true), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setAccepting(creator, false), ErrorCode::Forbidden);
    CHECK_REFUSED(m.setPinned(creator, room, true), ErrorCode::Forbidden);
    CHECK_REFUSED(outcomeOf(m.banAddress(creator, QStringLiteral("10.1.1.1"), why)),
                  ErrorCode::Forbidden);
    CHECK_REFUSED(m.liftAddressBan(creator, 1), ErrorCode::Forbidden);

    // Console requests that are wrong.
    const Actor op = console();
    CHECK_REFUSED(m.kick(op, nowhere, userOf(bob), why), ErrorCode::NoSuchRoom);
    CHECK_REFUSED(m.kick(op, room, userOf(outsider), why), ErrorCode::NotMember);
    CHECK_REFUSED(m.ban(op, room, nobody, why), ErrorCode::NoSuchUser);
    CHECK_REFUSED(m.ban(op, room, userOf(bob), why, -1), ErrorCode::BadField);
    CHECK_REFUSED(m.unban(op, room, userOf(bob)), ErrorCode::NoSuchUser);
    RoomUpdate badMax = lock;
    badMax.maxParticipants = -1;
    CHECK_REFUSED(m.update(op, room, badMax), ErrorCode::BadField);
    RoomUpdate badHook = lock;
    badHook.webhook = QStringLiteral("ftp://example.org/hook");
    CHECK_REFUSED(m.update(op, room, badHook), ErrorCode::BadField);
    RoomUpdate badName = lock;
    badName.name = QStringLiteral("   ");
    CHECK_REFUSED(m.update(op, room, badName), ErrorCode::BadField);
    CHECK_REFUSED(m.update(op, nowhere, lock), ErrorCode::NoSuchRoom);
    CHECK_REFUSED(m.setAdmin(op, room, nobody, true), ErrorCode::NoSuchUser);
    CHECK_REFUSED(m.setColor(op, QUuid(), userOf(bob), QStringLiteral("red")), ErrorCode::BadField);
    CHECK_REFUSED(m.setColor(op, QUuid(), nobody, QStringLiteral("#123456")),
                  ErrorCode::NoSuchUser);
    CHECK_REFUSED(m.closeRoom(op, nowhere, why), ErrorCode::NoSuchRoom);
    CHECK_REFUSED(m.announce(op, room, QString()), ErrorCode::BadField);
    CHECK_REFUSED(m.announce(op, room, QString(5000, QLatin1Char('x'))), ErrorCode::TooLong);
    CHECK_REFUSED(m.announce(op, QUuid(), QString()), ErrorCode::BadField);
    CHECK_REFUSED(m.announce(op, nowhere, why), ErrorCode::NoSuchRoom);
    CHECK_REFUSED(m.setPinned(op, nowhere, true), ErrorCode::NoSuchRoom);
    CHECK_REFUSED(outcomeOf(m.createRoom(op, QString(), false)), ErrorCode::BadField);
    CHECK_REFUSED(m.liftAddressBan(op, 12345), ErrorCode::NoSuchUser);

    QVERIFY(settle(everyone));
    qsizetype i = 0;
    for (TestClient *client : everyone) {
        const QList<QJsonObject> got = framesSince(*client, marks.at(i++));
        QVERIFY2(got.isEmpty(), qPrintable(QStringLiteral("got ") + compact(got.value(0))));
        QVERIFY(client->isConnected());
    }
    QVERIFY(m.bans().isEmpty());
    QCOMPARE(s.auditCount(), audit);
    const ServerStats after = s.server.stats();
    QCOMPARE(after.kicks, before.kicks);
    QCOMPARE(after.bans, before.bans);
    QCOMPARE(after.messagesPosted, before.messagesPosted);
    QCOMPARE(after.rooms, before.rooms);
    QVERIFY(after.accepting);
    const Room *r = s.server.rooms().find(room);
    QVERIFY(r);
    QCOMPARE(r->participantCount(), 3);
    QVERIFY(!r->settings().chatLocked && !r->settings().closed);
    QCOMPARE(r->settings().maxParticipants, 0);
    QVERIFY(r->settings().webhook.isEmpty());
    QCOMPARE(r->lastMessageId(), qint64(0));
    QVERIFY(!r->isPinned());
    QVERIFY(!r->isAdmin(userOf(carol)));
    QCOMPARE(s.server.users().find(userOf(bob))->color, str(bob.session(), "color"));
}

ROOMKEEPER_SERVER_TEST_MAIN(ModerationTest)
#include "tst_moderation.moc"

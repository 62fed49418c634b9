// Both protocols in one room (PROTOCOL.md: "Both protocols share one server state"):
// every event that one side causes reaches the other side in its own form. Messages
// with the same ids, enter/exit, read receipts, kicks and bans from /ws, /gateway and the
// operator console, setting changes, admin and colour changes, and the room closing.

#include "gatewayclient.h"
#include "gatewaytest.h"
#include "servertestmain.h"

#include "server/chatserver.h"

#include <QJsonArray>
#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QUuid uuid(const QString &text)
{
    return QUuid::fromString(text);
}

Actor console()
{
    return Actor::operatorConsole();
}

// alice (on /ws) created "mix" and wendy (/ws) is in it; on the gateway gina, whom alice
// made an admin, and gus, a member. Every frame of the setting up has been consumed.
struct Mix
{
    Mix() : server(config()) {}

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
            !wendy.open(port, QStringLiteral("name=wendy")))
            return false;
        room = alice.createRoom(QStringLiteral("mix"));
        if (room.isEmpty() || !wendy.enter(room) ||
            !gina.open(port, room, QStringLiteral("gina"), QString()) ||
            !gus.open(port, room, QStringLiteral("gus"), QString()))
            return false;
        alice.send(
            request("admin", {{"room_id", room}, {"user_id", gina.userId()}, {"admin", true}}));
        for (GatewayClient *c : {&gina, &gus}) {
            if (c->waitForOp(6, [this](const QJsonObject &d) {
                     return str(d, "userId") == gina.userId();
                 }).isEmpty())
                return false;
            c->drain();
        }
        for (TestClient *c : {&alice, &wendy}) {
            if (picture(*c, [this](const QJsonObject &o) {
                    return participant(o, gina.userId()).value(QLatin1StringView("admin")).toBool();
                }).isEmpty())
                return false;
            drain(*c);
        }
        return true;
    }

    // The next 'room' picture of this room at a /ws client that satisfies 'match'.
    QJsonObject picture(TestClient &client,
                        const std::function<bool(const QJsonObject &)> &match = {})
    {
        return client.waitFor(QStringLiteral("room"), [&](const QJsonObject &o) {
            return str(o, "room_id") == room && (!match || match(o));
        });
    }

    ChatServer server;
    quint16 port = 0;
    QString room;
    TestClient alice;
    TestClient wendy;
    GatewayClient gina;
    GatewayClient gus;
};

// Sends a marker change from the console and returns the next op 4 'client' gets: if an
// earlier change was (wrongly) sent to 'client', that one comes back instead.
QJsonObject nextUpdateAfterMarker(Mix &m, GatewayClient &client, int marker)
{
    RoomUpdate u;
    u.maxParticipants = marker;
    if (m.server.moderation().update(console(), uuid(m.room), u))
        return QJsonObject();
    return client.waitForData(4);
}

// The next 'exit' of 'user' from the room at a /ws client.
QJsonObject exitOf(Mix &m, TestClient &client, const QString &user)
{
    return client.waitFor(QStringLiteral("exit"), [&](const QJsonObject &o) {
        return str(o, "room_id") == m.room && str(o, "user_id") == user;
    });
}

// One message as both protocols tell it, reduced to what must agree.
struct Seen
{
    qint64 id;
    QString author;
    QString name;
    QString content;
    qint64 time;
    bool operator==(const Seen &) const = default;
};

Seen fromWs(const QJsonObject &o)
{
    return {num(o, "message_id"), str(o, "user_id"), str(o, "name"), str(o, "content"),
            num(o, "time")};
}

Seen fromGateway(const QJsonObject &d)
{
    return {num(d, "messageId"), str(d, "authorId"), str(d, "authorName"), str(d, "content"),
            num(d, "sentAt")};
}

QString describe(const Seen &s)
{
    return QStringLiteral("#%1 %2 (%3) '%4' at %5")
        .arg(s.id)
        .arg(s.author, s.name, s.content)
        .arg(s.time);
}

} // namespace

class CrossProtocolTest : public QObject
{
    Q_OBJECT

private slots:
    void messagesCarryTheSameIds();
    void enterAndExitBothWays();
    void readReceiptsBothWays();
    void kickAndBanFromRoomProtocol();
    void kickAndBanFromGateway();
    void kickAndBanFromConsole();
    void banEndsEveryConnectionOfTheUser();
    void settingsFromEitherSide();
    void adminAndColourBothWays();
    void roomClosesForEveryone_data();
    void roomClosesForEveryone();
};

void CrossProtocolTest::messagesCarryTheSameIds()
{
    Mix m;
    QVERIFY(m.open());

    // One from each side first.
    m.wendy.send(request("message", {{"room_id", m.room}, {"content", QStringLiteral("from ws")}}));
    const Seen first = fromGateway(m.gus.waitForData(3));
    QCOMPARE(first.id, qint64(1));
    QCOMPARE(first.author, m.wendy.userId());
    QCOMPARE(first.name, QStringLiteral("wendy"));
    QCOMPARE(first.content, QStringLiteral("from ws"));
    QCOMPARE(fromWs(waitForContent(m.alice, QStringLiteral("from ws"))), first);
    QCOMPARE(fromGateway(m.gina.waitForData(3)), first);
    QCOMPARE(fromWs(waitForContent(m.wendy, QStringLiteral("from ws"))), first);

    m.gus.sendOp(3, payload({{"content", QStringLiteral("from gateway")}}));
    const QJsonObject wsSide = waitForContent(m.wendy, QStringLiteral("from gateway"));
    QCOMPARE(str(wsSide, "room_id"), m.room);
    const Seen second = fromWs(wsSide);
    QCOMPARE(second.id, qint64(2));
    QCOMPARE(second.author, m.gus.userId());
    QCOMPARE(second.name, QStringLiteral("gus"));
    QCOMPARE(fromGateway(m.gus.waitForData(3)), second);
    QCOMPARE(fromGateway(m.gina.waitForData(3)), second);
    QCOMPARE(fromWs(waitForContent(m.alice, QStringLiteral("from gateway"))), second);

    // Interleaved bursts from both sides and an announcement from the console: everyone
    // sees the same messages with the same ids in the same order.
    const int each = 20;
    for (int i = 0; i < each; ++i) {
        m.wendy.send(
            request("message", {{"room_id", m.room}, {"content", QStringLiteral("w%1").arg(i)}}));
        m.gus.sendOp(3, payload({{"content", QStringLiteral("g%1").arg(i)}}));
        if (i == each / 2)
            QVERIFY(
                !m.server.moderation().announce(console(), uuid(m.room), QStringLiteral("notice")));
    }
    const qint64 lastId = 2 + 2 * each + 1;
    QList<QList<Seen>> views;
    for (TestClient *c : {&m.alice, &m.wendy}) {
        QList<Seen> view;
        while (view.size() < lastId - 2) {
            const QJsonObject o = c->waitFor(QStringLiteral("message"));
            QVERIFY2(!o.isEmpty(), "a /ws member missed messages");
            view.append(fromWs(o));
        }
        views.append(view);
    }
    for (GatewayClient *c : {&m.gina, &m.gus}) {
        QList<Seen> view;
        while (view.size() < lastId - 2) {
            const QJsonObject d = c->waitForData(3);
            QVERIFY2(!d.isEmpty(), "a gateway member missed messages");
            view.append(fromGateway(d));
        }
        views.append(view);
    }
    const QList<Seen> &reference = views.first();
    for (qsizetype i = 0; i < reference.size(); ++i)
        QCOMPARE(reference.at(i).id, qint64(3 + i));
    for (const QList<Seen> &view : std::as_const(views)) {
        for (qsizetype i = 0; i < reference.size(); ++i)
            QVERIFY2(view.at(i) == reference.at(i),
                     qPrintable(describe(view.at(i)) + QStringLiteral(" vs ") +
                                describe(reference.at(i))));
    }
    int nextW = 0;
    int nextG = 0;
    bool sawNotice = false;
    for (const Seen &s : reference) {
        if (s.author == m.wendy.userId()) {
            QCOMPARE(s.content, QStringLiteral("w%1").arg(nextW++));
        } else if (s.author == m.gus.userId()) {
            QCOMPARE(s.content, QStringLiteral("g%1").arg(nextG++));
        } else {
            QCOMPARE(s.content, QStringLiteral("notice"));
            sawNotice = true;
        }
    }
    QVERIFY(nextW == each && nextG == each && sawNotice);
    QCOMPARE(m.server.rooms().find(uuid(m.room))->lastMessageId(), lastId);
}

void CrossProtocolTest::enterAndExitBothWays()
{
    Mix m;
    QVERIFY(m.open());

    // A gateway user enters: /ws members get 'enter', gateway members op 9.
    GatewayClient gail;
    QVERIFY(gail.open(m.port, m.room, QStringLiteral("gail"), QString()));
    const QJsonObject entered = m.alice.waitFor(QStringLiteral("enter"));
    QCOMPARE(str(entered, "room_id"), m.room);
    QCOMPARE(str(entered, "user_id"), gail.userId());
    QCOMPARE(str(entered, "name"), QStringLiteral("gail"));
    QCOMPARE(entered.value(QLatin1StringView("admin")), QJsonValue(false));
    QCOMPARE(str(entered, "color"), str(gail.ready(), "color"));
    QCOMPARE(m.gus.waitForData(9), payload({{"userId", gail.userId()},
                                            {"name", QStringLiteral("gail")},
                                            {"color", str(gail.ready(), "color")},
                                            {"admin", false}}));
    // The newcomer's ready lists everyone, whatever their protocol.
    const QJsonArray people = gail.ready().value(QLatin1StringView("participants")).toArray();
    QStringList ids;
    for (const QJsonValue &v : people)
        ids << str(v.toObject(), "userId");
    for (const QString &id :
         {m.alice.userId(), m.wendy.userId(), m.gina.userId(), m.gus.userId(), gail.userId()})
        QVERIFY2(ids.contains(id), qPrintable(ids.join(QLatin1Char(','))));

    // A /ws user enters: gateway members get op 9 with what 'enter' says.
    TestClient walt;
    QVERIFY(walt.open(m.port, QStringLiteral("name=walt")));
    QVERIFY(walt.enter(m.room));
    const QJsonObject waltEnter =
        m.wendy.waitFor(QStringLiteral("enter"),
                        [&](const QJsonObject &o) { return str(o, "user_id") == walt.userId(); });
    QVERIFY(!waltEnter.isEmpty());
    QCOMPARE(m.gus.waitForData(9), payload({{"userId", walt.userId()},
                                            {"name", QStringLiteral("walt")},
                                            {"color", str(waltEnter, "color")},
                                            {"admin", false}}));

    // An admin entering is told as one on both sides.
    TestClient ada;
    QVERIFY(ada.open(m.port, QStringLiteral("name=ada")));
    QVERIFY(!m.server.moderation().setAdmin(console(), uuid(m.room), uuid(ada.userId()), true));
    GatewayClient adaGw;
    QVERIFY(adaGw.open(m.port, m.room, QString(), ada.token()));
    QCOMPARE(m.alice
                 .waitFor(QStringLiteral("enter"),
                          [&](const QJsonObject &o) { return str(o, "user_id") == ada.userId(); })
                 .value(QLatin1StringView("admin")),
             QJsonValue(true));
    QCOMPARE(m.gus.waitForData(9).value(QLatin1StringView("admin")), QJsonValue(true));

    // walt leaves on /ws: op 10 without a reason.
    walt.send(request("exit", {{"room_id", m.room}}));
    QCOMPARE(m.gus.waitForData(10), payload({{"userId", walt.userId()}}));
    QCOMPARE(str(m.alice.waitFor(QStringLiteral("exit")), "user_id"), walt.userId());

    // gail disconnects from the gateway: 'exit' on /ws, op 10 on the gateway.
    gail.close();
    QVERIFY(gail.waitForDisconnect());
    const QJsonObject gone = m.wendy.waitFor(QStringLiteral("exit"), [&](const QJsonObject &o) {
        return str(o, "user_id") == gail.userId();
    });
    QVERIFY(!gone.isEmpty());
    QCOMPARE(str(gone, "room_id"), m.room);
    QVERIFY2(!gone.contains(QLatin1StringView("reason")), qPrintable(compact(gone)));
    QCOMPARE(m.gina.waitForData(
                 10, [&](const QJsonObject &d) { return str(d, "userId") == gail.userId(); }),
             payload({{"userId", gail.userId()}}));
}

void CrossProtocolTest::readReceiptsBothWays()
{
    Mix m;
    QVERIFY(m.open());
    m.alice.send(request("message", {{"room_id", m.room}, {"content", QStringLiteral("one")}}));
    QVERIFY(!m.gus.waitForOp(3).isEmpty());

    m.gus.sendOp(11, payload({{"messageId", 1}}));
    for (TestClient *c : {&m.alice, &m.wendy}) {
        const QJsonObject r = waitInRoom(*c, "read", m.room);
        QCOMPARE(num(r, "message_id"), qint64(1));
        QCOMPARE(str(r, "user_id"), m.gus.userId());
    }
    QCOMPARE(m.gina.waitForData(11), payload({{"messageId", 1}, {"userId", m.gus.userId()}}));

    m.wendy.send(request("read", {{"room_id", m.room}, {"message_id", 1}}));
    for (GatewayClient *c : {&m.gina, &m.gus}) {
        const QJsonObject d = c->waitForData(
            11, [&](const QJsonObject &o) { return str(o, "userId") == m.wendy.userId(); });
        QCOMPARE(d, payload({{"messageId", 1}, {"userId", m.wendy.userId()}}));
    }
    QCOMPARE(str(waitInRoom(m.alice, "read", m.room), "user_id"), m.wendy.userId());
}

void CrossProtocolTest::kickAndBanFromRoomProtocol()
{
    Mix m;
    QVERIFY(m.open());

    // A kick of a gateway user from /ws.
    m.alice.send(request("kick", {{"room_id", m.room},
                                  {"user_id", m.gus.userId()},
                                  {"message", QStringLiteral("cool off")}}));
    QCOMPARE(m.gus.waitForData(5), payload({{"userId", m.gus.userId()}}));
    QVERIFY(m.gus.waitForDisconnect());
    QCOMPARE(m.gus.closeCode(), 4010);
    QCOMPARE(m.gina.waitForData(5), payload({{"userId", m.gus.userId()}}));
    const QJsonObject kicked = waitInRoom(m.wendy, "exit", m.room);
    QCOMPARE(str(kicked, "user_id"), m.gus.userId());
    QCOMPARE(str(kicked, "reason"), QStringLiteral("kick"));

    // Back, then banned from /ws.
    GatewayClient gus;
    QVERIFY(gus.open(m.port, m.room, QString(), m.gus.token()));
    QCOMPARE(gus.userId(), m.gus.userId());
    m.alice.send(
        request("kick", {{"room_id", m.room}, {"user_id", gus.userId()}, {"permanent", true}}));
    QCOMPARE(gus.waitForData(5), payload({{"userId", gus.userId()}}));
    QVERIFY(gus.waitForDisconnect());
    QCOMPARE(gus.closeCode(), 4011);
    QCOMPARE(m.gina.waitForData(5), payload({{"userId", gus.userId()}}));
    QCOMPARE(m.gina.waitForData(6), payload({{"userId", gus.userId()}, {"banned", true}}));
    const QJsonObject banned = m.wendy.waitFor(QStringLiteral("exit"), [&](const QJsonObject &o) {
        return str(o, "user_id") == gus.userId() && o.contains(QLatin1StringView("reason"));
    });
    QCOMPARE(str(banned, "reason"), QStringLiteral("ban"));
    {
        GatewayClient again;
        QVERIFY(again.connectTo(m.port, GatewayClient::query(m.room, QString(), gus.token())));
        QVERIFY(again.waitForDisconnect());
        QCOMPARE(again.closeCode(), 4003);
    }

    // Unbanned from /ws: the gateway hears op 6 banned:false, and gus may come back.
    m.alice.send(request("unban", {{"room_id", m.room}, {"user_id", gus.userId()}}));
    QCOMPARE(m.gina.waitForData(6), payload({{"userId", gus.userId()}, {"banned", false}}));
    GatewayClient back;
    QVERIFY(back.open(m.port, m.room, QString(), gus.token()));
}

void CrossProtocolTest::kickAndBanFromGateway()
{
    Mix m;
    QVERIFY(m.open());

    // A gateway admin kicks a /ws member.
    m.gina.sendOp(5, payload({{"userId", m.wendy.userId()}}));
    const QJsonObject kick = m.wendy.waitFor(QStringLiteral("kick"));
    QVERIFY2(!kick.isEmpty(), "the /ws member got no 'kick'");
    QCOMPARE(str(kick, "room_id"), m.room);
    QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(false));
    const QJsonObject exit = waitInRoom(m.alice, "exit", m.room);
    QCOMPARE(str(exit, "user_id"), m.wendy.userId());
    QCOMPARE(str(exit, "reason"), QStringLiteral("kick"));
    QCOMPARE(m.gus.waitForData(5), payload({{"userId", m.wendy.userId()}}));
    QCOMPARE(m.gina.waitForData(5), payload({{"userId", m.wendy.userId()}}));
    // Out of the room but still connected; she may come back.
    QVERIFY(m.wendy.isConnected());
    QVERIFY(!m.server.rooms().find(uuid(m.room))->hasParticipant(uuid(m.wendy.userId())));
    QVERIFY(m.wendy.enter(m.room));
    QVERIFY(!m.gus.waitForOp(9).isEmpty());

    // A gateway admin bans a /ws member.
    m.gina.sendOp(5, payload({{"userId", m.wendy.userId()}, {"banned", true}}));
    const QJsonObject ban = m.wendy.waitFor(QStringLiteral("kick"));
    QCOMPARE(ban.value(QLatin1StringView("permanent")), QJsonValue(true));
    QCOMPARE(str(ban, "room_id"), m.room);
    QCOMPARE(str(waitInRoom(m.alice, "exit", m.room), "reason"), QStringLiteral("ban"));
    QCOMPARE(m.gus.waitForData(5), payload({{"userId", m.wendy.userId()}}));
    QCOMPARE(m.gus.waitForData(6), payload({{"userId", m.wendy.userId()}, {"banned", true}}));
    m.wendy.send(request("enter", {{"room_id", m.room}}));
    EXPECT_ERROR(m.wendy, "banned", "enter", m.room);
    QVERIFY(m.wendy.isConnected());

    // And a gateway admin may not kick the /ws creator (rank).
    m.gina.sendOp(5, payload({{"userId", m.alice.userId()}}));
    EXPECT_OP12(m.gina, "forbidden");
    QVERIFY(m.server.rooms().find(uuid(m.room))->hasParticipant(uuid(m.alice.userId())));
}

void CrossProtocolTest::kickAndBanFromConsole()
{
    Mix m;
    QVERIFY(m.open());
    ModerationService &mod = m.server.moderation();

    QVERIFY(!mod.kick(console(), uuid(m.room), uuid(m.gus.userId()), QStringLiteral("out")));
    QCOMPARE(m.gus.waitForData(5), payload({{"userId", m.gus.userId()}}));
    QVERIFY(m.gus.waitForDisconnect());
    QCOMPARE(m.gus.closeCode(), 4010);
    QCOMPARE(m.gina.waitForData(5), payload({{"userId", m.gus.userId()}}));
    QCOMPARE(str(exitOf(m, m.wendy, m.gus.userId()), "reason"), QStringLiteral("kick"));

    QVERIFY(!mod.kick(console(), uuid(m.room), uuid(m.wendy.userId()), QStringLiteral("out")));
    const QJsonObject kick = m.wendy.waitFor(QStringLiteral("kick"));
    QCOMPARE(kick.value(QLatin1StringView("permanent")), QJsonValue(false));
    QCOMPARE(str(kick, "message"), QStringLiteral("out"));
    QCOMPARE(m.gina.waitForData(5), payload({{"userId", m.wendy.userId()}}));
    QCOMPARE(str(exitOf(m, m.alice, m.wendy.userId()), "reason"), QStringLiteral("kick"));

    // Bans: the console outranks everyone, even the room's admin.
    QVERIFY(!mod.ban(console(), uuid(m.room), uuid(m.gina.userId()), QStringLiteral("gone")));
    QCOMPARE(m.gina.waitForData(5), payload({{"userId", m.gina.userId()}}));
    QVERIFY(m.gina.waitForDisconnect());
    QCOMPARE(m.gina.closeCode(), 4011);
    QCOMPARE(str(exitOf(m, m.alice, m.gina.userId()), "reason"), QStringLiteral("ban"));
    QVERIFY(!isAdminOf(m.server, m.room, m.gina.userId()));

    GatewayClient watcher;
    QVERIFY(watcher.open(m.port, m.room, QStringLiteral("watcher"), QString()));
    QVERIFY(m.wendy.enter(m.room));
    QVERIFY(!watcher
                 .waitForOp(
                     9, [&](const QJsonObject &d) { return str(d, "userId") == m.wendy.userId(); })
                 .isEmpty());
    QVERIFY(!mod.ban(console(), uuid(m.room), uuid(m.wendy.userId()), QString()));
    QCOMPARE(m.wendy.waitFor(QStringLiteral("kick")).value(QLatin1StringView("permanent")),
             QJsonValue(true));
    QCOMPARE(watcher.waitForData(5), payload({{"userId", m.wendy.userId()}}));
    QCOMPARE(watcher.waitForData(6), payload({{"userId", m.wendy.userId()}, {"banned", true}}));
    QVERIFY(!mod.unban(console(), uuid(m.room), uuid(m.wendy.userId())));
    QCOMPARE(watcher.waitForData(6), payload({{"userId", m.wendy.userId()}, {"banned", false}}));
    QVERIFY(m.wendy.enter(m.room));
}

void CrossProtocolTest::banEndsEveryConnectionOfTheUser()
{
    Mix m;
    QVERIFY(m.open());
    // bob is in the room on both protocols at once.
    TestClient bobWs;
    QVERIFY(bobWs.open(m.port, QStringLiteral("name=bob")));
    QVERIFY(bobWs.enter(m.room));
    GatewayClient bobGw;
    QVERIFY(bobGw.open(m.port, m.room, QString(), bobWs.token()));
    QCOMPARE(bobGw.userId(), bobWs.userId());
    GatewayClient bobGw2;
    QVERIFY(bobGw2.open(m.port, m.room, QString(), bobWs.token()));

    // A kick from /ws takes both out.
    m.alice.send(request("kick", {{"room_id", m.room}, {"user_id", bobWs.userId()}}));
    QCOMPARE(bobWs.waitFor(QStringLiteral("kick")).value(QLatin1StringView("permanent")),
             QJsonValue(false));
    for (GatewayClient *c : {&bobGw, &bobGw2}) {
        QCOMPARE(c->waitForData(5), payload({{"userId", bobWs.userId()}}));
        QVERIFY(c->waitForDisconnect());
        QCOMPARE(c->closeCode(), 4010);
    }
    QVERIFY(!m.server.rooms().find(uuid(m.room))->hasParticipant(uuid(bobWs.userId())));
    // The others hear of it once.
    QCOMPARE(m.gus.waitForData(5), payload({{"userId", bobWs.userId()}}));
    QVERIFY(!m.gus.receivesOpWithin(5, 200));
    QCOMPARE(str(waitInRoom(m.wendy, "exit", m.room), "reason"), QStringLiteral("kick"));
    QVERIFY(!m.wendy.receivesWithin(QStringLiteral("exit"), 100));

    // Back on both, then a ban from the gateway.
    QVERIFY(bobWs.enter(m.room));
    GatewayClient bobGw3;
    QVERIFY(bobGw3.open(m.port, m.room, QString(), bobWs.token()));
    m.gina.sendOp(5, payload({{"userId", bobWs.userId()}, {"banned", true}}));
    QCOMPARE(bobWs.waitFor(QStringLiteral("kick")).value(QLatin1StringView("permanent")),
             QJsonValue(true));
    QCOMPARE(bobGw3.waitForData(5), payload({{"userId", bobWs.userId()}}));
    QVERIFY(bobGw3.waitForDisconnect());
    QCOMPARE(bobGw3.closeCode(), 4011);
    bobWs.send(request("enter", {{"room_id", m.room}}));
    EXPECT_ERROR(bobWs, "banned", "enter", m.room);
}

void CrossProtocolTest::settingsFromEitherSide()
{
    Mix m;
    QVERIFY(m.open());
    const auto update = [&m](std::initializer_list<Field> fields) {
        QJsonObject r = request("update", {{"room_id", m.room}});
        for (const Field &f : fields)
            r.insert(QString::fromLatin1(f.key), f.value);
        m.alice.send(r);
    };

    // From /ws: the gateway gets op 4 with only what changed.
    update({{"chat_locked", true}});
    QCOMPARE(m.gus.waitForData(4), payload({{"chatLocked", true}}));
    QCOMPARE(m.gina.waitForData(4), payload({{"chatLocked", true}}));
    QCOMPARE(m.picture(m.wendy).value(QLatin1StringView("chat_locked")), QJsonValue(true));

    update({{"closed", true}, {"max_participants", 12}, {"chat_locked", true}});
    QCOMPARE(m.gus.waitForData(4), payload({{"roomLocked", true}, {"maxParticipants", 12}}));
    QCOMPARE(m.gina.waitForData(4), payload({{"roomLocked", true}, {"maxParticipants", 12}}));

    // The webhook from /ws: gateway admins only.
    const QString hook = QStringLiteral("https://hooks.example/one");
    update({{"webhook", hook}});
    QCOMPARE(m.gina.waitForData(4), payload({{"discordWebhookLink", hook}}));
    QCOMPARE(nextUpdateAfterMarker(m, m.gus, 11), payload({{"maxParticipants", 11}}));
    QCOMPARE(m.gina.waitForData(4), payload({{"maxParticipants", 11}}));

    // A rename from /ws reaches the gateway as well.
    update({{"name", QStringLiteral("renamed")}});
    QCOMPARE(str(m.gus.waitForData(4), "name"), QStringLiteral("renamed"));
    QCOMPARE(str(m.gina.waitForData(4), "name"), QStringLiteral("renamed"));

    // From the gateway: /ws members get the 'room' picture, the webhook to admins only.
    m.gina.sendOp(4, payload({{"chatLocked", false}, {"maxParticipants", 3}}));
    for (TestClient *c : {&m.alice, &m.wendy}) {
        const QJsonObject p =
            m.picture(*c, [](const QJsonObject &o) { return num(o, "max_participants") == 3; });
        QCOMPARE(p.value(QLatin1StringView("chat_locked")), QJsonValue(false));
        QCOMPARE(p.value(QLatin1StringView("closed")), QJsonValue(true));
        QCOMPARE(num(p, "max_participants"), qint64(3));
        QCOMPARE(str(p, "name"), QStringLiteral("renamed"));
        if (c == &m.alice)
            QCOMPARE(str(p, "webhook"), hook);
        else
            QVERIFY2(!p.contains(QLatin1StringView("webhook")), "the webhook went to a member");
    }
    QCOMPARE(m.gus.waitForData(4), payload({{"chatLocked", false}, {"maxParticipants", 3}}));

    const QString hook2 = QStringLiteral("http://hooks.example/two");
    m.gina.sendOp(4, payload({{"discordWebhookLink", hook2}, {"roomLocked", false}}));
    const auto unlocked = [](const QJsonObject &o) {
        return !o.value(QLatin1StringView("closed")).toBool();
    };
    QCOMPARE(str(m.picture(m.alice, unlocked), "webhook"), hook2);
    const QJsonObject wendySees = m.picture(m.wendy, unlocked);
    QCOMPARE(wendySees.value(QLatin1StringView("closed")), QJsonValue(false));
    QVERIFY(!wendySees.contains(QLatin1StringView("webhook")));
    QCOMPARE(m.gus.waitForData(4), payload({{"roomLocked", false}}));
    QCOMPARE(settingsOf(m.server, m.room).webhook, hook2);

    // From the console (panic action): both sides.
    QVERIFY(!m.server.moderation().muteAllRooms(console(), true));
    QCOMPARE(m.gus.waitForData(4), payload({{"chatLocked", true}}));
    QVERIFY(!m.picture(m.wendy, [](const QJsonObject &o) {
                  return o.value(QLatin1StringView("chat_locked")).toBool();
              }).isEmpty());

    // A gateway member may not; a /ws member neither.
    m.gus.sendOp(4, payload({{"chatLocked", false}}));
    EXPECT_OP12(m.gus, "forbidden");
    m.wendy.send(request("update", {{"room_id", m.room}, {"chat_locked", false}}));
    EXPECT_ERROR(m.wendy, "forbidden", "update", m.room);
    QVERIFY(settingsOf(m.server, m.room).chatLocked);
}

void CrossProtocolTest::adminAndColourBothWays()
{
    Mix m;
    QVERIFY(m.open());
    const auto adminIn = [](const QJsonObject &picture, const QString &user) {
        return participant(picture, user).value(QLatin1StringView("admin")).toBool();
    };

    // Granted on /ws: op 6 on the gateway, and the grantee's rights work there.
    m.alice.send(
        request("admin", {{"room_id", m.room}, {"user_id", m.gus.userId()}, {"admin", true}}));
    QCOMPARE(m.gus.waitForData(6), payload({{"userId", m.gus.userId()}, {"admin", true}}));
    QCOMPARE(m.gina.waitForData(6), payload({{"userId", m.gus.userId()}, {"admin", true}}));
    QVERIFY(!m.picture(m.wendy, [&](const QJsonObject &p) {
                  return adminIn(p, m.gus.userId());
              }).isEmpty());
    m.gus.sendOp(4, payload({{"maxParticipants", 20}}));
    QCOMPARE(m.gus.waitForData(4), payload({{"maxParticipants", 20}}));

    // Granted on the gateway: the /ws pictures show it.
    m.gina.sendOp(6, payload({{"userId", m.wendy.userId()}, {"admin", true}}));
    for (TestClient *c : {&m.alice, &m.wendy})
        QVERIFY(!m.picture(*c, [&](const QJsonObject &p) {
                      return adminIn(p, m.wendy.userId());
                  }).isEmpty());
    QCOMPARE(m.gus.waitForData(6), payload({{"userId", m.wendy.userId()}, {"admin", true}}));
    // and wendy's rights work on /ws.
    m.wendy.send(request("update", {{"room_id", m.room}, {"chat_locked", true}}));
    QCOMPARE(m.gus.waitForData(4), payload({{"chatLocked", true}}));

    // Revoked on /ws (gina may not: equal rank), then a colour from the gateway: the /ws
    // pictures carry it.
    m.gina.sendOp(6, payload({{"userId", m.wendy.userId()}, {"admin", false}}));
    EXPECT_OP12(m.gina, "forbidden");
    m.alice.send(
        request("admin", {{"room_id", m.room}, {"user_id", m.wendy.userId()}, {"admin", false}}));
    QCOMPARE(m.gus.waitForData(6), payload({{"userId", m.wendy.userId()}, {"admin", false}}));
    m.gina.sendOp(6, payload({{"userId", m.wendy.userId()}, {"color", QStringLiteral("#123abc")}}));
    QCOMPARE(m.gus.waitForData(6),
             payload({{"userId", m.wendy.userId()}, {"color", QStringLiteral("#123abc")}}));
    for (TestClient *c : {&m.alice, &m.wendy}) {
        const QJsonObject p = m.picture(*c, [&](const QJsonObject &o) {
            return str(participant(o, m.wendy.userId()), "color") == QLatin1StringView("#123abc");
        });
        QVERIFY2(!p.isEmpty(), "the /ws picture does not show the new colour");
        QVERIFY(!adminIn(p, m.wendy.userId()));
    }

    // A colour from the console: both sides.
    QVERIFY(!m.server.moderation().setColor(console(), QUuid(), uuid(m.gus.userId()),
                                            QStringLiteral("#abcdef")));
    QCOMPARE(m.gina.waitForData(6,
                                [&](const QJsonObject &d) {
                                    return str(d, "userId") == m.gus.userId() &&
                                           d.contains(QLatin1StringView("color"));
                                }),
             payload({{"userId", m.gus.userId()}, {"color", QStringLiteral("#abcdef")}}));
    QVERIFY(!m.picture(m.wendy, [&](const QJsonObject &o) {
                  return str(participant(o, m.gus.userId()), "color") ==
                         QLatin1StringView("#abcdef");
              }).isEmpty());

    // Revoked on /ws: the gateway admin loses its rights there.
    m.alice.send(
        request("admin", {{"room_id", m.room}, {"user_id", m.gina.userId()}, {"admin", false}}));
    QCOMPARE(m.gina.waitForData(
                 6, [&](const QJsonObject &d) { return str(d, "userId") == m.gina.userId(); }),
             payload({{"userId", m.gina.userId()}, {"admin", false}}));
    QVERIFY(!m.picture(m.wendy, [&](const QJsonObject &p) {
                  return !adminIn(p, m.gina.userId());
              }).isEmpty());
    m.gina.sendOp(4, payload({{"chatLocked", false}}));
    EXPECT_OP12(m.gina, "forbidden");

    // Rank across protocols: gus (an admin) may not demote or recolour the /ws creator.
    m.gus.sendOp(6, payload({{"userId", m.alice.userId()}, {"admin", false}}));
    EXPECT_OP12(m.gus, "forbidden");
    m.gus.sendOp(6, payload({{"userId", m.alice.userId()}, {"color", QStringLiteral("#000000")}}));
    EXPECT_OP12(m.gus, "forbidden");
    QVERIFY(isAdminOf(m.server, m.room, m.alice.userId()));
    QVERIFY(colorOf(m.server, m.alice.userId()) != QLatin1StringView("#000000"));
}

void CrossProtocolTest::roomClosesForEveryone_data()
{
    QTest::addColumn<QString>("by");
    QTest::newRow("from /ws") << QStringLiteral("ws");
    QTest::newRow("from the gateway") << QStringLiteral("gateway");
    QTest::newRow("from the console") << QStringLiteral("console");
}

void CrossProtocolTest::roomClosesForEveryone()
{
    QFETCH(QString, by);
    Mix m;
    QVERIFY(m.open());
    QString message;
    if (by == QLatin1StringView("ws")) {
        message = QStringLiteral("bye");
        m.alice.send(request("close", {{"room_id", m.room}, {"message", message}}));
    } else if (by == QLatin1StringView("gateway")) {
        m.gina.sendOp(7);
    } else {
        message = QStringLiteral("closed by the operator");
        QVERIFY(!m.server.moderation().closeRoom(console(), uuid(m.room), message));
    }
    for (TestClient *c : {&m.alice, &m.wendy}) {
        const QJsonObject closed = waitInRoom(*c, "room_closed", m.room);
        QVERIFY2(!closed.isEmpty(), "a /ws member got no room_closed");
        if (!message.isEmpty())
            QCOMPARE(str(closed, "message"), message);
        QVERIFY(c->isConnected()); // the room is gone, the /ws connection stays
    }
    for (GatewayClient *c : {&m.gina, &m.gus}) {
        const QJsonObject frame = c->waitForOp(7);
        QVERIFY2(!frame.isEmpty(), "a gateway member got no op 7");
        QVERIFY(GatewayClient::data(frame).isEmpty());
        QVERIFY(c->waitForDisconnect());
        QCOMPARE(c->closeCode(), 1000);
        // op 7 was the last frame before the close.
        QCOMPARE(c->frames().last().value(QLatin1StringView("op")), QJsonValue(7));
    }
    QVERIFY(!roomExists(m.server, m.room));
    QVERIFY(listedRoom(roomList(m.wendy), m.room).isEmpty());
}

ROOMKEEPER_SERVER_TEST_MAIN(CrossProtocolTest)
#include "tst_crossprotocol.moc"

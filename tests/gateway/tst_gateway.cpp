// The gateway protocol of PROTOCOL.md §3 over real sockets: hello and ready, identity
// tokens, the refusals on opening (close codes of §4), heartbeats, every client op with
// its refusals, hostile input and the rate limit. Room-protocol members appear only
// where they are the simplest way to set a room up; tst_crossprotocol covers the mix.

#include "gatewayclient.h"
#include "gatewaytest.h"
#include "servertestmain.h"

#include "server/chatserver.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

constexpr int ShortInterval = 300;

ServerConfig unlimited()
{
    ServerConfig c = localConfig();
    c.maxMessageRate = 0;
    return c;
}

QUuid uuid(const QString &text)
{
    return QUuid::fromString(text);
}

// olive (on /ws) created "hall". On the gateway: 'owner' is olive again (her token: the
// creator, rank 2), 'ana' an admin the console appointed (rank 1), 'bob' and 'carol'
// plain members. Every frame of the setting up has been consumed.
struct Hall
{
    explicit Hall(const ServerConfig &config = unlimited()) : server(config) {}

    bool open()
    {
        server.start();
        port = server.port();
        if (!olive.open(port, QStringLiteral("name=olive")))
            return false;
        room = olive.createRoom(QStringLiteral("hall"));
        if (room.isEmpty() || !owner.open(port, room, QString(), olive.token()) ||
            !ana.open(port, room, QStringLiteral("ana"), QString()) ||
            !bob.open(port, room, QStringLiteral("bob"), QString()) ||
            !carol.open(port, room, QStringLiteral("carol"), QString()))
            return false;
        if (server.moderation().setAdmin(Actor::operatorConsole(), uuid(room), uuid(ana.userId()),
                                         true))
            return false;
        for (GatewayClient *c : gateways()) {
            if (c->waitForOp(6, [this](const QJsonObject &d) {
                     return str(d, "userId") == ana.userId();
                 }).isEmpty())
                return false;
            c->drain();
        }
        drain(olive);
        return true;
    }

    QList<GatewayClient *> gateways() { return {&owner, &ana, &bob, &carol}; }

    ChatServer server;
    quint16 port = 0;
    TestClient olive;
    QString room;
    GatewayClient owner;
    GatewayClient ana;
    GatewayClient bob;
    GatewayClient carol;
};

// Opens a gateway connection that the server is expected to refuse: returns the close
// code, or a negative number with 'why' set when something else happened.
int refusedWith(GatewayClient &client, quint16 port, const QString &query, QString *why)
{
    if (!client.connectTo(port, query)) {
        *why = QStringLiteral("the upgrade itself failed");
        return -1;
    }
    if (!client.waitForDisconnect()) {
        *why = QStringLiteral("the connection was not closed");
        return -1;
    }
    const QList<QJsonObject> frames = client.frames();
    if (frames.isEmpty() || frames.first().value(QLatin1StringView("op")).toInt(-1) != 0) {
        *why = QStringLiteral("hello was not the first frame");
        return -1;
    }
    if (!client.framesOfOp(8).isEmpty()) {
        *why = QStringLiteral("a refused connection got op 8 ready");
        return -1;
    }
    return client.closeCode();
}

#define EXPECT_REFUSED(port, query, code)                                                          \
    do {                                                                                           \
        GatewayClient refused_;                                                                    \
        QString why_;                                                                              \
        const int got_ = refusedWith(refused_, port, query, &why_);                                \
        QVERIFY2(got_ >= 0, qPrintable(why_));                                                     \
        QCOMPARE(got_, code);                                                                      \
    } while (false)

// Sends a marker change as the owner and returns the next op 4 'client' gets: if an
// earlier change was (wrongly) sent to 'client', that one comes back instead.
QJsonObject nextUpdateAfterMarker(Hall &h, GatewayClient &client, int marker)
{
    h.owner.sendOp(4, payload({{"maxParticipants", marker}}));
    return client.waitForData(4);
}

} // namespace

class GatewayTest : public QObject
{
    Q_OBJECT

private slots:
    // opening
    void helloComesFirst();
    void readyDescribesUserAndRoom();
    void readyGivesWebhookToAdminsOnly();
    void tokenResumesIdentity();
    void displayNameFromQuery_data();
    void displayNameFromQuery();
    void unknownRoomCloses4004_data();
    void unknownRoomCloses4004();
    void bannedUserCloses4003();
    void fullRoomCloses4005();
    void lockedRoomCloses4006();

    // heartbeats
    void heartbeatsKeepConnectionAlive();
    void silenceCloses4009();
    void clientAckGetsHeartbeatAtOnce();
    void ordinaryHeartbeatGetsNoAnswer();
    void serverAsksWithAck();

    // client ops
    void messagesReachEveryMember();
    void messageRefusals_data();
    void messageRefusals();
    void chatLockedLetsOnlyAdminsSend();
    void readReceipts();
    void readRefusals_data();
    void readRefusals();
    void adminChangesSettings();
    void settingsRefusals_data();
    void settingsRefusals();
    void kickClosesWith4010();
    void banClosesWith4011();
    void kickRefusals();
    void changeParticipant();
    void changeParticipantRefusals();
    void closeRoom();

    // hostile input and limits
    void malformedFrames_data();
    void malformedFrames();
    void binaryFrameIsBadJson();
    void optionalPayload();
    void oversizeFrameCloses1009();
    void heartbeatsNeverCountAgainstRateLimit();
    void floodingIsRateLimitedThenClosed();
    void shutdownCloses1001();

    void cleanupTestCase() { m_shared.reset(); }

private:
    // One hall for the data-driven refusals: every row leaves it as it was.
    Hall &shared()
    {
        if (!m_shared) {
            m_shared = std::make_unique<Hall>();
            if (!m_shared->open())
                qFatal("the shared hall did not open");
        }
        return *m_shared;
    }
    std::unique_ptr<Hall> m_shared;
    int m_marker = 1000;
};

// ---------------------------------------------------------------------------------------
// opening

void GatewayTest::helloComesFirst()
{
    ServerConfig c = unlimited();
    c.heartbeatIntervalMs = 4321;
    ChatServer server(c);
    server.start();
    const QUuid room = std::get<QUuid>(server.moderation().createRoom(
        Actor::operatorConsole(), QStringLiteral("console room"), false));
    GatewayClient client;
    QVERIFY(client.open(server.port(), room.toString(QUuid::WithoutBraces), QStringLiteral("zed"),
                        QString()));
    const QList<QJsonObject> frames = client.frames();
    QVERIFY(frames.size() >= 2);
    const QJsonObject hello = frames.at(0);
    QCOMPARE(hello.value(QLatin1StringView("op")), QJsonValue(0));
    QVERIFY2(hello.value(QLatin1StringView("d")).isObject(), qPrintable(compact(hello)));
    const QJsonObject d = GatewayClient::data(hello);
    QVERIFY(d.value(QLatin1StringView("heartbeatInterval")).isDouble());
    QCOMPARE(num(d, "heartbeatInterval"), qint64(4321));
    QCOMPARE(frames.at(1).value(QLatin1StringView("op")), QJsonValue(8));

    ChatServer defaults(unlimited());
    defaults.start();
    const QUuid other = std::get<QUuid>(
        defaults.moderation().createRoom(Actor::operatorConsole(), QStringLiteral("x"), false));
    GatewayClient second;
    QVERIFY(
        second.open(defaults.port(), other.toString(QUuid::WithoutBraces), QString(), QString()));
    QCOMPARE(num(second.hello(), "heartbeatInterval"), qint64(15000));
}

void GatewayTest::readyDescribesUserAndRoom()
{
    ChatServer server(unlimited());
    server.start();
    TestClient olive;
    QVERIFY(olive.open(server.port(), QStringLiteral("name=olive")));
    const QString room = olive.createRoom(QStringLiteral("hall"));
    QVERIFY(!room.isEmpty());
    olive.send(request("update", {{"room_id", room},
                                  {"chat_locked", true},
                                  {"max_participants", 10},
                                  {"webhook", QStringLiteral("https://hooks.example/abc")}}));
    QVERIFY(!waitInRoom(olive, "room", room).isEmpty());

    GatewayClient bob;
    QVERIFY(bob.open(server.port(), room, QStringLiteral("bob"), QString()));
    const QJsonObject r = bob.ready();
    QVERIFY2(isProtocolUuid(str(r, "userId")), qPrintable(compact(r)));
    QVERIFY(str(r, "userId") != olive.userId());
    QCOMPARE(str(r, "name"), QStringLiteral("bob"));
    QVERIFY2(r.value(QLatin1StringView("token")).isString() && str(r, "token").size() >= 16,
             qPrintable(compact(r)));
    QVERIFY2(colorPattern().match(str(r, "color")).hasMatch(), qPrintable(compact(r)));
    QCOMPARE(r.value(QLatin1StringView("admin")), QJsonValue(false));

    const QJsonObject info = r.value(QLatin1StringView("room")).toObject();
    QCOMPARE(str(info, "id"), room);
    QCOMPARE(str(info, "name"), QStringLiteral("hall"));
    QCOMPARE(info.value(QLatin1StringView("chatLocked")), QJsonValue(true));
    QCOMPARE(info.value(QLatin1StringView("roomLocked")), QJsonValue(false));
    QCOMPARE(info.value(QLatin1StringView("maxParticipants")), QJsonValue(10));
    QVERIFY2(!info.contains(QLatin1StringView("discordWebhookLink")),
             "the webhook went to a member");

    const QJsonArray people = r.value(QLatin1StringView("participants")).toArray();
    QCOMPARE(people.size(), 2);
    bool sawOlive = false;
    bool sawBob = false;
    for (const QJsonValue &v : people) {
        const QJsonObject p = v.toObject();
        QCOMPARE(p.keys().size(), 4); // userId, name, color, admin
        QVERIFY2(colorPattern().match(str(p, "color")).hasMatch(), qPrintable(compact(p)));
        if (str(p, "userId") == olive.userId()) {
            sawOlive = true;
            QCOMPARE(str(p, "name"), QStringLiteral("olive"));
            QCOMPARE(p.value(QLatin1StringView("admin")), QJsonValue(true));
            QCOMPARE(str(p, "color"), colorOf(server, olive.userId()));
        } else if (str(p, "userId") == str(r, "userId")) {
            sawBob = true;
            QCOMPARE(str(p, "name"), QStringLiteral("bob"));
            QCOMPARE(p.value(QLatin1StringView("admin")), QJsonValue(false));
            QCOMPARE(str(p, "color"), str(r, "color"));
        }
    }
    QVERIFY2(sawOlive && sawBob, qPrintable(compact(r)));
}

void GatewayTest::readyGivesWebhookToAdminsOnly()
{
    ChatServer server(unlimited());
    server.start();
    TestClient olive;
    QVERIFY(olive.open(server.port(), QStringLiteral("name=olive")));
    const QString room = olive.createRoom(QStringLiteral("hall"));
    QVERIFY(!room.isEmpty());
    const QString hook = QStringLiteral("https://hooks.example/secret");

    // No webhook yet: admins see it empty (or absent), never anything else.
    GatewayClient first;
    QVERIFY(first.open(server.port(), room, QString(), olive.token()));
    QCOMPARE(first.ready().value(QLatin1StringView("admin")), QJsonValue(true));
    QCOMPARE(str(first.ready().value(QLatin1StringView("room")).toObject(), "discordWebhookLink"),
             QString());

    olive.send(request("update", {{"room_id", room}, {"webhook", hook}}));
    QVERIFY(!waitInRoom(olive, "room", room).isEmpty());

    GatewayClient owner;
    QVERIFY(owner.open(server.port(), room, QString(), olive.token()));
    QCOMPARE(owner.userId(), olive.userId());
    QCOMPARE(owner.name(), QStringLiteral("olive"));
    QCOMPARE(owner.ready().value(QLatin1StringView("admin")), QJsonValue(true));
    QCOMPARE(str(owner.ready().value(QLatin1StringView("room")).toObject(), "discordWebhookLink"),
             hook);

    GatewayClient member;
    QVERIFY(member.open(server.port(), room, QStringLiteral("mia"), QString()));
    QVERIFY(!member.ready()
                 .value(QLatin1StringView("room"))
                 .toObject()
                 .contains(QLatin1StringView("discordWebhookLink")));

    // An admin appointed later sees it on its next ready.
    QVERIFY(!server.moderation().setAdmin(Actor::operatorConsole(), uuid(room),
                                          uuid(member.userId()), true));
    member.close();
    QVERIFY(member.waitForDisconnect());
    GatewayClient again;
    QVERIFY(again.open(server.port(), room, QString(), member.token()));
    QCOMPARE(again.ready().value(QLatin1StringView("admin")), QJsonValue(true));
    QCOMPARE(str(again.ready().value(QLatin1StringView("room")).toObject(), "discordWebhookLink"),
             hook);
}

void GatewayTest::tokenResumesIdentity()
{
    ChatServer server(unlimited());
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient first;
    QVERIFY(first.open(server.port(), room, QStringLiteral("bob"), QString()));
    const QString id = first.userId();
    first.close();
    QVERIFY(first.waitForDisconnect());

    GatewayClient second;
    QVERIFY(second.open(server.port(), room, QString(), first.token()));
    QCOMPARE(second.userId(), id);
    QCOMPARE(second.name(), QStringLiteral("bob"));
    QCOMPARE(second.ready().value(QLatin1StringView("color")),
             first.ready().value(QLatin1StringView("color")));

    // Admin rights follow the person.
    QVERIFY(!server.moderation().setAdmin(Actor::operatorConsole(), uuid(room), uuid(id), true));
    second.close();
    QVERIFY(second.waitForDisconnect());
    GatewayClient third;
    QVERIFY(third.open(server.port(), room, QStringLiteral("bobby"), second.token()));
    QCOMPARE(third.userId(), id);
    QCOMPARE(third.name(), QStringLiteral("bobby")); // a resumed user may take a new name
    QCOMPARE(third.ready().value(QLatin1StringView("admin")), QJsonValue(true));

    // The same token works on the room protocol, and the other way round.
    TestClient ws;
    QVERIFY(ws.open(server.port(), QStringLiteral("token=") + third.token()));
    QCOMPARE(ws.userId(), id);
    TestClient wsOnly;
    QVERIFY(wsOnly.open(server.port(), QStringLiteral("name=wes")));
    GatewayClient fromWs;
    QVERIFY(fromWs.open(server.port(), room, QString(), wsOnly.token()));
    QCOMPARE(fromWs.userId(), wsOnly.userId());
    QCOMPARE(fromWs.name(), QStringLiteral("wes"));

    // An unknown or malformed token is ignored: a new identity and a new token.
    const QString unknownTokens[] = {QString(43, QLatin1Char('Z')), QStringLiteral("not a token!")};
    for (const QString &token : unknownTokens) {
        GatewayClient stranger;
        QVERIFY(stranger.open(server.port(), room, QStringLiteral("zed"), token));
        QVERIFY(isProtocolUuid(stranger.userId()));
        QVERIFY(stranger.userId() != id && stranger.userId() != wsOnly.userId());
        QVERIFY(!stranger.token().isEmpty() && stranger.token() != token);
    }
}

void GatewayTest::displayNameFromQuery_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expected"); // empty: a "guest-XXXX" name
    QTest::newRow("plain") << QStringLiteral("alice") << QStringLiteral("alice");
    QTest::newRow("trimmed") << QStringLiteral("  Ann Lee  ") << QStringLiteral("Ann Lee");
    QTest::newRow("missing") << QString() << QString();
    QTest::newRow("33 characters") << QString(33, QLatin1Char('n')) << QString();
    QTest::newRow("control character") << QStringLiteral("al\x01ice") << QString();
}

void GatewayTest::displayNameFromQuery()
{
    QFETCH(QString, name);
    QFETCH(QString, expected);
    ChatServer server(unlimited());
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient client;
    QVERIFY(client.open(server.port(), room, name, QString()));
    if (expected.isEmpty()) {
        static const QRegularExpression guest(QStringLiteral("^guest-[0-9A-Za-z]{4}$"));
        QVERIFY2(guest.match(client.name()).hasMatch(), qPrintable(client.name()));
    } else {
        QCOMPARE(client.name(), expected);
    }
    // The name is the author name of messages.
    client.sendOp(3, payload({{"content", QStringLiteral("hi")}}));
    QCOMPARE(str(client.waitForData(3), "authorName"), client.name());
}

void GatewayTest::unknownRoomCloses4004_data()
{
    QTest::addColumn<QString>("query");
    QTest::newRow("no room parameter") << QStringLiteral("name=zed");
    QTest::newRow("no query at all") << QString();
    QTest::newRow("empty room") << QStringLiteral("room=&name=zed");
    QTest::newRow("room name, not id") << QStringLiteral("room=hall");
    QTest::newRow("unknown UUID") << QString(QStringLiteral("room=") + newId());
    QTest::newRow("nil UUID") << QStringLiteral("room=00000000-0000-0000-0000-000000000000");
    QTest::newRow("UUID with junk")
        << QString(QStringLiteral("room=") + newId() + QStringLiteral("x"));
    QTest::newRow("garbage bytes") << QStringLiteral("room=%00%FF%FE%01");
    QTest::newRow("very long") << QString(QStringLiteral("room=") +
                                          QString(3000, QLatin1Char('a')));
}

void GatewayTest::unknownRoomCloses4004()
{
    QFETCH(QString, query);
    ChatServer server(unlimited());
    server.start();
    // A room exists, so "no room" is not just an empty server.
    QVERIFY(std::holds_alternative<QUuid>(
        server.moderation().createRoom(Actor::operatorConsole(), QStringLiteral("hall"), false)));
    EXPECT_REFUSED(server.port(), query, 4004);
    QTRY_COMPARE(server.stats().gatewayConnections, 0);
}

void GatewayTest::bannedUserCloses4003()
{
    Hall h;
    QVERIFY(h.open());
    // Banned while in the room: op 5, then 4011 (see banClosesWith4011); it cannot return.
    h.olive.send(
        request("kick", {{"room_id", h.room}, {"user_id", h.bob.userId()}, {"permanent", true}}));
    QVERIFY(h.bob.waitForDisconnect());
    QCOMPARE(h.bob.closeCode(), 4011);
    EXPECT_REFUSED(h.port, GatewayClient::query(h.room, QString(), h.bob.token()), 4003);

    // Banned while away (the console bans a known user who is not in the room).
    TestClient dave;
    QVERIFY(dave.open(h.port, QStringLiteral("name=dave")));
    QVERIFY(!h.server.moderation().ban(Actor::operatorConsole(), uuid(h.room), uuid(dave.userId()),
                                       QStringLiteral("spam")));
    EXPECT_REFUSED(h.port, GatewayClient::query(h.room, QString(), dave.token()), 4003);

    // Unbanned, both may come back.
    QVERIFY(
        !h.server.moderation().unban(Actor::operatorConsole(), uuid(h.room), uuid(dave.userId())));
    GatewayClient back;
    QVERIFY(back.open(h.port, h.room, QString(), dave.token()));
    QCOMPARE(back.userId(), dave.userId());
}

void GatewayTest::fullRoomCloses4005()
{
    ChatServer server(unlimited());
    server.start();
    TestClient olive;
    QVERIFY(olive.open(server.port(), QStringLiteral("name=olive")));
    const QString room = olive.createRoom(QStringLiteral("small"));
    QVERIFY(!room.isEmpty());
    olive.send(request("update", {{"room_id", room}, {"max_participants", 2}}));
    QVERIFY(!waitInRoom(olive, "room", room).isEmpty());

    GatewayClient bob;
    QVERIFY(bob.open(server.port(), room, QStringLiteral("bob"), QString()));
    TestClient carol; // an identity to come back with
    QVERIFY(carol.open(server.port(), QStringLiteral("name=carol")));
    EXPECT_REFUSED(server.port(), GatewayClient::query(room, QString(), carol.token()), 4005);
    EXPECT_REFUSED(server.port(), GatewayClient::query(room, QStringLiteral("dan")), 4005);

    // A second connection of someone already in the room is not a new participant.
    GatewayClient bobAgain;
    QVERIFY(bobAgain.open(server.port(), room, QString(), bob.token()));
    QCOMPARE(bobAgain.userId(), bob.userId());
    // Admins are excepted.
    QVERIFY(!server.moderation().setAdmin(Actor::operatorConsole(), uuid(room),
                                          uuid(carol.userId()), true));
    GatewayClient carolGw;
    QVERIFY(carolGw.open(server.port(), room, QString(), carol.token()));
    QCOMPARE(carolGw.ready().value(QLatin1StringView("admin")), QJsonValue(true));

    // A place that frees up can be taken.
    olive.send(request("update", {{"room_id", room}, {"max_participants", 0}}));
    QVERIFY(!waitInRoom(olive, "room", room).isEmpty());
    QVERIFY(QTest::qWaitFor([&] { return settingsOf(server, room).maxParticipants == 0; }));
    GatewayClient dan;
    QVERIFY(dan.open(server.port(), room, QStringLiteral("dan"), QString()));
}

void GatewayTest::lockedRoomCloses4006()
{
    ChatServer server(unlimited());
    server.start();
    TestClient olive;
    QVERIFY(olive.open(server.port(), QStringLiteral("name=olive")));
    const QString room = olive.createRoom(QStringLiteral("secret"), true);
    QVERIFY(!room.isEmpty());
    TestClient carol;
    QVERIFY(carol.open(server.port(), QStringLiteral("name=carol")));

    EXPECT_REFUSED(server.port(), GatewayClient::query(room, QString(), carol.token()), 4006);
    EXPECT_REFUSED(server.port(), GatewayClient::query(room, QStringLiteral("dan")), 4006);

    // Invited, carol gets in once.
    olive.send(request("invite", {{"room_id", room}, {"user_id", carol.userId()}}));
    QVERIFY(!waitInRoom(carol, "invite", room).isEmpty());
    {
        GatewayClient invited;
        QVERIFY(invited.open(server.port(), room, QString(), carol.token()));
        QCOMPARE(invited.userId(), carol.userId());
        QCOMPARE(invited.ready()
                     .value(QLatin1StringView("room"))
                     .toObject()
                     .value(QLatin1StringView("roomLocked")),
                 QJsonValue(true));
        invited.close();
        QVERIFY(invited.waitForDisconnect());
    }
    QVERIFY(!waitInRoom(olive, "exit", room).isEmpty());
    EXPECT_REFUSED(server.port(), GatewayClient::query(room, QString(), carol.token()), 4006);

    // Admins need no invitation.
    TestClient dave;
    QVERIFY(dave.open(server.port(), QStringLiteral("name=dave")));
    QVERIFY(!server.moderation().setAdmin(Actor::operatorConsole(), uuid(room), uuid(dave.userId()),
                                          true));
    GatewayClient admin;
    QVERIFY(admin.open(server.port(), room, QString(), dave.token()));
}

// ---------------------------------------------------------------------------------------
// heartbeats

void GatewayTest::heartbeatsKeepConnectionAlive()
{
    ServerConfig c = unlimited();
    c.heartbeatIntervalMs = ShortInterval;
    ChatServer server(c);
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient client;
    client.answerAcks(true);
    QVERIFY(client.open(server.port(), room, QStringLiteral("beat"), QString()));
    QCOMPARE(num(client.hello(), "heartbeatInterval"), qint64(ShortInterval));
    client.heartbeatEvery(ShortInterval * 2 / 3);

    QElapsedTimer clock;
    clock.start();
    QTest::qWait(6 * ShortInterval);
    QVERIFY2(client.isConnected(), qPrintable(QString::number(client.closeCode())));
    // The server never answers an ordinary op 1.
    QVERIFY2(client.framesOfOp(1).isEmpty(), "the server answered an ordinary op 1");
    // At most one op 2 per interval.
    const qsizetype acks = client.framesOfOp(2).size();
    QVERIFY2(acks <= clock.elapsed() / ShortInterval + 1, qPrintable(QString::number(acks)));
    QVERIFY(client.answersAck());
}

void GatewayTest::silenceCloses4009()
{
    ServerConfig c = unlimited();
    c.heartbeatIntervalMs = ShortInterval;
    ChatServer server(c);
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient watcher;
    watcher.answerAcks(true);
    QVERIFY(watcher.open(server.port(), room, QStringLiteral("watcher"), QString()));
    watcher.heartbeatEvery(ShortInterval / 2);

    QElapsedTimer clock;
    clock.start();
    GatewayClient silent;
    QVERIFY(silent.open(server.port(), room, QStringLiteral("silent"), QString()));
    QVERIFY(silent.waitForDisconnect(10 * ShortInterval));
    QCOMPARE(silent.closeCode(), 4009);
    // Not before 1.5 intervals (a little slack for the timer), not much after.
    QVERIFY2(clock.elapsed() >= ShortInterval * 3 / 2 - 50,
             qPrintable(QString::number(clock.elapsed())));
    QVERIFY2(clock.elapsed() <= ShortInterval * 5, qPrintable(QString::number(clock.elapsed())));

    // The others see the silent one go; the watcher itself was kept alive.
    QVERIFY(!watcher
                 .waitForOp(
                     10, [&](const QJsonObject &d) { return str(d, "userId") == silent.userId(); })
                 .isEmpty());
    QVERIFY(watcher.isConnected());
    QCOMPARE(server.stats().heartbeatTimeouts, quint64(1));

    // Sending only op 2 is no heartbeat: the connection still times out.
    GatewayClient asker;
    QVERIFY(asker.open(server.port(), room, QStringLiteral("asker"), QString()));
    QTimer asking;
    QObject::connect(&asking, &QTimer::timeout, &asking, [&asker] { asker.sendOp(2); });
    asking.start(ShortInterval / 3);
    QVERIFY(asker.waitForDisconnect(10 * ShortInterval));
    QCOMPARE(asker.closeCode(), 4009);
}

void GatewayTest::clientAckGetsHeartbeatAtOnce()
{
    ChatServer server(unlimited()); // 15 s interval: nothing else is sent meanwhile
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient client;
    QVERIFY(client.open(server.port(), room, QStringLiteral("c"), QString()));
    for (int i = 0; i < 3; ++i) {
        QElapsedTimer clock;
        clock.start();
        client.sendOp(2);
        const QJsonObject beat = client.waitForOp(1, {}, 1000);
        QVERIFY2(!beat.isEmpty(), "op 2 got no op 1");
        QVERIFY(clock.elapsed() < 1000);
        QVERIFY(beat.value(QLatin1StringView("d")).isObject());
        QVERIFY(GatewayClient::data(beat).isEmpty());
    }
    QCOMPARE(client.framesOfOp(1).size(), 3);
}

void GatewayTest::ordinaryHeartbeatGetsNoAnswer()
{
    ChatServer server(unlimited());
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient client;
    QVERIFY(client.open(server.port(), room, QStringLiteral("c"), QString()));
    client.drain();
    const qsizetype before = client.frames().size();
    for (int i = 0; i < 5; ++i)
        client.sendOp(1);
    client.sendText(QStringLiteral("{\"op\":1}"));
    QTest::qWait(300);
    QCOMPARE(client.frames().size(), before); // no op 1, no op 12, nothing
    QVERIFY(client.answersAck());
}

void GatewayTest::serverAsksWithAck()
{
    ServerConfig c = unlimited();
    c.heartbeatIntervalMs = ShortInterval;
    ChatServer server(c);
    server.start();
    const QString room = std::get<QUuid>(server.moderation().createRoom(Actor::operatorConsole(),
                                                                        QStringLiteral("r"), false))
                             .toString(QUuid::WithoutBraces);
    GatewayClient client;
    client.answerAcks(true);
    QVERIFY(client.open(server.port(), room, QStringLiteral("c"), QString()));
    client.heartbeatEvery(ShortInterval);

    QElapsedTimer clock;
    clock.start();
    const QJsonObject ack = client.waitForOp(2, {}, 15 * ShortInterval);
    QVERIFY2(!ack.isEmpty(), "the server never sent op 2");
    QVERIFY(ack.value(QLatin1StringView("d")).isObject());
    // The first one is not sooner than an interval after connecting.
    QVERIFY2(clock.elapsed() >= ShortInterval - 100, qPrintable(QString::number(clock.elapsed())));

    QTest::qWait(4 * ShortInterval);
    QVERIFY2(client.isConnected(), qPrintable(QString::number(client.closeCode())));
    const qsizetype acks = client.framesOfOp(2).size();
    QVERIFY2(acks <= clock.elapsed() / ShortInterval + 1, qPrintable(QString::number(acks)));
    QVERIFY(client.framesOfOp(1).isEmpty());
}

// ---------------------------------------------------------------------------------------
// client ops

void GatewayTest::messagesReachEveryMember()
{
    Hall h;
    QVERIFY(h.open());
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    h.bob.sendOp(3, payload({{"content", QStringLiteral("hello there")}}));
    for (GatewayClient *c : h.gateways()) {
        const QJsonObject frame = c->waitForOp(3);
        QVERIFY2(!frame.isEmpty(), "a member got no op 3");
        const QJsonObject d = GatewayClient::data(frame);
        QCOMPARE(num(d, "messageId"), qint64(1));
        QCOMPARE(str(d, "authorId"), h.bob.userId());
        QCOMPARE(str(d, "authorName"), QStringLiteral("bob"));
        QCOMPARE(str(d, "content"), QStringLiteral("hello there"));
        QVERIFY(d.value(QLatin1StringView("sentAt")).isDouble());
        QVERIFY2(num(d, "sentAt") >= before - 1000 &&
                     num(d, "sentAt") <= QDateTime::currentMSecsSinceEpoch() + 1000,
                 qPrintable(compact(d)));
    }

    // A burst from two senders: ids follow each other, the same order for everyone.
    for (int i = 0; i < 25; ++i) {
        h.bob.sendOp(3, payload({{"content", QStringLiteral("b%1").arg(i)}}));
        h.carol.sendOp(3, payload({{"content", QStringLiteral("c%1").arg(i)}}));
    }
    QStringList reference;
    for (GatewayClient *c : h.gateways()) {
        QStringList seen;
        for (qint64 id = 2; id <= 51; ++id) {
            const QJsonObject d = c->waitForData(3);
            QCOMPARE(num(d, "messageId"), id);
            seen << str(d, "content");
        }
        if (reference.isEmpty())
            reference = seen;
        QCOMPARE(seen, reference);
        // Each sender's own messages keep their order.
        int nextB = 0;
        int nextC = 0;
        for (const QString &content : std::as_const(seen)) {
            if (content.startsWith(QLatin1Char('b')))
                QCOMPARE(content, QStringLiteral("b%1").arg(nextB++));
            else
                QCOMPARE(content, QStringLiteral("c%1").arg(nextC++));
        }
    }
    QCOMPARE(h.server.rooms().find(uuid(h.room))->lastMessageId(), qint64(51));
}

void GatewayTest::messageRefusals_data()
{
    QTest::addColumn<QJsonObject>("d");
    QTest::addColumn<QString>("code");
    QTest::newRow("no content") << QJsonObject() << QStringLiteral("missing_field");
    QTest::newRow("content a number") << payload({{"content", 5}}) << QStringLiteral("bad_field");
    QTest::newRow("content null") << payload({{"content", QJsonValue::Null}})
                                  << QStringLiteral("bad_field");
    QTest::newRow("empty content")
        << payload({{"content", QString()}}) << QStringLiteral("bad_field");
    QTest::newRow("4001 characters")
        << payload({{"content", QString(4001, QLatin1Char('x'))}}) << QStringLiteral("too_long");
    QTest::newRow("control characters")
        << payload({{"content", QStringLiteral("a\x01b")}}) << QStringLiteral("bad_field");
}

void GatewayTest::messageRefusals()
{
    QFETCH(QJsonObject, d);
    QFETCH(QString, code);
    Hall &h = shared();
    const qint64 last = h.server.rooms().find(uuid(h.room))->lastMessageId();
    h.carol.drain();
    h.bob.sendOp(3, d);
    EXPECT_OP12(h.bob, code);
    QVERIFY(h.bob.isConnected());
    QCOMPARE(h.server.rooms().find(uuid(h.room))->lastMessageId(), last);
    // Nothing went out; the next good message takes the next id.
    h.bob.sendOp(3, payload({{"content", QString(4000, QLatin1Char('y'))}}));
    const QJsonObject next = h.carol.waitForData(3);
    QCOMPARE(num(next, "messageId"), last + 1);
    QCOMPARE(str(next, "content").size(), 4000);
}

void GatewayTest::chatLockedLetsOnlyAdminsSend()
{
    Hall h;
    QVERIFY(h.open());
    h.owner.sendOp(4, payload({{"chatLocked", true}}));
    QVERIFY(!h.bob.waitForOp(4).isEmpty());
    h.bob.sendOp(3, payload({{"content", QStringLiteral("let me")}}));
    EXPECT_OP12(h.bob, "chat_locked");
    h.ana.sendOp(3, payload({{"content", QStringLiteral("admins may")}}));
    const QJsonObject d = h.bob.waitForData(3);
    QCOMPARE(str(d, "content"), QStringLiteral("admins may"));
    QCOMPARE(num(d, "messageId"), qint64(1));
}

void GatewayTest::readReceipts()
{
    Hall h;
    QVERIFY(h.open());
    h.owner.sendOp(3, payload({{"content", QStringLiteral("one")}}));
    h.owner.sendOp(3, payload({{"content", QStringLiteral("two")}}));
    QCOMPARE(num(h.bob.waitForData(3,
                                   [](const QJsonObject &d) {
                                       return str(d, "content") == QLatin1StringView("two");
                                   }),
                 "messageId"),
             qint64(2));
    h.bob.sendOp(11, payload({{"messageId", 2}}));
    for (GatewayClient *c : h.gateways()) {
        const QJsonObject d = c->waitForData(11);
        QCOMPARE(num(d, "messageId"), qint64(2));
        QCOMPARE(str(d, "userId"), h.bob.userId());
    }
    QCOMPARE(str(waitInRoom(h.olive, "read", h.room), "user_id"), h.bob.userId());
    h.carol.sendOp(11, payload({{"messageId", 1}}));
    const QJsonObject d = h.bob.waitForData(11);
    QCOMPARE(num(d, "messageId"), qint64(1));
    QCOMPARE(str(d, "userId"), h.carol.userId());
}

void GatewayTest::readRefusals_data()
{
    QTest::addColumn<QJsonObject>("d");
    QTest::addColumn<QString>("code");
    QTest::newRow("no messageId") << QJsonObject() << QStringLiteral("missing_field");
    QTest::newRow("zero") << payload({{"messageId", 0}}) << QStringLiteral("bad_field");
    QTest::newRow("negative") << payload({{"messageId", -1}}) << QStringLiteral("bad_field");
    QTest::newRow("not yet sent") << payload({{"messageId", 1000000}})
                                  << QStringLiteral("bad_field");
    QTest::newRow("fraction") << payload({{"messageId", 1.5}}) << QStringLiteral("bad_field");
    QTest::newRow("string") << payload({{"messageId", QStringLiteral("1")}})
                            << QStringLiteral("bad_field");
    QTest::newRow("huge") << payload({{"messageId", 1e300}}) << QStringLiteral("bad_field");
}

void GatewayTest::readRefusals()
{
    QFETCH(QJsonObject, d);
    QFETCH(QString, code);
    Hall &h = shared();
    if (h.server.rooms().find(uuid(h.room))->lastMessageId() == 0) {
        h.owner.sendOp(3, payload({{"content", QStringLiteral("one")}}));
        QVERIFY(!h.bob.waitForOp(3).isEmpty());
    }
    h.carol.drain();
    h.bob.sendOp(11, d);
    EXPECT_OP12(h.bob, code);
    QVERIFY(!h.carol.receivesOpWithin(11, 200));
    QVERIFY(h.bob.answersAck());
}

void GatewayTest::adminChangesSettings()
{
    Hall h;
    QVERIFY(h.open());
    const auto everyoneGets = [&h](const QJsonObject &expected) -> QString {
        for (GatewayClient *c : h.gateways()) {
            const QJsonObject d = c->waitForData(4);
            if (d != expected)
                return QStringLiteral("%1 got %2, expected %3")
                    .arg(c->name(), compact(d), compact(expected));
        }
        return QString();
    };
    QString why;

    h.owner.sendOp(4, payload({{"chatLocked", true}}));
    why = everyoneGets(payload({{"chatLocked", true}}));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QVERIFY(settingsOf(h.server, h.room).chatLocked);

    // A rank-1 admin may change settings too; only what changed is sent.
    h.ana.sendOp(4, payload({{"roomLocked", true}, {"maxParticipants", 9}, {"chatLocked", true}}));
    why = everyoneGets(payload({{"roomLocked", true}, {"maxParticipants", 9}}));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    const RoomSettings s = settingsOf(h.server, h.room);
    QVERIFY(s.closed && s.chatLocked);
    QCOMPARE(s.maxParticipants, 9);

    // The webhook goes to admins only; members hear nothing of it.
    const QString hook = QStringLiteral("https://hooks.example/x?y=1");
    h.owner.sendOp(4, payload({{"discordWebhookLink", hook}}));
    QCOMPARE(h.owner.waitForData(4), payload({{"discordWebhookLink", hook}}));
    QCOMPARE(h.ana.waitForData(4), payload({{"discordWebhookLink", hook}}));
    QCOMPARE(settingsOf(h.server, h.room).webhook, hook);
    QCOMPARE(nextUpdateAfterMarker(h, h.bob, 8), payload({{"maxParticipants", 8}}));
    QCOMPARE(h.carol.waitForData(4), payload({{"maxParticipants", 8}}));

    // With other fields, members get those and not the webhook.
    h.owner.drain();
    h.ana.drain();
    const QString hook2 = hook + QLatin1Char('2');
    h.owner.sendOp(4, payload({{"discordWebhookLink", hook2}, {"chatLocked", false}}));
    QCOMPARE(h.ana.waitForData(4), payload({{"discordWebhookLink", hook2}, {"chatLocked", false}}));
    QCOMPARE(h.bob.waitForData(4), payload({{"chatLocked", false}}));
    QCOMPARE(h.carol.waitForData(4), payload({{"chatLocked", false}}));
    h.owner.sendOp(4, payload({{"chatLocked", true}}));
    QCOMPARE(h.carol.waitForData(4), payload({{"chatLocked", true}}));

    // A change to the same values changes nothing and sends nothing.
    h.owner.sendOp(4, payload({{"chatLocked", true}, {"roomLocked", true}}));
    QCOMPARE(nextUpdateAfterMarker(h, h.carol, 7), payload({{"maxParticipants", 7}}));

    // Clearing the webhook is a change admins hear about.
    h.owner.drain();
    h.owner.sendOp(4, payload({{"discordWebhookLink", QString()}}));
    QCOMPARE(h.owner.waitForData(4), payload({{"discordWebhookLink", QString()}}));
    QVERIFY(settingsOf(h.server, h.room).webhook.isEmpty());
    QVERIFY(h.bob.isConnected() && h.olive.isConnected());
}

void GatewayTest::settingsRefusals_data()
{
    QTest::addColumn<QString>("who"); // "bob" (a member) or "owner"
    QTest::addColumn<QJsonObject>("d");
    QTest::addColumn<QString>("code");
    QTest::newRow("member locks the chat")
        << QStringLiteral("bob") << payload({{"chatLocked", true}}) << QStringLiteral("forbidden");
    QTest::newRow("member sets the webhook")
        << QStringLiteral("bob") << payload({{"discordWebhookLink", QStringLiteral("http://a.b/")}})
        << QStringLiteral("forbidden");
    QTest::newRow("negative maximum")
        << QStringLiteral("owner") << payload({{"maxParticipants", -1}})
        << QStringLiteral("bad_field");
    QTest::newRow("maximum too large")
        << QStringLiteral("owner") << payload({{"maxParticipants", 100001}})
        << QStringLiteral("bad_field");
    QTest::newRow("fractional maximum")
        << QStringLiteral("owner") << payload({{"maxParticipants", 2.5}})
        << QStringLiteral("bad_field");
    QTest::newRow("maximum as string")
        << QStringLiteral("owner") << payload({{"maxParticipants", QStringLiteral("5")}})
        << QStringLiteral("bad_field");
    QTest::newRow("chatLocked as string")
        << QStringLiteral("owner") << payload({{"chatLocked", QStringLiteral("yes")}})
        << QStringLiteral("bad_field");
    QTest::newRow("roomLocked as number")
        << QStringLiteral("owner") << payload({{"roomLocked", 1}}) << QStringLiteral("bad_field");
    QTest::newRow("webhook not http")
        << QStringLiteral("owner") << payload({{"discordWebhookLink", QStringLiteral("ftp://x/y")}})
        << QStringLiteral("bad_field");
    QTest::newRow("webhook a number")
        << QStringLiteral("owner") << payload({{"discordWebhookLink", 5}})
        << QStringLiteral("bad_field");
    QTest::newRow("good field with a bad one")
        << QStringLiteral("owner") << payload({{"chatLocked", true}, {"maxParticipants", -5}})
        << QStringLiteral("bad_field");
}

void GatewayTest::settingsRefusals()
{
    QFETCH(QString, who);
    QFETCH(QJsonObject, d);
    QFETCH(QString, code);
    Hall &h = shared();
    GatewayClient &sender = who == QLatin1StringView("bob") ? h.bob : h.owner;
    const RoomSettings before = settingsOf(h.server, h.room);
    sender.sendOp(4, d);
    EXPECT_OP12(sender, code);
    const RoomSettings after = settingsOf(h.server, h.room);
    QCOMPARE(after.chatLocked, before.chatLocked);
    QCOMPARE(after.closed, before.closed);
    QCOMPARE(after.maxParticipants, before.maxParticipants);
    QCOMPARE(after.webhook, before.webhook);
    // Nobody heard of a change.
    const int marker = ++m_marker;
    QCOMPARE(nextUpdateAfterMarker(h, h.carol, marker), payload({{"maxParticipants", marker}}));
    QVERIFY(sender.isConnected());
}

void GatewayTest::kickClosesWith4010()
{
    Hall h;
    QVERIFY(h.open());
    h.owner.sendOp(5, payload({{"userId", h.bob.userId()}}));
    // Everyone, the kicked one included, gets op 5; then the kicked connection is closed.
    for (GatewayClient *c : h.gateways()) {
        const QJsonObject d = c->waitForData(5);
        QCOMPARE(d, payload({{"userId", h.bob.userId()}}));
    }
    QVERIFY(h.bob.waitForDisconnect());
    QCOMPARE(h.bob.closeCode(), 4010);
    QVERIFY(!h.server.rooms().find(uuid(h.room))->hasParticipant(uuid(h.bob.userId())));
    QVERIFY(h.carol.isConnected());
    // Kicked is not banned: bob may come back.
    GatewayClient back;
    QVERIFY(back.open(h.port, h.room, QString(), h.bob.token()));
    QCOMPARE(back.userId(), h.bob.userId());
    QCOMPARE(str(h.carol.waitForData(9), "userId"), h.bob.userId());

    // A rank-1 admin may kick a member too.
    h.ana.sendOp(5, payload({{"userId", h.carol.userId()}, {"banned", false}}));
    QVERIFY(h.carol.waitForDisconnect());
    QCOMPARE(h.carol.closeCode(), 4010);
}

void GatewayTest::banClosesWith4011()
{
    Hall h;
    QVERIFY(h.open());
    h.owner.sendOp(5, payload({{"userId", h.bob.userId()}, {"banned", true}}));
    QCOMPARE(h.bob.waitForData(5), payload({{"userId", h.bob.userId()}}));
    QVERIFY(h.bob.waitForDisconnect());
    QCOMPARE(h.bob.closeCode(), 4011);
    QCOMPARE(h.carol.waitForData(5), payload({{"userId", h.bob.userId()}}));
    const QJsonObject change = h.carol.waitForData(6);
    QCOMPARE(str(change, "userId"), h.bob.userId());
    QCOMPARE(change.value(QLatin1StringView("banned")), QJsonValue(true));
    QVERIFY(h.server.rooms().find(uuid(h.room))->isBanned(uuid(h.bob.userId())));
    EXPECT_REFUSED(h.port, GatewayClient::query(h.room, QString(), h.bob.token()), 4003);

    // Banning someone who is not in the room (but known) works too.
    TestClient dave;
    QVERIFY(dave.open(h.port, QStringLiteral("name=dave")));
    h.owner.sendOp(5, payload({{"userId", dave.userId()}, {"banned", true}}));
    const QJsonObject daveBanned = h.carol.waitForData(6);
    QCOMPARE(str(daveBanned, "userId"), dave.userId());
    QCOMPARE(daveBanned.value(QLatin1StringView("banned")), QJsonValue(true));
    EXPECT_REFUSED(h.port, GatewayClient::query(h.room, QString(), dave.token()), 4003);
}

void GatewayTest::kickRefusals()
{
    Hall h;
    QVERIFY(h.open());
    const auto stillIn = [&h](const GatewayClient &c) {
        return h.server.rooms().find(uuid(h.room))->hasParticipant(uuid(c.userId()));
    };

    h.bob.sendOp(5, payload({{"userId", h.carol.userId()}}));
    EXPECT_OP12(h.bob, "forbidden");
    h.bob.sendOp(5, payload({{"userId", h.carol.userId()}, {"banned", true}}));
    EXPECT_OP12(h.bob, "forbidden");
    h.owner.sendOp(5, payload({{"userId", h.owner.userId()}}));
    EXPECT_OP12(h.owner, "forbidden");
    h.ana.sendOp(5, payload({{"userId", h.ana.userId()}, {"banned", true}}));
    EXPECT_OP12(h.ana, "forbidden");
    h.ana.sendOp(5, payload({{"userId", h.owner.userId()}}));
    EXPECT_OP12(h.ana, "forbidden");
    h.owner.sendOp(5, payload({{"userId", newId()}}));
    EXPECT_OP12(h.owner, "not_member");
    h.owner.sendOp(5, payload({{"userId", newId()}, {"banned", true}}));
    EXPECT_OP12(h.owner, "no_such_user");
    h.owner.sendOp(5, QJsonObject());
    EXPECT_OP12(h.owner, "missing_field");
    h.owner.sendOp(5, payload({{"userId", QStringLiteral("bob")}}));
    EXPECT_OP12(h.owner, "bad_field");
    h.owner.sendOp(5, payload({{"userId", h.bob.userId()}, {"banned", QStringLiteral("yes")}}));
    EXPECT_OP12(h.owner, "bad_field");

    QTest::qWait(100);
    for (GatewayClient *c : h.gateways()) {
        QVERIFY(c->isConnected());
        QVERIFY(stillIn(*c));
        QVERIFY(c->framesOfOp(5).isEmpty());
    }
    QVERIFY(h.server.rooms().find(uuid(h.room))->bans().isEmpty());
}

void GatewayTest::changeParticipant()
{
    Hall h;
    QVERIFY(h.open());
    h.owner.sendOp(6, payload({{"userId", h.bob.userId()}, {"admin", true}}));
    for (GatewayClient *c : h.gateways())
        QCOMPARE(c->waitForData(6), payload({{"userId", h.bob.userId()}, {"admin", true}}));
    QVERIFY(isAdminOf(h.server, h.room, h.bob.userId()));

    h.owner.sendOp(6,
                   payload({{"userId", h.carol.userId()}, {"color", QStringLiteral("#00aa11")}}));
    for (GatewayClient *c : h.gateways())
        QCOMPARE(c->waitForData(6),
                 payload({{"userId", h.carol.userId()}, {"color", QStringLiteral("#00aa11")}}));
    QCOMPARE(colorOf(h.server, h.carol.userId()), QStringLiteral("#00aa11"));

    // Upper case is accepted; the colour is told as #rrggbb.
    h.ana.sendOp(6, payload({{"userId", h.ana.userId()}, {"color", QStringLiteral("#ABCDEF")}}));
    const QJsonObject own = h.carol.waitForData(6);
    QCOMPARE(str(own, "userId"), h.ana.userId());
    QCOMPARE(str(own, "color").toLower(), QStringLiteral("#abcdef"));
    QVERIFY(colorPattern().match(str(own, "color")).hasMatch());

    // Both at once: a demotion and a colour.
    h.owner.sendOp(6, payload({{"userId", h.bob.userId()},
                               {"admin", false},
                               {"color", QStringLiteral("#102030")}}));
    bool sawAdmin = false;
    bool sawColor = false;
    for (int i = 0; i < 2; ++i) {
        const QJsonObject d = h.carol.waitForData(6);
        QCOMPARE(str(d, "userId"), h.bob.userId());
        if (d.contains(QLatin1StringView("admin"))) {
            QCOMPARE(d.value(QLatin1StringView("admin")), QJsonValue(false));
            sawAdmin = true;
        }
        if (d.contains(QLatin1StringView("color"))) {
            QCOMPARE(str(d, "color"), QStringLiteral("#102030"));
            sawColor = true;
        }
    }
    QVERIFY(sawAdmin && sawColor);
    QVERIFY(!isAdminOf(h.server, h.room, h.bob.userId()));
    QCOMPARE(colorOf(h.server, h.bob.userId()), QStringLiteral("#102030"));

    // A rank-1 admin may colour a member and make it an admin in one request.
    h.ana.sendOp(6, payload({{"userId", h.carol.userId()},
                             {"admin", true},
                             {"color", QStringLiteral("#0000ff")}}));
    QCOMPARE(h.bob.waitForData(6,
                               [&](const QJsonObject &d) {
                                   return str(d, "userId") == h.carol.userId() &&
                                          d.contains(QLatin1StringView("admin"));
                               }),
             payload({{"userId", h.carol.userId()}, {"admin", true}}));
    QVERIFY(isAdminOf(h.server, h.room, h.carol.userId()));
    QCOMPARE(colorOf(h.server, h.carol.userId()), QStringLiteral("#0000ff"));
    QVERIFY(h.ana.framesOfOp(12).isEmpty());

    // The new colour is in the next ready.
    GatewayClient later;
    QVERIFY(later.open(h.port, h.room, QStringLiteral("later"), QString()));
    const QJsonArray people = later.ready().value(QLatin1StringView("participants")).toArray();
    bool found = false;
    for (const QJsonValue &v : people) {
        if (str(v.toObject(), "userId") == h.bob.userId()) {
            QCOMPARE(str(v.toObject(), "color"), QStringLiteral("#102030"));
            QCOMPARE(v.toObject().value(QLatin1StringView("admin")), QJsonValue(false));
            found = true;
        }
    }
    QVERIFY(found);
}

void GatewayTest::changeParticipantRefusals()
{
    Hall h;
    QVERIFY(h.open());
    const QString bobColor = colorOf(h.server, h.bob.userId());
    const QString anaColor = colorOf(h.server, h.ana.userId());
    const QString ownerColor = colorOf(h.server, h.owner.userId());
    const qsizetype changesBefore = h.carol.framesOfOp(6).size();

    struct Case
    {
        GatewayClient *sender;
        QJsonObject d;
        const char *code;
    };
    const QString bob = h.bob.userId();
    const QList<Case> cases = {
        {&h.owner, payload({{"userId", bob}, {"color", QStringLiteral("green")}}), "bad_field"},
        {&h.owner, payload({{"userId", bob}, {"color", QStringLiteral("#12345")}}), "bad_field"},
        {&h.owner, payload({{"userId", bob}, {"color", QStringLiteral("#1234567")}}), "bad_field"},
        {&h.owner, payload({{"userId", bob}, {"color", QStringLiteral("#gggggg")}}), "bad_field"},
        {&h.owner, payload({{"userId", bob}, {"color", 0x123456}}), "bad_field"},
        {&h.owner, payload({{"userId", bob}, {"admin", QStringLiteral("yes")}}), "bad_field"},
        {&h.owner, payload({{"userId", bob}}), "missing_field"},
        {&h.owner, payload({{"admin", true}}), "missing_field"},
        {&h.owner, payload({{"userId", newId()}, {"admin", true}}), "no_such_user"},
        {&h.owner, payload({{"userId", newId()}, {"color", QStringLiteral("#000000")}}),
         "no_such_user"},
        // A bad colour refuses the whole request: the grant does not happen either.
        {&h.owner, payload({{"userId", bob}, {"admin", true}, {"color", QStringLiteral("red")}}),
         "bad_field"},
        // Members may not change anyone, themselves included.
        {&h.bob, payload({{"userId", bob}, {"admin", true}}), "forbidden"},
        {&h.bob, payload({{"userId", bob}, {"color", QStringLiteral("#000000")}}), "forbidden"},
        {&h.bob, payload({{"userId", h.carol.userId()}, {"color", QStringLiteral("#000000")}}),
         "forbidden"},
        // Rank: a rank-1 admin may not demote or recolour the creator.
        {&h.ana, payload({{"userId", h.owner.userId()}, {"admin", false}}), "forbidden"},
        {&h.ana, payload({{"userId", h.owner.userId()}, {"color", QStringLiteral("#000000")}}),
         "forbidden"},
        // Nobody demotes themselves; a colour in the same request is refused with it.
        {&h.ana, payload({{"userId", h.ana.userId()}, {"admin", false}}), "forbidden"},
        {&h.ana,
         payload(
             {{"userId", h.ana.userId()}, {"admin", false}, {"color", QStringLiteral("#000001")}}),
         "forbidden"},
    };
    for (const Case &c : cases) {
        c.sender->sendOp(6, c.d);
        const QString why = checkOp12(*c.sender, QString::fromLatin1(c.code));
        QVERIFY2(why.isEmpty(), qPrintable(why + QStringLiteral(" for ") + compact(c.d)));
    }
    QTest::qWait(100);
    QCOMPARE(colorOf(h.server, h.bob.userId()), bobColor);
    QCOMPARE(colorOf(h.server, h.ana.userId()), anaColor);
    QCOMPARE(colorOf(h.server, h.owner.userId()), ownerColor);
    QVERIFY(!isAdminOf(h.server, h.room, bob));
    QVERIFY(isAdminOf(h.server, h.room, h.ana.userId()));
    QVERIFY(isAdminOf(h.server, h.room, h.owner.userId()));
    QVERIFY2(h.carol.framesOfOp(6).size() == changesBefore,
             qPrintable(compact(h.carol.framesOfOp(6).last())));
}

void GatewayTest::closeRoom()
{
    Hall h;
    QVERIFY(h.open());
    h.bob.sendOp(7);
    EXPECT_OP12(h.bob, "forbidden");
    QVERIFY(roomExists(h.server, h.room));
    QVERIFY(h.carol.isConnected());

    h.ana.sendOp(7, QJsonObject());
    for (GatewayClient *c : h.gateways()) {
        const QJsonObject frame = c->waitForOp(7);
        QVERIFY2(!frame.isEmpty(), "no op 7");
        QVERIFY(frame.value(QLatin1StringView("d")).isObject());
        QVERIFY(GatewayClient::data(frame).isEmpty());
    }
    for (GatewayClient *c : h.gateways()) {
        QVERIFY(c->waitForDisconnect());
        QCOMPARE(c->closeCode(), 1000);
    }
    QVERIFY(!roomExists(h.server, h.room));
    QVERIFY(!waitInRoom(h.olive, "room_closed", h.room).isEmpty());
    // The room is gone for good.
    EXPECT_REFUSED(h.port, GatewayClient::query(h.room, QString(), h.olive.token()), 4004);
}

// ---------------------------------------------------------------------------------------
// hostile input and limits

void GatewayTest::malformedFrames_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("code");
    const auto row = [](const char *name, const char *text, const char *code) {
        QTest::newRow(name) << QString::fromUtf8(text) << QString::fromLatin1(code);
    };
    row("not JSON", "hello", "bad_json");
    row("empty text", "", "bad_json");
    row("truncated", "{\"op\":3,\"d\":{\"content\":\"x\"", "bad_json");
    row("array", "[1,2]", "bad_json");
    row("string", "\"op\"", "bad_json");
    row("number", "3", "bad_json");
    row("null", "null", "bad_json");
    row("empty object", "{}", "missing_field");
    row("only d", "{\"d\":{}}", "missing_field");
    row("op as string", "{\"op\":\"3\",\"d\":{\"content\":\"x\"}}", "bad_field");
    row("op null", "{\"op\":null}", "bad_field");
    row("op fraction", "{\"op\":1.5}", "bad_field");
    row("op bool", "{\"op\":true}", "bad_field");
    row("d array", "{\"op\":3,\"d\":[\"x\"]}", "bad_field");
    row("d string", "{\"op\":3,\"d\":\"x\"}", "bad_field");
    row("d number", "{\"op\":11,\"d\":1}", "bad_field");
    row("unknown op 99", "{\"op\":99,\"d\":{}}", "bad_type");
    row("negative op", "{\"op\":-1,\"d\":{}}", "bad_type");
    row("server op 0", "{\"op\":0,\"d\":{}}", "bad_type");
    row("server op 8", "{\"op\":8,\"d\":{}}", "bad_type");
    row("server op 9", "{\"op\":9,\"d\":{}}", "bad_type");
    row("server op 10", "{\"op\":10,\"d\":{}}", "bad_type");
    row("server op 12", "{\"op\":12,\"d\":{}}", "bad_type");
    row("huge op", "{\"op\":1e300,\"d\":{}}", "bad_type");
    row("op beyond int", "{\"op\":4294967299,\"d\":{}}", "bad_type");
    row("room protocol frame", "{\"type\":\"ping\",\"time\":1}", "missing_field");
    row("content wrong type", "{\"op\":3,\"d\":{\"content\":[\"x\"]}}", "bad_field");
    row("deeply nested", "{\"op\":3,\"d\":{\"content\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}}",
        "bad_field");
}

void GatewayTest::malformedFrames()
{
    QFETCH(QString, text);
    QFETCH(QString, code);
    Hall &h = shared();
    const qint64 last = h.server.rooms().find(uuid(h.room))->lastMessageId();
    h.bob.sendText(text);
    const QString why = checkOp12(h.bob, code);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Answered and ignored: the connection stays up and nothing happened in the room.
    QVERIFY(h.bob.answersAck());
    QVERIFY(!h.carol.receivesOpWithin(3, 50));
    QCOMPARE(h.server.rooms().find(uuid(h.room))->lastMessageId(), last);
    QVERIFY(h.server.rooms().find(uuid(h.room))->hasParticipant(uuid(h.bob.userId())));
}

void GatewayTest::binaryFrameIsBadJson()
{
    Hall h;
    QVERIFY(h.open());
    h.bob.sendBinary(QByteArrayLiteral("{\"op\":3,\"d\":{\"content\":\"binary\"}}"));
    EXPECT_OP12(h.bob, "bad_json");
    h.bob.sendBinary(QByteArray("\x00\x01\xff", 3));
    EXPECT_OP12(h.bob, "bad_json");
    QVERIFY(h.bob.answersAck());
    QVERIFY(!h.carol.receivesOpWithin(3, 100));
}

void GatewayTest::optionalPayload()
{
    Hall h;
    QVERIFY(h.open());
    // 'd' may be left out or null where an op needs nothing.
    h.bob.sendText(QStringLiteral("{\"op\":2}"));
    QVERIFY(!h.bob.waitForOp(1, {}, 2000).isEmpty());
    h.bob.sendText(QStringLiteral("{\"op\":2,\"d\":null}"));
    QVERIFY(!h.bob.waitForOp(1, {}, 2000).isEmpty());
    // Unknown fields are ignored.
    h.bob.sendText(QStringLiteral("{\"op\":3,\"d\":{\"content\":\"x\",\"extra\":1},\"s\":5}"));
    QCOMPARE(str(h.carol.waitForData(3), "content"), QStringLiteral("x"));
    // An op that needs fields without 'd' is missing them.
    h.bob.sendText(QStringLiteral("{\"op\":3}"));
    EXPECT_OP12(h.bob, "missing_field");
}

void GatewayTest::oversizeFrameCloses1009()
{
    ServerConfig c = unlimited();
    c.maxMessageSize = 2048;
    Hall h(c);
    QVERIFY(h.open());
    h.bob.sendOp(3, payload({{"content", QString(1000, QLatin1Char('x'))}}));
    QCOMPARE(str(h.carol.waitForData(3), "content").size(), 1000);
    h.bob.sendOp(3, payload({{"content", QString(3000, QLatin1Char('x'))}}));
    QVERIFY(h.bob.waitForDisconnect());
    QCOMPARE(h.bob.closeCode(), 1009);
    QVERIFY(!h.carol.receivesOpWithin(3, 100));
    QVERIFY(h.carol.isConnected());
}

void GatewayTest::heartbeatsNeverCountAgainstRateLimit()
{
    ServerConfig c = localConfig();
    c.maxMessageRate = 2; // burst 4
    Hall h(c);
    QVERIFY(h.open());
    for (int i = 0; i < 100; ++i)
        h.bob.sendOp(1);
    for (int i = 0; i < 30; ++i)
        h.bob.sendOp(2);
    QVERIFY(QTest::qWaitFor([&] { return h.bob.framesOfOp(1).size() >= 30; }, 5000));
    QTest::qWait(100);
    QCOMPARE(h.bob.framesOfOp(1).size(), 30);
    QVERIFY2(h.bob.framesOfOp(12).isEmpty(), qPrintable(compact(h.bob.framesOfOp(12).value(0))));
    QVERIFY(h.bob.isConnected());
    // The bucket is untouched: a burst of real requests goes through.
    for (int i = 0; i < 4; ++i)
        h.bob.sendOp(3, payload({{"content", QStringLiteral("m%1").arg(i)}}));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(str(h.carol.waitForData(3), "content"), QStringLiteral("m%1").arg(i));
    QVERIFY(h.bob.framesOfOp(12).isEmpty());
}

void GatewayTest::floodingIsRateLimitedThenClosed()
{
    ServerConfig c = localConfig();
    c.maxMessageRate = 2; // burst 4
    Hall h(c);
    QVERIFY(h.open());
    for (int i = 0; i < 5; ++i)
        h.bob.sendOp(3, payload({{"content", QStringLiteral("m%1").arg(i)}}));
    EXPECT_OP12(h.bob, "rate_limited");
    QVERIFY(h.bob.isConnected());
    // While the bucket is empty, heartbeats are still answered and cost nothing.
    h.bob.drain();
    h.bob.sendOp(2);
    QVERIFY(!h.bob.waitForOp(1, {}, 1000).isEmpty());
    QVERIFY(h.bob.framesOfOp(12).size() == 1);

    // Keeping on: closed with 1008.
    for (int i = 0; i < 40; ++i)
        h.bob.sendOp(3, payload({{"content", QStringLiteral("flood")}}));
    QVERIFY(h.bob.waitForDisconnect());
    QCOMPARE(h.bob.closeCode(), 1008);
    QVERIFY(h.carol.isConnected());
    QVERIFY(h.server.stats().rateLimited > 0);
}

void GatewayTest::shutdownCloses1001()
{
    Hall h;
    QVERIFY(h.open());
    QSignalSpy stopped(&h.server, &ChatServer::stopped);
    h.server.shutdown();
    for (GatewayClient *c : h.gateways()) {
        QVERIFY(c->waitForDisconnect());
        QCOMPARE(c->closeCode(), 1001);
    }
    QVERIFY(h.olive.waitForDisconnect());
    QCOMPARE(h.olive.closeCode(), 1001);
    QTRY_COMPARE(stopped.size(), 1);
}

ROOMKEEPER_SERVER_TEST_MAIN(GatewayTest)
#include "tst_gateway.moc"

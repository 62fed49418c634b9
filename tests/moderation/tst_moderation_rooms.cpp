// The moderation service (DESIGN.md "One moderation API") acting on rooms and on the
// server, through server.moderation() on a real server, checked by what real clients and
// HTTP requests see (PROTOCOL.md §1, §2, §5): room settings, admins, colours, closing,
// announcements, the panic actions, pausing new connections, idle expiry and pinning,
// the audit trail, /metrics and webhooks end to end.

#include "moderationtest.h"
#include "servertestmain.h"

#include "net/httprequesthead.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

// A webhook endpoint on 127.0.0.1:0 that answers every request with 204 (keep-alive) and
// records what it got.
class HookEndpoint
{
public:
    struct Post
    {
        QByteArray method;
        QByteArray path;
        QByteArray contentType;
        QJsonObject body;
    };

    HookEndpoint()
    {
        QObject::connect(&m_tcp, &QTcpServer::newConnection, &m_tcp, [this] { accept(); });
        m_listening = m_tcp.listen(QHostAddress::LocalHost, 0);
    }

    bool isListening() const { return m_listening; }
    QString url() const
    {
        return QStringLiteral("http://127.0.0.1:%1/hook").arg(m_tcp.serverPort());
    }

    QList<Post> posts;
    int malformed = 0;

private:
    void accept()
    {
        while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
            auto buffer = std::make_shared<QByteArray>();
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                buffer->append(socket->readAll());
                read(socket, *buffer);
            });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    void read(QTcpSocket *socket, QByteArray &buffer)
    {
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const std::optional<HttpRequestHead> head =
                HttpRequestHead::parse(buffer.left(end + 4));
            if (!head) {
                ++malformed;
                socket->abort();
                return;
            }
            const qsizetype length = head->header("content-length").toLongLong();
            if (buffer.size() < end + 4 + length)
                return;
            const QByteArray body = buffer.mid(end + 4, length);
            buffer.remove(0, end + 4 + length);
            posts.append({head->method, head->path, head->header("content-type"),
                          QJsonDocument::fromJson(body).object()});
            socket->write("HTTP/1.1 204 No Content\r\n\r\n");
        }
    }

    QTcpServer m_tcp; // the sockets are its children
    bool m_listening = false;
};

// The samples of a Prometheus text page: "name{labels}" -> value.
QHash<QByteArray, double> samples(const QByteArray &page)
{
    QHash<QByteArray, double> result;
    const QList<QByteArray> lines = page.split('\n');
    for (const QByteArray &line : lines) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        bool ok = false;
        const double value = line.mid(space + 1).toDouble(&ok);
        if (space > 0 && ok)
            result.insert(line.left(space), value);
        else
            result.insert("(malformed) " + line, 0);
    }
    return result;
}

QByteArray headerOf(const QByteArray &response, const QByteArray &lowerName)
{
    const QList<QByteArray> lines = response.left(response.indexOf("\r\n\r\n")).split('\n');
    for (const QByteArray &line : lines) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == lowerName)
            return line.mid(colon + 1).trimmed();
    }
    return QByteArray();
}

QString colorIn(const QJsonObject &picture, const TestClient &who)
{
    return str(participant(picture, userOf(who)), "color");
}

// The 'message' frames of 'room' that 'client' got after 'from'.
QList<QJsonObject> messagesIn(const TestClient &client, qsizetype from, const QUuid &room)
{
    QList<QJsonObject> result;
    for (const QJsonObject &f : framesOfType(client, "message", from)) {
        if (str(f, "room_id") == idText(room))
            result.append(f);
    }
    return result;
}

} // namespace

class ModerationRoomsTest : public QObject
{
    Q_OBJECT

private slots:
    void updateSettingsReachMembers();
    void setAdminGrantsAndRevokes();
    void setColorRecolours();
    void roomAdminRecoloursOnlyItsParticipants();
    void closeRoomTellsMembers();
    void announceToOneRoomAndToAll();
    void lockAndMuteAllRooms();
    void pauseAndResumeAccepting();
    void idleRoomsExpireUnlessPinnedOrBusy();
    void auditHasEveryActionButNoContent();
    void metricsMatchWhatHappened();
    void webhookGetsEveryMessageInOrder();
};

void ModerationRoomsTest::updateSettingsReachMembers()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol, dave;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol") &&
            s.open(dave, "dave"));
    const QUuid room = Stage::clientRoom(alice, "hall"); // alice: creator and admin
    QVERIFY(!room.isNull());
    QVERIFY(enterAll(room, {&bob, &carol}));
    auto &m = s.moderation();

    // Chat lock: every member gets the new picture; only admins may send.
    qsizetype a = mark(alice), b = mark(bob), c = mark(carol);
    RoomUpdate mute;
    mute.chatLocked = true;
    CHECK_DONE(m.update(console(), room, mute));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&bob, b}, std::pair{&carol, c}})
        QVERIFY(flag(pictureAfter(*client, from, room), "chat_locked"));
    QCOMPARE(trySend(bob, room, QStringLiteral("muted?")), QStringLiteral("chat_locked"));
    QCOMPARE(trySend(alice, room, QStringLiteral("admins speak")), QStringLiteral("ok"));

    // Room lock: who is not in, invited or admin cannot enter.
    a = mark(alice), b = mark(bob);
    RoomUpdate lock;
    lock.closed = true;
    lock.chatLocked = false;
    CHECK_DONE(m.update(console(), room, lock));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&bob, b}}) {
        const QJsonObject picture = pictureAfter(*client, from, room);
        QVERIFY(flag(picture, "closed"));
        QVERIFY(!flag(picture, "chat_locked"));
    }
    QCOMPARE(tryEnter(dave, room), QStringLiteral("room_closed"));
    QCOMPARE(trySend(bob, room, QStringLiteral("unmuted")), QStringLiteral("ok"));

    // Max participants, with the lock lifted in the same update.
    a = mark(alice), c = mark(carol);
    RoomUpdate limit;
    limit.closed = false;
    limit.maxParticipants = 3;
    CHECK_DONE(m.update(console(), room, limit));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&carol, c}}) {
        const QJsonObject picture = pictureAfter(*client, from, room);
        QVERIFY(!flag(picture, "closed"));
        QCOMPARE(num(picture, "max_participants"), qint64(3));
    }
    QCOMPARE(tryEnter(dave, room), QStringLiteral("room_full"));

    // Webhook: a secret in the admins' picture only.
    a = mark(alice), b = mark(bob);
    RoomUpdate hook;
    hook.webhook = QStringLiteral("http://127.0.0.1:9/hook");
    CHECK_DONE(m.update(console(), room, hook));
    const QJsonObject adminPicture = pictureAfter(alice, a, room);
    QCOMPARE(str(adminPicture, "webhook"), QStringLiteral("http://127.0.0.1:9/hook"));
    const QJsonObject memberPicture = pictureAfter(bob, b, room);
    QVERIFY(!memberPicture.isEmpty());
    QVERIFY(!memberPicture.contains(QLatin1StringView("webhook")));
    QCOMPARE(s.server.rooms().find(room)->settings().webhook, *hook.webhook);

    // A room admin may change settings through the same service; a member may not.
    RoomUpdate rename;
    rename.name = QStringLiteral("great hall");
    b = mark(bob);
    CHECK_REFUSED(m.update(as(bob), room, rename), ErrorCode::Forbidden);
    CHECK_DONE(m.update(as(alice), room, rename));
    QCOMPARE(str(pictureAfter(bob, b, room), "name"), QStringLiteral("great hall"));
}

void ModerationRoomsTest::setAdminGrantsAndRevokes()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol"));
    const QUuid room = Stage::clientRoom(alice, "hall");
    QVERIFY(enterAll(room, {&bob, &carol}));
    auto &m = s.moderation();
    RoomUpdate mute;
    mute.chatLocked = true;

    CHECK_REFUSED(m.update(as(bob), room, mute), ErrorCode::Forbidden);
    qsizetype a = mark(alice), b = mark(bob), c = mark(carol);
    CHECK_DONE(m.setAdmin(console(), room, userOf(bob), true));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&bob, b}, std::pair{&carol, c}}) {
        const QJsonObject picture = pictureAfter(*client, from, room);
        QVERIFY(flag(participant(picture, userOf(bob)), "admin"));
        QVERIFY(flag(participant(picture, userOf(alice)), "admin"));
        QVERIFY(!flag(participant(picture, userOf(carol)), "admin"));
    }
    QVERIFY(s.server.rooms().find(room)->isAdmin(userOf(bob)));
    // Now bob acts as an admin.
    CHECK_DONE(m.update(as(bob), room, mute));
    QCOMPARE(trySend(bob, room, QStringLiteral("I may")), QStringLiteral("ok"));
    QCOMPARE(trySend(carol, room, QStringLiteral("I may not")), QStringLiteral("chat_locked"));

    // bob may not demote the creator; the console demotes bob.
    CHECK_REFUSED(m.setAdmin(as(bob), room, userOf(alice), false), ErrorCode::Forbidden);
    a = mark(alice), c = mark(carol);
    CHECK_DONE(m.setAdmin(console(), room, userOf(bob), false));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&carol, c}})
        QVERIFY(!flag(participant(pictureAfter(*client, from, room), userOf(bob)), "admin"));
    QVERIFY(!s.server.rooms().find(room)->isAdmin(userOf(bob)));
    CHECK_REFUSED(m.update(as(bob), room, mute), ErrorCode::Forbidden);
    QCOMPARE(trySend(bob, room, QStringLiteral("not any more")), QStringLiteral("chat_locked"));
}

void ModerationRoomsTest::setColorRecolours()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    const QUuid lobby = s.consoleRoom("lobby");
    QVERIFY(enterAll(hall, {&bob}));
    QVERIFY(enterAll(lobby, {&bob, &carol}));
    auto &m = s.moderation();

    const qsizetype a0 = mark(alice), b0 = mark(bob), c0 = mark(carol);
    for (const char *bad : {"orange", "#ff880", "#ff88000", "ff8800", "#gg0000", ""})
        CHECK_REFUSED(m.setColor(console(), QUuid(), userOf(bob), QString::fromLatin1(bad)),
                      ErrorCode::BadField);
    QVERIFY(settle({&alice, &bob, &carol}));
    QVERIFY(framesSince(alice, a0).isEmpty() && framesSince(bob, b0).isEmpty() &&
            framesSince(carol, c0).isEmpty());

    // The console recolours a person: every room they are in gets a new picture.
    const qsizetype a = mark(alice), b = mark(bob), c = mark(carol);
    CHECK_DONE(m.setColor(console(), QUuid(), userOf(bob), QStringLiteral("#ff8800")));
    const auto bobIsOrange = [&](const QJsonObject &o) {
        return colorIn(o, bob) == QLatin1StringView("#ff8800");
    };
    QVERIFY(!pictureAfter(alice, a, hall, bobIsOrange).isEmpty());
    QVERIFY(!pictureAfter(bob, b, hall, bobIsOrange).isEmpty());
    QVERIFY(!pictureAfter(bob, b, lobby, bobIsOrange).isEmpty());
    QVERIFY(!pictureAfter(carol, c, lobby, bobIsOrange).isEmpty());
    QCOMPARE(s.server.users().find(userOf(bob))->color, QStringLiteral("#ff8800"));
    // The colour follows the person to a new connection.
    TestClient bobAgain;
    QVERIFY(s.openAgain(bobAgain, bob));
    QCOMPARE(str(bobAgain.session(), "color"), QStringLiteral("#ff8800"));

    // Rank: a member recolours nobody; an admin not the creator; the creator an admin.
    CHECK_REFUSED(m.setColor(as(carol), lobby, userOf(bob), QStringLiteral("#000000")),
                  ErrorCode::Forbidden);
    CHECK_DONE(m.setAdmin(console(), hall, userOf(bob), true));
    CHECK_REFUSED(m.setColor(as(bob), hall, userOf(alice), QStringLiteral("#000000")),
                  ErrorCode::Forbidden);
    QVERIFY(settle({&alice}));
    const qsizetype a2 = mark(alice);
    CHECK_DONE(m.setColor(as(alice), hall, userOf(bob), QStringLiteral("#00aa00")));
    QVERIFY(!pictureAfter(alice, a2, hall, [&](const QJsonObject &o) {
                 return colorIn(o, bob) == QLatin1StringView("#00aa00");
             }).isEmpty());
    QCOMPARE(colorIn(pictureAfter(alice, a2, hall), alice), str(alice.session(), "color"));
}

// Colours are per person, but a person's right to recolour comes from a room: a room
// admin may recolour participants of that room of lower rank (gateway op 6: "change a
// participant"), not anybody on the server by naming a room it happens to rule.
void ModerationRoomsTest::roomAdminRecoloursOnlyItsParticipants()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, mallory;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(mallory, "mallory"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    QVERIFY(enterAll(hall, {&bob}));
    const QUuid own = Stage::clientRoom(mallory, "mallory's room"); // alice never enters it
    QVERIFY(!own.isNull());
    const QString aliceColor = s.server.users().find(userOf(alice))->color;
    QVERIFY(settle({&alice, &bob}));
    const qsizetype b = mark(bob);

    const Outcome outcome =
        s.moderation().setColor(as(mallory), own, userOf(alice), QStringLiteral("#000000"));
    QVERIFY2(outcome.has_value(),
             "the admin of one room recoloured the creator of another, who is not in its room");
    QCOMPARE(s.server.users().find(userOf(alice))->color, aliceColor);
    QVERIFY(settle({&bob}));
    QVERIFY(framesOfType(bob, "room", b).isEmpty());
}

void ModerationRoomsTest::closeRoomTellsMembers()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, outsider;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(outsider, "outsider"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    const QUuid lobby = s.consoleRoom("lobby");
    QVERIFY(enterAll(hall, {&bob}));
    QVERIFY(enterAll(lobby, {&bob}));
    QCOMPARE(s.server.stats().rooms, 2);
    const qsizetype a = mark(alice), b = mark(bob), o = mark(outsider);

    CHECK_DONE(s.moderation().closeRoom(console(), hall, QStringLiteral("bye now")));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&bob, b}}) {
        const QJsonObject closed = frameAfter(*client, from, "room_closed", inRoom(hall));
        QVERIFY2(!closed.isEmpty(), "a member was not told the room closed");
        QCOMPARE(str(closed, "message"), QStringLiteral("bye now"));
    }
    QVERIFY(settle({&outsider}));
    QVERIFY(framesSince(outsider, o).isEmpty());
    QCOMPARE(s.server.stats().rooms, 1);
    QVERIFY(!s.server.rooms().find(hall));

    // The room is gone for everyone; the other room goes on.
    QCOMPARE(trySend(bob, hall, QStringLiteral("anyone?")), QStringLiteral("no_such_room"));
    QCOMPARE(tryEnter(outsider, hall), QStringLiteral("no_such_room"));
    QCOMPARE(trySend(bob, lobby, QStringLiteral("still here")), QStringLiteral("ok"));
    CHECK_REFUSED(s.moderation().closeRoom(console(), hall, QString()), ErrorCode::NoSuchRoom);
    outsider.send(request("rooms"));
    const QJsonObject list = outsider.waitFor(QStringLiteral("rooms"));
    QCOMPARE(list.value(QLatin1StringView("rooms")).toArray().size(), 1);
    QCOMPARE(str(list.value(QLatin1StringView("rooms")).toArray().at(0).toObject(), "room_id"),
             idText(lobby));
}

void ModerationRoomsTest::announceToOneRoomAndToAll()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol"));
    const QUuid hall = s.consoleRoom("hall");
    const QUuid lobby = s.consoleRoom("lobby");
    QVERIFY(enterAll(hall, {&alice, &bob}));
    QVERIFY(enterAll(lobby, {&carol}));
    QCOMPARE(trySend(alice, hall, QStringLiteral("one")), QStringLiteral("ok"));
    QCOMPARE(trySend(alice, hall, QStringLiteral("two")), QStringLiteral("ok"));
    QVERIFY(settle({&bob}));

    // One room: its members get a message with the next id and no author.
    qsizetype a = mark(alice), b = mark(bob), c = mark(carol);
    CHECK_DONE(s.moderation().announce(console(), hall, QStringLiteral("Fire drill at 3")));
    for (auto [client, from] : {std::pair{&alice, a}, std::pair{&bob, b}}) {
        const QJsonObject message = frameAfter(*client, from, "message", inRoom(hall));
        QCOMPARE(str(message, "content"), QStringLiteral("Fire drill at 3"));
        QCOMPARE(num(message, "message_id"), qint64(3));
        QCOMPARE(str(message, "user_id"), nullUuidText());
        QCOMPARE(str(message, "name"), QStringLiteral("announcement"));
    }
    QVERIFY(settle({&carol}));
    QVERIFY(framesOfType(carol, "message", c).isEmpty());

    // Every room, each with its own next id.
    a = mark(alice), c = mark(carol);
    CHECK_DONE(s.moderation().announce(console(), QUuid(), QStringLiteral("Closing soon")));
    const QJsonObject inHall = frameAfter(alice, a, "message", inRoom(hall));
    QCOMPARE(str(inHall, "content"), QStringLiteral("Closing soon"));
    QCOMPARE(num(inHall, "message_id"), qint64(4));
    QCOMPARE(str(inHall, "user_id"), nullUuidText());
    const QJsonObject inLobby = frameAfter(carol, c, "message", inRoom(lobby));
    QCOMPARE(str(inLobby, "content"), QStringLiteral("Closing soon"));
    QCOMPARE(num(inLobby, "message_id"), qint64(1));
    QCOMPARE(str(inLobby, "name"), QStringLiteral("announcement"));
    QVERIFY(settle({&alice, &carol}));
    QCOMPARE(messagesIn(alice, a, hall).size(), qsizetype(1));
    QCOMPARE(messagesIn(carol, c, lobby).size(), qsizetype(1));

    // The ids go on from there.
    b = mark(bob);
    QCOMPARE(trySend(carol, lobby, QStringLiteral("after")), QStringLiteral("ok"));
    QCOMPARE(trySend(alice, hall, QStringLiteral("after")), QStringLiteral("ok"));
    QCOMPARE(num(frameAfter(bob, b, "message", inRoom(hall)), "message_id"), qint64(5));
    QCOMPARE(num(messagesIn(carol, c, lobby).last(), "message_id"), qint64(2));
}

void ModerationRoomsTest::lockAndMuteAllRooms()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob, carol, dave;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob") && s.open(carol, "carol") &&
            s.open(dave, "dave"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    const QUuid lobby = Stage::clientRoom(carol, "lobby");
    QVERIFY(!hall.isNull() && !lobby.isNull());
    QVERIFY(enterAll(hall, {&bob}));
    auto &m = s.moderation();

    qsizetype a = mark(alice), b = mark(bob), c = mark(carol);
    CHECK_DONE(m.lockAllRooms(console(), true));
    QVERIFY(flag(pictureAfter(alice, a, hall), "closed"));
    QVERIFY(flag(pictureAfter(bob, b, hall), "closed"));
    QVERIFY(flag(pictureAfter(carol, c, lobby), "closed"));
    QCOMPARE(tryEnter(dave, hall), QStringLiteral("room_closed"));
    QCOMPARE(tryEnter(dave, lobby), QStringLiteral("room_closed"));
    QCOMPARE(trySend(bob, hall, QStringLiteral("members stay")), QStringLiteral("ok"));

    a = mark(alice), c = mark(carol);
    CHECK_DONE(m.lockAllRooms(console(), false));
    QVERIFY(!flag(pictureAfter(alice, a, hall), "closed"));
    QVERIFY(!flag(pictureAfter(carol, c, lobby), "closed"));
    QCOMPARE(tryEnter(dave, hall), QStringLiteral("ok"));

    a = mark(alice), b = mark(bob), c = mark(carol);
    const qsizetype d = mark(dave);
    CHECK_DONE(m.muteAllRooms(console(), true));
    QVERIFY(flag(pictureAfter(alice, a, hall), "chat_locked"));
    QVERIFY(flag(pictureAfter(bob, b, hall), "chat_locked"));
    QVERIFY(flag(pictureAfter(dave, d, hall), "chat_locked"));
    QVERIFY(flag(pictureAfter(carol, c, lobby), "chat_locked"));
    QCOMPARE(trySend(bob, hall, QStringLiteral("hush")), QStringLiteral("chat_locked"));
    QCOMPARE(trySend(dave, hall, QStringLiteral("hush")), QStringLiteral("chat_locked"));
    QCOMPARE(trySend(alice, hall, QStringLiteral("admins may")), QStringLiteral("ok"));
    QCOMPARE(trySend(carol, lobby, QStringLiteral("admins may")), QStringLiteral("ok"));

    b = mark(bob);
    CHECK_DONE(m.muteAllRooms(console(), false));
    QVERIFY(!flag(pictureAfter(bob, b, hall), "chat_locked"));
    QCOMPARE(trySend(bob, hall, QStringLiteral("free again")), QStringLiteral("ok"));
    for (const Room *room : s.server.rooms().rooms())
        QVERIFY(!room->settings().closed && !room->settings().chatLocked);
}

void ModerationRoomsTest::pauseAndResumeAccepting()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice;
    QVERIFY(s.open(alice, "alice"));
    const QUuid hall = s.consoleRoom("hall");
    QVERIFY(enterAll(hall, {&alice}));

    CHECK_DONE(s.moderation().setAccepting(console(), false));
    QVERIFY(!s.server.stats().accepting);
    {
        RawClient raw;
        QVERIFY(raw.connectTo(s.port));
        QCOMPARE(raw.upgrade("/ws?name=late"), 503);
    }
    const QByteArray health = httpGet(s.port, "/healthz");
    QCOMPARE(httpStatus(health), 200);
    QCOMPARE(httpBody(health), QByteArray("ok\n"));
    QCOMPARE(samples(httpBody(httpGet(s.port, "/metrics")))
                 .value("roomkeeper_accepting_connections", -1),
             0.0);
    TestClient late;
    QVERIFY(!late.open(s.port, QStringLiteral("name=late"), 2000));
    // Who is in stays in and keeps talking.
    QVERIFY(alice.isConnected());
    QCOMPARE(trySend(alice, hall, QStringLiteral("still on")), QStringLiteral("ok"));

    CHECK_DONE(s.moderation().setAccepting(console(), true));
    QVERIFY(s.server.stats().accepting);
    TestClient later;
    QVERIFY(s.open(later, "later"));
    QCOMPARE(tryEnter(later, hall), QStringLiteral("ok"));
    RawClient raw;
    QVERIFY(raw.connectTo(s.port));
    QCOMPARE(raw.upgrade("/ws?name=raw"), 101);
}

void ModerationRoomsTest::idleRoomsExpireUnlessPinnedOrBusy()
{
    ServerConfig config = Stage::defaults();
    config.roomIdleExpiryMsOverride = 5000;
    Stage s(config);
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    auto &m = s.moderation();
    const QUuid idle = s.consoleRoom("idle");
    const QUuid pinned = s.consoleRoom("pinned");
    const QUuid busy = s.consoleRoom("busy");
    const QUuid leftLater = s.consoleRoom("left later");
    CHECK_REFUSED(m.setPinned(as(alice), pinned, true), ErrorCode::Forbidden);
    CHECK_DONE(m.setPinned(console(), pinned, true));
    QVERIFY(s.server.rooms().find(pinned)->isPinned());
    QVERIFY(enterAll(busy, {&alice}));
    QVERIFY(enterAll(leftLater, {&bob}));

    // bob leaves "left later" after 4 s: it has been empty only 1 s at the first sweep.
    s.clockMs += 4000;
    bob.send(request("exit", {{"room_id", idText(leftLater)}}));
    QVERIFY(!frameAfter(bob, 0, "exit", inRoom(leftLater)).isEmpty());
    s.clockMs += 1000;
    const qsizetype a = mark(alice), b = mark(bob);
    s.server.sweep();
    QVERIFY2(!s.server.rooms().find(idle), "an unpinned room empty for the expiry stayed");
    QVERIFY2(s.server.rooms().find(pinned), "a pinned room was closed");
    QVERIFY2(s.server.rooms().find(busy), "a room with people in it was closed");
    QVERIFY2(s.server.rooms().find(leftLater), "a room empty for less than the expiry closed");
    QCOMPARE(s.server.stats().rooms, 3);
    QVERIFY(settle({&alice, &bob}));
    QVERIFY(framesSince(alice, a).isEmpty() && framesSince(bob, b).isEmpty());

    // Much later: still the pinned and the busy room; the other one has gone now.
    s.clockMs += 24 * 3600 * 1000;
    s.server.sweep();
    QVERIFY(!s.server.rooms().find(leftLater));
    QVERIFY(s.server.rooms().find(pinned));
    QVERIFY(s.server.rooms().find(busy));
    QCOMPARE(trySend(alice, busy, QStringLiteral("still here")), QStringLiteral("ok"));

    // Unpinned, the long-empty room goes at the next sweep.
    CHECK_DONE(m.setPinned(console(), pinned, false));
    s.server.sweep();
    QVERIFY(!s.server.rooms().find(pinned));
    QVERIFY(s.server.rooms().find(busy));

    // A room left empty goes only after the expiry counted from when it emptied.
    alice.send(request("exit", {{"room_id", idText(busy)}}));
    QVERIFY(!frameAfter(alice, a, "exit", inRoom(busy)).isEmpty());
    s.clockMs += 4999;
    s.server.sweep();
    QVERIFY(s.server.rooms().find(busy));
    s.clockMs += 1;
    s.server.sweep();
    QVERIFY(!s.server.rooms().find(busy));
    QCOMPARE(s.server.stats().rooms, 0);
}

void ModerationRoomsTest::auditHasEveryActionButNoContent()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    auto &m = s.moderation();
    const QString secret = QStringLiteral("the-secret-announcement-text");
    const QString secretAll = QStringLiteral("another-secret-for-everyone");
    const QString chatText = QStringLiteral("private-chat-words");
    const qsizetype start = s.auditCount();

    const QUuid hall = s.consoleRoom("hall");
    const QUuid lobby = s.consoleRoom("lobby");
    QVERIFY(enterAll(hall, {&alice, &bob}));
    QCOMPARE(trySend(alice, hall, chatText), QStringLiteral("ok"));
    CHECK_DONE(m.setPinned(console(), hall, true));
    CHECK_DONE(m.kick(console(), hall, userOf(bob), QStringLiteral("kick-reason")));
    QCOMPARE(tryEnter(bob, hall), QStringLiteral("ok"));
    CHECK_DONE(m.ban(console(), hall, userOf(bob), QStringLiteral("ban-reason"), 60'000));
    CHECK_DONE(m.unban(console(), hall, userOf(bob)));
    RoomUpdate mute;
    mute.chatLocked = true;
    CHECK_DONE(m.update(console(), hall, mute));
    CHECK_DONE(m.setAdmin(console(), hall, userOf(alice), true));
    CHECK_DONE(m.setAdmin(console(), hall, userOf(alice), false));
    CHECK_DONE(m.setColor(console(), QUuid(), userOf(alice), QStringLiteral("#123456")));
    CHECK_DONE(m.announce(console(), hall, secret));
    CHECK_DONE(m.announce(console(), QUuid(), secretAll));
    CHECK_DONE(m.lockAllRooms(console(), true));
    CHECK_DONE(m.lockAllRooms(console(), false));
    CHECK_DONE(m.muteAllRooms(console(), true));
    CHECK_DONE(m.muteAllRooms(console(), false));
    CHECK_DONE(m.setAccepting(console(), false));
    CHECK_DONE(m.setAccepting(console(), true));
    QCOMPARE(tryEnter(bob, hall), QStringLiteral("ok"));
    CHECK_DONE(m.clearRoom(console(), hall, QStringLiteral("clear-reason")));
    const auto addressBan = m.banAddress(console(), QStringLiteral("10.9.8.7"), QString());
    CHECK_DONE(outcomeOf(addressBan));
    CHECK_DONE(m.liftAddressBan(console(), std::get<qint64>(addressBan)));
    CHECK_DONE(m.setPinned(console(), hall, false));
    CHECK_DONE(m.closeRoom(console(), lobby, QStringLiteral("close-reason")));
    // Refusals leave no entry.
    CHECK_REFUSED(m.kick(as(bob), hall, userOf(alice), QString()), ErrorCode::Forbidden);
    CHECK_REFUSED(m.announce(console(), hall, QString()), ErrorCode::BadField);

    const QList<AuditEntry> all = m.recentAudit(1000);
    const QList<AuditEntry> entries = all.mid(start);
    QStringList actions;
    for (const AuditEntry &e : entries)
        actions << e.action;
    const QStringList expected{QStringLiteral("create"),        QStringLiteral("create"),
                               QStringLiteral("pin"),           QStringLiteral("kick"),
                               QStringLiteral("ban"),           QStringLiteral("unban"),
                               QStringLiteral("update"),        QStringLiteral("admin"),
                               QStringLiteral("unadmin"),       QStringLiteral("color"),
                               QStringLiteral("announce"),      QStringLiteral("announce-all"),
                               QStringLiteral("lock-all"),      QStringLiteral("unlock-all"),
                               QStringLiteral("mute-all"),      QStringLiteral("unmute-all"),
                               QStringLiteral("pause"),         QStringLiteral("resume"),
                               QStringLiteral("clear"),         QStringLiteral("ban-address"),
                               QStringLiteral("unban-address"), QStringLiteral("unpin"),
                               QStringLiteral("close")};
    QCOMPARE(actions, expected);

    for (const AuditEntry &e : entries) {
        const QString row = e.action + QLatin1Char('|') + e.target + QLatin1Char('|') + e.detail;
        QCOMPARE(e.actor, QStringLiteral("console"));
        QCOMPARE(e.atMs, Stage::Epoch);
        QVERIFY2(!row.contains(secret) && !row.contains(secretAll) && !row.contains(chatText),
                 qPrintable(QStringLiteral("message content in the audit trail: ") + row));
    }
    const auto entryFor = [&](const char *action) {
        for (const AuditEntry &e : entries) {
            if (e.action == QLatin1StringView(action))
                return e;
        }
        return AuditEntry();
    };
    QCOMPARE(entryFor("kick").target, bob.userId());
    QCOMPARE(entryFor("kick").room, hall);
    QVERIFY(entryFor("kick").detail.contains(QStringLiteral("kick-reason")));
    QVERIFY(entryFor("ban").detail.contains(QStringLiteral("ban-reason")));
    QCOMPARE(entryFor("ban-address").target, QStringLiteral("10.9.8.7"));
    QCOMPARE(entryFor("close").room, lobby);
    QVERIFY(entryFor("close").detail.contains(QStringLiteral("close-reason")));
    QVERIFY(entryFor("clear").detail.contains(QStringLiteral("clear-reason")));
    QCOMPARE(entryFor("color").target, alice.userId());
    QCOMPARE(entryFor("announce").room, hall);

    // A room admin's action is recorded under its user id.
    CHECK_DONE(m.setAdmin(console(), hall, userOf(alice), true));
    QCOMPARE(tryEnter(bob, hall), QStringLiteral("ok"));
    CHECK_DONE(m.kick(as(alice), hall, userOf(bob), QString()));
    const AuditEntry last = m.recentAudit(1).value(0);
    QCOMPARE(last.action, QStringLiteral("kick"));
    QCOMPARE(last.actor, alice.userId());
}

void ModerationRoomsTest::metricsMatchWhatHappened()
{
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid hall = s.consoleRoom("hall");
    QVERIFY(enterAll(hall, {&alice, &bob}));
    for (const char *text : {"one", "two", "three"})
        QCOMPARE(trySend(alice, hall, QString::fromLatin1(text)), QStringLiteral("ok"));
    QCOMPARE(trySend(bob, hall, QStringLiteral("four")), QStringLiteral("ok"));
    auto &m = s.moderation();
    CHECK_DONE(m.kick(console(), hall, userOf(bob), QString()));
    QCOMPARE(tryEnter(bob, hall), QStringLiteral("ok"));
    CHECK_DONE(m.ban(console(), hall, userOf(bob), QString()));
    CHECK_DONE(outcomeOf(m.banAddress(console(), QStringLiteral("10.20.30.40"), QString())));
    QVERIFY(settle({&alice, &bob}));

    const QByteArray response = httpGet(s.port, "/metrics");
    QCOMPARE(httpStatus(response), 200);
    QVERIFY2(headerOf(response, "content-type").startsWith("text/plain; version=0.0.4"),
             headerOf(response, "content-type").constData());
    const QByteArray page = httpBody(response);
    QVERIFY(page.contains("# TYPE roomkeeper_connections gauge\n"));
    QVERIFY(page.contains("# TYPE roomkeeper_messages_total counter\n"));
    QVERIFY(page.contains("# TYPE roomkeeper_kicks_total counter\n"));
    QVERIFY(page.contains("# TYPE roomkeeper_bans_total counter\n"));
    const QHash<QByteArray, double> values = samples(page);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        QVERIFY2(!it.key().startsWith("(malformed)"), it.key().constData());
    QCOMPARE(values.value("roomkeeper_connections{protocol=\"room\"}", -1), 2.0);
    QCOMPARE(values.value("roomkeeper_connections{protocol=\"gateway\"}", -1), 0.0);
    QCOMPARE(values.value("roomkeeper_messages_total", -1), 4.0);
    QCOMPARE(values.value("roomkeeper_kicks_total", -1), 2.0); // bans included
    QCOMPARE(values.value("roomkeeper_bans_total", -1), 2.0);  // by user and by address
    QCOMPARE(values.value("roomkeeper_rooms", -1), 1.0);
    QCOMPARE(values.value("roomkeeper_accepting_connections", -1), 1.0);
    QCOMPARE(values.value("roomkeeper_banned_connections_total", -1), 0.0);

    const ServerStats stats = s.server.stats();
    QCOMPARE(stats.connections, 2);
    QCOMPARE(stats.messagesPosted, quint64(4));
    QCOMPARE(stats.kicks, quint64(2));
    QCOMPARE(stats.bans, quint64(2));
}

void ModerationRoomsTest::webhookGetsEveryMessageInOrder()
{
    HookEndpoint endpoint;
    QVERIFY(endpoint.isListening());
    Stage s;
    QVERIFY(s.start());
    TestClient alice, bob;
    QVERIFY(s.open(alice, "alice") && s.open(bob, "bob"));
    const QUuid hall = Stage::clientRoom(alice, "hall");
    QVERIFY(enterAll(hall, {&bob}));

    qsizetype a = mark(alice);
    const qsizetype b = mark(bob);
    RoomUpdate hook;
    hook.webhook = endpoint.url();
    CHECK_DONE(s.moderation().update(console(), hall, hook));
    QCOMPARE(str(pictureAfter(alice, a, hall), "webhook"), endpoint.url());
    QVERIFY(!pictureAfter(bob, b, hall).contains(QLatin1StringView("webhook")));

    // Both send without waiting; the hook gets them in message_id order.
    a = mark(alice);
    const QStringList texts{QStringLiteral("first"), QStringLiteral("second"),
                            QStringLiteral("third \"quoted\""), QStringLiteral("vierte äöü"),
                            QStringLiteral("fifth")};
    for (qsizetype i = 0; i < texts.size(); ++i)
        (i % 2 == 0 ? alice : bob).send(chat(hall, texts.at(i)));
    QVERIFY(
        QTest::qWaitFor([&] { return messagesIn(alice, a, hall).size() == texts.size(); }, 5000));
    QList<QJsonObject> delivered = messagesIn(alice, a, hall);
    std::sort(delivered.begin(), delivered.end(), [](const QJsonObject &x, const QJsonObject &y) {
        return num(x, "message_id") < num(y, "message_id");
    });

    QTRY_COMPARE_WITH_TIMEOUT(endpoint.posts.size(), texts.size(), 10000);
    for (qsizetype i = 0; i < texts.size(); ++i) {
        const HookEndpoint::Post &post = endpoint.posts.at(i);
        QCOMPARE(post.method, QByteArray("POST"));
        QCOMPARE(post.path, QByteArray("/hook"));
        QVERIFY2(post.contentType.startsWith("application/json"), post.contentType.constData());
        QCOMPARE(post.body.keys(),
                 (QStringList{QStringLiteral("content"), QStringLiteral("username")}));
        QCOMPARE(str(post.body, "content"), str(delivered.at(i), "content"));
        QCOMPARE(str(post.body, "username"), str(delivered.at(i), "name"));
    }
    QCOMPARE(endpoint.malformed, 0);
    QTRY_COMPARE(s.server.stats().webhookDelivered, quint64(texts.size()));
    QCOMPARE(s.server.stats().webhookFailed, quint64(0));

    // Webhook off: messages go on, posts stop.
    RoomUpdate off;
    off.webhook = QString();
    CHECK_DONE(s.moderation().update(console(), hall, off));
    QCOMPARE(trySend(alice, hall, QStringLiteral("unhooked")), QStringLiteral("ok"));
    QTest::qWait(300);
    QCOMPARE(endpoint.posts.size(), texts.size());
    QCOMPARE(s.server.stats().webhookDelivered, quint64(texts.size()));
}

ROOMKEEPER_SERVER_TEST_MAIN(ModerationRoomsTest)
#include "tst_moderation_rooms.moc"

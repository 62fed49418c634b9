// RoomRegistry, Room and UserDirectory: the rules of PROTOCOL.md §2.4 that the domain
// enforces, without sockets. A RecordingSink writes every event as one line of text, and
// checks on each call that the state it is shown is already the state after the change.

#include "domain/room.h"
#include "domain/roomevents.h"
#include "domain/roomregistry.h"
#include "domain/userdirectory.h"

#include <QTest>

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>
#include <variant>

using namespace roomkeeper;
using namespace Qt::StringLiterals;

namespace {

// Connections (MemberIds) of the people in these tests.
constexpr MemberId A1 = 1; // alice
constexpr MemberId B1 = 2; // bob
constexpr MemberId B2 = 3; // bob's second connection
constexpr MemberId C1 = 4; // carol
constexpr MemberId D1 = 5; // dave
constexpr MemberId E1 = 6; // erin
constexpr MemberId MaxMemberId = 10;

QString idList(QList<MemberId> members)
{
    std::sort(members.begin(), members.end());
    QStringList out;
    for (MemberId m : members)
        out.append(QString::number(m));
    return out.join(u',');
}

QString changeList(RoomChanges changes)
{
    QStringList out;
    if (changes & NameChanged)
        out.append(u"name"_s);
    if (changes & ClosedChanged)
        out.append(u"closed"_s);
    if (changes & ChatLockedChanged)
        out.append(u"chat_locked"_s);
    if (changes & MaxParticipantsChanged)
        out.append(u"max_participants"_s);
    if (changes & WebhookChanged)
        out.append(u"webhook"_s);
    return out.isEmpty() ? u"none"_s : out.join(u',');
}

class RecordingSink final : public RoomEventSink
{
public:
    QHash<QUuid, QString> names;
    QStringList events;
    QStringList violations; // events that saw a state from before the change
    QList<ChatMessage> messages;

    QStringList take() { return std::exchange(events, QStringList()); }

    QString who(const QUuid &id) const
    {
        const auto it = names.constFind(id);
        return it != names.cend() ? *it : u"?"_s + id.toString(QUuid::WithoutBraces).left(8);
    }

    void memberJoined(const Room &room, MemberId member) override
    {
        expect(room.isMember(member), u"memberJoined: #%1 is not a member"_s.arg(member));
        record(room, u"joined #%1"_s.arg(member));
    }
    void participantEntered(const Room &room, const User &user) override
    {
        expect(room.hasParticipant(user.id), u"participantEntered: not a participant"_s);
        expect(names.value(user.id) == user.name, u"participantEntered: wrong name"_s);
        expect(!user.color.isEmpty(), u"participantEntered: no colour"_s);
        record(room, u"entered "_s + who(user.id));
    }
    void memberLeft(const Room &room, MemberId member, const QUuid &user) override
    {
        expect(!room.isMember(member), u"memberLeft: #%1 is still a member"_s.arg(member));
        record(room, u"left #%1 %2"_s.arg(member).arg(who(user)));
    }
    void participantExited(const Room &room, const QUuid &user, ExitReason reason) override
    {
        expect(!room.hasParticipant(user), u"participantExited: still a participant"_s);
        const QString why = reason == ExitReason::Left           ? u"left"_s
                            : reason == ExitReason::Disconnected ? u"disconnected"_s
                                                                 : u"banned"_s;
        record(room, u"exited %1 %2"_s.arg(who(user), why));
    }
    void messagePosted(const Room &room, const ChatMessage &message) override
    {
        expect(room.lastMessageId() == message.id, u"messagePosted: counter not advanced"_s);
        messages.append(message);
        record(room, u"message %1 %2: %3"_s.arg(QString::number(message.id), who(message.author),
                                                message.content));
    }
    void readReceipt(const Room &room, const QUuid &reader, qint64 messageId) override
    {
        record(room, u"read %1 %2"_s.arg(who(reader), QString::number(messageId)));
    }
    void userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee) override
    {
        expect(room.isInvited(invitee), u"userInvited: no invitation"_s);
        record(room, u"invited %1->%2"_s.arg(who(inviter), who(invitee)));
    }
    void participantKicked(const Room &room, const QUuid &user, const QList<MemberId> &members,
                           const QString &message, bool banned) override
    {
        expect(!room.hasParticipant(user), u"participantKicked: still a participant"_s);
        for (MemberId m : members)
            expect(!room.isMember(m), u"participantKicked: #%1 still a member"_s.arg(m));
        expect(room.isBanned(user) == banned, u"participantKicked: ban state"_s);
        record(room, u"kicked %1 [%2] \"%3\" %4"_s.arg(who(user), idList(members), message,
                                                       banned ? u"ban"_s : u"kick"_s));
    }
    void participantUnbanned(const Room &room, const QUuid &user) override
    {
        expect(!room.isBanned(user), u"participantUnbanned: still banned"_s);
        record(room, u"unbanned "_s + who(user));
    }
    void adminChanged(const Room &room, const QUuid &user, bool admin) override
    {
        expect(room.isAdmin(user) == admin, u"adminChanged: admin state"_s);
        record(room, u"admin %1 %2"_s.arg(who(user), admin ? u"on"_s : u"off"_s));
    }
    void roomChanged(const Room &room, RoomChanges changes) override
    {
        record(room, u"changed "_s + changeList(changes));
    }
    void roomClosed(const Room &room, const QList<MemberId> &members,
                    const QString &message) override
    {
        record(room, u"closed [%1] \"%2\""_s.arg(idList(members), message));
    }

private:
    void record(const Room &room, const QString &text)
    {
        events.append(room.settings().name + u' ' + text);
    }
    void expect(bool ok, const QString &what)
    {
        if (!ok)
            violations.append(what);
    }
};

struct World
{
    UserDirectory users;
    RecordingSink sink;
    RoomRegistry reg{users, sink};
    qint64 nowMs = 1'700'000'000'000; // the registry's clock, fixed
    QUuid alice = add(u"alice"_s);
    QUuid bob = add(u"bob"_s);
    QUuid carol = add(u"carol"_s);
    QUuid dave = add(u"dave"_s);
    QUuid erin = add(u"erin"_s);

    World()
    {
        reg.setClock([this] { return nowMs; });
    }

    QUuid add(const QString &name)
    {
        const QUuid id = users.identify(QString(), name).user.id;
        sink.names.insert(id, name);
        return id;
    }
};

QString describe(const Outcome &outcome)
{
    if (!outcome)
        return u"accepted"_s;
    return QString(errorCodeName(outcome->code)) + u": "_s + outcome->message;
}

QString codeOf(const Outcome &outcome)
{
    return outcome ? QString(errorCodeName(outcome->code)) : QString();
}

RoomUpdate nameUpdate(const QString &name)
{
    RoomUpdate u;
    u.name = name;
    return u;
}

} // namespace

// The call must succeed.
#define QVERIFY_OK(call)                                                                           \
    do {                                                                                           \
        const Outcome outcome_ = (call);                                                           \
        QVERIFY2(!outcome_, qPrintable(describe(outcome_)));                                       \
    } while (false)

// The call must be refused with 'expected_' and change nothing: no state, no event.
#define QVERIFY_REFUSED(call, expected_)                                                           \
    do {                                                                                           \
        const QString stateBefore_ = snapshot();                                                   \
        const QStringList eventsBefore_ = w->sink.events;                                          \
        const Outcome outcome_ = (call);                                                           \
        QVERIFY2(outcome_.has_value(), "accepted: " #call);                                        \
        QCOMPARE(codeOf(outcome_), QString(expected_));                                            \
        QVERIFY(!outcome_->message.isEmpty());                                                     \
        QCOMPARE(snapshot(), stateBefore_);                                                        \
        QCOMPARE(w->sink.events, eventsBefore_);                                                   \
    } while (false)

class RoomRegistryTest : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void worksWithoutASetClock();
    void createRoomMakesCreatorAdminAndEntersIt();
    void createRoomWithoutEntering();
    void createRoomByConsoleHasNoCreator();
    void createRoomName_data();
    void createRoomName();
    void unknownRoomIsRefusedEverywhere();
    void enterAddsParticipantsInOrder();
    void enterRefusedWhenBanned();
    void enterFullRoomExceptAdmins();
    void enterClosedRoomNeedsInvitationOrAdmin();
    void reenterSameMemberOnlyRejoins();
    void severalConnectionsAreOneParticipant();
    void exitRefusedWhenNotMember();
    void messageIdsCountPerRoom();
    void postMessageContent_data();
    void postMessageContent();
    void postMessageNeedsMembership();
    void chatLockedExceptAdmins();
    void markRead_data();
    void markRead();
    void inviteToOpenRoom();
    void inviteToClosedRoomNeedsAdmin();
    void kickAndBanByRank_data();
    void kickAndBanByRank();
    void kickRemovesEveryConnection();
    void banAbsentUser();
    void bannedAdminsKeepNoRights();
    void unban();
    void updateSettings_data();
    void updateSettings();
    void updateWebhookCanBeCleared();
    void updateNeedsAdmin();
    void updateRefused_data();
    void updateRefused();
    void setAdminGrantAndDemote();
    void closeRoom();
    void memberGoneLeavesEveryRoom();
    void roomsVisibleTo();
    void rankOf_data();
    void rankOf();

private:
    QUuid create(const Actor &actor, const QString &name, bool closed, MemberId enterAs);
    QUuid makeRoom(const QString &name, bool closed = false); // by alice, entered on A1
    QUuid userNamed(const QString &name) const;
    Actor actorNamed(const QString &name) const;
    QString snapshot() const;

    std::unique_ptr<World> w;
};

void RoomRegistryTest::init()
{
    w = std::make_unique<World>();
}

void RoomRegistryTest::cleanup()
{
    const QStringList violations = std::exchange(w->sink.violations, QStringList());
    w.reset();
    QVERIFY2(violations.isEmpty(), qPrintable(violations.join(u"; ")));
}

QUuid RoomRegistryTest::create(const Actor &actor, const QString &name, bool closed,
                               MemberId enterAs)
{
    const auto created = w->reg.createRoom(actor, name, closed, enterAs);
    const QUuid *id = std::get_if<QUuid>(&created);
    return id ? *id : QUuid();
}

QUuid RoomRegistryTest::makeRoom(const QString &name, bool closed)
{
    const QUuid id = create(Actor::person(w->alice), name, closed, A1);
    w->sink.take();
    return id;
}

QUuid RoomRegistryTest::userNamed(const QString &name) const
{
    return w->sink.names.key(name);
}

Actor RoomRegistryTest::actorNamed(const QString &name) const
{
    return name == u"console"_s ? Actor::operatorConsole() : Actor::person(userNamed(name));
}

// Everything the registry exposes, as text: equal snapshots mean nothing changed.
QString RoomRegistryTest::snapshot() const
{
    const RecordingSink &s = w->sink;
    auto names = [&s](const auto &ids) {
        QStringList out;
        for (const QUuid &id : ids)
            out.append(s.who(id));
        return out;
    };
    QStringList out;
    out.append(u"rooms=%1"_s.arg(w->reg.roomCount()));
    for (const Room *room : w->reg.rooms()) {
        const RoomSettings &set = room->settings();
        QStringList admins = names(room->admins());
        QStringList bans = names(room->bans());
        admins.sort();
        bans.sort();
        QStringList invited;
        for (auto it = s.names.cbegin(); it != s.names.cend(); ++it) {
            if (room->isInvited(it.key()))
                invited.append(it.value());
        }
        invited.sort();
        QStringList members;
        for (auto it = room->members().cbegin(); it != room->members().cend(); ++it)
            members.append(u"%1=%2"_s.arg(QString::number(it.key()), s.who(it.value())));
        members.sort();
        out.append(room->id().toString());
        out.append(u"  name=%1 closed=%2 locked=%3 max=%4 webhook=%5"_s.arg(
            set.name, QString::number(set.closed), QString::number(set.chatLocked),
            QString::number(set.maxParticipants), set.webhook));
        out.append(u"  creator=%1 last=%2"_s.arg(s.who(room->creator()),
                                                 QString::number(room->lastMessageId())));
        out.append(u"  admins=%1 bans=%2 invited=%3"_s.arg(admins.join(u','), bans.join(u','),
                                                           invited.join(u',')));
        out.append(u"  members=%1 participants=%2"_s.arg(members.join(u','),
                                                         names(room->participants()).join(u',')));
    }
    for (MemberId m = 1; m <= MaxMemberId; ++m) {
        QStringList rooms;
        for (const QUuid &id : w->reg.roomsOf(m))
            rooms.append(id.toString());
        out.append(u"#%1 in %2"_s.arg(QString::number(m), rooms.join(u',')));
    }
    return out.join(u'\n');
}

void RoomRegistryTest::worksWithoutASetClock()
{
    // RoomRegistry::setClock: "Wall-clock milliseconds ...; tests set their own". A
    // registry nobody gave a clock must still work (on the wall clock).
    UserDirectory users;
    RecordingSink sink;
    RoomRegistry registry(users, sink);
    const QUuid alice = users.identify(QString(), u"alice"_s).user.id;
    const QUuid bob = users.identify(QString(), u"bob"_s).user.id;
    try {
        const auto created = registry.createRoom(Actor::person(alice), u"Lobby"_s, false, A1);
        QVERIFY(std::holds_alternative<QUuid>(created));
        const QUuid id = std::get<QUuid>(created);
        QVERIFY(!registry.enter(B1, bob, id));
        QVERIFY(!registry.kick(Actor::person(alice), id, bob, QString(), true));
        QVERIFY(registry.enter(B1, bob, id));
        QVERIFY(!registry.exit(A1, id));
    } catch (const std::bad_function_call &) {
        QFAIL("RoomRegistry calls an empty clock when setClock() was not called");
    }
}

void RoomRegistryTest::createRoomMakesCreatorAdminAndEntersIt()
{
    const auto created = w->reg.createRoom(Actor::person(w->alice), u"Lobby"_s, false, A1);
    const QUuid *id = std::get_if<QUuid>(&created);
    QVERIFY(id);
    QVERIFY(!id->isNull());
    const Room *room = w->reg.find(*id);
    QVERIFY(room);
    QCOMPARE(room->id(), *id);
    QCOMPARE(room->creator(), w->alice);
    QVERIFY(room->isAdmin(w->alice));
    QCOMPARE(RoomRegistry::rankOf(*room, Actor::person(w->alice)), 2);
    QCOMPARE(room->settings().name, u"Lobby"_s);
    QVERIFY(!room->settings().closed);
    QVERIFY(!room->settings().chatLocked);
    QCOMPARE(room->settings().maxParticipants, 0);
    QVERIFY(room->settings().webhook.isEmpty());
    QCOMPARE(room->lastMessageId(), 0);
    QVERIFY(room->isMember(A1));
    QCOMPARE(room->participants(), QList<QUuid>{w->alice});
    QCOMPARE(w->reg.roomsOf(A1), QList<QUuid>{*id});
    QCOMPARE(w->reg.roomCount(), 1);
    QCOMPARE(w->sink.take(), (QStringList{u"Lobby joined #1"_s, u"Lobby entered alice"_s}));

    // A closed room: its creator is an admin, so it enters all the same.
    const QUuid annex = create(Actor::person(w->bob), u"Annex"_s, true, B1);
    QVERIFY(!annex.isNull());
    QVERIFY(w->reg.find(annex)->settings().closed);
    QVERIFY(w->reg.find(annex)->isAdmin(w->bob));
    QVERIFY(!w->reg.find(annex)->isAdmin(w->alice));
    QVERIFY(w->reg.find(annex)->isMember(B1));
    QCOMPARE(w->sink.take(), (QStringList{u"Annex joined #2"_s, u"Annex entered bob"_s}));
    QCOMPARE(w->reg.rooms(), (QList<const Room *>{room, w->reg.find(annex)}));
}

void RoomRegistryTest::createRoomWithoutEntering()
{
    const QUuid id = create(Actor::person(w->alice), u"Lobby"_s, false, 0);
    QVERIFY(!id.isNull());
    const Room *room = w->reg.find(id);
    QVERIFY(room);
    QCOMPARE(room->creator(), w->alice);
    QVERIFY(room->isAdmin(w->alice));
    QCOMPARE(room->participantCount(), 0);
    QVERIFY(room->members().isEmpty());
    QCOMPARE(w->sink.events, QStringList());
}

void RoomRegistryTest::createRoomByConsoleHasNoCreator()
{
    const QUuid id = create(Actor::operatorConsole(), u"Hall"_s, true, 0);
    QVERIFY(!id.isNull());
    const Room *room = w->reg.find(id);
    QVERIFY(room);
    QVERIFY(room->creator().isNull());
    QVERIFY(room->admins().isEmpty());
    QVERIFY(room->settings().closed);
    QCOMPARE(RoomRegistry::rankOf(*room, Actor::operatorConsole()), 3);
    QCOMPARE(RoomRegistry::rankOf(*room, Actor::person(QUuid())), 0);
    QCOMPARE(RoomRegistry::rankOf(*room, Actor::person(w->alice)), 0);
    QCOMPARE(w->sink.events, QStringList());
}

void RoomRegistryTest::createRoomName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("stored");

    const QString emoji = u"\U0001F600"_s;
    QTest::addRow("plain") << u"Lobby"_s << QString() << u"Lobby"_s;
    QTest::addRow("trimmed") << u"  Lobby \t"_s << QString() << u"Lobby"_s;
    QTest::addRow("one character") << u"x"_s << QString() << u"x"_s;
    QTest::addRow("exactly 64") << QString(64, u'a') << QString() << QString(64, u'a');
    QTest::addRow("64 after trimming")
        << u"  "_s + QString(64, u'a') + u"  "_s << QString() << QString(64, u'a');
    QTest::addRow("64 emoji") << emoji.repeated(64) << QString() << emoji.repeated(64);
    QTest::addRow("65") << QString(65, u'a') << u"too_long"_s << QString();
    QTest::addRow("65 emoji") << emoji.repeated(65) << u"too_long"_s << QString();
    QTest::addRow("empty") << QString() << u"bad_field"_s << QString();
    QTest::addRow("only spaces") << u"   "_s << u"bad_field"_s << QString();
    QTest::addRow("line feed inside") << u"Lob\nby"_s << u"bad_field"_s << QString();
    QTest::addRow("nul inside") << u"Lob"_s + QChar(u'\0') + u"by"_s << u"bad_field"_s << QString();
    QTest::addRow("bidi override") << u"Lob\u202Eby"_s << u"bad_field"_s << QString();
    QTest::addRow("zero-width joiner") << u"Lob\u200Dby"_s << u"bad_field"_s << QString();
    QTest::addRow("lone surrogate")
        << u"Lob"_s + QChar(char16_t(0xD800)) << u"bad_field"_s << QString();
}

void RoomRegistryTest::createRoomName()
{
    QFETCH(QString, name);
    QFETCH(QString, code);
    QFETCH(QString, stored);

    const QString before = snapshot();
    const auto created = w->reg.createRoom(Actor::person(w->alice), name, false, A1);
    if (code.isEmpty()) {
        const QUuid *id = std::get_if<QUuid>(&created);
        QVERIFY(id);
        QCOMPARE(w->reg.find(*id)->settings().name, stored);
        QCOMPARE(w->reg.roomCount(), 1);
    } else {
        const Refusal *refusal = std::get_if<Refusal>(&created);
        QVERIFY(refusal);
        QCOMPARE(QString(errorCodeName(refusal->code)), code);
        QCOMPARE(w->reg.roomCount(), 0);
        QCOMPARE(snapshot(), before);
        QCOMPARE(w->sink.events, QStringList());
    }
}

void RoomRegistryTest::unknownRoomIsRefusedEverywhere()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    const QUuid nowhere = QUuid::createUuid();
    const Actor console = Actor::operatorConsole();
    const Actor alice = Actor::person(w->alice);

    QVERIFY_REFUSED(w->reg.enter(B1, w->bob, nowhere), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.exit(A1, nowhere), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.postMessage(A1, nowhere, u"hi"_s, 1), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.markRead(A1, nowhere, 1), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.invite(A1, nowhere, w->bob), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.kick(console, nowhere, w->bob, QString(), false), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.kick(alice, nowhere, w->bob, QString(), true), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.unban(console, nowhere, w->bob), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.update(console, nowhere, nameUpdate(u"x"_s)), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(console, nowhere, w->bob, true), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.close(console, nowhere, QString()), u"no_such_room"_s);
    QVERIFY(!w->reg.find(nowhere));
    QVERIFY(w->reg.find(lobby));
}

void RoomRegistryTest::enterAddsParticipantsInOrder()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QCOMPARE(w->sink.take(), (QStringList{u"Lobby joined #2"_s, u"Lobby entered bob"_s}));
    QVERIFY_OK(w->reg.enter(C1, w->carol, lobby));
    QCOMPARE(w->sink.take(), (QStringList{u"Lobby joined #4"_s, u"Lobby entered carol"_s}));

    const Room *room = w->reg.find(lobby);
    QCOMPARE(room->participants(), (QList<QUuid>{w->alice, w->bob, w->carol}));
    QCOMPARE(room->participantCount(), 3);
    QCOMPARE(room->members().value(B1), w->bob);
    QVERIFY(room->hasParticipant(w->carol));
    QVERIFY(!room->hasParticipant(w->dave));
    QCOMPARE(w->reg.roomsOf(B1), QList<QUuid>{lobby});
    QVERIFY(w->reg.roomsOf(D1).isEmpty());
}

void RoomRegistryTest::enterRefusedWhenBanned()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.kick(Actor::person(w->alice), lobby, w->dave, QString(), true));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.enter(D1, w->dave, lobby), u"banned"_s);

    // Admins are excepted from room_full and room_closed, not from bans. (A ban takes
    // admin rights away; granted again, they still do not open the door.)
    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), lobby, w->carol, true));
    QVERIFY_OK(w->reg.kick(Actor::operatorConsole(), lobby, w->carol, QString(), true));
    QVERIFY(!w->reg.find(lobby)->isAdmin(w->carol));
    QVERIFY_OK(w->reg.setAdmin(Actor::operatorConsole(), lobby, w->carol, true));
    w->sink.take();
    QVERIFY(w->reg.find(lobby)->isAdmin(w->carol));
    QVERIFY_REFUSED(w->reg.enter(C1, w->carol, lobby), u"banned"_s);

    // An invitation does not open the door to a banned user.
    const QUuid annex = makeRoom(u"Annex"_s, true);
    QVERIFY_OK(w->reg.invite(A1, annex, w->bob));
    QVERIFY_OK(w->reg.kick(Actor::person(w->alice), annex, w->bob, QString(), true));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.enter(B1, w->bob, annex), u"banned"_s);
}

void RoomRegistryTest::enterFullRoomExceptAdmins()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    RoomUpdate two;
    two.maxParticipants = 2;
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), lobby, two));
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY(w->reg.find(lobby)->isFull());
    w->sink.take();

    QVERIFY_REFUSED(w->reg.enter(C1, w->carol, lobby), u"room_full"_s);

    // Another connection of someone already in is not another participant.
    QVERIFY_OK(w->reg.enter(B2, w->bob, lobby));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby joined #3"_s});

    // An admin enters a full room.
    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), lobby, w->dave, true));
    QVERIFY_OK(w->reg.enter(D1, w->dave, lobby));
    QCOMPARE(w->reg.find(lobby)->participantCount(), 3);

    // bob leaves: alice and dave remain, which is still the limit.
    QVERIFY_OK(w->reg.exit(B1, lobby));
    QVERIFY_OK(w->reg.exit(B2, lobby));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.enter(C1, w->carol, lobby), u"room_full"_s);
    QVERIFY_OK(w->reg.exit(D1, lobby));
    QVERIFY(!w->reg.find(lobby)->isFull());
    QVERIFY_OK(w->reg.enter(C1, w->carol, lobby));
    QVERIFY(w->reg.find(lobby)->hasParticipant(w->carol));
}

void RoomRegistryTest::enterClosedRoomNeedsInvitationOrAdmin()
{
    const QUuid annex = makeRoom(u"Annex"_s, true);
    QVERIFY(!annex.isNull());
    QVERIFY_REFUSED(w->reg.enter(B1, w->bob, annex), u"room_closed"_s);

    QVERIFY_OK(w->reg.invite(A1, annex, w->bob));
    QVERIFY(w->reg.find(annex)->isInvited(w->bob));
    QVERIFY_OK(w->reg.enter(B1, w->bob, annex));
    QVERIFY(!w->reg.find(annex)->isInvited(w->bob)); // used up
    QVERIFY(w->reg.find(annex)->hasParticipant(w->bob));

    // While in, another connection of the same user may follow.
    QVERIFY_OK(w->reg.enter(B2, w->bob, annex));
    QVERIFY_OK(w->reg.exit(B1, annex));
    QVERIFY_OK(w->reg.exit(B2, annex));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.enter(B1, w->bob, annex), u"room_closed"_s);

    // An admin needs no invitation.
    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), annex, w->carol, true));
    QVERIFY_OK(w->reg.enter(C1, w->carol, annex));

    // Opened, the room lets anyone in.
    RoomUpdate open;
    open.closed = false;
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), annex, open));
    QVERIFY_OK(w->reg.enter(D1, w->dave, annex));
    QVERIFY(w->reg.find(annex)->hasParticipant(w->dave));
}

void RoomRegistryTest::reenterSameMemberOnlyRejoins()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();
    const QString before = snapshot();

    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby joined #2"_s});
    QCOMPARE(snapshot(), before);
    QCOMPARE(w->reg.roomsOf(B1), QList<QUuid>{lobby});
    QCOMPARE(w->reg.find(lobby)->membersOf(w->bob), QList<MemberId>{B1});

    // One exit is enough to be out.
    QVERIFY_OK(w->reg.exit(B1, lobby));
    QVERIFY(!w->reg.find(lobby)->hasParticipant(w->bob));
    QVERIFY(w->reg.roomsOf(B1).isEmpty());
}

void RoomRegistryTest::severalConnectionsAreOneParticipant()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QCOMPARE(w->sink.take(), (QStringList{u"Lobby joined #2"_s, u"Lobby entered bob"_s}));
    QVERIFY_OK(w->reg.enter(B2, w->bob, lobby));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby joined #3"_s});

    const Room *room = w->reg.find(lobby);
    QCOMPARE(room->participantCount(), 2);
    QCOMPARE(room->participants(), (QList<QUuid>{w->alice, w->bob}));
    QCOMPARE(idList(room->membersOf(w->bob)), u"2,3"_s);

    QVERIFY_OK(w->reg.exit(B1, lobby));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby left #2 bob"_s});
    QVERIFY(room->hasParticipant(w->bob));
    QVERIFY(!room->isMember(B1));

    QVERIFY_OK(w->reg.exit(B2, lobby));
    QCOMPARE(w->sink.take(), (QStringList{u"Lobby left #3 bob"_s, u"Lobby exited bob left"_s}));
    QVERIFY(!room->hasParticipant(w->bob));
    QCOMPARE(room->participants(), QList<QUuid>{w->alice});
}

void RoomRegistryTest::exitRefusedWhenNotMember()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s);
    QVERIFY(!lobby.isNull() && !annex.isNull());

    QVERIFY_REFUSED(w->reg.exit(B1, lobby), u"not_member"_s);
    QVERIFY_OK(w->reg.enter(B1, w->bob, annex));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.exit(B1, lobby), u"not_member"_s); // in another room only
    QVERIFY_OK(w->reg.exit(B1, annex));
    QCOMPARE(w->sink.take(), (QStringList{u"Annex left #2 bob"_s, u"Annex exited bob left"_s}));
    QVERIFY(w->reg.roomsOf(B1).isEmpty());
    QVERIFY_REFUSED(w->reg.exit(B1, annex), u"not_member"_s); // twice
}

void RoomRegistryTest::messageIdsCountPerRoom()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s);
    QVERIFY(!lobby.isNull() && !annex.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();

    QVERIFY_OK(w->reg.postMessage(A1, lobby, u"one"_s, 1000));
    QVERIFY_OK(w->reg.postMessage(A1, lobby, u"two"_s, 1001));
    QVERIFY_OK(w->reg.postMessage(B1, lobby, u"three"_s, 1002));
    QVERIFY_OK(w->reg.postMessage(A1, annex, u"elsewhere"_s, 1003));
    QVERIFY_OK(w->reg.postMessage(A1, lobby, u"four"_s, 1004));
    QVERIFY_OK(w->reg.postMessage(A1, annex, u"again"_s, 1005));
    QCOMPARE(w->sink.take(), (QStringList{
                                 u"Lobby message 1 alice: one"_s,
                                 u"Lobby message 2 alice: two"_s,
                                 u"Lobby message 3 bob: three"_s,
                                 u"Annex message 1 alice: elsewhere"_s,
                                 u"Lobby message 4 alice: four"_s,
                                 u"Annex message 2 alice: again"_s,
                             }));
    QCOMPARE(w->reg.find(lobby)->lastMessageId(), 4);
    QCOMPARE(w->reg.find(annex)->lastMessageId(), 2);

    const ChatMessage &third = w->sink.messages.at(2);
    QCOMPARE(third.id, 3);
    QCOMPARE(third.author, w->bob);
    QCOMPARE(third.authorName, u"bob"_s);
    QCOMPARE(third.content, u"three"_s);
    QCOMPARE(third.sentAtMs, 1002);

    // A refused message takes no id.
    QVERIFY_REFUSED(w->reg.postMessage(A1, lobby, QString(), 1006), u"bad_field"_s);
    QVERIFY_OK(w->reg.postMessage(A1, lobby, u"five"_s, 1007));
    QCOMPARE(w->sink.messages.last().id, 5);
}

void RoomRegistryTest::postMessageContent_data()
{
    QTest::addColumn<QString>("content");
    QTest::addColumn<int>("maxContent"); // 0: the default
    QTest::addColumn<QString>("code");

    const QString emoji = u"\U0001F600"_s;
    QTest::addRow("plain") << u"hello"_s << 0 << QString();
    QTest::addRow("line breaks and tabs") << u"a\nb\tc\r\nd"_s << 0 << QString();
    QTest::addRow("empty") << QString() << 0 << u"bad_field"_s;
    QTest::addRow("nul") << u"a"_s + QChar(u'\0') + u"b"_s << 0 << u"bad_field"_s;
    QTest::addRow("escape sequence") << u"\x1B[31mred"_s << 0 << u"bad_field"_s;
    QTest::addRow("lone surrogate") << u"a"_s + QChar(char16_t(0xDC00)) << 0 << u"bad_field"_s;
    QTest::addRow("default max") << QString(4000, u'x') << 0 << QString();
    QTest::addRow("default max + 1") << QString(4001, u'x') << 0 << u"too_long"_s;
    QTest::addRow("max 10, exactly 10") << u"0123456789"_s << 10 << QString();
    QTest::addRow("max 10, 11") << u"0123456789a"_s << 10 << u"too_long"_s;
    QTest::addRow("max 10, 10 emoji") << emoji.repeated(10) << 10 << QString();
    QTest::addRow("max 10, 11 emoji") << emoji.repeated(11) << 10 << u"too_long"_s;
}

void RoomRegistryTest::postMessageContent()
{
    QFETCH(QString, content);
    QFETCH(int, maxContent);
    QFETCH(QString, code);

    if (maxContent > 0)
        w->reg.setMaxContent(maxContent);
    QCOMPARE(w->reg.maxContent(), maxContent > 0 ? maxContent : 4000);
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    if (code.isEmpty()) {
        QVERIFY_OK(w->reg.postMessage(A1, lobby, content, 42));
        QCOMPARE(w->reg.find(lobby)->lastMessageId(), 1);
        QCOMPARE(w->sink.messages.size(), 1);
        QCOMPARE(w->sink.messages.first().content, content);
    } else {
        QVERIFY_REFUSED(w->reg.postMessage(A1, lobby, content, 42), code);
        QCOMPARE(w->reg.find(lobby)->lastMessageId(), 0);
    }
}

void RoomRegistryTest::postMessageNeedsMembership()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s);
    QVERIFY(!lobby.isNull() && !annex.isNull());
    QVERIFY_REFUSED(w->reg.postMessage(B1, lobby, u"hi"_s, 1), u"not_member"_s);
    QVERIFY_OK(w->reg.enter(B1, w->bob, annex));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.postMessage(B1, lobby, u"hi"_s, 1), u"not_member"_s);
    QVERIFY_REFUSED(w->reg.postMessage(99, lobby, u"hi"_s, 1), u"not_member"_s);
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.exit(B1, lobby));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.postMessage(B1, lobby, u"hi"_s, 1), u"not_member"_s);
}

void RoomRegistryTest::chatLockedExceptAdmins()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(C1, w->carol, lobby));
    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), lobby, w->carol, true));
    RoomUpdate lock;
    lock.chatLocked = true;
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), lobby, lock));
    w->sink.take();

    QVERIFY_REFUSED(w->reg.postMessage(B1, lobby, u"let me speak"_s, 1), u"chat_locked"_s);
    QVERIFY_OK(w->reg.postMessage(A1, lobby, u"creator"_s, 2));
    QVERIFY_OK(w->reg.postMessage(C1, lobby, u"admin"_s, 3));
    QCOMPARE(w->sink.take(),
             (QStringList{u"Lobby message 1 alice: creator"_s, u"Lobby message 2 carol: admin"_s}));

    lock.chatLocked = false;
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), lobby, lock));
    QVERIFY_OK(w->reg.postMessage(B1, lobby, u"at last"_s, 4));
    QCOMPARE(w->sink.messages.last().id, 3);
}

void RoomRegistryTest::markRead_data()
{
    QTest::addColumn<int>("posted");
    QTest::addColumn<MemberId>("member");
    QTest::addColumn<qint64>("messageId");
    QTest::addColumn<QString>("code");

    QTest::addRow("first") << 2 << B1 << qint64(1) << QString();
    QTest::addRow("last") << 2 << B1 << qint64(2) << QString();
    QTest::addRow("one past last") << 2 << B1 << qint64(3) << u"bad_field"_s;
    QTest::addRow("zero") << 2 << B1 << qint64(0) << u"bad_field"_s;
    QTest::addRow("negative") << 2 << B1 << qint64(-1) << u"bad_field"_s;
    QTest::addRow("huge") << 2 << B1 << (qint64(1) << 53) << u"bad_field"_s;
    QTest::addRow("nothing posted yet") << 0 << B1 << qint64(1) << u"bad_field"_s;
    QTest::addRow("not a member") << 2 << C1 << qint64(1) << u"not_member"_s;
}

void RoomRegistryTest::markRead()
{
    QFETCH(int, posted);
    QFETCH(MemberId, member);
    QFETCH(qint64, messageId);
    QFETCH(QString, code);

    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    for (int i = 0; i < posted; ++i)
        QVERIFY_OK(w->reg.postMessage(A1, lobby, u"m"_s, i));
    w->sink.take();

    if (code.isEmpty()) {
        QVERIFY_OK(w->reg.markRead(member, lobby, messageId));
        QCOMPARE(w->sink.take(), QStringList{u"Lobby read bob %1"_s.arg(messageId)});
    } else {
        QVERIFY_REFUSED(w->reg.markRead(member, lobby, messageId), code);
    }
}

void RoomRegistryTest::inviteToOpenRoom()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();

    // Any member may invite to an open room.
    QVERIFY_OK(w->reg.invite(B1, lobby, w->carol));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby invited bob->carol"_s});
    QVERIFY(w->reg.find(lobby)->isInvited(w->carol));

    QVERIFY_REFUSED(w->reg.invite(B1, lobby, QUuid::createUuid()), u"no_such_user"_s);
    QVERIFY_REFUSED(w->reg.invite(B1, lobby, QUuid()), u"no_such_user"_s);
    QVERIFY_REFUSED(w->reg.invite(B1, lobby, w->bob), u"bad_field"_s);
    QVERIFY_REFUSED(w->reg.invite(D1, lobby, w->erin), u"not_member"_s);

    QVERIFY_OK(w->reg.kick(Actor::person(w->alice), lobby, w->dave, QString(), true));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.invite(B1, lobby, w->dave), u"banned"_s);
}

void RoomRegistryTest::inviteToClosedRoomNeedsAdmin()
{
    const QUuid annex = makeRoom(u"Annex"_s, true);
    QVERIFY(!annex.isNull());
    QVERIFY_OK(w->reg.invite(A1, annex, w->bob));
    QVERIFY_OK(w->reg.enter(B1, w->bob, annex));
    w->sink.take();

    QVERIFY_REFUSED(w->reg.invite(B1, annex, w->carol), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.invite(A1, annex, w->alice), u"bad_field"_s);

    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), annex, w->carol, true));
    QVERIFY_OK(w->reg.enter(C1, w->carol, annex));
    w->sink.take();
    QVERIFY_OK(w->reg.invite(C1, annex, w->dave));
    QCOMPARE(w->sink.take(), QStringList{u"Annex invited carol->dave"_s});
    QVERIFY(w->reg.find(annex)->isInvited(w->dave));
    QVERIFY_OK(w->reg.enter(D1, w->dave, annex));
}

void RoomRegistryTest::kickAndBanByRank_data()
{
    QTest::addColumn<QString>("actor");
    QTest::addColumn<QString>("target");
    QTest::addColumn<bool>("ban");
    QTest::addColumn<QString>("code");

    // alice: creator; carol, erin: admins; bob, dave: members. All are in the room.
    struct Row
    {
        const char16_t *actor;
        const char16_t *target;
        const char16_t *code;
    };
    const Row rows[] = {
        {u"console", u"alice", u""},        {u"console", u"carol", u""},
        {u"console", u"bob", u""},          {u"alice", u"alice", u"forbidden"},
        {u"alice", u"carol", u""},          {u"alice", u"bob", u""},
        {u"carol", u"alice", u"forbidden"}, {u"carol", u"carol", u"forbidden"},
        {u"carol", u"erin", u"forbidden"},  {u"carol", u"bob", u""},
        {u"bob", u"alice", u"forbidden"},   {u"bob", u"carol", u"forbidden"},
        {u"bob", u"dave", u"forbidden"},    {u"bob", u"bob", u"forbidden"},
    };
    for (bool ban : {false, true}) {
        for (const Row &row : rows) {
            const QString code = QString::fromUtf16(row.code);
            QTest::addRow("%s %s %s: %s", qPrintable(QString::fromUtf16(row.actor)),
                          ban ? "bans" : "kicks", qPrintable(QString::fromUtf16(row.target)),
                          code.isEmpty() ? "ok" : qPrintable(code))
                << QString::fromUtf16(row.actor) << QString::fromUtf16(row.target) << ban << code;
        }
    }
}

void RoomRegistryTest::kickAndBanByRank()
{
    QFETCH(QString, actor);
    QFETCH(QString, target);
    QFETCH(bool, ban);
    QFETCH(QString, code);

    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    const Actor alice = Actor::person(w->alice);
    QVERIFY_OK(w->reg.setAdmin(alice, lobby, w->carol, true));
    QVERIFY_OK(w->reg.setAdmin(alice, lobby, w->erin, true));
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(C1, w->carol, lobby));
    QVERIFY_OK(w->reg.enter(D1, w->dave, lobby));
    QVERIFY_OK(w->reg.enter(E1, w->erin, lobby));
    w->sink.take();

    const QUuid targetId = userNamed(target);
    const Room *room = w->reg.find(lobby);
    const QList<MemberId> members = room->membersOf(targetId);
    QCOMPARE(members.size(), 1);

    if (!code.isEmpty()) {
        QVERIFY_REFUSED(w->reg.kick(actorNamed(actor), lobby, targetId, u"bye"_s, ban), code);
        return;
    }
    QVERIFY_OK(w->reg.kick(actorNamed(actor), lobby, targetId, u"bye"_s, ban));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby kicked %1 [%2] \"bye\" %3"_s.arg(
                                 target, idList(members), ban ? u"ban"_s : u"kick"_s)});
    QVERIFY(!room->hasParticipant(targetId));
    QVERIFY(!room->isMember(members.first()));
    QVERIFY(w->reg.roomsOf(members.first()).isEmpty());
    QCOMPARE(room->participantCount(), 4);
    QCOMPARE(room->isBanned(targetId), ban);
    if (ban) // a banned admin keeps no rights in the room
        QVERIFY(!room->isAdmin(targetId));
    if (ban)
        QVERIFY_REFUSED(w->reg.enter(members.first(), targetId, lobby), u"banned"_s);
    else
        QVERIFY_OK(w->reg.enter(members.first(), targetId, lobby));
}

void RoomRegistryTest::kickRemovesEveryConnection()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s);
    QVERIFY(!lobby.isNull() && !annex.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(B2, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(B1, w->bob, annex));
    w->sink.take();

    QVERIFY_OK(w->reg.kick(Actor::person(w->alice), lobby, w->bob, u"out"_s, false));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby kicked bob [2,3] \"out\" kick"_s});
    const Room *room = w->reg.find(lobby);
    QVERIFY(!room->isMember(B1));
    QVERIFY(!room->isMember(B2));
    QVERIFY(room->membersOf(w->bob).isEmpty());
    QCOMPARE(room->participants(), QList<QUuid>{w->alice});
    QCOMPARE(w->reg.roomsOf(B1), QList<QUuid>{annex}); // the other room is untouched
    QVERIFY(w->reg.roomsOf(B2).isEmpty());
    QVERIFY(w->reg.find(annex)->isMember(B1));
    QVERIFY(!room->isBanned(w->bob));
}

void RoomRegistryTest::banAbsentUser()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    const Actor alice = Actor::person(w->alice);

    // A known user who is not here can be banned, not kicked.
    QVERIFY_REFUSED(w->reg.kick(alice, lobby, w->dave, QString(), false), u"not_member"_s);
    QVERIFY_OK(w->reg.kick(alice, lobby, w->dave, u"spam"_s, true));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby kicked dave [] \"spam\" ban"_s});
    QVERIFY(w->reg.find(lobby)->isBanned(w->dave));
    QVERIFY_REFUSED(w->reg.enter(D1, w->dave, lobby), u"banned"_s);

    // Nobody knows this user.
    const QUuid stranger = QUuid::createUuid();
    QVERIFY_REFUSED(w->reg.kick(alice, lobby, stranger, QString(), true), u"no_such_user"_s);
    QVERIFY_REFUSED(w->reg.kick(alice, lobby, stranger, QString(), false), u"not_member"_s);

    // Someone who has left.
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.exit(B1, lobby));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.kick(alice, lobby, w->bob, QString(), false), u"not_member"_s);
    QVERIFY_OK(w->reg.kick(Actor::operatorConsole(), lobby, w->bob, QString(), true));
    QVERIFY(w->reg.find(lobby)->isBanned(w->bob));
}

void RoomRegistryTest::bannedAdminsKeepNoRights()
{
    // RoomRegistry::kick: "A banned admin keeps no rights in the room: it could lift its
    // own ban otherwise." The creator is an admin too.
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    const Actor console = Actor::operatorConsole();
    QVERIFY_OK(w->reg.setAdmin(console, lobby, w->carol, true));
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.kick(console, lobby, w->carol, QString(), true));
    QVERIFY_OK(w->reg.kick(console, lobby, w->alice, QString(), true));
    QCOMPARE(
        w->sink.take(),
        (QStringList{u"Lobby admin carol on"_s, u"Lobby joined #2"_s, u"Lobby entered bob"_s,
                     u"Lobby kicked carol [] \"\" ban"_s, u"Lobby kicked alice [1] \"\" ban"_s}));
    const Room *room = w->reg.find(lobby);
    QVERIFY(!room->isAdmin(w->carol));
    QVERIFY(!room->isAdmin(w->alice));

    for (const QUuid &banned : {w->carol, w->alice}) {
        const Actor actor = Actor::person(banned);
        QVERIFY_REFUSED(w->reg.unban(actor, lobby, banned), u"forbidden"_s);
        QVERIFY_REFUSED(w->reg.kick(actor, lobby, w->bob, QString(), false), u"forbidden"_s);
        QVERIFY_REFUSED(w->reg.update(actor, lobby, nameUpdate(u"Mine"_s)), u"forbidden"_s);
        QVERIFY_REFUSED(w->reg.setAdmin(actor, lobby, w->bob, true), u"forbidden"_s);
        QVERIFY_REFUSED(w->reg.close(actor, lobby, QString()), u"forbidden"_s);
        QCOMPARE(RoomRegistry::rankOf(*room, actor), 0);
    }
}

void RoomRegistryTest::unban()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    const Actor alice = Actor::person(w->alice);
    QVERIFY_OK(w->reg.kick(alice, lobby, w->dave, QString(), true));
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();

    QVERIFY_REFUSED(w->reg.unban(Actor::person(w->bob), lobby, w->dave), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.unban(alice, lobby, w->bob), u"no_such_user"_s);
    QVERIFY_REFUSED(w->reg.unban(alice, lobby, QUuid::createUuid()), u"no_such_user"_s);

    QVERIFY_OK(w->reg.unban(alice, lobby, w->dave));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby unbanned dave"_s});
    QVERIFY(!w->reg.find(lobby)->isBanned(w->dave));
    QVERIFY_REFUSED(w->reg.unban(alice, lobby, w->dave), u"no_such_user"_s);
    QVERIFY_OK(w->reg.enter(D1, w->dave, lobby));

    QVERIFY_OK(w->reg.kick(Actor::operatorConsole(), lobby, w->bob, QString(), true));
    QVERIFY_OK(w->reg.unban(Actor::operatorConsole(), lobby, w->bob));
    QVERIFY(w->reg.find(lobby)->bans().isEmpty());
}

void RoomRegistryTest::updateSettings_data()
{
    QTest::addColumn<RoomUpdate>("update");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("closed");
    QTest::addColumn<bool>("chatLocked");
    QTest::addColumn<int>("maxParticipants");
    QTest::addColumn<QString>("webhook");
    QTest::addColumn<QString>("changes");

    const QString lobby = u"Lobby"_s;
    RoomUpdate u;
    QTest::addRow("nothing") << u << lobby << false << false << 0 << QString() << u"none"_s;

    u = RoomUpdate();
    u.name = u"Hall"_s;
    QTest::addRow("name") << u << u"Hall"_s << false << false << 0 << QString() << u"name"_s;
    u.name = u"  Hall  "_s;
    QTest::addRow("name trimmed") << u << u"Hall"_s << false << false << 0 << QString()
                                  << u"name"_s;
    u.name = u" Lobby "_s;
    QTest::addRow("same name") << u << lobby << false << false << 0 << QString() << u"none"_s;

    u = RoomUpdate();
    u.closed = true;
    QTest::addRow("close") << u << lobby << true << false << 0 << QString() << u"closed"_s;
    u.closed = false;
    QTest::addRow("open, already open")
        << u << lobby << false << false << 0 << QString() << u"none"_s;

    u = RoomUpdate();
    u.chatLocked = true;
    QTest::addRow("lock chat") << u << lobby << false << true << 0 << QString() << u"chat_locked"_s;

    u = RoomUpdate();
    u.maxParticipants = 10;
    QTest::addRow("max 10") << u << lobby << false << false << 10 << QString()
                            << u"max_participants"_s;
    u.maxParticipants = RoomRegistry::MaxParticipantsLimit;
    QTest::addRow("max at limit") << u << lobby << false << false
                                  << RoomRegistry::MaxParticipantsLimit << QString()
                                  << u"max_participants"_s;
    u.maxParticipants = 0;
    QTest::addRow("max 0, unchanged")
        << u << lobby << false << false << 0 << QString() << u"none"_s;

    u = RoomUpdate();
    u.webhook.emplace(u"http://192.168.1.5:8080/hook"_s);
    QTest::addRow("http webhook") << u << lobby << false << false << 0 << *u.webhook
                                  << u"webhook"_s;
    u.webhook.emplace(u"https://discord.com/api/webhooks/1/abc"_s);
    QTest::addRow("https webhook")
        << u << lobby << false << false << 0 << *u.webhook << u"webhook"_s;
    u.webhook.emplace(QString());
    QTest::addRow("no webhook, unchanged")
        << u << lobby << false << false << 0 << QString() << u"none"_s;

    u = RoomUpdate();
    u.name = lobby;
    u.chatLocked = true;
    u.maxParticipants = 0;
    QTest::addRow("three fields, one changed")
        << u << lobby << false << true << 0 << QString() << u"chat_locked"_s;

    u = RoomUpdate();
    u.name = u"Hall"_s;
    u.closed = true;
    u.chatLocked = true;
    u.maxParticipants = 3;
    u.webhook.emplace(u"https://example.com/x"_s);
    QTest::addRow("everything") << u << u"Hall"_s << true << true << 3 << *u.webhook
                                << u"name,closed,chat_locked,max_participants,webhook"_s;
}

void RoomRegistryTest::updateSettings()
{
    QFETCH(RoomUpdate, update);
    QFETCH(QString, name);
    QFETCH(bool, closed);
    QFETCH(bool, chatLocked);
    QFETCH(int, maxParticipants);
    QFETCH(QString, webhook);
    QFETCH(QString, changes);

    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), lobby, update));
    const RoomSettings &s = w->reg.find(lobby)->settings();
    QCOMPARE(s.name, name);
    QCOMPARE(s.closed, closed);
    QCOMPARE(s.chatLocked, chatLocked);
    QCOMPARE(s.maxParticipants, maxParticipants);
    QCOMPARE(s.webhook, webhook);

    const QStringList events = w->sink.take();
    if (changes == u"none"_s) {
        // Nothing changed: no event, or at most one that flags nothing.
        QVERIFY2(events.isEmpty() || events == QStringList{name + u" changed none"_s},
                 qPrintable(events.join(u"; ")));
    } else {
        QCOMPARE(events, QStringList{name + u" changed "_s + changes});
    }
}

void RoomRegistryTest::updateWebhookCanBeCleared()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    RoomUpdate u;
    u.webhook.emplace(u"https://example.com/hook"_s);
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), lobby, u));
    QCOMPARE(w->reg.find(lobby)->settings().webhook, *u.webhook);
    u.webhook.emplace(QString());
    w->sink.take();
    QVERIFY_OK(w->reg.update(Actor::person(w->alice), lobby, u));
    QVERIFY(w->reg.find(lobby)->settings().webhook.isEmpty());
    QCOMPARE(w->sink.take(), QStringList{u"Lobby changed webhook"_s});
}

void RoomRegistryTest::updateNeedsAdmin()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();
    RoomUpdate lock;
    lock.chatLocked = true;
    QVERIFY_REFUSED(w->reg.update(Actor::person(w->bob), lobby, lock), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.update(Actor::person(w->dave), lobby, lock), u"forbidden"_s);

    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), lobby, w->carol, true));
    w->sink.take();
    QVERIFY_OK(w->reg.update(Actor::person(w->carol), lobby, lock)); // admin, not even present
    QCOMPARE(w->sink.take(), QStringList{u"Lobby changed chat_locked"_s});
    lock.chatLocked = false;
    QVERIFY_OK(w->reg.update(Actor::operatorConsole(), lobby, lock));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby changed chat_locked"_s});
}

void RoomRegistryTest::updateRefused_data()
{
    QTest::addColumn<RoomUpdate>("update");
    QTest::addColumn<QString>("code");

    RoomUpdate u;
    u.name = QString();
    QTest::addRow("empty name") << u << u"bad_field"_s;
    u.name = u"   "_s;
    QTest::addRow("blank name") << u << u"bad_field"_s;
    u.name = QString(65, u'n');
    QTest::addRow("name of 65") << u << u"too_long"_s;
    u.name = u"two\nlines"_s;
    QTest::addRow("name with line feed") << u << u"bad_field"_s;
    u.name = u"evil\u202Ename"_s;
    QTest::addRow("name with bidi override") << u << u"bad_field"_s;

    u = RoomUpdate();
    u.maxParticipants = -1;
    QTest::addRow("max -1") << u << u"bad_field"_s;
    u.maxParticipants = RoomRegistry::MaxParticipantsLimit + 1;
    QTest::addRow("max over limit") << u << u"bad_field"_s;

    const char16_t *badHooks[] = {
        u"ftp://example.com/hook", u"example.com/hook", u"http://",
        u"javascript:alert(1)",    u"not a url",        u"mailto:someone@example.com",
        u"file:///etc/passwd",
    };
    for (const char16_t *hook : badHooks) {
        u = RoomUpdate();
        u.webhook.emplace(QString::fromUtf16(hook));
        QTest::addRow("webhook %s", qPrintable(*u.webhook)) << u << u"bad_field"_s;
    }

    // One bad field refuses the whole update.
    u = RoomUpdate();
    u.chatLocked = true;
    u.closed = true;
    u.webhook.emplace(u"ftp://example.com"_s);
    QTest::addRow("good fields and a bad webhook") << u << u"bad_field"_s;
    u = RoomUpdate();
    u.name = u"Hall"_s;
    u.maxParticipants = -5;
    QTest::addRow("good name and a bad max") << u << u"bad_field"_s;
    u = RoomUpdate();
    u.name = QString(65, u'n');
    u.maxParticipants = 5;
    QTest::addRow("bad name and a good max") << u << u"too_long"_s;
}

void RoomRegistryTest::updateRefused()
{
    QFETCH(RoomUpdate, update);
    QFETCH(QString, code);

    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();
    QVERIFY_REFUSED(w->reg.update(Actor::person(w->alice), lobby, update), code);
    QVERIFY_REFUSED(w->reg.update(Actor::operatorConsole(), lobby, update), code);
}

void RoomRegistryTest::setAdminGrantAndDemote()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    QVERIFY(!lobby.isNull());
    const Actor alice = Actor::person(w->alice);
    const Actor bob = Actor::person(w->bob);
    const Actor carol = Actor::person(w->carol);
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    w->sink.take();
    const Room *room = w->reg.find(lobby);

    QVERIFY_REFUSED(w->reg.setAdmin(bob, lobby, w->bob, true), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(bob, lobby, w->dave, true), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(alice, lobby, QUuid::createUuid(), true), u"no_such_user"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(alice, lobby, QUuid::createUuid(), false), u"no_such_user"_s);

    QVERIFY_OK(w->reg.setAdmin(alice, lobby, w->bob, true));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby admin bob on"_s});
    QVERIFY(room->isAdmin(w->bob));
    QCOMPARE(RoomRegistry::rankOf(*room, bob), 1);

    // Any admin may grant; demoting needs a higher rank.
    QVERIFY_OK(w->reg.setAdmin(bob, lobby, w->carol, true));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby admin carol on"_s});
    QVERIFY_REFUSED(w->reg.setAdmin(bob, lobby, w->carol, false), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(carol, lobby, w->bob, false), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(carol, lobby, w->carol, false), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(carol, lobby, w->alice, false), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.setAdmin(alice, lobby, w->alice, false), u"forbidden"_s);

    QVERIFY_OK(w->reg.setAdmin(alice, lobby, w->carol, false));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby admin carol off"_s});
    QVERIFY(!room->isAdmin(w->carol));
    QCOMPARE(RoomRegistry::rankOf(*room, carol), 0);
    RoomUpdate lock;
    lock.chatLocked = true;
    QVERIFY_REFUSED(w->reg.update(carol, lobby, lock), u"forbidden"_s);

    QVERIFY_OK(w->reg.setAdmin(Actor::operatorConsole(), lobby, w->bob, false));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby admin bob off"_s});
    QCOMPARE(room->admins(), QSet<QUuid>{w->alice});
}

void RoomRegistryTest::closeRoom()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s);
    QVERIFY(!lobby.isNull() && !annex.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(B2, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(C1, w->carol, lobby));
    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), lobby, w->carol, true));
    w->sink.take();

    QVERIFY_REFUSED(w->reg.close(Actor::person(w->bob), lobby, QString()), u"forbidden"_s);
    QVERIFY_REFUSED(w->reg.close(Actor::person(w->dave), lobby, QString()), u"forbidden"_s);

    QVERIFY_OK(w->reg.close(Actor::person(w->carol), lobby, u"good night"_s));
    QCOMPARE(w->sink.take(), QStringList{u"Lobby closed [1,2,3,4] \"good night\""_s});
    QVERIFY(!w->reg.find(lobby));
    QCOMPARE(w->reg.roomCount(), 1);
    QCOMPARE(w->reg.rooms(), QList<const Room *>{w->reg.find(annex)});
    QCOMPARE(w->reg.roomsOf(A1), QList<QUuid>{annex});
    QVERIFY(w->reg.roomsOf(B1).isEmpty());
    QVERIFY(w->reg.roomsOf(B2).isEmpty());
    QVERIFY(w->reg.roomsOf(C1).isEmpty());
    QVERIFY_REFUSED(w->reg.enter(B1, w->bob, lobby), u"no_such_room"_s);
    QVERIFY_REFUSED(w->reg.close(Actor::person(w->alice), lobby, QString()), u"no_such_room"_s);

    // The operator may close any room; a member gone afterwards is harmless.
    QVERIFY_OK(w->reg.close(Actor::operatorConsole(), annex, QString()));
    QCOMPARE(w->sink.take(), QStringList{u"Annex closed [1] \"\""_s});
    QCOMPARE(w->reg.roomCount(), 0);
    w->reg.memberGone(A1);
    QCOMPARE(w->sink.events, QStringList());
}

void RoomRegistryTest::memberGoneLeavesEveryRoom()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s);
    QVERIFY(!lobby.isNull() && !annex.isNull());
    QVERIFY_OK(w->reg.enter(B1, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(B2, w->bob, lobby));
    QVERIFY_OK(w->reg.enter(B1, w->bob, annex));
    w->sink.take();

    w->reg.memberGone(B1);
    // bob is still in the lobby through his second connection.
    QCOMPARE(w->sink.take(), QStringList{u"Annex exited bob disconnected"_s});
    QVERIFY(w->reg.roomsOf(B1).isEmpty());
    QVERIFY(!w->reg.find(lobby)->isMember(B1));
    QVERIFY(!w->reg.find(annex)->isMember(B1));
    QVERIFY(w->reg.find(lobby)->hasParticipant(w->bob));
    QVERIFY(!w->reg.find(annex)->hasParticipant(w->bob));

    w->reg.memberGone(B2);
    QCOMPARE(w->sink.take(), QStringList{u"Lobby exited bob disconnected"_s});
    QCOMPARE(w->reg.find(lobby)->participants(), QList<QUuid>{w->alice});

    const QString before = snapshot();
    w->reg.memberGone(B2);
    w->reg.memberGone(99);
    QCOMPARE(snapshot(), before);
    QCOMPARE(w->sink.events, QStringList());
}

void RoomRegistryTest::roomsVisibleTo()
{
    const QUuid lobby = makeRoom(u"Lobby"_s);
    const QUuid annex = makeRoom(u"Annex"_s, true);
    const QUuid vault = create(Actor::operatorConsole(), u"Vault"_s, true, 0);
    QVERIFY(!lobby.isNull() && !annex.isNull() && !vault.isNull());
    const Room *l = w->reg.find(lobby);
    const Room *a = w->reg.find(annex);
    const Room *v = w->reg.find(vault);
    using Rooms = QList<const Room *>;

    QCOMPARE(w->reg.rooms(), (Rooms{l, a, v}));
    QCOMPARE(w->reg.roomsVisibleTo(w->bob), Rooms{l});
    QCOMPARE(w->reg.roomsVisibleTo(w->alice), (Rooms{l, a}));
    QCOMPARE(w->reg.roomsVisibleTo(QUuid()), Rooms{l});

    QVERIFY_OK(w->reg.invite(A1, annex, w->carol));
    QCOMPARE(w->reg.roomsVisibleTo(w->carol), (Rooms{l, a}));
    QVERIFY_OK(w->reg.enter(C1, w->carol, annex)); // invitation used, but she is in
    QCOMPARE(w->reg.roomsVisibleTo(w->carol), (Rooms{l, a}));
    QVERIFY_OK(w->reg.exit(C1, annex));
    QCOMPARE(w->reg.roomsVisibleTo(w->carol), Rooms{l});

    QVERIFY_OK(w->reg.setAdmin(Actor::person(w->alice), annex, w->dave, true));
    QCOMPARE(w->reg.roomsVisibleTo(w->dave), (Rooms{l, a}));
    QVERIFY_OK(w->reg.setAdmin(Actor::operatorConsole(), vault, w->erin, true));
    QCOMPARE(w->reg.roomsVisibleTo(w->erin), (Rooms{l, v}));
    QCOMPARE(w->reg.roomsVisibleTo(w->bob), Rooms{l});
}

void RoomRegistryTest::rankOf_data()
{
    QTest::addColumn<bool>("consoleRoom");
    QTest::addColumn<QString>("who");
    QTest::addColumn<int>("rank");

    for (bool consoleRoom : {false, true}) {
        const char *room = consoleRoom ? "console's room" : "alice's room";
        QTest::addRow("%s: console", room) << consoleRoom << u"console"_s << 3;
        QTest::addRow("%s: alice", room) << consoleRoom << u"alice"_s << (consoleRoom ? 0 : 2);
        QTest::addRow("%s: admin carol", room) << consoleRoom << u"carol"_s << 1;
        QTest::addRow("%s: member bob", room) << consoleRoom << u"bob"_s << 0;
        QTest::addRow("%s: stranger dave", room) << consoleRoom << u"dave"_s << 0;
        QTest::addRow("%s: null user", room) << consoleRoom << u"nobody"_s << 0;
    }
}

void RoomRegistryTest::rankOf()
{
    QFETCH(bool, consoleRoom);
    QFETCH(QString, who);
    QFETCH(int, rank);

    const QUuid id = consoleRoom ? create(Actor::operatorConsole(), u"Hall"_s, false, 0)
                                 : create(Actor::person(w->alice), u"Hall"_s, false, 0);
    QVERIFY(!id.isNull());
    QVERIFY_OK(w->reg.setAdmin(Actor::operatorConsole(), id, w->carol, true));
    QVERIFY_OK(w->reg.enter(B1, w->bob, id));
    QCOMPARE(RoomRegistry::rankOf(*w->reg.find(id), actorNamed(who)), rank);
}

QTEST_APPLESS_MAIN(RoomRegistryTest)
#include "tst_roomregistry.moc"

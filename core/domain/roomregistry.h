#pragma once

#include "errorcode.h"
#include "room.h"
#include "roomevents.h"
#include "statecommit.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QUuid>

#include <functional>
#include <memory>
#include <optional>
#include <variant>

namespace roomkeeper {

class UserDirectory;

// Who asks for a room action: a user, or the operator console (the highest rank).
struct Actor
{
    QUuid user;
    bool console = false;

    static Actor operatorConsole() { return Actor{QUuid(), true}; }
    static Actor person(const QUuid &user) { return Actor{user, false}; }
    // "console" or the user id, for bans and the audit trail.
    QString name() const
    {
        return console ? QStringLiteral("console") : user.toString(QUuid::WithoutBraces);
    }
};

// A settings change; only the fields that are set are changed.
struct RoomUpdate
{
    std::optional<QString> name;
    std::optional<bool> closed;
    std::optional<bool> chatLocked;
    std::optional<int> maxParticipants;
    std::optional<QString> webhook;
};

// The rooms, who is in them and what they may do (PROTOCOL.md §2.4). No JSON, no
// sockets: commands come in with MemberIds and user ids, and every change is reported
// to the RoomEventSink after it has been applied. A refused command changes nothing.
class RoomRegistry
{
public:
    static constexpr int MaxParticipantsLimit = 100000;

    RoomRegistry(const UserDirectory &users, RoomEventSink &sink);

    // Where moderation changes are committed before they are made (none: nothing lasts).
    void setStateCommit(StateCommit *commit) { m_commit = commit; }
    static RoomRecord recordOf(const Room &room);

    void setMaxContent(int codePoints) { m_maxContent = codePoints; }
    int maxContent() const { return m_maxContent; }
    // Wall-clock milliseconds for ban expiry and idle rooms; tests set their own.
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }
    qint64 now() const { return m_clock(); }

    // Creates a room; a person creating it becomes its creator and admin, and when
    // 'enterAs' is non-zero that connection enters it at once.
    std::variant<Refusal, QUuid> createRoom(const Actor &actor, const QString &name, bool closed,
                                            MemberId enterAs = 0);
    Outcome enter(MemberId member, const QUuid &user, const QUuid &roomId);
    Outcome exit(MemberId member, const QUuid &roomId);
    Outcome postMessage(MemberId member, const QUuid &roomId, const QString &content, qint64 nowMs);
    Outcome markRead(MemberId member, const QUuid &roomId, qint64 messageId);
    Outcome invite(MemberId member, const QUuid &roomId, const QUuid &invitee);

    // 'ban' also bans the target from the room, until 'banUntilMs' (0 = for good); the
    // message is the ban's reason.
    Outcome kick(const Actor &actor, const QUuid &roomId, const QUuid &target,
                 const QString &message, bool ban, qint64 banUntilMs = 0);
    Outcome unban(const Actor &actor, const QUuid &roomId, const QUuid &target);
    Outcome update(const Actor &actor, const QUuid &roomId, const RoomUpdate &update);
    Outcome setAdmin(const Actor &actor, const QUuid &roomId, const QUuid &target, bool admin);
    Outcome close(const Actor &actor, const QUuid &roomId, const QString &message);
    // Only the operator console pins: a pinned room never expires when idle.
    Outcome setPinned(const Actor &actor, const QUuid &roomId, bool pinned);
    // A message from the operator (null author), with the next message id of the room.
    Outcome announce(const Actor &actor, const QUuid &roomId, const QString &content);

    // Restores lasting state at start; no events are raised.
    void restoreRoom(const QUuid &id, const RoomSettings &settings, const QUuid &creator,
                     const QList<QUuid> &admins, bool pinned, qint64 lastMessageId,
                     qint64 createdAtMs, qint64 emptySinceMs);
    void restoreBan(const Ban &ban);
    // A ban written anew (into a store made after it was lost) got a new id.
    void renumberBan(const QUuid &roomId, const QUuid &user, qint64 id);
    // Sweeps: expired bans go (banExpired), and rooms empty for 'idleMs' that are not
    // pinned are closed (roomClosed). Returns how many of each.
    int sweepExpiredBans();
    int closeIdleRooms(qint64 idleMs);

    // A connection went away: it leaves every room it was in.
    void memberGone(MemberId member, ExitReason reason = ExitReason::Disconnected);

    const Room *find(const QUuid &roomId) const;
    QList<const Room *> rooms() const;
    QList<const Room *> roomsVisibleTo(const QUuid &user) const;
    QList<QUuid> roomsOf(MemberId member) const { return m_memberRooms.value(member); }
    qsizetype roomCount() const { return m_rooms.size(); }

    // Rank of PROTOCOL.md §2.4: console 3, creator 2, admin 1, member 0.
    static int rankOf(const Room &room, const Actor &actor);

private:
    Room *findMutable(const QUuid &roomId) const;
    Outcome requireAdmin(const Room &room, const Actor &actor) const;
    Outcome requireOutranks(const Room &room, const Actor &actor, const QUuid &target,
                            const QString &what) const;
    void removeMember(Room &room, MemberId member);
    Outcome commit(const LastingChange &change) const
    {
        return m_commit ? m_commit->commit(change) : std::nullopt;
    }

    const UserDirectory &m_users;
    RoomEventSink &m_sink;
    StateCommit *m_commit = nullptr;
    int m_maxContent;
    std::function<qint64()> m_clock;
    QHash<QUuid, std::shared_ptr<Room>> m_rooms;
    QList<QUuid> m_order; // rooms in creation order
    QHash<MemberId, QList<QUuid>> m_memberRooms;
};

} // namespace roomkeeper

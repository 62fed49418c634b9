#include "roomregistry.h"

#include "textrules.h"
#include "userdirectory.h"

#include <QDateTime>
#include <QUrl>

namespace roomkeeper {

namespace {

Refusal noSuchRoom()
{
    return refuse(ErrorCode::NoSuchRoom, QStringLiteral("no such room"));
}

Outcome checkRoomName(const QString &name)
{
    switch (textrules::checkName(name, textrules::MaxRoomName)) {
    case textrules::Problem::None:
        return std::nullopt;
    case textrules::Problem::TooLong:
        return refuse(ErrorCode::TooLong, QStringLiteral("room name is longer than 64 characters"));
    case textrules::Problem::Empty:
        return refuse(ErrorCode::BadField, QStringLiteral("room name must not be empty"));
    case textrules::Problem::BadCharacters:
        return refuse(ErrorCode::BadField,
                      QStringLiteral("room name contains control characters or invalid text"));
    }
    return std::nullopt;
}

Outcome checkWebhook(const QString &webhook)
{
    if (webhook.isEmpty())
        return std::nullopt;
    const QUrl url(webhook, QUrl::StrictMode);
    const bool httpish =
        url.scheme() == QLatin1StringView("http") || url.scheme() == QLatin1StringView("https");
    if (!url.isValid() || !httpish || url.host().isEmpty() || webhook.size() > 2048)
        return refuse(ErrorCode::BadField, QStringLiteral("webhook must be an http or https URL"));
    return std::nullopt;
}

} // namespace

RoomRegistry::RoomRegistry(const UserDirectory &users, RoomEventSink &sink)
    : m_users(users), m_sink(sink), m_maxContent(textrules::DefaultMaxContent),
      m_clock([] { return QDateTime::currentMSecsSinceEpoch(); })
{}

RoomRecord RoomRegistry::recordOf(const Room &room)
{
    return RoomRecord{
        room.id(),       room.settings(),    room.creator(),     room.admins().values(),
        room.isPinned(), room.createdAtMs(), room.emptySinceMs()};
}

int RoomRegistry::rankOf(const Room &room, const Actor &actor)
{
    if (actor.console)
        return 3;
    if (room.isBanned(actor.user))
        return 0; // a banned creator or admin keeps no rights in the room
    // The creator outranks other admins while it is an admin at all.
    if (!room.creator().isNull() && actor.user == room.creator() && room.isAdmin(actor.user))
        return 2;
    return room.isAdmin(actor.user) ? 1 : 0;
}

Room *RoomRegistry::findMutable(const QUuid &roomId) const
{
    const auto it = m_rooms.constFind(roomId);
    return it == m_rooms.cend() ? nullptr : it->get();
}

const Room *RoomRegistry::find(const QUuid &roomId) const
{
    return findMutable(roomId);
}

QList<const Room *> RoomRegistry::rooms() const
{
    QList<const Room *> result;
    result.reserve(m_order.size());
    for (const QUuid &id : m_order)
        result.append(find(id));
    return result;
}

QList<const Room *> RoomRegistry::roomsVisibleTo(const QUuid &user) const
{
    QList<const Room *> result;
    for (const QUuid &id : m_order) {
        const Room *room = find(id);
        if (!room->settings().closed || room->isAdmin(user) || room->isInvited(user) ||
            room->hasParticipant(user))
            result.append(room);
    }
    return result;
}

std::variant<Refusal, QUuid> RoomRegistry::createRoom(const Actor &actor, const QString &name,
                                                      bool closed, MemberId enterAs)
{
    const QString trimmed = name.trimmed();
    if (Outcome bad = checkRoomName(trimmed))
        return *bad;
    RoomSettings settings;
    settings.name = trimmed;
    settings.closed = closed;
    const QUuid id = QUuid::createUuid();
    auto room = std::make_shared<Room>(id, settings, actor.console ? QUuid() : actor.user);
    room->m_createdAtMs = now();
    room->m_emptySinceMs = room->m_createdAtMs;
    if (Outcome bad = commit(LastingChange::ofRoom(recordOf(*room))))
        return *bad;
    m_rooms.insert(id, room);
    m_order.append(id);
    m_sink.roomCreated(*room);
    if (enterAs != 0 && !actor.console)
        enter(enterAs, actor.user, id);
    return id;
}

Outcome RoomRegistry::enter(MemberId member, const QUuid &user, const QUuid &roomId)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (room->isMember(member)) {
        m_sink.memberJoined(*room, member); // already in: just the picture again
        return std::nullopt;
    }
    const bool present = room->hasParticipant(user);
    const bool admin = room->isAdmin(user);
    if (room->activeBan(user, now()))
        return refuse(ErrorCode::Banned, QStringLiteral("you are banned from this room"));
    if (!present && !admin && room->isFull())
        return refuse(ErrorCode::RoomFull, QStringLiteral("the room is full"));
    if (!present && !admin && room->settings().closed && !room->isInvited(user))
        return refuse(ErrorCode::RoomClosed,
                      QStringLiteral("the room is closed; ask an admin for an invitation"));

    if (room->settings().closed && !admin && !present)
        room->m_invitations.remove(user); // the invitation is used
    const bool first = room->addMember(member, user);
    room->m_emptySinceMs = 0;
    m_memberRooms[member].append(roomId);
    m_sink.memberJoined(*room, member);
    if (first) {
        if (const User *who = m_users.find(user))
            m_sink.participantEntered(*room, *who);
    }
    return std::nullopt;
}

void RoomRegistry::removeMember(Room &room, MemberId member)
{
    if (room.participantCount() == 0 && room.m_emptySinceMs == 0)
        room.m_emptySinceMs = now();
    const auto it = m_memberRooms.find(member);
    if (it != m_memberRooms.end()) {
        it->removeOne(room.id());
        if (it->isEmpty())
            m_memberRooms.erase(it);
    }
}

Outcome RoomRegistry::exit(MemberId member, const QUuid &roomId)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (!room->isMember(member))
        return refuse(ErrorCode::NotMember, QStringLiteral("you are not in this room"));
    const QUuid user = room->members().value(member);
    const bool last = room->removeMember(member);
    removeMember(*room, member);
    m_sink.memberLeft(*room, member, user);
    if (last)
        m_sink.participantExited(*room, user, ExitReason::Left);
    return std::nullopt;
}

void RoomRegistry::memberGone(MemberId member, ExitReason reason)
{
    const QList<QUuid> rooms = m_memberRooms.take(member);
    for (const QUuid &roomId : rooms) {
        Room *room = findMutable(roomId);
        if (!room)
            continue;
        const QUuid user = room->members().value(member);
        const bool last = room->removeMember(member);
        removeMember(*room, member); // already out of m_memberRooms: marks an empty room
        if (last)
            m_sink.participantExited(*room, user, reason);
    }
}

Outcome RoomRegistry::postMessage(MemberId member, const QUuid &roomId, const QString &content,
                                  qint64 nowMs)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    const auto author = room->members().constFind(member);
    if (author == room->members().cend())
        return refuse(ErrorCode::NotMember, QStringLiteral("enter the room before sending to it"));
    if (room->settings().chatLocked && !room->isAdmin(*author))
        return refuse(ErrorCode::ChatLocked,
                      QStringLiteral("the chat is locked: only admins may send"));
    switch (textrules::checkContent(content, m_maxContent)) {
    case textrules::Problem::None:
        break;
    case textrules::Problem::Empty:
        return refuse(ErrorCode::BadField, QStringLiteral("content must not be empty"));
    case textrules::Problem::TooLong:
        return refuse(ErrorCode::TooLong,
                      QStringLiteral("content is longer than %1 characters").arg(m_maxContent));
    case textrules::Problem::BadCharacters:
        return refuse(ErrorCode::BadField,
                      QStringLiteral("content contains control characters or invalid text"));
    }
    ChatMessage message;
    message.id = ++room->m_lastMessageId;
    message.author = *author;
    if (const User *who = m_users.find(*author))
        message.authorName = who->name;
    message.content = content;
    message.sentAtMs = nowMs;
    m_sink.messagePosted(*room, message);
    return std::nullopt;
}

Outcome RoomRegistry::markRead(MemberId member, const QUuid &roomId, qint64 messageId)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    const auto reader = room->members().constFind(member);
    if (reader == room->members().cend())
        return refuse(ErrorCode::NotMember, QStringLiteral("you are not in this room"));
    if (messageId < 1 || messageId > room->lastMessageId())
        return refuse(ErrorCode::BadField,
                      QStringLiteral("message_id is not a message of this room"));
    m_sink.readReceipt(*room, *reader, messageId);
    return std::nullopt;
}

Outcome RoomRegistry::invite(MemberId member, const QUuid &roomId, const QUuid &invitee)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    const auto inviter = room->members().constFind(member);
    if (inviter == room->members().cend())
        return refuse(ErrorCode::NotMember, QStringLiteral("enter the room before inviting to it"));
    if (room->settings().closed && !room->isAdmin(*inviter))
        return refuse(ErrorCode::Forbidden,
                      QStringLiteral("only admins may invite to a closed room"));
    if (!m_users.contains(invitee))
        return refuse(ErrorCode::NoSuchUser, QStringLiteral("no such user"));
    if (invitee == *inviter)
        return refuse(ErrorCode::BadField, QStringLiteral("you cannot invite yourself"));
    if (room->activeBan(invitee, now()))
        return refuse(ErrorCode::Banned, QStringLiteral("that user is banned from this room"));
    room->m_invitations.insert(invitee);
    m_sink.userInvited(*room, *inviter, invitee);
    return std::nullopt;
}

Outcome RoomRegistry::requireAdmin(const Room &room, const Actor &actor) const
{
    if (rankOf(room, actor) < 1)
        return refuse(ErrorCode::Forbidden, QStringLiteral("only room admins may do that"));
    return std::nullopt;
}

Outcome RoomRegistry::requireOutranks(const Room &room, const Actor &actor, const QUuid &target,
                                      const QString &what) const
{
    if (Outcome bad = requireAdmin(room, actor))
        return bad;
    if (!actor.console && actor.user == target)
        return refuse(ErrorCode::Forbidden, QStringLiteral("you cannot %1 yourself").arg(what));
    if (rankOf(room, Actor::person(target)) >= rankOf(room, actor))
        return refuse(ErrorCode::Forbidden,
                      QStringLiteral("you cannot %1 someone of equal or higher rank").arg(what));
    return std::nullopt;
}

Outcome RoomRegistry::kick(const Actor &actor, const QUuid &roomId, const QUuid &target,
                           const QString &message, bool ban, qint64 banUntilMs)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (Outcome bad = requireOutranks(*room, actor, target,
                                      ban ? QStringLiteral("ban") : QStringLiteral("kick")))
        return bad;
    const bool present = room->hasParticipant(target);
    if (!present && !ban)
        return refuse(ErrorCode::NotMember, QStringLiteral("that user is not in the room"));
    if (!present && !m_users.contains(target))
        return refuse(ErrorCode::NoSuchUser, QStringLiteral("no such user"));

    LastingChange change;
    Ban record;
    if (ban) {
        record.room = roomId;
        record.user = target;
        record.reason = message;
        record.bannedBy = actor.name();
        record.sinceMs = now();
        record.untilMs = banUntilMs;
        // A banned admin keeps no rights in the room: it could lift its own ban otherwise.
        RoomRecord after = recordOf(*room);
        after.admins.removeOne(target);
        change.room = after;
        change.ban = &record;
    }
    if (Outcome bad = commit(change))
        return bad;
    if (ban) {
        room->m_bans.insert(target, record);
        room->m_admins.remove(target);
        room->m_invitations.remove(target);
    }
    const QList<MemberId> members = room->membersOf(target);
    for (MemberId member : members) {
        room->removeMember(member);
        removeMember(*room, member);
    }
    m_sink.participantKicked(*room, target, members, message, ban);
    return std::nullopt;
}

Outcome RoomRegistry::unban(const Actor &actor, const QUuid &roomId, const QUuid &target)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (Outcome bad = requireAdmin(*room, actor))
        return bad;
    if (!room->m_bans.contains(target))
        return refuse(ErrorCode::NoSuchUser,
                      QStringLiteral("that user is not banned from this room"));
    LastingChange change;
    change.liftedBan = {roomId, target};
    if (Outcome bad = commit(change))
        return bad;
    room->m_bans.remove(target);
    m_sink.participantUnbanned(*room, target);
    return std::nullopt;
}

Outcome RoomRegistry::setAdmin(const Actor &actor, const QUuid &roomId, const QUuid &target,
                               bool admin)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (!m_users.contains(target))
        return refuse(ErrorCode::NoSuchUser, QStringLiteral("no such user"));
    if (admin) {
        if (Outcome bad = requireAdmin(*room, actor))
            return bad;
    } else {
        if (Outcome bad = requireOutranks(*room, actor, target, QStringLiteral("demote")))
            return bad;
    }
    if (room->isAdmin(target) == admin)
        return commit({}); // nothing changes; the request is still on record
    RoomRecord after = recordOf(*room);
    if (admin)
        after.admins.append(target);
    else
        after.admins.removeOne(target);
    if (Outcome bad = commit(LastingChange::ofRoom(after)))
        return bad;
    if (admin)
        room->m_admins.insert(target);
    else
        room->m_admins.remove(target);
    m_sink.adminChanged(*room, target, admin);
    return std::nullopt;
}

Outcome RoomRegistry::update(const Actor &actor, const QUuid &roomId, const RoomUpdate &update)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (Outcome bad = requireAdmin(*room, actor))
        return bad;
    QString name;
    if (update.name) {
        name = update.name->trimmed();
        if (Outcome bad = checkRoomName(name))
            return bad;
    }
    if (update.maxParticipants &&
        (*update.maxParticipants < 0 || *update.maxParticipants > MaxParticipantsLimit))
        return refuse(ErrorCode::BadField,
                      QStringLiteral("max_participants must be 0 (no limit) to %1")
                          .arg(MaxParticipantsLimit));
    if (update.webhook) {
        if (Outcome bad = checkWebhook(*update.webhook))
            return bad;
    }

    RoomSettings s = room->m_settings;
    RoomChanges changes = 0;
    auto apply = [&changes](auto &field, const auto &value, RoomChange flag) {
        if (field != value) {
            field = value;
            changes |= flag;
        }
    };
    if (update.name)
        apply(s.name, name, NameChanged);
    if (update.closed)
        apply(s.closed, *update.closed, ClosedChanged);
    if (update.chatLocked)
        apply(s.chatLocked, *update.chatLocked, ChatLockedChanged);
    if (update.maxParticipants)
        apply(s.maxParticipants, *update.maxParticipants, MaxParticipantsChanged);
    if (update.webhook)
        apply(s.webhook, *update.webhook, WebhookChanged);
    RoomRecord after = recordOf(*room);
    after.settings = s;
    if (Outcome bad = commit(LastingChange::ofRoom(after)))
        return bad;
    room->m_settings = s;
    m_sink.roomChanged(*room, changes);
    return std::nullopt;
}

Outcome RoomRegistry::close(const Actor &actor, const QUuid &roomId, const QString &message)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (Outcome bad = requireAdmin(*room, actor))
        return bad;
    LastingChange change;
    change.closedRoom = roomId;
    if (Outcome bad = commit(change))
        return bad;
    const std::shared_ptr<Room> keep = m_rooms.take(roomId);
    m_order.removeOne(roomId);
    const QList<MemberId> members = keep->members().keys();
    for (MemberId member : members)
        removeMember(*keep, member);
    m_sink.roomClosed(*keep, members, message);
    return std::nullopt;
}

} // namespace roomkeeper

namespace roomkeeper {

Outcome RoomRegistry::setPinned(const Actor &actor, const QUuid &roomId, bool pinned)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (!actor.console)
        return refuse(ErrorCode::Forbidden, QStringLiteral("only the operator pins rooms"));
    if (room->m_pinned == pinned)
        return commit({});
    RoomRecord after = recordOf(*room);
    after.pinned = pinned;
    if (Outcome bad = commit(LastingChange::ofRoom(after)))
        return bad;
    room->m_pinned = pinned;
    m_sink.roomChanged(*room, PinnedChanged);
    return std::nullopt;
}

Outcome RoomRegistry::announce(const Actor &actor, const QUuid &roomId, const QString &content)
{
    Room *room = findMutable(roomId);
    if (!room)
        return noSuchRoom();
    if (Outcome bad = requireAdmin(*room, actor))
        return bad;
    switch (textrules::checkContent(content, m_maxContent)) {
    case textrules::Problem::None:
        break;
    case textrules::Problem::TooLong:
        return refuse(ErrorCode::TooLong,
                      QStringLiteral("content is longer than %1 characters").arg(m_maxContent));
    default:
        return refuse(ErrorCode::BadField, QStringLiteral("content must be 1 or more characters "
                                                          "of text without control characters"));
    }
    if (Outcome bad = commit({})) // nothing lasts of an announcement but its audit entry
        return bad;
    ChatMessage message;
    message.id = ++room->m_lastMessageId;
    message.authorName = QStringLiteral("announcement");
    message.content = content;
    message.sentAtMs = now();
    m_sink.messagePosted(*room, message);
    return std::nullopt;
}

void RoomRegistry::restoreRoom(const QUuid &id, const RoomSettings &settings, const QUuid &creator,
                               const QList<QUuid> &admins, bool pinned, qint64 lastMessageId,
                               qint64 createdAtMs, qint64 emptySinceMs)
{
    auto room = std::make_shared<Room>(id, settings, creator);
    for (const QUuid &admin : admins)
        room->m_admins.insert(admin);
    room->m_pinned = pinned;
    room->m_lastMessageId = lastMessageId;
    room->m_createdAtMs = createdAtMs;
    room->m_emptySinceMs = emptySinceMs > 0 ? emptySinceMs : now();
    if (!m_rooms.contains(id))
        m_order.append(id);
    m_rooms.insert(id, room);
}

void RoomRegistry::restoreBan(const Ban &ban)
{
    if (Room *room = findMutable(ban.room); room && !ban.user.isNull())
        room->m_bans.insert(ban.user, ban);
}

void RoomRegistry::renumberBan(const QUuid &roomId, const QUuid &user, qint64 id)
{
    if (Room *room = findMutable(roomId)) {
        if (auto it = room->m_bans.find(user); it != room->m_bans.end())
            it->id = id;
    }
}

int RoomRegistry::sweepExpiredBans()
{
    const qint64 t = now();
    int count = 0;
    for (const QUuid &id : std::as_const(m_order)) {
        Room *room = findMutable(id);
        for (auto it = room->m_bans.begin(); it != room->m_bans.end();) {
            if (it->isExpired(t)) {
                const Ban expired = *it;
                LastingChange change;
                change.liftedBan = {id, expired.user};
                if (commit(change)) {
                    ++it; // cannot be stored now: the next sweep tries again
                    continue;
                }
                it = room->m_bans.erase(it);
                m_sink.banExpired(*room, expired);
                ++count;
            } else {
                ++it;
            }
        }
    }
    return count;
}

int RoomRegistry::closeIdleRooms(qint64 idleMs)
{
    const qint64 t = now();
    QList<QUuid> idle;
    for (const QUuid &id : std::as_const(m_order)) {
        const Room *room = find(id);
        if (!room->isPinned() && room->participantCount() == 0 && room->emptySinceMs() > 0 &&
            t - room->emptySinceMs() >= idleMs)
            idle.append(id);
    }
    for (const QUuid &id : std::as_const(idle))
        close(Actor::operatorConsole(), id, QStringLiteral("closed after being empty too long"));
    return int(idle.size());
}

} // namespace roomkeeper

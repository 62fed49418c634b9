#include "commanddispatcher.h"

#include "moderationservice.h"

#include "../domain/overloaded.h"
#include "../domain/roomregistry.h"
#include "../domain/userdirectory.h"

namespace roomkeeper {

CommandDispatcher::CommandDispatcher(RoomRegistry &rooms, ModerationService &moderation,
                                     std::function<qint64()> wallClock)
    : m_rooms(rooms), m_moderation(moderation), m_wallClock(std::move(wallClock))
{}

Outcome CommandDispatcher::execute(const Command &command, MemberId member, const QUuid &user)
{
    const Actor actor = Actor::person(user);
    return std::visit(
        Overloaded{
            [&](const command::CreateRoom &c) -> Outcome {
                const auto created = m_moderation.createRoom(actor, c.name, c.closed, member);
                if (const auto *refusal = std::get_if<Refusal>(&created))
                    return *refusal;
                return std::nullopt;
            },
            [&](const command::Enter &c) { return m_rooms.enter(member, user, c.room); },
            [&](const command::Exit &c) { return m_rooms.exit(member, c.room); },
            [&](const command::SendMessage &c) {
                return m_rooms.postMessage(member, c.room, c.content, m_wallClock());
            },
            [&](const command::MarkRead &c) { return markRead(c, member); },
            [&](const command::Invite &c) { return m_rooms.invite(member, c.room, c.user); },
            [&](const command::Kick &c) {
                return c.ban ? m_moderation.ban(actor, c.room, c.user, c.message)
                             : m_moderation.kick(actor, c.room, c.user, c.message);
            },
            [&](const command::Unban &c) { return m_moderation.unban(actor, c.room, c.user); },
            [&](const command::UpdateRoom &c) {
                return m_moderation.update(actor, c.room, c.update);
            },
            [&](const command::ChangeParticipant &c) { return changeParticipant(c, user); },
            [&](const command::CloseRoom &c) {
                return m_moderation.closeRoom(actor, c.room, c.message);
            },
        },
        command);
}

Outcome CommandDispatcher::markRead(const command::MarkRead &read, MemberId member)
{
    QUuid room = read.room.value_or(QUuid());
    if (!read.room) {
        const QList<QUuid> mine = m_rooms.roomsOf(member);
        if (mine.size() != 1)
            return refuse(
                ErrorCode::MissingField,
                QStringLiteral("missing field 'room_id' (you are in %1 rooms)").arg(mine.size()));
        room = mine.first();
    }
    return m_rooms.markRead(member, room, read.messageId);
}

Outcome CommandDispatcher::changeParticipant(const command::ChangeParticipant &change,
                                             const QUuid &user)
{
    const Actor actor = Actor::person(user);
    // A refused request changes nothing (PROTOCOL.md §2.5), so a colour with an admin
    // change must not be half done: a bad colour is refused up front, a demotion (which
    // rank can refuse) goes before the colour, a grant after it (the new admin's rank
    // would forbid the colour).
    if (change.color && !UserDirectory::isColor(*change.color))
        return refuse(ErrorCode::BadField, QStringLiteral("a colour is written #rrggbb"));
    const bool demote = change.admin && !*change.admin;
    if (demote) {
        if (Outcome bad = m_moderation.setAdmin(actor, change.room, change.user, false))
            return bad;
    }
    if (change.color) {
        if (Outcome bad = m_moderation.setColor(actor, change.room, change.user, *change.color))
            return bad;
    }
    if (change.admin && !demote)
        return m_moderation.setAdmin(actor, change.room, change.user, true);
    return std::nullopt;
}

} // namespace roomkeeper

#include "eventdelivery.h"

#include "fanout.h"

#include "../domain/roomregistry.h"
#include "../domain/userdirectory.h"
#include "../server/serverstats.h"
#include "../session/sessionregistry.h"

namespace roomkeeper {

void EventDelivery::count(const Delivered &delivered)
{
    m_stats.framesOut += delivered.frames;
    m_stats.bytesOut += delivered.bytes;
}

void EventDelivery::memberJoined(const Room &room, MemberId member)
{
    if (Session *session = m_sessions.find(member))
        session->joined(room);
}

void EventDelivery::participantEntered(const Room &room, const User &user)
{
    count(m_fanOut.toRoom(room, event::Entered{user, room.isAdmin(user.id)}));
}

void EventDelivery::memberLeft(const Room &room, MemberId member, const QUuid &)
{
    if (Session *session = m_sessions.find(member))
        session->left(room);
}

void EventDelivery::participantExited(const Room &room, const QUuid &user, ExitReason reason)
{
    const QString why = reason == ExitReason::Banned ? QStringLiteral("ban") : QString();
    count(m_fanOut.toRoom(room, event::Exited{user, why, false}));
}

void EventDelivery::messagePosted(const Room &room, const ChatMessage &message)
{
    count(m_fanOut.toRoom(room, event::MessagePosted{message}));
}

void EventDelivery::readReceipt(const Room &room, const QUuid &reader, qint64 messageId)
{
    count(m_fanOut.toRoom(room, event::ReadReceipt{reader, messageId}));
}

void EventDelivery::userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee)
{
    count(m_fanOut.toMembers(room, m_sessions.connectionsOf(invitee), event::Invited{inviter}));
}

void EventDelivery::participantKicked(const Room &room, const QUuid &user,
                                      const QList<MemberId> &members, const QString &message,
                                      bool banned)
{
    // The kicked connections first, then everyone else hears they are gone.
    count(m_fanOut.toMembers(room, members, event::Kicked{user, message, banned}));
    if (!members.isEmpty()) {
        const QString why = banned ? QStringLiteral("ban") : QStringLiteral("kick");
        count(m_fanOut.toRoom(room, event::Exited{user, why, true}));
    }
    if (banned)
        count(m_fanOut.toRoom(room, event::BanChanged{user, true}));
}

void EventDelivery::participantUnbanned(const Room &room, const QUuid &user)
{
    count(m_fanOut.toRoom(room, event::BanChanged{user, false}));
}

void EventDelivery::banExpired(const Room &room, const Ban &ban)
{
    participantUnbanned(room, ban.user);
}

void EventDelivery::adminChanged(const Room &room, const QUuid &user, bool admin)
{
    count(m_fanOut.toRoom(room, event::RoomPicture{}));
    count(m_fanOut.toRoom(room, event::AdminChanged{user, admin}));
}

void EventDelivery::userChanged(const QUuid &user)
{
    const User *who = m_users.find(user);
    const QString color = who ? who->color : QString();
    for (const Room *room : m_rooms.rooms()) {
        if (!room->hasParticipant(user))
            continue;
        count(m_fanOut.toRoom(*room, event::RoomPicture{}));
        count(m_fanOut.toRoom(*room, event::ColorChanged{user, color}));
    }
}

void EventDelivery::roomChanged(const Room &room, RoomChanges changes)
{
    if (changes == PinnedChanged)
        return; // pinning is the operator's bookkeeping, not news for members
    count(m_fanOut.toRoom(room, event::RoomPicture{}));
    count(m_fanOut.toRoom(room, event::SettingsChanged{changes}));
}

void EventDelivery::roomClosed(const Room &room, const QList<MemberId> &members,
                               const QString &message)
{
    count(m_fanOut.toMembers(room, members, event::Closed{message}));
}

} // namespace roomkeeper

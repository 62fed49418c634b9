#include "eventhub.h"

namespace roomkeeper {

void EventHub::memberJoined(const Room &room, MemberId member)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->memberJoined(room, member);
}

void EventHub::participantEntered(const Room &room, const User &user)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->participantEntered(room, user);
}

void EventHub::memberLeft(const Room &room, MemberId member, const QUuid &user)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->memberLeft(room, member, user);
}

void EventHub::participantExited(const Room &room, const QUuid &user, ExitReason reason)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->participantExited(room, user, reason);
}

void EventHub::messagePosted(const Room &room, const ChatMessage &message)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->messagePosted(room, message);
}

void EventHub::readReceipt(const Room &room, const QUuid &reader, qint64 messageId)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->readReceipt(room, reader, messageId);
}

void EventHub::userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->userInvited(room, inviter, invitee);
}

void EventHub::participantKicked(const Room &room, const QUuid &user,
                                 const QList<MemberId> &members, const QString &message,
                                 bool banned)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->participantKicked(room, user, members, message, banned);
}

void EventHub::participantUnbanned(const Room &room, const QUuid &user)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->participantUnbanned(room, user);
}

void EventHub::adminChanged(const Room &room, const QUuid &user, bool admin)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->adminChanged(room, user, admin);
}

void EventHub::roomChanged(const Room &room, RoomChanges changes)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->roomChanged(room, changes);
}

void EventHub::roomClosed(const Room &room, const QList<MemberId> &members, const QString &message)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->roomClosed(room, members, message);
}

void EventHub::roomCreated(const Room &room)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->roomCreated(room);
}

void EventHub::banExpired(const Room &room, const Ban &ban)
{
    for (RoomEventSink *s : std::as_const(m_subscribers))
        s->banExpired(room, ban);
}

} // namespace roomkeeper

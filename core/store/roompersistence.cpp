#include "roompersistence.h"

#include "statewriter.h"

namespace roomkeeper {

void RoomPersistence::saveRoom(const Room &room)
{
    // The people a room names (creator, admins) must be known after a restart too.
    m_writer.saveIdentities(m_users);
    StoredRoom stored;
    stored.id = room.id();
    stored.settings = room.settings();
    stored.creator = room.creator();
    stored.pinned = room.isPinned();
    stored.messageIdCeiling = m_ceilings.value(room.id());
    stored.createdAtMs = room.createdAtMs();
    stored.emptySinceMs = room.emptySinceMs();
    stored.admins = room.admins().values();
    m_writer.saveRoom(stored);
}

void RoomPersistence::messagePosted(const Room &room, const ChatMessage &message)
{
    qint64 &ceiling = m_ceilings[room.id()];
    if (message.id > ceiling) {
        ceiling = message.id + MessageIdBlock; // the next block, reserved before it is used
        saveRoom(room);
    }
}

void RoomPersistence::participantKicked(const Room &room, const QUuid &user,
                                        const QList<MemberId> &, const QString &, bool banned)
{
    if (!banned)
        return;
    m_writer.saveIdentities(m_users); // a ban must find its user after a restart
    Ban ban = room.banRecords().value(user);
    m_writer.saveBan(ban);
    saveRoom(room); // a banned admin loses the rank
}

void RoomPersistence::participantUnbanned(const Room &room, const QUuid &user)
{
    m_writer.deleteUserBan(room.id(), user);
}

void RoomPersistence::banExpired(const Room &room, const Ban &ban)
{
    participantUnbanned(room, ban.user);
}

void RoomPersistence::adminChanged(const Room &room, const QUuid &, bool)
{
    saveRoom(room);
}

void RoomPersistence::roomChanged(const Room &room, RoomChanges)
{
    saveRoom(room);
}

void RoomPersistence::roomCreated(const Room &room)
{
    saveRoom(room);
}

void RoomPersistence::roomClosed(const Room &room, const QList<MemberId> &, const QString &)
{
    m_writer.deleteRoom(room.id());
    m_ceilings.remove(room.id());
}

} // namespace roomkeeper

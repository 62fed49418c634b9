#include "roompersistence.h"

#include "statewriter.h"

#include "../domain/roomregistry.h"

namespace roomkeeper {

void RoomPersistence::messagePosted(const Room &room, const ChatMessage &message)
{
    if (message.id <= m_writer.ceiling(room.id()))
        return;
    // The next block, reserved before it is used. Messages are never refused for the
    // store (chat goes on); a failed reservation is logged and counted by the writer, and
    // the next message tries again.
    const qint64 previous = m_writer.ceiling(room.id());
    m_writer.setCeiling(room.id(), message.id + MessageIdBlock);
    if (!m_writer.saveRoom(RoomRegistry::recordOf(room)))
        m_writer.setCeiling(room.id(), previous);
}

} // namespace roomkeeper

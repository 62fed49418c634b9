#pragma once

#include "../domain/roomevents.h"

namespace roomkeeper {

class StateWriter;

// The subscriber that keeps the message-id ceilings: ids are reserved in blocks, so no
// message needs a write of its own, and after a restart a room continues above its
// ceiling. (Moderation changes are committed before they are made: StateCommit.)
class RoomPersistence final : public RoomEventSink
{
public:
    static constexpr qint64 MessageIdBlock = 1000;

    explicit RoomPersistence(StateWriter &writer) : m_writer(writer) {}

    void messagePosted(const Room &room, const ChatMessage &message) override;

private:
    StateWriter &m_writer;
};

} // namespace roomkeeper

#pragma once

#include "../domain/roomevents.h"

namespace roomkeeper {

class TrafficRecorder;

// The subscriber that shows each message broadcast in the traffic view (sampled by the
// recorder; nothing is made while no one watches).
class TrafficTap final : public RoomEventSink
{
public:
    explicit TrafficTap(TrafficRecorder &recorder) : m_recorder(recorder) {}

    void messagePosted(const Room &room, const ChatMessage &message) override;

private:
    TrafficRecorder &m_recorder;
};

} // namespace roomkeeper

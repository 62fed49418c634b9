#include "traffictap.h"

#include "../server/trafficrecorder.h"

namespace roomkeeper {

void TrafficTap::messagePosted(const Room &room, const ChatMessage &message)
{
    if (!m_recorder.wants()) {
        m_recorder.skip();
        return;
    }
    TrafficEvent event;
    event.timeMs = message.sentAtMs;
    event.incoming = false;
    event.room = room.id();
    event.user = message.author;
    event.type = QStringLiteral("message");
    event.size = int(message.content.size());
    event.summary = QStringLiteral("#%1 to %2: %3")
                        .arg(message.id)
                        .arg(room.members().size())
                        .arg(TrafficRecorder::summarize(message.content));
    m_recorder.record(std::move(event));
}

} // namespace roomkeeper

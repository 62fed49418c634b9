#pragma once

#include "../domain/roomevents.h"

namespace roomkeeper {

class WebhookForwarder;

// The subscriber that mirrors a room's messages to its webhook, and stops when the room's
// webhook changes or the room closes.
class WebhookMirror final : public RoomEventSink
{
public:
    explicit WebhookMirror(WebhookForwarder &forwarder) : m_forwarder(forwarder) {}

    void messagePosted(const Room &room, const ChatMessage &message) override;
    void roomChanged(const Room &room, RoomChanges changes) override;
    void roomClosed(const Room &room, const QList<MemberId> &members,
                    const QString &message) override;

private:
    WebhookForwarder &m_forwarder;
};

} // namespace roomkeeper

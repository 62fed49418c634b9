#pragma once

#include "../domain/domainevent.h"
#include "../domain/room.h"

#include <QByteArray>

namespace roomkeeper {

// Turns domain events into one protocol's frames (UTF-8 JSON). The fan-out asks once per
// event and audience and sends the same bytes to every member of that protocol.
class EventEncoder
{
public:
    virtual ~EventEncoder() = default;

    // The frame for 'event' in 'room', for an admin or an ordinary member; empty when this
    // protocol does not carry the event.
    virtual QByteArray encode(const Room &room, const DomainEvent &event, bool forAdmin) const = 0;
    // Whether admins and other members get different frames for 'event'.
    virtual bool variesByRank(const DomainEvent &event) const = 0;
};

} // namespace roomkeeper

#pragma once

#include "../domain/domainevent.h"
#include "../domain/room.h"

#include <QList>

namespace roomkeeper {

// What one delivery cost: frames handed to connections, and their bytes.
struct Delivered
{
    quint64 frames = 0;
    quint64 bytes = 0;
};

// The seam between the rooms and the connections: delivers a domain event to the members
// of a room, encoded once per protocol and audience (admins may see more), the same bytes
// for every member of that protocol and rank. A room's member table may span hosts: an
// implementation delivers to the members it holds and leaves the others to the host that
// holds them (a shared implementation also carries the event to those hosts).
class FanOut
{
public:
    virtual ~FanOut() = default;

    // To every member of 'room'.
    virtual Delivered toRoom(const Room &room, const DomainEvent &event) = 0;
    // To some connections only (the kicked ones, the members of a closed room, an
    // invitee's); each is told it was a target afterwards (Session::targeted()).
    virtual Delivered toMembers(const Room &room, const QList<MemberId> &members,
                                const DomainEvent &event) = 0;
};

} // namespace roomkeeper

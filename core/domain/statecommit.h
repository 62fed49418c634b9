#pragma once

#include "ban.h"
#include "errorcode.h"
#include "room.h"

#include <QList>
#include <QUuid>

#include <optional>
#include <utility>

namespace roomkeeper {

// What lasts of a room: its record as the store keeps it.
struct RoomRecord
{
    QUuid id;
    RoomSettings settings;
    QUuid creator;
    QList<QUuid> admins;
    bool pinned = false;
    qint64 createdAtMs = 0;
    qint64 emptySinceMs = 0;
};

// What a change will leave in lasting state, told before the change is made.
struct LastingChange
{
    std::optional<RoomRecord> room;                   // the room's record as it will be
    std::optional<QUuid> closedRoom;                  // this room goes, with its bans
    Ban *ban = nullptr;                               // a room ban to store; its id is assigned
    std::optional<std::pair<QUuid, QUuid>> liftedBan; // (room, user)
    std::optional<qint64> liftedBanId;                // an address ban

    static LastingChange ofRoom(const RoomRecord &record)
    {
        LastingChange change;
        change.room = record;
        return change;
    }
};

// The rooms commit every change an operator or room admin makes before making it, so a
// change that is reported done is never lost (a change with nothing lasting still
// commits: it carries the audit entry). A refusal (ErrorCode::Unavailable) means nothing
// of the change happens.
class StateCommit
{
public:
    virtual ~StateCommit() = default;
    virtual Outcome commit(const LastingChange &change) = 0;
};

} // namespace roomkeeper

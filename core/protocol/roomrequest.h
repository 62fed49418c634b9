#pragma once

#include "../domain/errorcode.h"
#include "../domain/roomregistry.h"

#include <QString>
#include <QUuid>

#include <optional>
#include <variant>

namespace roomkeeper {

// One client request of the room protocol (PROTOCOL.md §2.2), checked for shape and types.
// Which fields are meaningful depends on the type; the codec guarantees that the fields a
// type requires are present and well-typed.
struct RoomRequest
{
    enum class Type
    {
        Ping,
        Pong,
        Rooms,
        Create,
        Enter,
        Exit,
        Message,
        Read,
        Invite,
        Kick,
        Unban,
        Update,
        Admin,
        Close,
    };

    Type type = Type::Ping;
    QString typeName;
    std::optional<QString> key;
    double time = 0;             // ping, pong
    std::optional<QUuid> roomId; // optional only for read
    QUuid userId;                // invite, kick, unban, admin
    QString name;                // create
    bool closed = false;         // create
    QString content;             // message
    qint64 messageId = 0;        // read
    QString message;             // kick, close
    bool permanent = false;      // kick
    bool admin = false;          // admin
    RoomUpdate update;           // update

    // Heartbeats never count against the rate limit.
    bool isHeartbeat() const { return type == Type::Ping || type == Type::Pong; }
    // Every request but the heartbeats and read must carry the session key.
    bool needsKey() const { return !isHeartbeat() && type != Type::Read; }
};

// A frame that could not become a request: what to answer.
struct RoomFrameError
{
    Refusal refusal;
    QString ref; // the request type, when it could be read
    std::optional<QUuid> roomId;
};

using ParsedRoomFrame = std::variant<RoomRequest, RoomFrameError>;

} // namespace roomkeeper

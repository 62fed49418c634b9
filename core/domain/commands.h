#pragma once

#include "roomregistry.h"

#include <QString>
#include <QUuid>

#include <optional>
#include <variant>

namespace roomkeeper {

// What a person asks of the rooms, whatever protocol carried it. Each codec turns its
// frames into these; one dispatcher (CommandDispatcher) carries them out. Session-level
// requests (heartbeats, the room list) stay with the session and are not commands.
namespace command {

struct CreateRoom
{
    QString name;
    bool closed = false;
};
struct Enter
{
    QUuid room;
};
struct Exit
{
    QUuid room;
};
struct SendMessage
{
    QUuid room;
    QString content;
};
// Without a room: the one room the connection is in.
struct MarkRead
{
    std::optional<QUuid> room;
    qint64 messageId = 0;
};
struct Invite
{
    QUuid room;
    QUuid user;
};
struct Kick
{
    QUuid room;
    QUuid user;
    QString message;
    bool ban = false;
};
struct Unban
{
    QUuid room;
    QUuid user;
};
struct UpdateRoom
{
    QUuid room;
    RoomUpdate update;
};
// Rank and colour of a participant, either or both; all of it is done or none.
struct ChangeParticipant
{
    QUuid room;
    QUuid user;
    std::optional<bool> admin;
    std::optional<QString> color;
};
struct CloseRoom
{
    QUuid room;
    QString message;
};

} // namespace command

using Command =
    std::variant<command::CreateRoom, command::Enter, command::Exit, command::SendMessage,
                 command::MarkRead, command::Invite, command::Kick, command::Unban,
                 command::UpdateRoom, command::ChangeParticipant, command::CloseRoom>;

} // namespace roomkeeper

#pragma once

#include "roomevents.h"

#include <QString>
#include <QUuid>

#include <variant>

namespace roomkeeper {

// What the members of one room are told, as a value each protocol's encoder turns into
// its frame (EventEncoder). The room it happened in goes alongside; fields that refer to
// the domain's own objects are references valid for the call only.
namespace event {

struct Entered
{
    const User &user;
    bool admin = false;
};
// A participant is gone. 'why' is empty for an ordinary leave, "kick" or "ban"; 'kicked'
// says a moderator removed them.
struct Exited
{
    QUuid user;
    QString why;
    bool kicked = false;
};
struct MessagePosted
{
    const ChatMessage &message;
};
struct ReadReceipt
{
    QUuid reader;
    qint64 messageId = 0;
};
struct Invited
{
    QUuid inviter;
};
// To the connections being removed.
struct Kicked
{
    QUuid user;
    QString message;
    bool banned = false;
};
struct BanChanged
{
    QUuid user;
    bool banned = false;
};
struct AdminChanged
{
    QUuid user;
    bool admin = false;
};
struct ColorChanged
{
    QUuid user;
    QString color;
};
// The room's whole state (settings, people), as a member needs it after a change.
struct RoomPicture
{
};
struct SettingsChanged
{
    RoomChanges changes = 0;
};
// To the members of a room that is gone.
struct Closed
{
    QString message;
};

} // namespace event

using DomainEvent =
    std::variant<event::Entered, event::Exited, event::MessagePosted, event::ReadReceipt,
                 event::Invited, event::Kicked, event::BanChanged, event::AdminChanged,
                 event::ColorChanged, event::RoomPicture, event::SettingsChanged, event::Closed>;

} // namespace roomkeeper

#pragma once

#include "room.h"
#include "user.h"

#include <QList>
#include <QString>
#include <QUuid>

namespace roomkeeper {

struct ChatMessage
{
    qint64 id = 0;
    QUuid author;
    QString authorName;
    QString content;
    qint64 sentAtMs = 0; // UNIX time in milliseconds
};

enum class ExitReason
{
    Left,         // the connection asked to leave
    Disconnected, // the last connection of that user went away
    Banned,       // its connection was ended by an address ban
};

// Which settings a change touched, for protocols that send only what changed.
enum RoomChange : unsigned
{
    NameChanged = 1u << 0,
    ClosedChanged = 1u << 1,
    ChatLockedChanged = 1u << 2,
    MaxParticipantsChanged = 1u << 3,
    WebhookChanged = 1u << 4,
    PinnedChanged = 1u << 5,
};
using RoomChanges = unsigned;

// What the domain tells the outside. Events are raised after the state has changed; the
// room passed in is the state after the change. The server's event hub hands each to its
// subscribers (delivery to members, persistence, the operator feed, webhooks, counters,
// the traffic view, watch), each of which overrides only what it needs.
class RoomEventSink
{
public:
    virtual ~RoomEventSink() = default;

    // A connection became a member: it needs the room's full picture.
    virtual void memberJoined(const Room & /*room*/, MemberId /*member*/) {}
    // A user became a participant (their first connection in the room).
    virtual void participantEntered(const Room & /*room*/, const User & /*user*/) {}
    // A connection left at its own request (it is no longer a member).
    virtual void memberLeft(const Room & /*room*/, MemberId /*member*/, const QUuid & /*user*/) {}
    // A user stopped being a participant.
    virtual void participantExited(const Room & /*room*/, const QUuid & /*user*/,
                                   ExitReason /*reason*/)
    {}
    virtual void messagePosted(const Room & /*room*/, const ChatMessage & /*message*/) {}
    virtual void readReceipt(const Room & /*room*/, const QUuid & /*reader*/, qint64 /*messageId*/)
    {}
    virtual void userInvited(const Room & /*room*/, const QUuid & /*inviter*/,
                             const QUuid & /*invitee*/)
    {}
    // 'members' were the user's connections in the room; they are out of it now.
    virtual void participantKicked(const Room & /*room*/, const QUuid & /*user*/,
                                   const QList<MemberId> & /*members*/, const QString & /*message*/,
                                   bool /*banned*/)
    {}
    virtual void participantUnbanned(const Room & /*room*/, const QUuid & /*user*/) {}
    virtual void adminChanged(const Room & /*room*/, const QUuid & /*user*/, bool /*admin*/) {}
    virtual void roomChanged(const Room & /*room*/, RoomChanges /*changes*/) {}
    // The room is gone after this call returns; 'members' were in it.
    virtual void roomClosed(const Room & /*room*/, const QList<MemberId> & /*members*/,
                            const QString & /*message*/)
    {}
    // A room came into being (created now, not restored).
    virtual void roomCreated(const Room & /*room*/) {}
    // An expired ban was swept away (not lifted by anyone).
    virtual void banExpired(const Room &, const Ban &) {}
};

} // namespace roomkeeper

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

// What the domain tells the outside. The network layer implements this and turns each
// event into frames of each protocol, serialised once per event. Events are raised after
// the state has changed; the room passed in is the state after the change.
class RoomEventSink
{
public:
    virtual ~RoomEventSink() = default;

    // A connection became a member: it needs the room's full picture.
    virtual void memberJoined(const Room &room, MemberId member) = 0;
    // A user became a participant (their first connection in the room).
    virtual void participantEntered(const Room &room, const User &user) = 0;
    // A connection left at its own request (it is no longer a member).
    virtual void memberLeft(const Room &room, MemberId member, const QUuid &user) = 0;
    // A user stopped being a participant.
    virtual void participantExited(const Room &room, const QUuid &user, ExitReason reason) = 0;
    virtual void messagePosted(const Room &room, const ChatMessage &message) = 0;
    virtual void readReceipt(const Room &room, const QUuid &reader, qint64 messageId) = 0;
    virtual void userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee) = 0;
    // 'members' were the user's connections in the room; they are out of it now.
    virtual void participantKicked(const Room &room, const QUuid &user,
                                   const QList<MemberId> &members, const QString &message,
                                   bool banned) = 0;
    virtual void participantUnbanned(const Room &room, const QUuid &user) = 0;
    virtual void adminChanged(const Room &room, const QUuid &user, bool admin) = 0;
    virtual void roomChanged(const Room &room, RoomChanges changes) = 0;
    // The room is gone after this call returns; 'members' were in it.
    virtual void roomClosed(const Room &room, const QList<MemberId> &members,
                            const QString &message) = 0;
    // A room came into being (created now, not restored).
    virtual void roomCreated(const Room &) {}
    // An expired ban was swept away (not lifted by anyone).
    virtual void banExpired(const Room &, const Ban &) {}
};

} // namespace roomkeeper

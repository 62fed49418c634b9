#pragma once

#include "../domain/roomevents.h"

#include <QList>

namespace roomkeeper {

// Where the rooms' events go: each is handed to every subscriber in the order they were
// added (persistence before delivery, so that what members hear is stored first).
// Subscribers never call each other; none of them is on another's path.
class EventHub final : public RoomEventSink
{
public:
    void subscribe(RoomEventSink *subscriber) { m_subscribers.append(subscriber); }

    void memberJoined(const Room &room, MemberId member) override;
    void participantEntered(const Room &room, const User &user) override;
    void memberLeft(const Room &room, MemberId member, const QUuid &user) override;
    void participantExited(const Room &room, const QUuid &user, ExitReason reason) override;
    void messagePosted(const Room &room, const ChatMessage &message) override;
    void readReceipt(const Room &room, const QUuid &reader, qint64 messageId) override;
    void userInvited(const Room &room, const QUuid &inviter, const QUuid &invitee) override;
    void participantKicked(const Room &room, const QUuid &user, const QList<MemberId> &members,
                           const QString &message, bool banned) override;
    void participantUnbanned(const Room &room, const QUuid &user) override;
    void adminChanged(const Room &room, const QUuid &user, bool admin) override;
    void roomChanged(const Room &room, RoomChanges changes) override;
    void roomClosed(const Room &room, const QList<MemberId> &members,
                    const QString &message) override;
    void roomCreated(const Room &room) override;
    void banExpired(const Room &room, const Ban &ban) override;

private:
    QList<RoomEventSink *> m_subscribers;
};

} // namespace roomkeeper

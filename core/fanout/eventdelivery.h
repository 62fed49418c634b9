#pragma once

#include "../domain/roomevents.h"

namespace roomkeeper {

class FanOut;
struct Delivered;
class RoomRegistry;
class SessionRegistry;
class UserDirectory;
struct ServerStats;

// The subscriber that tells people what happened: turns each room event into deliveries
// through the fan-out seam, and into the member-only frames sessions send themselves
// (the picture for a new member, the exit for one that left). Counts what went out.
class EventDelivery final : public RoomEventSink
{
public:
    EventDelivery(FanOut &fanOut, SessionRegistry &sessions, const RoomRegistry &rooms,
                  const UserDirectory &users, ServerStats &stats)
        : m_fanOut(fanOut), m_sessions(sessions), m_rooms(rooms), m_users(users), m_stats(stats)
    {}

    // A person's colour or name changed: everyone in their rooms sees it.
    void userChanged(const QUuid &user);

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
    void banExpired(const Room &room, const Ban &ban) override;

private:
    void count(const Delivered &delivered);

    FanOut &m_fanOut;
    SessionRegistry &m_sessions;
    const RoomRegistry &m_rooms;
    const UserDirectory &m_users;
    ServerStats &m_stats;
};

} // namespace roomkeeper

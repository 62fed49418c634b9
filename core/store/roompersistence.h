#pragma once

#include "../domain/roomevents.h"

#include <QHash>
#include <QUuid>

namespace roomkeeper {

class StateWriter;
class UserDirectory;

// The subscriber that keeps lasting state in step with the rooms: a room's record when it
// is created or changed, its ban records, its deletion when it closes, and the message-id
// ceiling (ids are reserved in blocks, so no message needs a write of its own).
class RoomPersistence final : public RoomEventSink
{
public:
    static constexpr qint64 MessageIdBlock = 1000;

    RoomPersistence(StateWriter &writer, UserDirectory &users) : m_writer(writer), m_users(users) {}

    // At start: the ceiling a stored room continues above.
    void restoreCeiling(const QUuid &room, qint64 ceiling) { m_ceilings.insert(room, ceiling); }
    // Writes the room's record now (after a change made outside events, e.g. pinning).
    void saveRoom(const Room &room);

    void messagePosted(const Room &room, const ChatMessage &message) override;
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
    StateWriter &m_writer;
    UserDirectory &m_users;
    QHash<QUuid, qint64> m_ceilings;
};

} // namespace roomkeeper

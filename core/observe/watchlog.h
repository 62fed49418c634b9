#pragma once

#include "../domain/roomevents.h"

#include <QString>
#include <QUuid>

#include <functional>

namespace roomkeeper {

class UserDirectory;

// The console's "watch": one tab-separated line per join, leave, kick, ban, ban hit, flood,
// slow client or heartbeat timeout; never message text. Lines are made only while
// watching is on. As a subscriber it hears the room events; sessions note the rest.
class WatchLog final : public RoomEventSink
{
public:
    WatchLog(const UserDirectory &users, std::function<void(const QString &line)> emitLine)
        : m_users(users), m_emit(std::move(emitLine))
    {}

    void setWatching(bool watching) { m_watching = watching; }
    bool isWatching() const { return m_watching; }
    void note(const QString &what, const QUuid &room, const QUuid &user,
              const QString &detail = QString());

    void participantEntered(const Room &room, const User &user) override;
    void participantExited(const Room &room, const QUuid &user, ExitReason reason) override;
    void participantKicked(const Room &room, const QUuid &user, const QList<MemberId> &members,
                           const QString &message, bool banned) override;

private:
    const UserDirectory &m_users;
    std::function<void(const QString &)> m_emit;
    bool m_watching = false;
};

} // namespace roomkeeper

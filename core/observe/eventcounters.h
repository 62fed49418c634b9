#pragma once

#include "../domain/roomevents.h"

#include <QHash>
#include <QUuid>

namespace roomkeeper {

struct ServerStats;

// The subscriber that counts what /metrics, the console and the window report of the rooms:
// messages (in all and per person), kicks and bans.
class EventCounters final : public RoomEventSink
{
public:
    explicit EventCounters(ServerStats &stats) : m_stats(stats) {}

    const QHash<QUuid, quint64> &messagesByUser() const { return m_messagesByUser; }

    void messagePosted(const Room &room, const ChatMessage &message) override;
    void participantKicked(const Room &room, const QUuid &user, const QList<MemberId> &members,
                           const QString &message, bool banned) override;

private:
    ServerStats &m_stats;
    QHash<QUuid, quint64> m_messagesByUser;
};

} // namespace roomkeeper

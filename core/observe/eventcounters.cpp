#include "eventcounters.h"

#include "../server/serverstats.h"

namespace roomkeeper {

void EventCounters::messagePosted(const Room &, const ChatMessage &message)
{
    ++m_stats.messagesPosted;
    ++m_messagesByUser[message.author];
}

void EventCounters::participantKicked(const Room &, const QUuid &, const QList<MemberId> &,
                                      const QString &, bool banned)
{
    ++m_stats.kicks;
    if (banned)
        ++m_stats.bans;
}

} // namespace roomkeeper

#pragma once

#include <QMetaType>
#include <QtGlobal>

namespace roomkeeper {

// Counters the core publishes to the window and the console, a few times a second.
struct ServerStats
{
    int connections = 0;
    int rooms = 0;
    quint64 framesIn = 0;
    quint64 framesOut = 0; // deliveries: one frame to one connection
    quint64 messagesPosted = 0;
    quint64 rateLimited = 0;
    quint64 slowClientDrops = 0;
    quint64 heartbeatTimeouts = 0;
    quint64 refusedConnections = 0; // over the total or per-address limit
};

} // namespace roomkeeper

Q_DECLARE_METATYPE(roomkeeper::ServerStats)

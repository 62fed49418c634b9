#pragma once

#include <QMap>
#include <QMetaType>
#include <QString>
#include <QtGlobal>

namespace roomkeeper {

// Counters the core publishes to the window, the console and /metrics, a few times a
// second. Counters only grow; 'connections*' and 'rooms' are current values.
struct ServerStats
{
    int connections = 0;
    QMap<QString, int> connectionsByProtocol; // by Protocol::name(), every protocol listed
    int roomConnections = 0;                  // on /ws (connectionsByProtocol["room"])
    int gatewayConnections = 0;               // on /gateway (connectionsByProtocol["gateway"])
    int rooms = 0;
    int handshakes = 0; // in progress
    quint64 handshakesRefused = 0;
    quint64 framesIn = 0;
    quint64 framesOut = 0; // deliveries: one frame to one connection
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    quint64 messagesPosted = 0;
    quint64 kicks = 0;
    quint64 bans = 0;
    quint64 rateLimited = 0;
    quint64 slowClientDrops = 0;
    quint64 heartbeatTimeouts = 0;
    quint64 refusedConnections = 0; // over the total or per-address limit
    quint64 bannedConnections = 0;  // refused by an address ban
    quint64 webhookDelivered = 0;
    quint64 webhookFailed = 0;
    quint64 webhookDropped = 0;
    bool accepting = true;     // false while new connections are paused
    quint64 storeFailures = 0; // writes the store could not commit
    QString storeProblem;      // why the store cannot write now; empty while it can
};

} // namespace roomkeeper

Q_DECLARE_METATYPE(roomkeeper::ServerStats)

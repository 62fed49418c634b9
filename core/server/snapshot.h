#pragma once

#include <QHostAddress>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QUuid>

namespace roomkeeper {

// What the operator window sees of the core: plain values, copied across threads a few
// times a second (ChatServer::snapshotReady, ChatServer::trafficReady). The window never
// reaches into core objects.

struct ParticipantSnapshot
{
    QUuid user;
    QString name;
    QString color;
    bool admin = false;
    bool creator = false;
    QString addresses; // comma-separated
    QString protocols; // "ws", "gateway" or "ws,gateway"
    int connections = 0;
    qint64 connectedSinceMs = 0; // UNIX ms, earliest connection
    quint64 messagesSent = 0;
    int roundTripMs = -1;   // last heartbeat round trip, -1 = not measured yet
    qint64 queuedBytes = 0; // outbound bytes waiting, all connections
};

struct RoomSnapshot
{
    QUuid id;
    QString name;
    bool closed = false;
    bool chatLocked = false;
    bool pinned = false;
    int maxParticipants = 0;
    bool hasWebhook = false;
    QString webhookState; // e.g. "3 queued, 120 delivered, 1 failed: HTTP 500"
    qint64 lastMessageId = 0;
    QList<ParticipantSnapshot> participants;
};

struct ServerSnapshot
{
    qint64 takenAtMs = 0;
    QList<RoomSnapshot> rooms;
    int connections = 0;
    int lobbyConnections = 0; // connected but in no room
};

// One frame in or out, as the traffic view shows it. Summaries hold at most 80
// characters and live in memory only.
struct TrafficEvent
{
    qint64 timeMs = 0;
    bool incoming = true;
    QString protocol;     // the door without its slash: "ws", "gateway"
    bool gateway = false; // protocol == "gateway", for views that have not moved to 'protocol'

    QUuid room;
    QUuid user;
    QString type; // "message", "enter", "op 3", ...
    int size = 0;
    QString summary;
};

struct TrafficBatch
{
    QList<TrafficEvent> events;
    quint64 skipped = 0; // events not sampled into this batch
};

} // namespace roomkeeper

Q_DECLARE_METATYPE(roomkeeper::ServerSnapshot)
Q_DECLARE_METATYPE(roomkeeper::TrafficBatch)

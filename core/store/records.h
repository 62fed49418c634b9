#pragma once

#include "../domain/room.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QUuid>

namespace roomkeeper {

// The rows of lasting state, as plain values. Never message content.

struct StoredIdentity
{
    QUuid id;
    QByteArray tokenDigest; // SHA-256 of the token; the token itself is never stored
    QString name;
    QString color;
};

struct StoredRoom
{
    QUuid id;
    RoomSettings settings;
    QUuid creator;
    bool pinned = false;
    // Message ids are handed out in blocks: after a restart the room continues above
    // this ceiling, so an id is never reused without a write per message.
    qint64 messageIdCeiling = 0;
    qint64 createdAtMs = 0;
    qint64 emptySinceMs = 0; // 0 = not empty
    QList<QUuid> admins;
};

struct AuditEntry
{
    qint64 id = 0;
    qint64 atMs = 0;
    QString actor;  // "console", or a user id
    QString action; // e.g. "kick", "ban", "update"
    QUuid room;
    QString target; // a user id, an address, or empty
    QString detail; // reason and settings; never message content
};

} // namespace roomkeeper

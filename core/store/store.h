#pragma once

#include "records.h"

#include "../domain/ban.h"

#include <QHash>
#include <QList>
#include <QString>

#include <functional>

namespace roomkeeper {

// Lasting state behind one interface (SQLite today; a shared database later). Every
// write returns false on failure, with lastError() saying why. Used on the core thread.
class Store
{
public:
    virtual ~Store() = default;

    // Opens (creating and migrating as needed). Returns an empty string on success, or a
    // message naming the file. A corrupt or unreadable file is reported, never replaced.
    virtual QString open() = 0;
    virtual QString location() const = 0;
    virtual QString lastError() const = 0;

    virtual QList<StoredIdentity> loadIdentities() = 0;
    virtual QList<StoredRoom> loadRooms() = 0;
    virtual QList<Ban> loadBans() = 0;
    virtual QHash<QString, QString> loadSettings() = 0;
    virtual QList<AuditEntry> loadAudit(int newestCount) = 0;

    virtual bool saveIdentities(const QList<StoredIdentity> &identities) = 0;
    virtual bool saveRoom(const StoredRoom &room) = 0;
    virtual bool deleteRoom(const QUuid &roomId) = 0;
    virtual bool saveBan(Ban &ban) = 0; // inserts (assigning ban.id) or updates
    virtual bool deleteBan(qint64 banId) = 0;
    virtual bool deleteUserBan(const QUuid &roomId, const QUuid &userId) = 0;
    virtual bool appendAudit(AuditEntry &entry) = 0;
    virtual bool saveSetting(const QString &key, const QString &value) = 0;

    // Runs 'writes' in one transaction: all of them land, or none.
    virtual bool transaction(const std::function<bool()> &writes) = 0;

    // Whether the storage went away under a running server (a database file removed);
    // reopen() then makes a new, empty one to write the whole state into again.
    virtual bool lost() const { return false; }
    virtual QString reopen() { return QStringLiteral("cannot be reopened"); }
};

} // namespace roomkeeper

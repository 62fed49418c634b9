#pragma once

#include "records.h"
#include "store.h"

#include "../domain/ban.h"

#include <QString>

#include <functional>

namespace roomkeeper {

class UserDirectory;

// The one owner of every write to lasting state. Moderation commits through it before an
// action is reported done; the persistence subscriber writes what follows from events
// (message-id ceilings, idle times); sessions store new identities through it. Each write
// returns false when the store could not commit, and the writer remembers the last
// failure until a write succeeds again. Core thread only.
class StateWriter
{
public:
    explicit StateWriter(Store &store) : m_store(store) {}

    Store &store() { return m_store; }

    // The identities that changed since the last call (new people, names, colours).
    bool saveIdentities(UserDirectory &users);
    bool saveRoom(const StoredRoom &room);
    bool deleteRoom(const QUuid &roomId);
    bool saveBan(Ban &ban); // inserts (assigning ban.id) or updates
    bool deleteBan(qint64 banId);
    bool deleteUserBan(const QUuid &roomId, const QUuid &userId);
    bool appendAudit(AuditEntry &entry);
    // All of 'writes' land, or none.
    bool transaction(const std::function<bool()> &writes);

    // Why the last write failed; empty once one has succeeded since.
    QString failure() const { return m_failure; }
    quint64 failures() const { return m_failures; }

private:
    bool checked(bool ok, const char *what);

    Store &m_store;
    QString m_failure;
    quint64 m_failures = 0;
};

} // namespace roomkeeper

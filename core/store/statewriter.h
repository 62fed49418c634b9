#pragma once

#include "records.h"
#include "store.h"

#include "../domain/ban.h"
#include "../domain/statecommit.h"

#include <QHash>
#include <QString>

#include <functional>

namespace roomkeeper {

class UserDirectory;

// The one owner of every write to lasting state. Moderation commits through it before an
// action is reported done; the persistence subscriber writes what follows from events
// (message-id ceilings, idle times); sessions store new identities through it. Each write
// returns false when the store could not commit, and the writer remembers the last
// failure until a write succeeds again. Core thread only.
class StateWriter final : public StateCommit
{
public:
    StateWriter(Store &store, UserDirectory &users) : m_store(store), m_users(users) {}

    // StateCommit: the change, the identities it names and the staged audit entry, in one
    // transaction.
    Outcome commit(const LastingChange &change) override;
    // The audit entry of the action about to be committed; taken by the next commit().
    void stageAudit(const AuditEntry &entry) { m_stagedAudit = entry; }
    // Writes the staged entry on its own, if no commit took it (false if it could not).
    bool writeStagedAudit();
    void dropStagedAudit() { m_stagedAudit.reset(); }

    // Message ids are reserved in blocks (RoomPersistence): the ceiling a room's record
    // carries.
    qint64 ceiling(const QUuid &room) const { return m_ceilings.value(room); }
    void setCeiling(const QUuid &room, qint64 ceiling) { m_ceilings.insert(room, ceiling); }

    Store &store() { return m_store; }

    // The identities that changed since the last call (new people, names, colours).
    bool saveIdentities();
    bool saveRoom(const RoomRecord &room);
    bool deleteRoom(const QUuid &roomId);
    bool saveBan(Ban &ban); // inserts (assigning ban.id) or updates
    bool deleteBan(qint64 banId);
    bool deleteUserBan(const QUuid &roomId, const QUuid &userId);
    bool appendAudit(AuditEntry &entry);
    // All of 'writes' land, or none.
    bool transaction(const std::function<bool()> &writes);

    // Writes the whole state again, into a store that was reopened after it was lost.
    void setRewrite(std::function<bool(Store &store)> rewrite) { m_rewrite = std::move(rewrite); }

    // Why the last write failed; empty once one has succeeded since.
    QString failure() const { return m_failure; }
    // While a write has failed, tries a small one (at most once a second) to learn whether
    // the store can write again; returns failure() after it.
    QString probe(qint64 nowMs);
    quint64 failures() const { return m_failures; }

private:
    bool checked(bool ok, const char *what);
    StoredRoom stored(const RoomRecord &room) const;
    // A store that was lost is made anew and given the whole state; false if it cannot be.
    bool recoverIfLost();

    Store &m_store;
    UserDirectory &m_users;
    std::optional<AuditEntry> m_stagedAudit;
    QHash<QUuid, qint64> m_ceilings;
    QString m_failure;
    quint64 m_failures = 0;
    qint64 m_lastProbeMs = -1000;
    std::function<bool(Store &)> m_rewrite;
};

} // namespace roomkeeper

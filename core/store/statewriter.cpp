#include "statewriter.h"

#include "../domain/userdirectory.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace roomkeeper {

namespace {

QList<StoredIdentity> rowsOf(const QList<UserDirectory::Changed> &changed)
{
    QList<StoredIdentity> rows;
    rows.reserve(changed.size());
    for (const UserDirectory::Changed &c : changed)
        rows.append({c.user.id, c.tokenDigest, c.user.name, c.user.color});
    return rows;
}

} // namespace

bool StateWriter::checked(bool ok, const char *what)
{
    if (ok) {
        m_failure.clear();
        return true;
    }
    ++m_failures;
    m_failure = QStringLiteral("%1: %2").arg(QLatin1StringView(what), m_store.lastError());
    qCWarning(lcStore).noquote() << what << "not stored:" << m_store.lastError();
    return false;
}

bool StateWriter::recoverIfLost()
{
    if (!m_store.lost())
        return true;
    if (const QString problem = m_store.reopen(); !problem.isEmpty()) {
        checked(false, "reopening the store");
        return false;
    }
    if (!m_rewrite || !checked(m_store.transaction([this] { return m_rewrite(m_store); }),
                               "the whole state, after the store was lost")) {
        return false;
    }
    qCWarning(lcStore).noquote() << "the store was lost and is written anew at"
                                 << m_store.location() << "(its audit trail starts over)";
    return true;
}

Outcome StateWriter::commit(const LastingChange &change)
{
    recoverIfLost();
    const std::optional<AuditEntry> staged = std::exchange(m_stagedAudit, std::nullopt);
    AuditEntry audit = staged.value_or(AuditEntry());
    // Rooms and bans name people: they must be known after a restart too.
    const QList<UserDirectory::Changed> identities = m_users.takeChanged();
    const bool ok = m_store.transaction([&] {
        if (!identities.isEmpty() && !m_store.saveIdentities(rowsOf(identities)))
            return false;
        if (change.room && !m_store.saveRoom(stored(*change.room)))
            return false;
        if (change.closedRoom && !m_store.deleteRoom(*change.closedRoom))
            return false;
        if (change.ban && !m_store.saveBan(*change.ban))
            return false;
        if (change.liftedBanId && !m_store.deleteBan(*change.liftedBanId))
            return false;
        if (change.liftedBan &&
            !m_store.deleteUserBan(change.liftedBan->first, change.liftedBan->second))
            return false;
        return !staged || m_store.appendAudit(audit);
    });
    if (!checked(ok, "change")) {
        m_users.markChanged(identities); // they are still to be written
        return refuse(ErrorCode::Unavailable,
                      QStringLiteral("the change could not be stored (%1); nothing was changed")
                          .arg(m_store.lastError()));
    }
    if (change.closedRoom)
        m_ceilings.remove(*change.closedRoom);
    return std::nullopt;
}

bool StateWriter::writeStagedAudit()
{
    const std::optional<AuditEntry> staged = std::exchange(m_stagedAudit, std::nullopt);
    if (!staged)
        return true;
    AuditEntry entry = *staged;
    return appendAudit(entry);
}

StoredRoom StateWriter::stored(const RoomRecord &room) const
{
    StoredRoom s;
    s.id = room.id;
    s.settings = room.settings;
    s.creator = room.creator;
    s.pinned = room.pinned;
    s.messageIdCeiling = m_ceilings.value(room.id);
    s.createdAtMs = room.createdAtMs;
    s.emptySinceMs = room.emptySinceMs;
    s.admins = room.admins;
    return s;
}

QString StateWriter::probe(qint64 nowMs)
{
    if (!m_failure.isEmpty() && nowMs - m_lastProbeMs >= 1000) {
        m_lastProbeMs = nowMs;
        recoverIfLost();
        const QString failure = m_failure;
        if (!m_store.saveSetting(QStringLiteral("probe"), QString::number(nowMs)))
            m_failure = failure; // still failing: keep the first reason
        else
            m_failure.clear();
    }
    return m_failure;
}

bool StateWriter::saveIdentities()
{
    recoverIfLost();
    const QList<UserDirectory::Changed> changed = m_users.takeChanged();
    if (changed.isEmpty())
        return true;
    if (checked(m_store.saveIdentities(rowsOf(changed)), "identities"))
        return true;
    m_users.markChanged(changed); // written with the next attempt
    return false;
}

bool StateWriter::saveRoom(const RoomRecord &room)
{
    return checked(m_store.saveRoom(stored(room)), "room");
}

bool StateWriter::deleteRoom(const QUuid &roomId)
{
    return checked(m_store.deleteRoom(roomId), "room closing");
}

bool StateWriter::saveBan(Ban &ban)
{
    return checked(m_store.saveBan(ban), "ban");
}

bool StateWriter::deleteBan(qint64 banId)
{
    return checked(m_store.deleteBan(banId), "unban");
}

bool StateWriter::deleteUserBan(const QUuid &roomId, const QUuid &userId)
{
    return checked(m_store.deleteUserBan(roomId, userId), "unban");
}

bool StateWriter::appendAudit(AuditEntry &entry)
{
    return checked(m_store.appendAudit(entry), "audit entry");
}

bool StateWriter::transaction(const std::function<bool()> &writes)
{
    return checked(m_store.transaction(writes), "transaction");
}

} // namespace roomkeeper

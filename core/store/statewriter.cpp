#include "statewriter.h"

#include "../domain/userdirectory.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace roomkeeper {

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

bool StateWriter::saveIdentities(UserDirectory &users)
{
    const QList<UserDirectory::Changed> changed = users.takeChanged();
    if (changed.isEmpty())
        return true;
    QList<StoredIdentity> rows;
    rows.reserve(changed.size());
    for (const UserDirectory::Changed &c : changed)
        rows.append({c.user.id, c.tokenDigest, c.user.name, c.user.color});
    return checked(m_store.saveIdentities(rows), "identities");
}

bool StateWriter::saveRoom(const StoredRoom &room)
{
    return checked(m_store.saveRoom(room), "room");
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

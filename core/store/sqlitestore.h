#pragma once

#include "store.h"

#include <QSqlDatabase>

namespace roomkeeper {

// The Store in one SQLite file (Qt Sql, QSQLITE) in WAL mode, with a versioned schema
// (PRAGMA user_version) migrated step by step. An empty data dir keeps everything in
// memory, for tests and throwaway runs.
class SqliteStore final : public Store
{
public:
    static constexpr int SchemaVersion = 1;
    static constexpr const char *FileName = "roomkeeper.db";
    // How long a write waits for another process's lock before it is refused. The core
    // thread waits meanwhile: kept short.
    static constexpr int BusyTimeoutMs = 250;

    explicit SqliteStore(const QString &dataDir);
    ~SqliteStore() override;
    Q_DISABLE_COPY_MOVE(SqliteStore)

    QString open() override;
    QString location() const override { return m_path; }
    QString lastError() const override { return m_lastError; }

    QList<StoredIdentity> loadIdentities() override;
    QList<StoredRoom> loadRooms() override;
    QList<Ban> loadBans() override;
    QHash<QString, QString> loadSettings() override;
    QList<AuditEntry> loadAudit(int newestCount) override;

    bool saveIdentities(const QList<StoredIdentity> &identities) override;
    bool saveRoom(const StoredRoom &room) override;
    bool deleteRoom(const QUuid &roomId) override;
    bool saveBan(Ban &ban) override;
    bool deleteBan(qint64 banId) override;
    bool deleteUserBan(const QUuid &roomId, const QUuid &userId) override;
    bool appendAudit(AuditEntry &entry) override;
    bool saveSetting(const QString &key, const QString &value) override;
    bool transaction(const std::function<bool()> &writes) override;
    bool lost() const override;
    QString reopen() override;

private:
    bool exec(const QString &sql);
    bool migrate();
    bool fail(const QString &what, const QString &why);
    // False (with lastError()) when the file was removed or replaced since it was opened.
    bool stillThere();

    QString m_path;
    QString m_connectionName;
    QSqlDatabase m_db;
    QString m_lastError;
    int m_transactionDepth = 0;
    quint64 m_inode = 0;
    quint64 m_device = 0;
};

} // namespace roomkeeper

#include "sqlitestore.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <sys/stat.h>

Q_LOGGING_CATEGORY(lcStore, "roomkeeper.store")

namespace roomkeeper {

namespace {

// Each step takes the schema from version i to i + 1.
const QList<QStringList> &migrations()
{
    static const QList<QStringList> steps = {
        {
            QStringLiteral("CREATE TABLE identities (user_id TEXT PRIMARY KEY, token_sha256 BLOB "
                           "NOT NULL UNIQUE, name TEXT NOT NULL, color TEXT NOT NULL)"),
            QStringLiteral("CREATE TABLE rooms (room_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                           "closed INTEGER NOT NULL, chat_locked INTEGER NOT NULL, "
                           "max_participants INTEGER NOT NULL, webhook TEXT NOT NULL, creator "
                           "TEXT, pinned INTEGER NOT NULL, message_id_ceiling INTEGER NOT NULL, "
                           "created_at INTEGER NOT NULL, empty_since INTEGER NOT NULL)"),
            QStringLiteral("CREATE TABLE room_admins (room_id TEXT NOT NULL REFERENCES "
                           "rooms(room_id) ON DELETE CASCADE, user_id TEXT NOT NULL, PRIMARY "
                           "KEY (room_id, user_id))"),
            QStringLiteral("CREATE TABLE bans (ban_id INTEGER PRIMARY KEY AUTOINCREMENT, room_id "
                           "TEXT, user_id TEXT, address TEXT, prefix INTEGER NOT NULL, reason "
                           "TEXT NOT NULL, banned_by TEXT NOT NULL, since INTEGER NOT NULL, "
                           "until INTEGER NOT NULL, hits INTEGER NOT NULL)"),
            QStringLiteral("CREATE TABLE audit (audit_id INTEGER PRIMARY KEY AUTOINCREMENT, at "
                           "INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, room_id "
                           "TEXT, target TEXT NOT NULL, detail TEXT NOT NULL)"),
            QStringLiteral("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
        },
    };
    return steps;
}

QString idText(const QUuid &id)
{
    return id.isNull() ? QString() : id.toString(QUuid::WithoutBraces);
}

QVariant nullableId(const QUuid &id)
{
    return id.isNull() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(idText(id));
}

QUuid idFrom(const QVariant &v)
{
    return QUuid::fromString(v.toString());
}

// A null QString binds as SQL NULL; text columns are NOT NULL, so bind "" instead.
QVariant text(const QString &value)
{
    return value.isNull() ? QVariant(QStringLiteral("")) : QVariant(value);
}

} // namespace

SqliteStore::SqliteStore(const QString &dataDir)
    : m_path(dataDir.isEmpty() ? QStringLiteral(":memory:")
                               : QDir(dataDir).filePath(QString::fromLatin1(FileName))),
      m_connectionName(QStringLiteral("roomkeeper-store-%1").arg(quintptr(this)))
{}

SqliteStore::~SqliteStore()
{
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

bool SqliteStore::stillThere()
{
    // SQLite goes on writing to a file that was deleted (or replaced) under it, and all of
    // it would be gone at the next start: refuse instead, until the file is recreated.
    if (m_path == QLatin1StringView(":memory:") || m_inode == 0)
        return true;
    struct stat now = {};
    if (::stat(QFile::encodeName(m_path).constData(), &now) != 0 || now.st_ino != m_inode ||
        now.st_dev != m_device)
        return fail(QStringLiteral("database"),
                    QStringLiteral("the database file %1 was removed or replaced").arg(m_path));
    return true;
}

bool SqliteStore::lost() const
{
    if (m_path == QLatin1StringView(":memory:") || m_inode == 0)
        return false;
    struct stat now = {};
    return ::stat(QFile::encodeName(m_path).constData(), &now) != 0 || now.st_ino != m_inode ||
           now.st_dev != m_device;
}

QString SqliteStore::reopen()
{
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
    return open();
}

bool SqliteStore::fail(const QString &what, const QString &why)
{
    m_lastError = QStringLiteral("%1: %2").arg(what, why);
    qCWarning(lcStore).noquote() << m_path << m_lastError;
    return false;
}

bool SqliteStore::exec(const QString &sql)
{
    QSqlQuery query(m_db);
    if (!query.exec(sql))
        return fail(sql.section(QLatin1Char(' '), 0, 2), query.lastError().text());
    return true;
}

QString SqliteStore::open()
{
    m_lastError.clear(); // a read attempted before opening must not count against it
    if (m_path != QLatin1StringView(":memory:")) {
        const QFileInfo file(m_path);
        if (!QDir().mkpath(file.absolutePath()))
            return QStringLiteral("cannot create the data directory %1").arg(file.absolutePath());
        if (file.exists() && !file.isFile())
            return QStringLiteral("database %1 is not a file").arg(m_path);
    }
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(m_path);
    if (!m_db.open())
        return QStringLiteral("cannot open database %1: %2").arg(m_path, m_db.lastError().text());

    // The file as opened: a write checks it is still the same one (stillThere()).
    m_inode = 0;
    if (m_path != QLatin1StringView(":memory:")) {
        struct stat file = {};
        if (::stat(QFile::encodeName(m_path).constData(), &file) == 0) {
            m_inode = file.st_ino;
            m_device = file.st_dev;
        }
    }

    // Each query is finished before the next statement: an open read would keep a
    // transaction alive, and SQLite cannot switch to WAL inside one.
    {
        QSqlQuery check(m_db);
        if (!check.exec(QStringLiteral("PRAGMA quick_check")) || !check.next() ||
            check.value(0).toString() != QLatin1StringView("ok")) {
            const QString why =
                check.lastError().isValid() ? check.lastError().text() : check.value(0).toString();
            return QStringLiteral("database %1 is damaged (%2); it was left as it is: move it "
                                  "away to start with empty state")
                .arg(m_path, why);
        }
    }
    {
        QSqlQuery version(m_db);
        if (!version.exec(QStringLiteral("PRAGMA user_version")) || !version.next())
            return QStringLiteral("cannot read database %1: %2")
                .arg(m_path, version.lastError().text());
        const int found = version.value(0).toInt();
        if (found > SchemaVersion)
            return QStringLiteral("database %1 was written by a newer Roomkeeper (schema %2, this "
                                  "one knows %3)")
                .arg(m_path)
                .arg(found)
                .arg(SchemaVersion);
    }
    // WAL: a committed transaction survives the process being killed; NORMAL sync keeps
    // commits cheap (only a power loss can take the last ones back).
    if (!exec(QStringLiteral("PRAGMA journal_mode=WAL")) ||
        !exec(QStringLiteral("PRAGMA synchronous=NORMAL")) ||
        !exec(QStringLiteral("PRAGMA foreign_keys=ON")) ||
        !exec(QStringLiteral("PRAGMA busy_timeout=%1").arg(BusyTimeoutMs)) || !migrate())
        return QStringLiteral("cannot prepare database %1: %2").arg(m_path, m_lastError);
    return QString();
}

bool SqliteStore::migrate()
{
    int from = 0;
    {
        QSqlQuery version(m_db);
        if (!version.exec(QStringLiteral("PRAGMA user_version")) || !version.next())
            return fail(QStringLiteral("user_version"), version.lastError().text());
        from = version.value(0).toInt();
    }
    for (int v = from; v < SchemaVersion; ++v) {
        const bool ok = transaction([this, v] {
            for (const QString &sql : migrations().at(v)) {
                if (!exec(sql))
                    return false;
            }
            return exec(QStringLiteral("PRAGMA user_version=%1").arg(v + 1));
        });
        if (!ok)
            return false;
        qCInfo(lcStore).noquote() << "database" << m_path << "migrated to schema" << v + 1;
    }
    return true;
}

bool SqliteStore::transaction(const std::function<bool()> &writes)
{
    if (m_transactionDepth > 0)
        return writes(); // nested: the outer transaction decides
    if (!stillThere())
        return false;
    if (!m_db.transaction())
        return fail(QStringLiteral("begin"), m_db.lastError().text());
    ++m_transactionDepth;
    const bool ok = writes();
    --m_transactionDepth;
    if (!ok) {
        m_db.rollback();
        return false;
    }
    if (!m_db.commit()) {
        fail(QStringLiteral("commit"), m_db.lastError().text());
        m_db.rollback();
        return false;
    }
    return true;
}

QList<StoredIdentity> SqliteStore::loadIdentities()
{
    QList<StoredIdentity> result;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT user_id, token_sha256, name, color FROM identities"))) {
        fail(QStringLiteral("load identities"), q.lastError().text());
        return result;
    }
    while (q.next())
        result.append({idFrom(q.value(0)), q.value(1).toByteArray(), q.value(2).toString(),
                       q.value(3).toString()});
    return result;
}

QList<StoredRoom> SqliteStore::loadRooms()
{
    QList<StoredRoom> result;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT room_id, name, closed, chat_locked, max_participants, "
                               "webhook, creator, pinned, message_id_ceiling, created_at, "
                               "empty_since FROM rooms ORDER BY created_at, rowid"))) {
        fail(QStringLiteral("load rooms"), q.lastError().text());
        return result;
    }
    QHash<QUuid, qsizetype> index;
    while (q.next()) {
        StoredRoom room;
        room.id = idFrom(q.value(0));
        room.settings.name = q.value(1).toString();
        room.settings.closed = q.value(2).toBool();
        room.settings.chatLocked = q.value(3).toBool();
        room.settings.maxParticipants = q.value(4).toInt();
        room.settings.webhook = q.value(5).toString();
        room.creator = idFrom(q.value(6));
        room.pinned = q.value(7).toBool();
        room.messageIdCeiling = q.value(8).toLongLong();
        room.createdAtMs = q.value(9).toLongLong();
        room.emptySinceMs = q.value(10).toLongLong();
        index.insert(room.id, result.size());
        result.append(room);
    }
    QSqlQuery admins(m_db);
    if (!admins.exec(QStringLiteral("SELECT room_id, user_id FROM room_admins"))) {
        fail(QStringLiteral("load admins"), admins.lastError().text());
        return result;
    }
    while (admins.next()) {
        const auto it = index.constFind(idFrom(admins.value(0)));
        if (it != index.cend())
            result[*it].admins.append(idFrom(admins.value(1)));
    }
    return result;
}

QList<Ban> SqliteStore::loadBans()
{
    QList<Ban> result;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT ban_id, room_id, user_id, address, prefix, reason, "
                               "banned_by, since, until, hits FROM bans ORDER BY ban_id"))) {
        fail(QStringLiteral("load bans"), q.lastError().text());
        return result;
    }
    while (q.next()) {
        Ban ban;
        ban.id = q.value(0).toLongLong();
        ban.room = idFrom(q.value(1));
        ban.user = idFrom(q.value(2));
        ban.address = QHostAddress(q.value(3).toString());
        ban.prefixLength = q.value(4).toInt();
        ban.reason = q.value(5).toString();
        ban.bannedBy = q.value(6).toString();
        ban.sinceMs = q.value(7).toLongLong();
        ban.untilMs = q.value(8).toLongLong();
        ban.hits = q.value(9).toULongLong();
        result.append(ban);
    }
    return result;
}

QHash<QString, QString> SqliteStore::loadSettings()
{
    QHash<QString, QString> result;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT key, value FROM settings"))) {
        fail(QStringLiteral("load settings"), q.lastError().text());
        return result;
    }
    while (q.next())
        result.insert(q.value(0).toString(), q.value(1).toString());
    return result;
}

QList<AuditEntry> SqliteStore::loadAudit(int newestCount)
{
    QList<AuditEntry> result;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT audit_id, at, actor, action, room_id, target, detail FROM "
                             "audit ORDER BY audit_id DESC LIMIT ?"));
    q.addBindValue(newestCount);
    if (!q.exec()) {
        fail(QStringLiteral("load audit"), q.lastError().text());
        return result;
    }
    while (q.next())
        result.prepend({q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString(),
                        q.value(3).toString(), idFrom(q.value(4)), q.value(5).toString(),
                        q.value(6).toString()});
    return result;
}

bool SqliteStore::saveIdentities(const QList<StoredIdentity> &identities)
{
    return transaction([&] {
        QSqlQuery q(m_db);
        q.prepare(QStringLiteral("INSERT INTO identities (user_id, token_sha256, name, color) "
                                 "VALUES (?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
                                 "name = excluded.name, color = excluded.color"));
        for (const StoredIdentity &identity : identities) {
            q.addBindValue(idText(identity.id));
            q.addBindValue(identity.tokenDigest);
            q.addBindValue(text(identity.name));
            q.addBindValue(text(identity.color));
            if (!q.exec())
                return fail(QStringLiteral("save identity"), q.lastError().text());
        }
        return true;
    });
}

bool SqliteStore::saveRoom(const StoredRoom &room)
{
    return transaction([&] {
        QSqlQuery q(m_db);
        q.prepare(QStringLiteral(
            "INSERT INTO rooms (room_id, name, closed, chat_locked, max_participants, webhook, "
            "creator, pinned, message_id_ceiling, created_at, empty_since) VALUES (?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?) ON CONFLICT(room_id) DO UPDATE SET name = excluded.name, closed = "
            "excluded.closed, chat_locked = excluded.chat_locked, max_participants = "
            "excluded.max_participants, webhook = excluded.webhook, pinned = excluded.pinned, "
            "message_id_ceiling = excluded.message_id_ceiling, empty_since = "
            "excluded.empty_since"));
        q.addBindValue(idText(room.id));
        q.addBindValue(text(room.settings.name));
        q.addBindValue(room.settings.closed);
        q.addBindValue(room.settings.chatLocked);
        q.addBindValue(room.settings.maxParticipants);
        q.addBindValue(text(room.settings.webhook));
        q.addBindValue(nullableId(room.creator));
        q.addBindValue(room.pinned);
        q.addBindValue(room.messageIdCeiling);
        q.addBindValue(room.createdAtMs);
        q.addBindValue(room.emptySinceMs);
        if (!q.exec())
            return fail(QStringLiteral("save room"), q.lastError().text());
        QSqlQuery clear(m_db);
        clear.prepare(QStringLiteral("DELETE FROM room_admins WHERE room_id = ?"));
        clear.addBindValue(idText(room.id));
        if (!clear.exec())
            return fail(QStringLiteral("save room admins"), clear.lastError().text());
        QSqlQuery admin(m_db);
        admin.prepare(QStringLiteral("INSERT INTO room_admins (room_id, user_id) VALUES (?, ?)"));
        for (const QUuid &user : room.admins) {
            admin.addBindValue(idText(room.id));
            admin.addBindValue(idText(user));
            if (!admin.exec())
                return fail(QStringLiteral("save room admin"), admin.lastError().text());
        }
        return true;
    });
}

bool SqliteStore::deleteRoom(const QUuid &roomId)
{
    return transaction([&] {
        for (const char *sql :
             {"DELETE FROM room_admins WHERE room_id = ?", "DELETE FROM bans WHERE room_id = ?",
              "DELETE FROM rooms WHERE room_id = ?"}) {
            QSqlQuery q(m_db);
            q.prepare(QString::fromLatin1(sql));
            q.addBindValue(idText(roomId));
            if (!q.exec())
                return fail(QStringLiteral("delete room"), q.lastError().text());
        }
        return true;
    });
}

bool SqliteStore::saveBan(Ban &ban)
{
    if (m_transactionDepth == 0 && !stillThere())
        return false;
    QSqlQuery q(m_db);
    if (ban.id == 0) {
        q.prepare(
            QStringLiteral("INSERT INTO bans (room_id, user_id, address, prefix, reason, "
                           "banned_by, since, until, hits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    } else {
        q.prepare(QStringLiteral("UPDATE bans SET room_id = ?, user_id = ?, address = ?, prefix = "
                                 "?, reason = ?, banned_by = ?, since = ?, until = ?, hits = ? "
                                 "WHERE ban_id = ?"));
    }
    q.addBindValue(nullableId(ban.room));
    q.addBindValue(nullableId(ban.user));
    q.addBindValue(ban.address.isNull() ? QVariant(QMetaType(QMetaType::QString))
                                        : QVariant(ban.address.toString()));
    q.addBindValue(ban.prefixLength);
    q.addBindValue(text(ban.reason));
    q.addBindValue(text(ban.bannedBy));
    q.addBindValue(ban.sinceMs);
    q.addBindValue(ban.untilMs);
    q.addBindValue(qint64(ban.hits));
    if (ban.id != 0)
        q.addBindValue(ban.id);
    if (!q.exec())
        return fail(QStringLiteral("save ban"), q.lastError().text());
    if (ban.id == 0)
        ban.id = q.lastInsertId().toLongLong();
    return true;
}

bool SqliteStore::deleteBan(qint64 banId)
{
    if (m_transactionDepth == 0 && !stillThere())
        return false;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM bans WHERE ban_id = ?"));
    q.addBindValue(banId);
    if (!q.exec())
        return fail(QStringLiteral("delete ban"), q.lastError().text());
    return true;
}

bool SqliteStore::deleteUserBan(const QUuid &roomId, const QUuid &userId)
{
    if (m_transactionDepth == 0 && !stillThere())
        return false;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM bans WHERE room_id = ? AND user_id = ?"));
    q.addBindValue(idText(roomId));
    q.addBindValue(idText(userId));
    if (!q.exec())
        return fail(QStringLiteral("delete ban"), q.lastError().text());
    return true;
}

bool SqliteStore::appendAudit(AuditEntry &entry)
{
    if (m_transactionDepth == 0 && !stillThere())
        return false;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT INTO audit (at, actor, action, room_id, target, detail) "
                             "VALUES (?, ?, ?, ?, ?, ?)"));
    q.addBindValue(entry.atMs);
    q.addBindValue(text(entry.actor));
    q.addBindValue(text(entry.action));
    q.addBindValue(nullableId(entry.room));
    q.addBindValue(text(entry.target));
    q.addBindValue(text(entry.detail));
    if (!q.exec())
        return fail(QStringLiteral("append audit"), q.lastError().text());
    entry.id = q.lastInsertId().toLongLong();
    return true;
}

bool SqliteStore::saveSetting(const QString &key, const QString &value)
{
    if (m_transactionDepth == 0 && !stillThere())
        return false;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) "
                             "DO UPDATE SET value = excluded.value"));
    q.addBindValue(text(key));
    q.addBindValue(text(value));
    if (!q.exec())
        return fail(QStringLiteral("save setting"), q.lastError().text());
    return true;
}

} // namespace roomkeeper

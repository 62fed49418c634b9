// SqliteStore (DESIGN.md "State that lasts"): the file it makes, round trips of every kind
// of row, transactions, and how it refuses damaged, newer or misplaced databases without
// touching them.

#include "store/sqlitestore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace roomkeeper;

namespace {

QUuid newId()
{
    return QUuid::createUuid();
}

QByteArray digest(const char *token)
{
    return QCryptographicHash::hash(QByteArray(token), QCryptographicHash::Sha256);
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    return file.readAll();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(bytes) == bytes.size();
}

QString dbPath(const QTemporaryDir &dir)
{
    return dir.filePath(QString::fromLatin1(SqliteStore::FileName));
}

// A plain Qt Sql connection of the test's own, to look at the file behind the store's back.
class RawDb
{
public:
    explicit RawDb(const QString &path)
        : m_name(QStringLiteral("tst-raw-%1").arg(QUuid::createUuid().toString()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        m_ok = db.open();
    }
    ~RawDb()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    Q_DISABLE_COPY_MOVE(RawDb)

    bool isOpen() const { return m_ok; }
    // The first column of the first row of 'sql', or an invalid QVariant.
    QVariant value(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql) || !q.next())
            return QVariant();
        return q.value(0);
    }
    bool exec(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        return q.exec(sql);
    }

private:
    QString m_name;
    bool m_ok = false;
};

StoredRoom sampleRoom(const QString &name, const QList<QUuid> &admins)
{
    StoredRoom room;
    room.id = newId();
    room.settings.name = name;
    room.settings.closed = true;
    room.settings.chatLocked = true;
    room.settings.maxParticipants = 12;
    room.settings.webhook = QStringLiteral("http://127.0.0.1:9/hook");
    room.creator = admins.isEmpty() ? QUuid() : admins.first();
    room.pinned = true;
    room.messageIdCeiling = 2000;
    room.createdAtMs = 1700000000000;
    room.emptySinceMs = 1700000005000;
    room.admins = admins;
    return room;
}

Ban userBan(const QUuid &room, const QUuid &user)
{
    Ban ban;
    ban.room = room;
    ban.user = user;
    ban.reason = QStringLiteral("spam");
    ban.bannedBy = QStringLiteral("console");
    ban.sinceMs = 1700000000000;
    ban.untilMs = 1700000600000;
    ban.hits = 3;
    return ban;
}

Ban addressBan(const char *address, int prefix)
{
    Ban ban;
    ban.address = QHostAddress(QString::fromLatin1(address));
    ban.prefixLength = prefix;
    ban.reason = QStringLiteral("flood");
    ban.bannedBy = newId().toString(QUuid::WithoutBraces);
    ban.sinceMs = 1700000001000;
    return ban;
}

QSet<QUuid> asSet(const QList<QUuid> &list)
{
    return QSet<QUuid>(list.cbegin(), list.cend());
}

// The result points into 'rooms': a temporary list would leave it dangling.
const StoredRoom *findRoom(QList<StoredRoom> &&rooms, const QUuid &id) = delete;
const StoredRoom *findRoom(const QList<StoredRoom> &rooms, const QUuid &id)
{
    for (const StoredRoom &room : rooms) {
        if (room.id == id)
            return &room;
    }
    return nullptr;
}

void compareRooms(const StoredRoom &actual, const StoredRoom &expected)
{
    QCOMPARE(actual.id, expected.id);
    QCOMPARE(actual.settings.name, expected.settings.name);
    QCOMPARE(actual.settings.closed, expected.settings.closed);
    QCOMPARE(actual.settings.chatLocked, expected.settings.chatLocked);
    QCOMPARE(actual.settings.maxParticipants, expected.settings.maxParticipants);
    QCOMPARE(actual.settings.webhook, expected.settings.webhook);
    QCOMPARE(actual.creator, expected.creator);
    QCOMPARE(actual.pinned, expected.pinned);
    QCOMPARE(actual.messageIdCeiling, expected.messageIdCeiling);
    QCOMPARE(actual.createdAtMs, expected.createdAtMs);
    QCOMPARE(actual.emptySinceMs, expected.emptySinceMs);
    QCOMPARE(asSet(actual.admins), asSet(expected.admins));
    QCOMPARE(actual.admins.size(), expected.admins.size());
}

void compareBans(const Ban &actual, const Ban &expected)
{
    QCOMPARE(actual.id, expected.id);
    QCOMPARE(actual.room, expected.room);
    QCOMPARE(actual.user, expected.user);
    QCOMPARE(actual.address, expected.address);
    QCOMPARE(actual.prefixLength, expected.prefixLength);
    QCOMPARE(actual.reason, expected.reason);
    QCOMPARE(actual.bannedBy, expected.bannedBy);
    QCOMPARE(actual.sinceMs, expected.sinceMs);
    QCOMPARE(actual.untilMs, expected.untilMs);
    QCOMPARE(actual.hits, expected.hits);
}

} // namespace

class SqliteStoreTest : public QObject
{
    Q_OBJECT

private slots:
    void openCreatesWalDatabaseAtSchemaOne();
    void identitiesRoundTripAndUpsert();
    void roomsRoundTripAndUpsertReplacesAdmins();
    void bansRoundTripUpdateAndDelete();
    void auditReturnsNewestInOrder();
    void settingsRoundTrip();
    void deleteRoomRemovesItsAdminsAndBans();
    void transactionRollsBackWhenWritesFail();
    void transactionCommitsAllWrites();
    void secondStoreSeesEverything();
    void damagedFileIsReportedAndLeftAlone_data();
    void damagedFileIsReportedAndLeftAlone();
    void newerSchemaIsReportedAndLeftAlone();
    void dataDirThatIsAFileFailsClearly();
    void databaseThatIsADirectoryFailsClearly();
    void emptyDataDirKeepsStateInMemory();
};

void SqliteStoreTest::openCreatesWalDatabaseAtSchemaOne()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SqliteStore store(dir.path());
    QCOMPARE(store.location(), dbPath(dir));
    QVERIFY(!QFile::exists(dbPath(dir)));
    const QString problem = store.open();
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(store.lastError().isEmpty());
    QVERIFY(QFileInfo(dbPath(dir)).isFile());

    RawDb raw(dbPath(dir));
    QVERIFY(raw.isOpen());
    QCOMPARE(raw.value(QStringLiteral("PRAGMA user_version")).toInt(), SqliteStore::SchemaVersion);
    QCOMPARE(SqliteStore::SchemaVersion, 1);
    QCOMPARE(raw.value(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
    for (const char *table : {"identities", "rooms", "room_admins", "bans", "audit", "settings"}) {
        QVERIFY2(raw.value(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = "
                                          "'table' AND name = '%1'")
                               .arg(QLatin1StringView(table)))
                         .toInt() == 1,
                 table);
    }
    // A new database holds nothing.
    QVERIFY(store.loadIdentities().isEmpty());
    QVERIFY(store.loadRooms().isEmpty());
    QVERIFY(store.loadBans().isEmpty());
    QVERIFY(store.loadSettings().isEmpty());
    QVERIFY(store.loadAudit(10).isEmpty());
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::identitiesRoundTripAndUpsert()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());

    const StoredIdentity alice{newId(), digest("alice-token"), QStringLiteral("alice"),
                               QStringLiteral("#aa0000")};
    const StoredIdentity bob{newId(), digest("bob-token"), QStringLiteral("bøb ✓"),
                             QStringLiteral("#00bb00")};
    QVERIFY(store.saveIdentities({alice, bob}));
    QVERIFY(store.saveIdentities({})); // nothing to do is fine

    QList<StoredIdentity> loaded = store.loadIdentities();
    QCOMPARE(loaded.size(), 2);
    for (const StoredIdentity &expected : {alice, bob}) {
        const auto it = std::find_if(loaded.cbegin(), loaded.cend(),
                                     [&](const StoredIdentity &i) { return i.id == expected.id; });
        QVERIFY(it != loaded.cend());
        QCOMPARE(it->tokenDigest, expected.tokenDigest);
        QCOMPARE(it->name, expected.name);
        QCOMPARE(it->color, expected.color);
    }

    // Saving the same user again changes its name and colour; the token stays.
    StoredIdentity renamed = alice;
    renamed.name = QStringLiteral("alicia");
    renamed.color = QStringLiteral("#0000cc");
    QVERIFY(store.saveIdentities({renamed}));
    loaded = store.loadIdentities();
    QCOMPARE(loaded.size(), 2);
    const auto it = std::find_if(loaded.cbegin(), loaded.cend(),
                                 [&](const StoredIdentity &i) { return i.id == alice.id; });
    QVERIFY(it != loaded.cend());
    QCOMPARE(it->name, QStringLiteral("alicia"));
    QCOMPARE(it->color, QStringLiteral("#0000cc"));
    QCOMPARE(it->tokenDigest, alice.tokenDigest);
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::roomsRoundTripAndUpsertReplacesAdmins()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());

    const QUuid creator = newId();
    const QUuid second = newId();
    StoredRoom hall = sampleRoom(QStringLiteral("hall"), {creator, second});
    StoredRoom open;
    open.id = newId();
    open.settings.name = QStringLiteral("open room");
    open.createdAtMs = 1700000009000; // no creator, no admins, defaults elsewhere
    QVERIFY(store.saveRoom(hall));
    QVERIFY(store.saveRoom(open));

    QList<StoredRoom> loaded = store.loadRooms();
    QCOMPARE(loaded.size(), 2);
    QCOMPARE(loaded.at(0).id, hall.id); // in order of creation
    compareRooms(loaded.at(0), hall);
    compareRooms(loaded.at(1), open);
    QVERIFY(loaded.at(1).creator.isNull());

    // Saving again replaces the settings and the whole admin list.
    const QUuid third = newId();
    hall.settings.name = QStringLiteral("hall 2");
    hall.settings.closed = false;
    hall.settings.chatLocked = false;
    hall.settings.maxParticipants = 0;
    hall.settings.webhook.clear();
    hall.pinned = false;
    hall.messageIdCeiling = 3000;
    hall.emptySinceMs = 0;
    hall.admins = {creator, third};
    QVERIFY(store.saveRoom(hall));
    loaded = store.loadRooms();
    QCOMPARE(loaded.size(), 2);
    const StoredRoom *again = findRoom(loaded, hall.id);
    QVERIFY(again);
    compareRooms(*again, hall);
    QVERIFY(!again->admins.contains(second));

    hall.admins.clear();
    QVERIFY(store.saveRoom(hall));
    const QList<StoredRoom> reloaded = store.loadRooms(); // findRoom points into it
    again = findRoom(reloaded, hall.id);
    QVERIFY(again);
    QVERIFY(again->admins.isEmpty());
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::bansRoundTripUpdateAndDelete()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());

    const StoredRoom room = sampleRoom(QStringLiteral("hall"), {newId()});
    const StoredRoom other = sampleRoom(QStringLiteral("other"), {newId()});
    QVERIFY(store.saveRoom(room));
    QVERIFY(store.saveRoom(other));
    const QUuid mallory = newId();

    Ban byUser = userBan(room.id, mallory);
    Ban sameUserElsewhere = userBan(other.id, mallory);
    Ban byAddress = addressBan("192.168.7.0", 24);
    Ban byAddress6 = addressBan("fd00::1", -1);
    for (Ban *ban : {&byUser, &sameUserElsewhere, &byAddress, &byAddress6}) {
        QCOMPARE(ban->id, 0);
        QVERIFY(store.saveBan(*ban));
        QVERIFY(ban->id > 0);
    }
    const QSet<qint64> ids{byUser.id, sameUserElsewhere.id, byAddress.id, byAddress6.id};
    QCOMPARE(ids.size(), 4);

    QList<Ban> loaded = store.loadBans();
    QCOMPARE(loaded.size(), 4);
    compareBans(loaded.at(0), byUser);
    compareBans(loaded.at(1), sameUserElsewhere);
    compareBans(loaded.at(2), byAddress);
    compareBans(loaded.at(3), byAddress6);
    QVERIFY(!loaded.at(0).isAddressBan());
    QVERIFY(loaded.at(0).address.isNull());
    QVERIFY(loaded.at(2).isAddressBan());
    QVERIFY(loaded.at(2).room.isNull());
    QVERIFY(loaded.at(2).matchesAddress(QHostAddress(QStringLiteral("192.168.7.200"))));
    QVERIFY(!loaded.at(2).matchesAddress(QHostAddress(QStringLiteral("192.168.8.1"))));

    // Saving a stored ban updates it in place.
    const qint64 id = byUser.id;
    byUser.reason = QStringLiteral("still spamming");
    byUser.untilMs = 0;
    byUser.hits = 42;
    QVERIFY(store.saveBan(byUser));
    QCOMPARE(byUser.id, id);
    loaded = store.loadBans();
    QCOMPARE(loaded.size(), 4);
    compareBans(loaded.at(0), byUser);

    QVERIFY(store.deleteBan(byAddress.id));
    loaded = store.loadBans();
    QCOMPARE(loaded.size(), 3);
    for (const Ban &ban : loaded)
        QVERIFY(ban.id != byAddress.id);

    // A user's ban goes for that room only.
    QVERIFY(store.deleteUserBan(room.id, mallory));
    loaded = store.loadBans();
    QCOMPARE(loaded.size(), 2);
    compareBans(loaded.at(0), sameUserElsewhere);
    compareBans(loaded.at(1), byAddress6);

    // Deleting what is not there is no error.
    QVERIFY(store.deleteUserBan(room.id, mallory));
    QVERIFY(store.deleteBan(987654));
    QCOMPARE(store.loadBans().size(), 2);

    // A new ban never gets the id of a deleted one.
    Ban again = userBan(room.id, mallory);
    QVERIFY(store.saveBan(again));
    QVERIFY(!ids.contains(again.id));
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::auditReturnsNewestInOrder()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());

    const QUuid room = newId();
    QList<AuditEntry> written;
    for (int i = 0; i < 5; ++i) {
        AuditEntry entry;
        entry.atMs = 1700000000000 + i;
        entry.actor = i % 2 ? QStringLiteral("console") : newId().toString(QUuid::WithoutBraces);
        entry.action = QStringLiteral("kick");
        entry.room = i == 4 ? QUuid() : room;
        entry.target = QStringLiteral("target-%1").arg(i);
        entry.detail = QStringLiteral("reason %1").arg(i);
        QVERIFY(store.appendAudit(entry));
        QVERIFY(entry.id > 0);
        if (!written.isEmpty())
            QVERIFY(entry.id > written.last().id);
        written.append(entry);
    }

    const QList<AuditEntry> newest = store.loadAudit(3);
    QCOMPARE(newest.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const AuditEntry &got = newest.at(i);
        const AuditEntry &want = written.at(2 + i); // the last three, oldest first
        QCOMPARE(got.id, want.id);
        QCOMPARE(got.atMs, want.atMs);
        QCOMPARE(got.actor, want.actor);
        QCOMPARE(got.action, want.action);
        QCOMPARE(got.room, want.room);
        QCOMPARE(got.target, want.target);
        QCOMPARE(got.detail, want.detail);
    }
    const QList<AuditEntry> all = store.loadAudit(100);
    QCOMPARE(all.size(), 5);
    QCOMPARE(all.first().id, written.first().id);
    QCOMPARE(all.last().id, written.last().id);
    QVERIFY(store.loadAudit(0).isEmpty());
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::settingsRoundTrip()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());

    QVERIFY(store.saveSetting(QStringLiteral("motd"), QStringLiteral("hello")));
    QVERIFY(store.saveSetting(QStringLiteral("limit"), QStringLiteral("7")));
    QVERIFY(store.saveSetting(QStringLiteral("motd"), QStringLiteral("hello again")));
    QVERIFY(store.saveSetting(QStringLiteral("empty"), QString()));
    const QHash<QString, QString> settings = store.loadSettings();
    QCOMPARE(settings.size(), 3);
    QCOMPARE(settings.value(QStringLiteral("motd")), QStringLiteral("hello again"));
    QCOMPARE(settings.value(QStringLiteral("limit")), QStringLiteral("7"));
    QVERIFY(settings.contains(QStringLiteral("empty")));
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::deleteRoomRemovesItsAdminsAndBans()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());

    const StoredRoom doomed = sampleRoom(QStringLiteral("doomed"), {newId(), newId()});
    const StoredRoom kept = sampleRoom(QStringLiteral("kept"), {newId()});
    QVERIFY(store.saveRoom(doomed));
    QVERIFY(store.saveRoom(kept));
    Ban inDoomed = userBan(doomed.id, newId());
    Ban inKept = userBan(kept.id, newId());
    Ban server = addressBan("10.0.0.9", -1);
    QVERIFY(store.saveBan(inDoomed));
    QVERIFY(store.saveBan(inKept));
    QVERIFY(store.saveBan(server));

    QVERIFY(store.deleteRoom(doomed.id));
    const QList<StoredRoom> rooms = store.loadRooms();
    QCOMPARE(rooms.size(), 1);
    compareRooms(rooms.first(), kept);
    const QList<Ban> bans = store.loadBans();
    QCOMPARE(bans.size(), 2);
    compareBans(bans.at(0), inKept);
    compareBans(bans.at(1), server);

    // The rows are really gone, not just hidden behind the missing room.
    RawDb raw(dbPath(dir));
    QVERIFY(raw.isOpen());
    const QString doomedId = doomed.id.toString(QUuid::WithoutBraces);
    QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM room_admins WHERE room_id = '%1'")
                           .arg(doomedId))
                 .toInt(),
             0);
    QCOMPARE(
        raw.value(QStringLiteral("SELECT count(*) FROM bans WHERE room_id = '%1'").arg(doomedId))
            .toInt(),
        0);
    QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM room_admins")).toInt(), 1);

    // A room of the same id saved later starts without the old admins.
    StoredRoom reborn = doomed;
    reborn.admins.clear();
    QVERIFY(store.saveRoom(reborn));
    const QList<StoredRoom> reloaded = store.loadRooms(); // findRoom points into it
    const StoredRoom *loaded = findRoom(reloaded, doomed.id);
    QVERIFY(loaded);
    QVERIFY(loaded->admins.isEmpty());
    QVERIFY(store.lastError().isEmpty());
}

void SqliteStoreTest::transactionRollsBackWhenWritesFail()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());
    const StoredRoom before = sampleRoom(QStringLiteral("before"), {newId()});
    QVERIFY(store.saveRoom(before));

    bool ran = false;
    const bool committed = store.transaction([&] {
        ran = true;
        StoredRoom changed = before;
        changed.settings.name = QStringLiteral("changed");
        changed.admins = {newId(), newId()};
        Ban ban = userBan(before.id, newId());
        AuditEntry entry{
            0,         1,        QStringLiteral("console"), QStringLiteral("ban"), before.id,
            QString(), QString()};
        return store.saveRoom(changed) && store.saveRoom(sampleRoom(QStringLiteral("new"), {})) &&
               store.saveBan(ban) && store.appendAudit(entry) &&
               store.saveIdentities(
                   {{newId(), digest("t"), QStringLiteral("n"), QStringLiteral("#000000")}}) &&
               store.saveSetting(QStringLiteral("k"), QStringLiteral("v")) &&
               store.deleteRoom(before.id) && false;
    });
    QVERIFY(ran);
    QVERIFY(!committed);

    const QList<StoredRoom> rooms = store.loadRooms();
    QCOMPARE(rooms.size(), 1);
    compareRooms(rooms.first(), before);
    QVERIFY(store.loadBans().isEmpty());
    QVERIFY(store.loadAudit(10).isEmpty());
    QVERIFY(store.loadIdentities().isEmpty());
    QVERIFY(store.loadSettings().isEmpty());

    // Also as another connection sees the file.
    SqliteStore other(dir.path());
    QVERIFY(other.open().isEmpty());
    QCOMPARE(other.loadRooms().size(), 1);
    QVERIFY(other.loadBans().isEmpty());
    QVERIFY(other.loadSettings().isEmpty());

    // The store is usable after a rollback.
    QVERIFY(store.saveSetting(QStringLiteral("after"), QStringLiteral("rollback")));
    QCOMPARE(other.loadSettings().value(QStringLiteral("after")), QStringLiteral("rollback"));
}

void SqliteStoreTest::transactionCommitsAllWrites()
{
    QTemporaryDir dir;
    SqliteStore store(dir.path());
    QVERIFY(store.open().isEmpty());
    const StoredRoom room = sampleRoom(QStringLiteral("hall"), {newId()});
    Ban ban = userBan(room.id, newId());
    QVERIFY(store.transaction([&] {
        return store.saveRoom(room) && store.saveBan(ban) &&
               store.saveSetting(QStringLiteral("k"), QStringLiteral("v"));
    }));
    QVERIFY(ban.id > 0);
    QCOMPARE(store.loadRooms().size(), 1);
    QCOMPARE(store.loadBans().size(), 1);
    QCOMPARE(store.loadSettings().size(), 1);
}

void SqliteStoreTest::secondStoreSeesEverything()
{
    QTemporaryDir dir;
    const StoredIdentity alice{newId(), digest("alice"), QStringLiteral("alice"),
                               QStringLiteral("#123456")};
    const StoredRoom room = sampleRoom(QStringLiteral("hall"), {alice.id, newId()});
    Ban ban = userBan(room.id, newId());
    Ban address = addressBan("172.16.0.0", 12);
    AuditEntry entry{0,
                     1700000000000,
                     QStringLiteral("console"),
                     QStringLiteral("ban"),
                     room.id,
                     QStringLiteral("someone"),
                     QStringLiteral("because")};

    auto first = std::make_unique<SqliteStore>(dir.path());
    QVERIFY(first->open().isEmpty());
    QVERIFY(first->saveIdentities({alice}));
    QVERIFY(first->saveRoom(room));
    QVERIFY(first->saveBan(ban));
    QVERIFY(first->saveBan(address));
    QVERIFY(first->appendAudit(entry));
    QVERIFY(first->saveSetting(QStringLiteral("k"), QStringLiteral("v")));

    const auto checkAll = [&](SqliteStore &store) {
        const QList<StoredIdentity> identities = store.loadIdentities();
        QCOMPARE(identities.size(), 1);
        QCOMPARE(identities.first().id, alice.id);
        QCOMPARE(identities.first().tokenDigest, alice.tokenDigest);
        QCOMPARE(identities.first().name, alice.name);
        QCOMPARE(identities.first().color, alice.color);
        const QList<StoredRoom> rooms = store.loadRooms();
        QCOMPARE(rooms.size(), 1);
        compareRooms(rooms.first(), room);
        const QList<Ban> bans = store.loadBans();
        QCOMPARE(bans.size(), 2);
        compareBans(bans.at(0), ban);
        compareBans(bans.at(1), address);
        const QList<AuditEntry> audit = store.loadAudit(10);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().id, entry.id);
        QCOMPARE(audit.first().detail, entry.detail);
        QCOMPARE(store.loadSettings().value(QStringLiteral("k")), QStringLiteral("v"));
        QVERIFY(store.lastError().isEmpty());
    };

    // While the first is still open (WAL: readers see committed writes) ...
    {
        SqliteStore second(dir.path());
        const QString problem = second.open();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        checkAll(second);
        if (QTest::currentTestFailed())
            return;
    }
    // ... and after it is gone.
    first.reset();
    SqliteStore third(dir.path());
    QVERIFY(third.open().isEmpty());
    checkAll(third);
}

void SqliteStoreTest::damagedFileIsReportedAndLeftAlone_data()
{
    QTest::addColumn<QByteArray>("content");
    QByteArray text;
    for (int i = 0; i < 200; ++i)
        text += "this is not a database, just some text someone left here\n";
    QTest::newRow("text") << text;
    QByteArray header("SQLite format 3");
    header.append('\0');
    QByteArray junk(8192, '\0');
    for (int i = 0; i < junk.size(); ++i)
        junk[i] = char((i * 7919 + 13) % 251);
    QTest::newRow("sqlite header, garbage after") << QByteArray(header + junk);
}

void SqliteStoreTest::damagedFileIsReportedAndLeftAlone()
{
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    const QString path = dbPath(dir);
    QVERIFY(writeFile(path, content));

    {
        SqliteStore store(dir.path());
        const QString problem = store.open();
        QVERIFY2(!problem.isEmpty(), "a damaged database was opened");
        QVERIFY2(problem.contains(path), qPrintable(problem));
        QVERIFY2(problem.contains(QStringLiteral("damaged")), qPrintable(problem));
    }
    QCOMPARE(readAll(path), content);
    QVERIFY(!QFile::exists(path + QStringLiteral("-wal")) ||
            QFileInfo(path + QStringLiteral("-wal")).size() == 0);
    // Asking again says the same: nothing was repaired or replaced in between.
    SqliteStore again(dir.path());
    QVERIFY(again.open().contains(QStringLiteral("damaged")));
    QCOMPARE(readAll(path), content);
}

void SqliteStoreTest::newerSchemaIsReportedAndLeftAlone()
{
    QTemporaryDir dir;
    const QString path = dbPath(dir);
    {
        RawDb raw(path);
        QVERIFY(raw.isOpen());
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE future (x TEXT)")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO future VALUES ('from the future')")));
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version=99")));
    }
    const QByteArray bytes = readAll(path);
    QVERIFY(!bytes.isEmpty());

    {
        SqliteStore store(dir.path());
        const QString problem = store.open();
        QVERIFY2(!problem.isEmpty(), "a newer database was opened");
        QVERIFY2(problem.contains(path), qPrintable(problem));
        QVERIFY2(problem.contains(QStringLiteral("newer Roomkeeper")), qPrintable(problem));
    }
    QCOMPARE(readAll(path), bytes);
    RawDb raw(path);
    QCOMPARE(raw.value(QStringLiteral("PRAGMA user_version")).toInt(), 99);
    QCOMPARE(raw.value(QStringLiteral("PRAGMA journal_mode")).toString(),
             QStringLiteral("delete")); // not switched to WAL either
}

void SqliteStoreTest::dataDirThatIsAFileFailsClearly()
{
    QTemporaryDir dir;
    const QString notADir = dir.filePath(QStringLiteral("plain-file"));
    QVERIFY(writeFile(notADir, "not a directory\n"));
    SqliteStore store(notADir);
    const QString problem = store.open();
    QVERIFY2(!problem.isEmpty(), "opened a database inside a file");
    QVERIFY2(problem.contains(notADir), qPrintable(problem));
    QVERIFY2(problem.contains(QStringLiteral("directory")), qPrintable(problem));
    QCOMPARE(readAll(notADir), QByteArray("not a directory\n"));
}

void SqliteStoreTest::databaseThatIsADirectoryFailsClearly()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir(QString::fromLatin1(SqliteStore::FileName)));
    SqliteStore store(dir.path());
    const QString problem = store.open();
    QVERIFY2(!problem.isEmpty(), "opened a directory as a database");
    QVERIFY2(problem.contains(dbPath(dir)), qPrintable(problem));
    QVERIFY(QFileInfo(dbPath(dir)).isDir());
}

void SqliteStoreTest::emptyDataDirKeepsStateInMemory()
{
    const bool hadMemoryFile = QFile::exists(QStringLiteral(":memory:"));
    const bool hadDbFile = QFile::exists(QString::fromLatin1(SqliteStore::FileName));
    SqliteStore store{QString()};
    QCOMPARE(store.location(), QStringLiteral(":memory:"));
    const QString problem = store.open();
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    const StoredRoom room = sampleRoom(QStringLiteral("hall"), {newId()});
    Ban ban = userBan(room.id, newId());
    QVERIFY(store.saveRoom(room));
    QVERIFY(store.saveBan(ban));
    QVERIFY(store.saveSetting(QStringLiteral("k"), QStringLiteral("v")));
    QVERIFY(store.saveIdentities(
        {{newId(), digest("x"), QStringLiteral("x"), QStringLiteral("#000000")}}));
    QCOMPARE(store.loadRooms().size(), 1);
    compareRooms(store.loadRooms().first(), room);
    QCOMPARE(store.loadBans().size(), 1);
    QCOMPARE(store.loadIdentities().size(), 1);
    QCOMPARE(store.loadSettings().value(QStringLiteral("k")), QStringLiteral("v"));

    // Two in-memory stores do not share anything.
    SqliteStore other{QString()};
    QVERIFY(other.open().isEmpty());
    QVERIFY(other.loadRooms().isEmpty());
    // And no file was made in the working directory.
    QCOMPARE(QFile::exists(QStringLiteral(":memory:")), hadMemoryFile);
    QCOMPARE(QFile::exists(QString::fromLatin1(SqliteStore::FileName)), hadDbFile);
}

QTEST_GUILESS_MAIN(SqliteStoreTest)
#include "tst_sqlitestore.moc"

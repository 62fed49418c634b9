// The store failing under the real binary, one fault at a time: a data directory on a
// small tmpfs that fills up, the file system turning read-only, another process holding
// SQLite's write lock, and the database file removed. Pass, for each: while the fault
// lasts, a moderation action from the console is refused with "error: unavailable: ..."
// and /healthz answers 503 naming the store; once the fault is gone, the same action works
// without a restart and /healthz answers 200; after a restart, exactly what was answered
// "ok" is there. The cases that mount need root; without it they are skipped with the
// reason.

#include "servertestmain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

#include <memory>

namespace {

// One running server with its stdin console.
class Server
{
public:
    explicit Server(const QString &dataDir) : m_dataDir(dataDir) {}
    ~Server() { stop(); }

    bool start()
    {
        m_process = std::make_unique<QProcess>();
        m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                         {QStringLiteral("--no-gui"), QStringLiteral("--port"), QStringLiteral("0"),
                          QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                          QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--log-level"),
                          QStringLiteral("error")});
        if (!m_process->waitForStarted() ||
            !QTest::qWaitFor([this] { return m_process->canReadLine(); }, 10000))
            return false;
        const QString line = QString::fromUtf8(m_process->readLine());
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("ws://[0-9.]+:([0-9]+) ")).match(line);
        m_port = m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
        return m_port != 0;
    }

    void stop()
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return;
        m_process->terminate();
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished();
        }
    }

    // One console command; its answer line and data lines.
    QStringList command(const QString &line)
    {
        m_process->write(line.toUtf8() + '\n');
        QStringList answer;
        if (!QTest::qWaitFor([this] { return m_process->canReadLine(); }, 5000))
            return answer;
        QTest::qWait(50);
        while (m_process->canReadLine())
            answer.append(QString::fromUtf8(m_process->readLine()).trimmed());
        return answer;
    }

    // The status line of GET /healthz and its body.
    QByteArray health()
    {
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (!socket.waitForConnected(3000))
            return {};
        socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray all;
        while (socket.waitForReadyRead(3000))
            all += socket.readAll();
        all += socket.readAll();
        const qsizetype body = all.indexOf("\r\n\r\n");
        return all.left(all.indexOf("\r\n")) + " | " +
               (body < 0 ? QByteArray() : all.mid(body + 4));
    }

    // The flags column of room 'name' in "rooms", or a null string if it is not listed.
    QString flagsOf(const QString &name)
    {
        for (const QString &row : command(QStringLiteral("rooms"))) {
            const QStringList fields = row.split(QLatin1Char('\t'));
            if (fields.size() == 4 && fields.at(1) == name)
                return fields.at(3);
        }
        return QString();
    }

    QString limitOf(const QString &name)
    {
        for (const QString &row : command(QStringLiteral("rooms"))) {
            const QStringList fields = row.split(QLatin1Char('\t'));
            if (fields.size() == 4 && fields.at(1) == name)
                return fields.at(2).section(QLatin1Char('/'), 1);
        }
        return QString();
    }

    QStringList addressBans()
    {
        QStringList addresses;
        for (const QString &row : command(QStringLiteral("bans"))) {
            const QStringList fields = row.split(QLatin1Char('\t'));
            if (fields.size() == 8 && fields.at(1) == QLatin1StringView("*"))
                addresses.append(fields.at(2));
        }
        return addresses;
    }

private:
    QString m_dataDir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

bool isRoot()
{
    return ::geteuid() == 0;
}

int run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(10000))
        return -1;
    return p.exitCode();
}

// The loop device mounted at 'dir' (from /proc/mounts), e.g. "/dev/loop3".
QString loopOf(const QString &dir)
{
    QFile mounts(QStringLiteral("/proc/mounts"));
    if (!mounts.open(QIODevice::ReadOnly))
        return QString();
    QString device;
    for (const QByteArray &line : mounts.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() > 1 && QString::fromUtf8(fields.at(1)) == dir)
            device = QString::fromUtf8(fields.at(0));
    }
    return device;
}

// Writes into 'path' until the file system is full.
void fill(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return;
    const QByteArray block(64 * 1024, 'x');
    while (file.write(block) == block.size()) {
    }
    file.flush();
}

} // namespace

class StoreFaultsTest : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void fullDisk();
    void readOnlyFileSystem();
    void writeLockHeldByAnotherProcess();
    void databaseFileRemoved();

private:
    // A small tmpfs at a fresh directory; false (and the test skipped) without root.
    bool mountTmpfs();
    // Refused while the fault lasts: the answer, the store's state in /healthz.
    void checkRefused(Server &server, const QString &action);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_dataDir;
    bool m_mounted = false;
};

void StoreFaultsTest::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_dataDir = m_dir->filePath(QStringLiteral("data"));
    QDir().mkpath(m_dataDir);
}

void StoreFaultsTest::cleanup()
{
    while (m_mounted && run(QStringLiteral("umount"), {QStringLiteral("-l"), m_dataDir}) == 0) {
    }
    m_mounted = false;
    m_dir.reset();
}

bool StoreFaultsTest::mountTmpfs()
{
    if (!isRoot())
        return false;
    m_mounted = run(QStringLiteral("mount"),
                    {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                     QStringLiteral("size=4m"), QStringLiteral("tmpfs"), m_dataDir}) == 0;
    return m_mounted;
}

void StoreFaultsTest::checkRefused(Server &server, const QString &action)
{
    const QStringList answer = server.command(action);
    QVERIFY2(answer.value(0).startsWith(QLatin1StringView("error: unavailable: ")),
             qPrintable(action + QStringLiteral(" -> ") + answer.join(QLatin1Char('|'))));
    const QByteArray health = server.health();
    QVERIFY2(health.startsWith("HTTP/1.1 503 ") && health.contains("store cannot write"),
             health.constData());
}

// Pass: on a full disk a lock and an address ban are refused with "unavailable" and leave
// nothing behind; once space is freed the same lock works at once; after a restart the
// room is locked and the refused ban is not there.
void StoreFaultsTest::fullDisk()
{
    if (!mountTmpfs())
        QSKIP("needs root to mount a small tmpfs");
    Server server(m_dataDir);
    QVERIFY(server.start());
    QCOMPARE(server.command(QStringLiteral("create lobby")).value(0).left(2), QStringLiteral("ok"));
    fill(m_dataDir + QStringLiteral("/filler"));
    checkRefused(server, QStringLiteral("lock lobby"));
    QCOMPARE(server.flagsOf(QStringLiteral("lobby")), QStringLiteral("-"));
    checkRefused(server, QStringLiteral("ban-address 10.9.8.7 nuisance"));
    QVERIFY(server.addressBans().isEmpty());
    // Chat goes on meanwhile: creating nothing lasting still works (the listing above).

    QVERIFY(QFile::remove(m_dataDir + QStringLiteral("/filler")));
    QCOMPARE(server.command(QStringLiteral("lock lobby")).value(0).left(2), QStringLiteral("ok"));
    QVERIFY2(server.health().startsWith("HTTP/1.1 200 "), server.health().constData());
    server.stop();

    Server again(m_dataDir);
    QVERIFY(again.start());
    QCOMPARE(again.flagsOf(QStringLiteral("lobby")), QStringLiteral("locked"));
    QVERIFY(again.addressBans().isEmpty());
}

// Pass: when the file system under the data directory turns read-only (ext4 with
// errors=remount-ro after an error, as a failing disk does; a remount of a busy file
// system is refused by the kernel, and chmod does not touch files already open), a limit
// is refused. The operator then mounts a repaired copy of the disk in its place: the
// server notices the new file, reopens it and writes its state into it, and the same
// limit works without a restart; after a restart the limit is there.
void StoreFaultsTest::readOnlyFileSystem()
{
    if (!isRoot())
        QSKIP("needs root to mount a disk image");
    const QString image = m_dir->filePath(QStringLiteral("disk.img"));
    const QString repaired = m_dir->filePath(QStringLiteral("repaired.img"));
    QCOMPARE(run(QStringLiteral("truncate"), {QStringLiteral("-s"), QStringLiteral("16M"), image}),
             0);
    QCOMPARE(run(QStringLiteral("mkfs.ext4"), {QStringLiteral("-q"), QStringLiteral("-F"), image}),
             0);
    QCOMPARE(
        run(QStringLiteral("mount"),
            {QStringLiteral("-o"), QStringLiteral("loop,errors=remount-ro"), image, m_dataDir}),
        0);
    m_mounted = true;
    Server server(m_dataDir);
    QVERIFY(server.start());
    QCOMPARE(server.command(QStringLiteral("create hall")).value(0).left(2), QStringLiteral("ok"));
    // The kernel's own error path: the file system goes read-only under the open files.
    QFile trigger(QStringLiteral("/sys/fs/ext4/%1/trigger_fs_error")
                      .arg(QFileInfo(loopOf(m_dataDir)).fileName()));
    if (!trigger.open(QIODevice::WriteOnly))
        QSKIP("this kernel has no ext4 trigger_fs_error");
    trigger.write("roomkeeper test\n");
    trigger.close();
    checkRefused(server, QStringLiteral("limit hall 5"));
    QCOMPARE(server.limitOf(QStringLiteral("hall")), QStringLiteral("-"));

    QCOMPARE(run(QStringLiteral("umount"), {QStringLiteral("-l"), m_dataDir}), 0);
    QCOMPARE(run(QStringLiteral("cp"), {image, repaired}), 0);
    run(QStringLiteral("e2fsck"), {QStringLiteral("-fy"), repaired}); // 1: errors corrected
    QCOMPARE(run(QStringLiteral("mount"),
                 {QStringLiteral("-o"), QStringLiteral("loop"), repaired, m_dataDir}),
             0);
    QVERIFY(QTest::qWaitFor(
        [&] { return server.command(QStringLiteral("limit hall 5")).value(0).startsWith(u"ok"); },
        5000));
    server.stop();

    Server again(m_dataDir);
    QVERIFY(again.start());
    QCOMPARE(again.limitOf(QStringLiteral("hall")), QStringLiteral("5"));
}

// Pass: while another process holds SQLite's write lock an address ban is refused (after
// the short busy wait); when it lets go, the ban works; after a restart it is there.
void StoreFaultsTest::writeLockHeldByAnotherProcess()
{
    Server server(m_dataDir);
    QVERIFY(server.start());
    QCOMPARE(server.command(QStringLiteral("create yard")).value(0).left(2), QStringLiteral("ok"));
    // Debian's sqlite3 shell, holding a write transaction open until it is killed.
    QProcess holder;
    holder.start(QStringLiteral("sqlite3"), {m_dataDir + QStringLiteral("/roomkeeper.db")});
    QVERIFY2(holder.waitForStarted(), "sqlite3 is missing (packaging/install-deps.sh --test)");
    holder.write("BEGIN IMMEDIATE;\n.print locked\n");
    QVERIFY(QTest::qWaitFor([&] { return holder.canReadLine(); }, 10000));
    QCOMPARE(holder.readLine().trimmed(), QByteArray("locked"));
    checkRefused(server, QStringLiteral("ban-address 10.1.2.3 held"));
    QVERIFY(server.addressBans().isEmpty());
    holder.kill();
    holder.waitForFinished();
    QCOMPARE(server.command(QStringLiteral("ban-address 10.1.2.3 held")).value(0).left(2),
             QStringLiteral("ok"));
    server.stop();

    Server again(m_dataDir);
    QVERIFY(again.start());
    QCOMPARE(again.addressBans(), QStringList{QStringLiteral("10.1.2.3")});
}

// Pass: with the database file removed under the running server, the next action is
// written to a new database holding the whole state again, so after a restart both what
// was done before the removal and the action after it are there.
void StoreFaultsTest::databaseFileRemoved()
{
    Server server(m_dataDir);
    QVERIFY(server.start());
    QCOMPARE(server.command(QStringLiteral("create kitchen")).value(0).left(2),
             QStringLiteral("ok"));
    QCOMPARE(server.command(QStringLiteral("ban-address 10.5.5.5 before")).value(0).left(2),
             QStringLiteral("ok"));
    for (const QString &name : QDir(m_dataDir).entryList(QDir::Files))
        QVERIFY(QFile::remove(m_dataDir + QLatin1Char('/') + name));
    QCOMPARE(server.command(QStringLiteral("mute kitchen")).value(0).left(2), QStringLiteral("ok"));
    QVERIFY(QFile::exists(m_dataDir + QStringLiteral("/roomkeeper.db")));
    QVERIFY2(server.health().startsWith("HTTP/1.1 200 "), server.health().constData());
    server.stop();

    Server again(m_dataDir);
    QVERIFY(again.start());
    QCOMPARE(again.flagsOf(QStringLiteral("kitchen")), QStringLiteral("muted"));
    QCOMPARE(again.addressBans(), QStringList{QStringLiteral("10.5.5.5")});
}

ROOMKEEPER_SERVER_TEST_MAIN(StoreFaultsTest)
#include "tst_storefaults.moc"

// Lasting state with the real binary (PROTOCOL.md §2.4, DESIGN.md "State that lasts"):
// what the server said it did survives SIGKILL right after it said so; a damaged database
// stops the start and is left alone; no message content ever reaches the data dir.

#include "jsonfields.h"
#include "servertestmain.h"
#include "testclient.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <initializer_list>
#include <memory>

using namespace roomkeeper::test;

namespace {

const QRegularExpression listeningLine(QStringLiteral(
    "^roomkeeper: listening on ws://([0-9.]+):([0-9]+) \\(room protocol /ws, gateway /gateway, "
    "web client /\\)$"));

QProcessEnvironment headlessEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    return env;
}

qint64 num(const QJsonObject &object, const char *key)
{
    return qint64(object.value(QLatin1StringView(key)).toDouble(-1));
}

struct Field
{
    const char *key;
    QJsonValue value;
};

QJsonObject request(const char *type, std::initializer_list<Field> fields = {})
{
    QJsonObject object{{QStringLiteral("type"), QString::fromLatin1(type)}};
    for (const Field &f : fields)
        object.insert(QString::fromLatin1(f.key), f.value);
    return object;
}

QJsonObject roomList(TestClient &client)
{
    client.send(request("rooms"));
    return client.waitFor(QStringLiteral("rooms"));
}

// Waits for a frame of 'type' about 'roomId' that also satisfies 'match'.
QJsonObject waitInRoom(TestClient &client, const char *type, const QString &roomId,
                       const std::function<bool(const QJsonObject &)> &match = {})
{
    return client.waitFor(QString::fromLatin1(type), [&](const QJsonObject &o) {
        return str(o, "room_id") == roomId && (!match || match(o));
    });
}

QString tokenQuery(const TestClient &client)
{
    return QStringLiteral("token=") + client.token();
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    return file.readAll();
}

} // namespace

class PersistenceTest : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void roomSettingsAdminsAndBansSurviveSigkill();
    void identitiesSurviveSigkill();
    void closedRoomStaysClosed();
    void unbanSurvivesSigkill();
    void corruptDatabaseStopsTheStart();
    void noMessageContentOnDisk();

private:
    // Starts the binary on 'dataDir' and waits for its listening line; returns the port
    // (0 on failure).
    quint16 startServer(const QString &dataDir);
    // SIGKILL: no shutdown code runs, only what was already committed lasts.
    void killServer();
    // SIGTERM: the graceful stop; returns whether it exited with 0.
    bool stopServer();

    std::unique_ptr<QProcess> m_process;
    QByteArray m_stderr;
};

void PersistenceTest::init()
{
    m_stderr.clear();
}

void PersistenceTest::cleanup()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished();
    }
    if (m_process)
        m_stderr += m_process->readAllStandardError();
    if (QTest::currentTestFailed() && !m_stderr.isEmpty())
        qWarning().noquote() << "server stderr:\n" << QString::fromUtf8(m_stderr);
    m_process.reset();
}

quint16 PersistenceTest::startServer(const QString &dataDir)
{
    if (m_process) {
        m_stderr += m_process->readAllStandardError();
        m_process.reset();
    }
    m_process = std::make_unique<QProcess>();
    m_process->setProcessEnvironment(headlessEnvironment());
    m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                     {QStringLiteral("--no-gui"), QStringLiteral("--port"), QStringLiteral("0"),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                      QStringLiteral("--data-dir"), dataDir});
    if (!m_process->waitForStarted())
        return 0;
    if (!QTest::qWaitFor(
            [this] {
                return m_process->canReadLine() || m_process->state() == QProcess::NotRunning;
            },
            10000) ||
        !m_process->canReadLine()) {
        qWarning() << "no listening line; stderr:" << m_process->readAllStandardError();
        return 0;
    }
    const QString line = QString::fromUtf8(m_process->readLine()).trimmed();
    const QRegularExpressionMatch match = listeningLine.match(line);
    if (!match.hasMatch()) {
        qWarning() << "unexpected first line:" << line;
        return 0;
    }
    return quint16(match.captured(2).toUInt());
}

void PersistenceTest::killServer()
{
    m_process->kill();
    m_process->waitForFinished(5000);
    QCOMPARE(m_process->state(), QProcess::NotRunning);
    QCOMPARE(m_process->exitStatus(), QProcess::CrashExit);
}

bool PersistenceTest::stopServer()
{
    m_process->terminate();
    if (!QTest::qWaitFor([this] { return m_process->state() == QProcess::NotRunning; }, 10000))
        return false;
    return m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
}

void PersistenceTest::roomSettingsAdminsAndBansSurviveSigkill()
{
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    quint16 port = startServer(dataDir.path());
    QVERIFY(port != 0);

    TestClient alice;
    TestClient bob;
    TestClient carol;
    QVERIFY(alice.open(port, QStringLiteral("name=alice")));
    QVERIFY(bob.open(port, QStringLiteral("name=bob")));
    QVERIFY(carol.open(port, QStringLiteral("name=carol")));
    const QString room = alice.createRoom(QStringLiteral("hall"));
    QVERIFY(!room.isEmpty());
    QVERIFY(bob.enter(room));
    QVERIFY(carol.enter(room));

    for (int i = 1; i <= 3; ++i) {
        alice.send(request("message",
                           {{"room_id", room}, {"content", QStringLiteral("message %1").arg(i)}}));
        const QJsonObject echo = waitInRoom(alice, "message", room);
        QCOMPARE(num(echo, "message_id"), qint64(i));
    }

    alice.send(request("update", {{"room_id", room},
                                  {"name", QStringLiteral("renamed hall")},
                                  {"chat_locked", true},
                                  {"max_participants", 5}}));
    const QJsonObject updated = waitInRoom(alice, "room", room, [](const QJsonObject &o) {
        return str(o, "name") == QLatin1StringView("renamed hall");
    });
    QVERIFY2(!updated.isEmpty(), "the update was not broadcast");
    QCOMPARE(updated.value(QLatin1StringView("chat_locked")).toBool(), true);
    QCOMPARE(num(updated, "max_participants"), 5);

    alice.send(request("admin", {{"room_id", room}, {"user_id", bob.userId()}, {"admin", true}}));
    QVERIFY2(
        !waitInRoom(
             alice, "room", room,
             [&](const QJsonObject &o) {
                 return participant(o, bob.userId()).value(QLatin1StringView("admin")).toBool();
             })
             .isEmpty(),
        "the admin grant was not broadcast");

    alice.send(request("kick", {{"room_id", room},
                                {"user_id", carol.userId()},
                                {"permanent", true},
                                {"message", QStringLiteral("out")}}));
    QVERIFY2(!waitInRoom(alice, "exit", room,
                         [&](const QJsonObject &o) {
                             return str(o, "user_id") == carol.userId() &&
                                    str(o, "reason") == QLatin1StringView("ban");
                         })
                  .isEmpty(),
             "the ban was not broadcast");
    // The server said it is done: a crash now must not take any of it back.
    killServer();
    QVERIFY(alice.waitForDisconnect());

    port = startServer(dataDir.path());
    QVERIFY(port != 0);

    TestClient observer;
    QVERIFY(observer.open(port, QStringLiteral("name=observer")));
    const QJsonObject listed = listedRoom(roomList(observer), room);
    QVERIFY2(!listed.isEmpty(), "the room is gone after the restart");
    QCOMPARE(str(listed, "name"), QStringLiteral("renamed hall"));
    QCOMPARE(listed.value(QLatin1StringView("chat_locked")).toBool(), true);
    QCOMPARE(listed.value(QLatin1StringView("closed")).toBool(), false);
    QCOMPARE(num(listed, "max_participants"), 5);

    TestClient bob2;
    QVERIFY(bob2.open(port, tokenQuery(bob)));
    QCOMPARE(bob2.userId(), bob.userId());
    QCOMPARE(str(bob2.session(), "name"), QStringLiteral("bob"));
    bob2.send(request("enter", {{"room_id", room}}));
    const QJsonObject picture = waitInRoom(bob2, "room", room);
    QVERIFY2(!picture.isEmpty(), "the second admin could not enter after the restart");
    QCOMPARE(str(picture, "name"), QStringLiteral("renamed hall"));
    QCOMPARE(picture.value(QLatin1StringView("chat_locked")).toBool(), true);
    QCOMPARE(num(picture, "max_participants"), 5);
    QVERIFY(num(picture, "last_message_id") >= 3);
    QVERIFY2(participant(picture, bob.userId()).value(QLatin1StringView("admin")).toBool(),
             "the admin grant did not survive the restart");

    TestClient alice2;
    QVERIFY(alice2.open(port, tokenQuery(alice)));
    QCOMPARE(alice2.userId(), alice.userId());
    alice2.send(request("enter", {{"room_id", room}}));
    const QJsonObject creatorPicture = waitInRoom(alice2, "room", room);
    QVERIFY2(participant(creatorPicture, alice.userId()).value(QLatin1StringView("admin")).toBool(),
             "the creator is no longer admin after the restart");

    TestClient carol2;
    QVERIFY(carol2.open(port, tokenQuery(carol)));
    QCOMPARE(carol2.userId(), carol.userId());
    carol2.send(request("enter", {{"room_id", room}}));
    const QJsonObject refused = carol2.waitForError();
    QCOMPARE(str(refused, "code"), QStringLiteral("banned"));
    QCOMPARE(str(refused, "ref"), QStringLiteral("enter"));

    // The chat lock holds for plain members, admins still speak, and ids go on upwards.
    bob2.send(request("message", {{"room_id", room}, {"content", QStringLiteral("after")}}));
    const QJsonObject after = waitInRoom(bob2, "message", room);
    QVERIFY2(!after.isEmpty(), "the admin could not send after the restart");
    QVERIFY2(num(after, "message_id") > 3,
             qPrintable(QStringLiteral("message id %1 reused").arg(num(after, "message_id"))));
    QCOMPARE(num(waitInRoom(alice2, "message", room), "message_id"), num(after, "message_id"));
}

void PersistenceTest::identitiesSurviveSigkill()
{
    QTemporaryDir dataDir;
    quint16 port = startServer(dataDir.path());
    QVERIFY(port != 0);

    TestClient zed;
    QVERIFY(zed.open(port, QStringLiteral("name=zed")));
    const QString token = zed.token();
    const QString userId = zed.userId();
    const QString color = str(zed.session(), "color");
    QVERIFY(!token.isEmpty());
    QVERIFY(!userId.isEmpty());
    // No wait: a token is handed out only after its identity is stored.
    killServer();

    port = startServer(dataDir.path());
    QVERIFY(port != 0);
    TestClient again;
    QVERIFY(again.open(port, QStringLiteral("token=") + token));
    QCOMPARE(again.userId(), userId);
    QCOMPARE(str(again.session(), "name"), QStringLiteral("zed"));
    QCOMPARE(str(again.session(), "color"), color);

    // A token the server never gave out does not borrow anyone's identity.
    TestClient stranger;
    QVERIFY(stranger.open(port, QStringLiteral("name=stranger")));
    QVERIFY(stranger.userId() != userId);
}

void PersistenceTest::closedRoomStaysClosed()
{
    QTemporaryDir dataDir;
    quint16 port = startServer(dataDir.path());
    QVERIFY(port != 0);

    TestClient alice;
    QVERIFY(alice.open(port, QStringLiteral("name=alice")));
    const QString kept = alice.createRoom(QStringLiteral("kept"));
    const QString doomed = alice.createRoom(QStringLiteral("doomed"));
    QVERIFY(!kept.isEmpty());
    QVERIFY(!doomed.isEmpty());
    alice.send(request("close", {{"room_id", doomed}, {"message", QStringLiteral("bye")}}));
    QVERIFY2(!waitInRoom(alice, "room_closed", doomed).isEmpty(), "the close was not reported");
    killServer();

    port = startServer(dataDir.path());
    QVERIFY(port != 0);
    TestClient alice2;
    QVERIFY(alice2.open(port, tokenQuery(alice)));
    const QJsonObject rooms = roomList(alice2);
    QVERIFY(!rooms.isEmpty());
    QVERIFY2(listedRoom(rooms, doomed).isEmpty(), "a closed room came back after the restart");
    QVERIFY(!listedRoom(rooms, kept).isEmpty());
    alice2.send(request("enter", {{"room_id", doomed}}));
    QCOMPARE(str(alice2.waitForError(), "code"), QStringLiteral("no_such_room"));
}

void PersistenceTest::unbanSurvivesSigkill()
{
    QTemporaryDir dataDir;
    quint16 port = startServer(dataDir.path());
    QVERIFY(port != 0);

    TestClient alice;
    TestClient bob;
    QVERIFY(alice.open(port, QStringLiteral("name=alice")));
    QVERIFY(bob.open(port, QStringLiteral("name=bob")));
    // Let the identities be flushed (every 200 ms) first: this test is about the unban
    // itself; moderation right after a connect is roomSettingsAdminsAndBansSurviveSigkill's.
    QTest::qWait(500);
    const QString room = alice.createRoom(QStringLiteral("hall"));
    QVERIFY(!room.isEmpty());
    QVERIFY(bob.enter(room));
    alice.send(
        request("kick", {{"room_id", room}, {"user_id", bob.userId()}, {"permanent", true}}));
    QVERIFY(!waitInRoom(bob, "kick", room).isEmpty());
    bob.send(request("enter", {{"room_id", room}}));
    QCOMPARE(str(bob.waitForError(), "code"), QStringLiteral("banned"));

    alice.send(request("unban", {{"room_id", room}, {"user_id", bob.userId()}}));
    // An unban has no reply; a later request on the same connection is answered after it.
    QVERIFY(!roomList(alice).isEmpty());
    const QList<QJsonObject> aliceFrames = alice.frames();
    for (const QJsonObject &frame : aliceFrames)
        QVERIFY2(str(frame, "type") != QLatin1StringView("error"), qPrintable(str(frame, "code")));
    killServer();

    port = startServer(dataDir.path());
    QVERIFY(port != 0);
    TestClient bob2;
    QVERIFY(bob2.open(port, tokenQuery(bob)));
    QCOMPARE(bob2.userId(), bob.userId());
    bob2.send(request("enter", {{"room_id", room}}));
    const QJsonObject picture = waitInRoom(bob2, "room", room);
    const QList<QJsonObject> frames = bob2.frames();
    QVERIFY2(!picture.isEmpty(), "the unbanned user could not enter after the restart");
    for (const QJsonObject &frame : frames)
        QVERIFY2(str(frame, "type") != QLatin1StringView("error"), qPrintable(str(frame, "code")));
}

void PersistenceTest::corruptDatabaseStopsTheStart()
{
    QTemporaryDir dataDir;
    const QString path = dataDir.filePath(QStringLiteral("roomkeeper.db"));
    QByteArray garbage;
    for (int i = 0; i < 300; ++i)
        garbage += "garbage, not a database: " + QByteArray::number(i * 7919) + '\n';
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(garbage), garbage.size());
    }

    m_process = std::make_unique<QProcess>();
    m_process->setProcessEnvironment(headlessEnvironment());
    m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                     {QStringLiteral("--no-gui"), QStringLiteral("--port"), QStringLiteral("0"),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                      QStringLiteral("--data-dir"), dataDir.path()});
    QVERIFY(m_process->waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(m_process->state(), QProcess::NotRunning, 10000);
    QCOMPARE(m_process->exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_process->exitCode(), 1);
    const QString out = QString::fromUtf8(m_process->readAllStandardOutput());
    const QString err = QString::fromUtf8(m_process->readAllStandardError());
    QVERIFY2(!out.contains(QStringLiteral("listening")), qPrintable(out));
    QVERIFY2(err.contains(path), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("damaged")), qPrintable(err));
    QCOMPARE(readAll(path), garbage);
}

void PersistenceTest::noMessageContentOnDisk()
{
    QTemporaryDir dataDir;
    const quint16 port = startServer(dataDir.path());
    QVERIFY(port != 0);

    const QString marker =
        QStringLiteral("marker-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    TestClient alice;
    TestClient bob;
    QVERIFY(alice.open(port, QStringLiteral("name=alice")));
    QVERIFY(bob.open(port, QStringLiteral("name=bob")));
    const QString room = alice.createRoom(QStringLiteral("hall"));
    QVERIFY(!room.isEmpty());
    QVERIFY(bob.enter(room));
    alice.send(request("message", {{"room_id", room}, {"content", marker}}));
    QCOMPARE(str(waitInRoom(bob, "message", room), "content"), marker);
    // Make the server write what it writes: settings, a ban, a rename, identities.
    alice.send(request("update", {{"room_id", room}, {"chat_locked", true}}));
    QVERIFY(!waitInRoom(alice, "room", room, [](const QJsonObject &o) {
                 return o.value(QLatin1StringView("chat_locked")).toBool();
             }).isEmpty());
    alice.send(
        request("kick", {{"room_id", room}, {"user_id", bob.userId()}, {"permanent", true}}));
    QVERIFY(!waitInRoom(bob, "kick", room).isEmpty());
    QTest::qWait(400); // an identity flush or two

    const auto scan = [&](const char *when) {
        const QList<QByteArray> needles = {
            marker.toUtf8(),
            QByteArray(reinterpret_cast<const char *>(marker.utf16()), marker.size() * 2)};
        int files = 0;
        QDirIterator it(dataDir.path(), QDir::Files | QDir::Hidden | QDir::System,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            const QByteArray bytes = readAll(path);
            ++files;
            for (const QByteArray &needle : needles)
                QVERIFY2(!bytes.contains(needle),
                         qPrintable(QStringLiteral("message content in %1 (%2)")
                                        .arg(path, QLatin1StringView(when))));
        }
        QVERIFY2(files > 0, when); // the database is there, so something was scanned
    };
    scan("while running");
    if (QTest::currentTestFailed())
        return;
    QVERIFY(stopServer());
    scan("after stopping");
}

ROOMKEEPER_SERVER_TEST_MAIN(PersistenceTest)
#include "tst_persistence.moc"

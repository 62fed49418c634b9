// The headless console of the real binary, driven through its stdin as a script would:
// every command answers "ok ..." or "error: ...", and acts on real clients.

#include "servertestmain.h"
#include "testclient.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace roomkeeper::test;

class ConsoleTest : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void helpNamesEveryCommand();
    void moderatesRealClients();
    void namesMustBeUnique();
    void badCommandsAreAnsweredAndChangeNothing();
    void addressBanEndsConnections();
    void watchStreamsEventsButNoText();
    void closedStdinKeepsServing();
    void quitStopsGracefully();

private:
    quint16 start();
    // Sends one command and returns its answer: the ok/error line and the data lines.
    QStringList command(const QString &line);

    QProcess *m_process = nullptr;
    std::unique_ptr<QTemporaryDir> m_dataDir;
};

void ConsoleTest::init()
{
    m_process = new QProcess(this);
    m_dataDir = std::make_unique<QTemporaryDir>(); // lasting state must not leak between tests
}

void ConsoleTest::cleanup()
{
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished();
    }
    delete m_process;
}

quint16 ConsoleTest::start()
{
    m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                     {QStringLiteral("--no-gui"), QStringLiteral("--port"), QStringLiteral("0"),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                      QStringLiteral("--data-dir"), m_dataDir->path(),
                      QStringLiteral("--log-level"), QStringLiteral("warning")});
    if (!m_process->waitForStarted() ||
        !QTest::qWaitFor([this] { return m_process->canReadLine(); }, 10000))
        return 0;
    const QString line = QString::fromUtf8(m_process->readLine());
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral("ws://[0-9.]+:([0-9]+) ")).match(line);
    return m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
}

QStringList ConsoleTest::command(const QString &line)
{
    m_process->write(line.toUtf8() + '\n');
    QStringList answer;
    // The answer is the first line; data lines follow at once. Collect until quiet.
    if (!QTest::qWaitFor([this] { return m_process->canReadLine(); }, 5000))
        return answer;
    QTest::qWait(50);
    while (m_process->canReadLine())
        answer.append(QString::fromUtf8(m_process->readLine()).chopped(1));
    return answer;
}

void ConsoleTest::helpNamesEveryCommand()
{
    QVERIFY(start() != 0);
    const QStringList help = command(QStringLiteral("help"));
    QCOMPARE(help.value(0), QStringLiteral("ok"));
    const QStringList commands = {
        QStringLiteral("help"),        QStringLiteral("rooms"),    QStringLiteral("who"),
        QStringLiteral("create"),      QStringLiteral("kick"),     QStringLiteral("ban"),
        QStringLiteral("ban-address"), QStringLiteral("unban"),    QStringLiteral("bans"),
        QStringLiteral("lock"),        QStringLiteral("unlock"),   QStringLiteral("mute"),
        QStringLiteral("unmute"),      QStringLiteral("limit"),    QStringLiteral("webhook"),
        QStringLiteral("admin"),       QStringLiteral("announce"), QStringLiteral("close"),
        QStringLiteral("stats"),       QStringLiteral("quit"),     QStringLiteral("drain"),
        QStringLiteral("watch")};
    for (const QString &name : commands) {
        const bool listed = std::any_of(help.cbegin(), help.cend(), [&name](const QString &l) {
            return l.startsWith(name + QLatin1Char(' ')) || l.startsWith(name + QLatin1Char('\t'));
        });
        QVERIFY2(listed, qPrintable(name));
    }
}

void ConsoleTest::moderatesRealClients()
{
    const quint16 port = start();
    QVERIFY(port != 0);
    const QStringList created = command(QStringLiteral("create lobby"));
    QVERIFY2(created.value(0).startsWith(QStringLiteral("ok ")), qPrintable(created.join(u'|')));
    const QString roomId = created.value(0).mid(3);

    TestClient alice;
    QVERIFY(alice.open(port, QStringLiteral("name=alice")));
    QVERIFY(alice.enter(roomId));
    TestClient bob;
    QVERIFY(bob.open(port, QStringLiteral("name=bob")));
    QVERIFY(bob.enter(roomId));

    const QStringList who = command(QStringLiteral("who lobby"));
    QCOMPARE(who.value(0), QStringLiteral("ok 2 people in lobby"));
    QVERIFY(who.value(1).contains(QStringLiteral("\talice\tmember\t")));
    QVERIFY(who.value(1).endsWith(QStringLiteral("\t1\t127.0.0.1")));

    QCOMPARE(command(QStringLiteral("kick lobby alice too loud")).value(0),
             QStringLiteral("ok ") + alice.userId());
    const QJsonObject kick = alice.waitFor(QStringLiteral("kick"));
    QCOMPARE(kick.value(QStringLiteral("message")).toString(), QStringLiteral("too loud"));
    QCOMPARE(bob.waitFor(QStringLiteral("exit")).value(QStringLiteral("reason")).toString(),
             QStringLiteral("kick"));

    QCOMPARE(command(QStringLiteral("ban lobby bob 10m flooding")).value(0),
             QStringLiteral("ok ") + bob.userId());
    QVERIFY(bob.waitFor(QStringLiteral("kick")).value(QStringLiteral("permanent")).toBool());
    const QStringList bans = command(QStringLiteral("bans"));
    QCOMPARE(bans.value(0), QStringLiteral("ok 1 bans"));
    QVERIFY(bans.value(1).contains(bob.userId() + QStringLiteral("\tflooding\tconsole\t")));
    bob.send(
        {{QStringLiteral("type"), QStringLiteral("enter")}, {QStringLiteral("room_id"), roomId}});
    QCOMPARE(bob.waitForError().value(QStringLiteral("code")).toString(), QStringLiteral("banned"));

    QCOMPARE(command(QStringLiteral("mute lobby")).value(0), QStringLiteral("ok ") + roomId);
    QVERIFY(alice.enter(roomId));
    alice.send({{QStringLiteral("type"), QStringLiteral("message")},
                {QStringLiteral("room_id"), roomId},
                {QStringLiteral("content"), QStringLiteral("hi")}});
    QCOMPARE(alice.waitForError().value(QStringLiteral("code")).toString(),
             QStringLiteral("chat_locked"));

    QCOMPARE(command(QStringLiteral("announce lobby doors close at 5")).value(0),
             QStringLiteral("ok ") + roomId);
    QCOMPARE(alice.waitFor(QStringLiteral("message")).value(QStringLiteral("content")).toString(),
             QStringLiteral("doors close at 5"));

    const QStringList audit = command(QStringLiteral("audit 10"));
    QVERIFY(audit.value(0).startsWith(QStringLiteral("ok ")));
    QVERIFY(audit.join(u'\n').contains(QStringLiteral("\tconsole\tban\t")));
    QVERIFY(!audit.join(u'\n').contains(QStringLiteral("doors close"))); // never content

    QCOMPARE(command(QStringLiteral("close lobby bye")).value(0), QStringLiteral("ok ") + roomId);
    QVERIFY(!alice.waitFor(QStringLiteral("room_closed")).isEmpty());
    QCOMPARE(command(QStringLiteral("rooms")).value(0), QStringLiteral("ok 0 rooms"));
}

void ConsoleTest::namesMustBeUnique()
{
    QVERIFY(start() != 0);
    const QString first = command(QStringLiteral("create lab")).value(0).mid(3);
    QVERIFY(command(QStringLiteral("create lab")).value(0).startsWith(QStringLiteral("ok ")));
    const QString answer = command(QStringLiteral("limit lab 3")).value(0);
    QVERIFY2(answer.startsWith(QStringLiteral("error: ambiguous")), qPrintable(answer));
    // A unique id prefix picks one.
    QCOMPARE(command(QStringLiteral("limit %1 3").arg(first.left(8))).value(0),
             QStringLiteral("ok ") + first);
    QVERIFY(command(QStringLiteral("rooms"))
                .join(u'\n')
                .contains(first + QStringLiteral("\tlab\t0/3")));
}

void ConsoleTest::badCommandsAreAnsweredAndChangeNothing()
{
    QVERIFY(start() != 0);
    QVERIFY(command(QStringLiteral("frobnicate"))
                .value(0)
                .startsWith(QStringLiteral("error: unknown command")));
    QVERIFY(
        command(QStringLiteral("kick")).value(0).startsWith(QStringLiteral("error: usage: kick")));
    QVERIFY(command(QStringLiteral("close nowhere"))
                .value(0)
                .startsWith(QStringLiteral("error: no_such_room")));
    QVERIFY(command(QStringLiteral("create \"\"")).value(0).startsWith(QStringLiteral("error: ")));
    QVERIFY(command(QStringLiteral("ban-address 999.1.1.1"))
                .value(0)
                .startsWith(QStringLiteral("error: bad_field")));
    QCOMPARE(command(QStringLiteral("rooms")).value(0), QStringLiteral("ok 0 rooms"));
    QCOMPARE(command(QStringLiteral("bans")).value(0), QStringLiteral("ok 0 bans"));
}

void ConsoleTest::addressBanEndsConnections()
{
    const quint16 port = start();
    QVERIFY(port != 0);
    const QString roomId = command(QStringLiteral("create lobby")).value(0).mid(3);
    TestClient carol;
    QVERIFY(carol.open(port, QStringLiteral("name=carol")));
    QVERIFY(carol.enter(roomId));

    const QStringList banned = command(QStringLiteral("ban-address 127.0.0.0/8 1h local trouble"));
    QVERIFY2(banned.value(0).startsWith(QStringLiteral("ok ban ")), qPrintable(banned.join(u'|')));
    QVERIFY(carol.waitFor(QStringLiteral("kick")).value(QStringLiteral("permanent")).toBool());
    QVERIFY(carol.waitForDisconnect());
    QCOMPARE(carol.closeCode(), 4011);

    TestClient again;
    again.openRaw(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    QVERIFY(again.waitForDisconnect());
    QCOMPARE(again.closeCode(), 4003);
    QVERIFY(
        command(QStringLiteral("bans")).value(1).endsWith(QStringLiteral("\t1"))); // one refusal

    QCOMPARE(command(QStringLiteral("unban-address %1").arg(banned.value(0).mid(7))).value(0),
             QStringLiteral("ok ") + banned.value(0).mid(7));
    TestClient later;
    QVERIFY(later.open(port));
}

void ConsoleTest::watchStreamsEventsButNoText()
{
    const quint16 port = start();
    QVERIFY(port != 0);
    const QString roomId = command(QStringLiteral("create lobby")).value(0).mid(3);
    QCOMPARE(command(QStringLiteral("watch")).value(0), QStringLiteral("ok watching"));
    TestClient dave;
    QVERIFY(dave.open(port, QStringLiteral("name=dave")));
    QVERIFY(dave.enter(roomId));
    dave.send({{QStringLiteral("type"), QStringLiteral("message")},
               {QStringLiteral("room_id"), roomId},
               {QStringLiteral("content"), QStringLiteral("secret words")}});
    QVERIFY(!dave.waitFor(QStringLiteral("message")).isEmpty());
    dave.socket().close();
    QVERIFY(dave.waitForDisconnect());
    QByteArray out;
    QTRY_VERIFY2((out += m_process->readAllStandardOutput()).contains("\texit\t"), out.constData());
    QVERIFY(out.contains(QStringLiteral("watch\t").toUtf8()));
    QVERIFY(out.contains(
        (QStringLiteral("\tenter\t") + roomId + u'\t' + dave.userId() + QStringLiteral("\tdave"))
            .toUtf8()));
    QVERIFY(!out.contains("secret words"));
    QCOMPARE(command(QStringLiteral("watch off")).value(0), QStringLiteral("ok not watching"));
}

void ConsoleTest::closedStdinKeepsServing()
{
    const quint16 port = start();
    QVERIFY(port != 0);
    m_process->closeWriteChannel();
    QTest::qWait(300);
    QCOMPARE(m_process->state(), QProcess::Running);
    TestClient client;
    QVERIFY(client.open(port));
}

void ConsoleTest::quitStopsGracefully()
{
    const quint16 port = start();
    QVERIFY(port != 0);
    TestClient client;
    QVERIFY(client.open(port));
    QCOMPARE(command(QStringLiteral("quit")).value(0), QStringLiteral("ok stopping"));
    QVERIFY(client.waitForDisconnect());
    QCOMPARE(client.closeCode(), 1001);
    QTRY_COMPARE_WITH_TIMEOUT(m_process->state(), QProcess::NotRunning, 5000);
    QCOMPARE(m_process->exitCode(), 0);
}

ROOMKEEPER_SERVER_TEST_MAIN(ConsoleTest)
#include "tst_console.moc"

// The real roomkeeper binary, as scripts and people run it: flags, the listening line,
// headless fallback and graceful shutdown on SIGINT/SIGTERM.

#include "rawclient.h"
#include "servertestmain.h"
#include "testclient.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

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

} // namespace

class BinaryTest : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void helpNamesEveryFlag();
    void versionPrintsVersion();
    void badFlagsExitWithUsageError_data();
    void badFlagsExitWithUsageError();
    void listeningLineAndGracefulStop_data();
    void listeningLineAndGracefulStop();
    void withoutDisplayRunsHeadless();
    void portInUseFailsClearly();
    void configFileIsReadAndFlagsWin();
    void configFileProblemsStopTheStart_data();
    void configFileProblemsStopTheStart();
    void shippedExampleConfigIsValid();
    void sighupReloadsTheConfigFile();
    void tlsServesWssAndHttps();

private:
    // Starts the binary and waits for its listening line; returns the port (0 on failure).
    quint16 startServer(const QStringList &extra = {},
                        const QProcessEnvironment &env = headlessEnvironment());
    QString runToEnd(const QStringList &args, int *exitCode);

    QProcess *m_process = nullptr;
    QTemporaryDir m_dataDir;
};

void BinaryTest::init()
{
    m_process = new QProcess(this);
}

void BinaryTest::cleanup()
{
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished();
    }
    delete m_process;
    m_process = nullptr;
}

quint16 BinaryTest::startServer(const QStringList &extra, const QProcessEnvironment &env)
{
    m_process->setProcessEnvironment(env);
    m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                     QStringList{QStringLiteral("--port"), QStringLiteral("0"),
                                 QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                                 QStringLiteral("--data-dir"), m_dataDir.path()} +
                         extra);
    if (!m_process->waitForStarted())
        return 0;
    if (!QTest::qWaitFor([this] { return m_process->canReadLine(); }, 10000))
        return 0;
    const QString line = QString::fromUtf8(m_process->readLine()).trimmed();
    const QRegularExpressionMatch match = listeningLine.match(line);
    if (!match.hasMatch()) {
        qWarning() << "unexpected first line:" << line;
        return 0;
    }
    return quint16(match.captured(2).toUInt());
}

QString BinaryTest::runToEnd(const QStringList &args, int *exitCode)
{
    m_process->setProcessEnvironment(headlessEnvironment());
    m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                     args + QStringList{QStringLiteral("--data-dir"), m_dataDir.path()});
    m_process->waitForFinished(10000);
    *exitCode = m_process->exitCode();
    return QString::fromUtf8(m_process->readAllStandardOutput() +
                             m_process->readAllStandardError());
}

void BinaryTest::helpNamesEveryFlag()
{
    int code = -1;
    const QString help = runToEnd({QStringLiteral("--help")}, &code);
    QCOMPARE(code, 0);
    const QStringList flags = {QStringLiteral("--no-gui"),
                               QStringLiteral("--listen"),
                               QStringLiteral("--port"),
                               QStringLiteral("--data-dir"),
                               QStringLiteral("--config"),
                               QStringLiteral("--heartbeat-interval"),
                               QStringLiteral("--max-message-rate"),
                               QStringLiteral("--max-connections"),
                               QStringLiteral("--max-connections-per-address"),
                               QStringLiteral("--max-message-size"),
                               QStringLiteral("--max-content"),
                               QStringLiteral("--room-idle-expiry"),
                               QStringLiteral("--tls-cert"),
                               QStringLiteral("--tls-key"),
                               QStringLiteral("--allow-origin"),
                               QStringLiteral("--log-level"),
                               QStringLiteral("--version"),
                               QStringLiteral("--help"),
                               QStringLiteral("--max-outbound-queue"),
                               QStringLiteral("--handshake-timeout"),
                               QStringLiteral("--max-handshakes"),
                               QStringLiteral("--listen-backlog")};
    for (const QString &flag : flags)
        QVERIFY2(help.contains(flag), qPrintable(flag));
}

void BinaryTest::versionPrintsVersion()
{
    int code = -1;
    const QString out = runToEnd({QStringLiteral("--version")}, &code);
    QCOMPARE(code, 0);
    QVERIFY2(QRegularExpression(QStringLiteral("^roomkeeper \\d+\\.\\d+\\.\\d+\\n$"))
                 .match(out)
                 .hasMatch(),
             qPrintable(out));
}

void BinaryTest::badFlagsExitWithUsageError_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    QTest::newRow("unknown flag") << QStringList{QStringLiteral("--frobnicate")}
                                  << QStringLiteral("frobnicate");
    QTest::newRow("port too big") << QStringList{QStringLiteral("--port"), QStringLiteral("70000")}
                                  << QStringLiteral("--port");
    QTest::newRow("not a number") << QStringList{QStringLiteral("--max-message-rate"),
                                                 QStringLiteral("fast")}
                                  << QStringLiteral("--max-message-rate");
    QTest::newRow("bad address") << QStringList{QStringLiteral("--listen"),
                                                QStringLiteral("localhost:1")}
                                 << QStringLiteral("--listen");
    QTest::newRow("bad log level")
        << QStringList{QStringLiteral("--log-level"), QStringLiteral("loud")}
        << QStringLiteral("--log-level");
    QTest::newRow("tls cert without key")
        << QStringList{QStringLiteral("--tls-cert"), QStringLiteral("c.pem")}
        << QStringLiteral("go together");
}

void BinaryTest::badFlagsExitWithUsageError()
{
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    int code = -1;
    const QString out = runToEnd(args + QStringList{QStringLiteral("--no-gui")}, &code);
    QCOMPARE(code, 2);
    QVERIFY2(out.contains(says), qPrintable(out));
}

void BinaryTest::listeningLineAndGracefulStop_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void BinaryTest::listeningLineAndGracefulStop()
{
    QFETCH(int, signalNumber);
    const quint16 port = startServer({QStringLiteral("--no-gui")});
    QVERIFY(port != 0);

    TestClient client;
    QVERIFY(client.open(port));
    const QString room = client.createRoom(QStringLiteral("lobby"));
    QVERIFY(!room.isEmpty());

    ::kill(pid_t(m_process->processId()), signalNumber);
    QVERIFY(client.waitForDisconnect(5000));
    QCOMPARE(client.closeCode(), 1001);
    // The event loop may already have seen it end; waitForFinished() is false then.
    QTRY_COMPARE_WITH_TIMEOUT(m_process->state(), QProcess::NotRunning, 5000);
    QCOMPARE(m_process->exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_process->exitCode(), 0);
}

void BinaryTest::withoutDisplayRunsHeadless()
{
    const quint16 port = startServer(); // no --no-gui, no display
    QVERIFY(port != 0);
    QByteArray stderrText;
    QTRY_VERIFY2((stderrText += m_process->readAllStandardError()).contains("no display"),
                 stderrText.constData());
    TestClient client;
    QVERIFY(client.open(port));
    m_process->terminate();
    QTRY_COMPARE_WITH_TIMEOUT(m_process->state(), QProcess::NotRunning, 5000);
    QCOMPARE(m_process->exitCode(), 0);
}

void BinaryTest::portInUseFailsClearly()
{
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    int code = -1;
    const QString out = runToEnd({QStringLiteral("--no-gui"), QStringLiteral("--listen"),
                                  QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                                  QString::number(squatter.serverPort())},
                                 &code);
    QCOMPARE(code, 1);
    QVERIFY2(out.contains(QStringLiteral("cannot listen")), qPrintable(out));
}

void BinaryTest::configFileIsReadAndFlagsWin()
{
    QFile ini(m_dataDir.filePath(QStringLiteral("roomkeeper.ini")));
    QVERIFY(ini.open(QIODevice::WriteOnly));
    // port=1 would fail to bind; the --port 0 flag must win over it.
    ini.write("# a comment\nport=1\nmax-connections-per-address=1\nno-gui=true\n");
    ini.close();
    const quint16 port = startServer({QStringLiteral("--config"), ini.fileName()});
    QVERIFY(port != 0);
    TestClient first;
    QVERIFY(first.open(port));
    TestClient second;
    second.openRaw(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    QVERIFY(second.waitForDisconnect());
    QCOMPARE(second.closeCode(), 4013); // the file's per-address limit applies
}

void BinaryTest::configFileProblemsStopTheStart_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("says");
    QTest::newRow("unknown key") << QByteArray("prot=8765\n")
                                 << QStringLiteral("unknown setting 'prot'");
    QTest::newRow("bad value") << QByteArray("max-content=lots\n")
                               << QStringLiteral("--max-content");
}

void BinaryTest::configFileProblemsStopTheStart()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, says);
    QFile ini(m_dataDir.filePath(QStringLiteral("bad.ini")));
    QVERIFY(ini.open(QIODevice::WriteOnly));
    ini.write(content);
    ini.close();
    int code = -1;
    const QString out =
        runToEnd({QStringLiteral("--no-gui"), QStringLiteral("--config"), ini.fileName()}, &code);
    QCOMPARE(code, 2);
    QVERIFY2(out.contains(says), qPrintable(out));
    const QString missing = runToEnd({QStringLiteral("--no-gui"), QStringLiteral("--config"),
                                      m_dataDir.filePath(QStringLiteral("absent.ini"))},
                                     &code);
    QCOMPARE(code, 2);
    QVERIFY2(missing.contains(QStringLiteral("does not exist")), qPrintable(missing));
}

void BinaryTest::shippedExampleConfigIsValid()
{
    QFile example(QStringLiteral(ROOMKEEPER_SOURCE_DIR "/packaging/roomkeeper.ini"));
    QVERIFY(example.open(QIODevice::ReadOnly));
    // Every setting it shows, switched on.
    QString text = QString::fromUtf8(example.readAll());
    text.replace(
        QRegularExpression(QStringLiteral("^;([a-z-]+=)"), QRegularExpression::MultilineOption),
        QStringLiteral("\\1"));
    QVERIFY(text.contains(QStringLiteral("\nport=8765")));
    QFile ini(m_dataDir.filePath(QStringLiteral("example.ini")));
    QVERIFY(ini.open(QIODevice::WriteOnly));
    ini.write(text.toUtf8());
    ini.close();
    const quint16 port = startServer({QStringLiteral("--config"), ini.fileName(),
                                      QStringLiteral("--data-dir"), m_dataDir.path()});
    QVERIFY(port != 0);
    TestClient client;
    QVERIFY(client.open(port));
}

void BinaryTest::sighupReloadsTheConfigFile()
{
    QFile ini(m_dataDir.filePath(QStringLiteral("reload.ini")));
    QVERIFY(ini.open(QIODevice::WriteOnly));
    ini.write("max-connections-per-address=1\n");
    ini.close();
    const quint16 port =
        startServer({QStringLiteral("--no-gui"), QStringLiteral("--config"), ini.fileName()});
    QVERIFY(port != 0);
    TestClient first;
    QVERIFY(first.open(port));

    QVERIFY(ini.open(QIODevice::WriteOnly | QIODevice::Truncate));
    ini.write("max-connections-per-address=3\nlisten-backlog=2048\n");
    ini.close();
    ::kill(pid_t(m_process->processId()), SIGHUP);
    QByteArray stderrText;
    QTRY_VERIFY2((stderrText += m_process->readAllStandardError())
                     .contains("needs a restart: listen-backlog"),
                 stderrText.constData());
    QVERIFY(stderrText.contains("applied max-connections-per-address"));
    TestClient second; // the new per-address limit is live
    QVERIFY(second.open(port));
    QCOMPARE(m_process->state(), QProcess::Running);
}

void BinaryTest::tlsServesWssAndHttps()
{
    // A self-signed certificate made for this test.
    const QString cert = m_dataDir.filePath(QStringLiteral("cert.pem"));
    const QString key = m_dataDir.filePath(QStringLiteral("key.pem"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                   key, QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("2"),
                   QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")});
    QVERIFY2(openssl.waitForFinished(30000) && openssl.exitCode() == 0,
             openssl.readAllStandardError().constData());

    m_process->setProcessEnvironment(headlessEnvironment());
    m_process->start(QStringLiteral(ROOMKEEPER_BINARY),
                     {QStringLiteral("--no-gui"), QStringLiteral("--port"), QStringLiteral("0"),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                      QStringLiteral("--data-dir"), m_dataDir.path(), QStringLiteral("--tls-cert"),
                      cert, QStringLiteral("--tls-key"), key});
    QVERIFY(QTest::qWaitFor([this] { return m_process->canReadLine(); }, 10000));
    const QString line = QString::fromUtf8(m_process->readLine()).trimmed();
    const QRegularExpressionMatch match =
        QRegularExpression(
            QStringLiteral("^roomkeeper: listening on wss://127\\.0\\.0\\.1:([0-9]+) "))
            .match(line);
    QVERIFY2(match.hasMatch(), qPrintable(line));
    const quint16 port = quint16(match.captured(1).toUInt());

    QSslConfiguration trustAll = QSslConfiguration::defaultConfiguration();
    trustAll.setPeerVerifyMode(QSslSocket::VerifyNone);

    TestClient client;
    client.socket().setSslConfiguration(trustAll);
    QVERIFY(client.openRaw(QUrl(QStringLiteral("wss://127.0.0.1:%1/ws").arg(port))));
    QVERIFY(!client.waitFor(QStringLiteral("session")).isEmpty());

    QSslSocket https;
    https.setSslConfiguration(trustAll);
    https.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    QVERIFY(https.waitForEncrypted(5000));
    https.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray answer;
    QTRY_VERIFY((answer += https.readAll()).endsWith("\r\n\r\nok\n"));
    QVERIFY(answer.startsWith("HTTP/1.1 200 "));

    // Plain HTTP on a TLS port is not served.
    RawClient plain;
    QVERIFY(plain.connectTo(port));
    plain.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QVERIFY(plain.waitForDisconnected(5000));
    QVERIFY(!plain.buffered().contains("200"));
}

ROOMKEEPER_SERVER_TEST_MAIN(BinaryTest)
#include "tst_binary.moc"

// Server → Settings…: the dialog edits the running server's settings, the window saves
// them (QSettings "server" group) and has the core apply what it can live, telling the
// operator what needs a restart; app/main.cpp reads the saved values under the --config
// file and the flags.

#include "testclient.h"
#include "testprompter.h"

#include "app/commandline.h"
#include "server/chatserver.h"
#include "ui/mainwindow.h"
#include "ui/settingsdialog.h"

#include <QAction>
#include <QFile>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QSpinBox *spin(const SettingsDialog &dialog, const char *flag)
{
    return qobject_cast<QSpinBox *>(dialog.field(QString::fromLatin1(flag)));
}

void clearSavedSettings()
{
    QSettings settings(QStringLiteral("roomkeeper"), QStringLiteral("roomkeeper"));
    settings.remove(QStringLiteral("server"));
    settings.sync();
}

} // namespace

class SettingsTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void dialogAppliesLimitsSavesAndSaysWhatNeedsARestart();
    void dialogIsFilledFromTheConfig();
    void flagsAndConfigFileBeatSavedSettings();
    void savedSettingsReadBack();
};

void SettingsTest::initTestCase()
{
    // Not the operator's real settings: ~/.qttest/ instead of ~/.config/.
    QStandardPaths::setTestModeEnabled(true);
    const QString file =
        QSettings(QStringLiteral("roomkeeper"), QStringLiteral("roomkeeper")).fileName();
    QVERIFY2(file.contains(QLatin1StringView(".qttest")), qPrintable(file));
}

void SettingsTest::init()
{
    clearSavedSettings();
}

void SettingsTest::dialogAppliesLimitsSavesAndSaysWhatNeedsARestart()
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.port = 0;
    ChatServer server(c);
    MainWindow window(&server);
    window.setServerConfig(c);
    auto prompter = std::make_unique<TestPrompter>();
    TestPrompter *asked = prompter.get();
    window.setPrompter(std::move(prompter));
    window.setCloseBehaviour(MainWindow::CloseBehaviour::Stop);
    connect(&server, &ChatServer::started, &window, &MainWindow::setListening);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    server.start();
    const quint16 port = server.port();
    QVERIFY(port != 0);

    QAction *settings = window.findChild<QAction *>(QStringLiteral("actionSettings"));
    QVERIFY(settings);
    QCOMPARE(settings->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Comma));
    settings->trigger();
    SettingsDialog *dialog = window.settingsDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());

    const quint16 newPort = port == 45678 ? 45679 : 45678;
    spin(*dialog, "max-connections-per-address")->setValue(1);
    spin(*dialog, "port")->setValue(newPort);
    QSignalSpy applied(&window, &MainWindow::settingsApplied);
    dialog->accept();
    QVERIFY(applied.wait());

    const QStringList report = applied.first().first().toStringList();
    QCOMPARE(report.size(), 2);
    QVERIFY2(report.contains(QStringLiteral("applied max-connections-per-address")),
             qPrintable(report.join(QLatin1Char('|'))));
    QVERIFY2(report.contains(QStringLiteral("needs a restart: port")),
             qPrintable(report.join(QLatin1Char('|'))));
    QVERIFY(!asked->informed.isEmpty());
    QCOMPARE(asked->informed.last(),
             QStringLiteral("Applied: max-connections-per-address. Needs a restart of "
                            "Roomkeeper: port."));
    QTRY_VERIFY(!window.settingsDialog()); // closed and deleted
    QCOMPARE(window.serverConfig().maxConnectionsPerAddress, 1);
    QCOMPARE(window.serverConfig().port, newPort);

    // The limit is live; the listener is not moved.
    QCOMPARE(server.port(), port);
    TestClient first;
    QVERIFY(first.open(port));
    TestClient refused;
    refused.openRaw(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    QVERIFY(refused.waitForDisconnect());
    QCOMPARE(refused.closeCode(), 4013);

    // Saved for the next start, keys named as the flags.
    QSettings saved(QStringLiteral("roomkeeper"), QStringLiteral("roomkeeper"));
    saved.beginGroup(QStringLiteral("server"));
    QCOMPARE(saved.value(QStringLiteral("max-connections-per-address")).toInt(), 1);
    QCOMPARE(saved.value(QStringLiteral("port")).toInt(), int(newPort));
    QCOMPARE(saved.value(QStringLiteral("listen")).toString(), QStringLiteral("127.0.0.1"));
    QVERIFY(!saved.contains(QStringLiteral("data-dir"))); // empty: the default next time

    // Nothing changed the second time round, but the port still waits for a restart.
    applied.clear();
    window.applySettings(window.serverConfig());
    QVERIFY(applied.wait());
    QCOMPARE(applied.first().first().toStringList(),
             QStringList{QStringLiteral("needs a restart: port")});

    server.shutdown();
}

void SettingsTest::dialogIsFilledFromTheConfig()
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QStringLiteral("::1"));
    c.port = 9000;
    c.dataDir = QStringLiteral("/tmp/rk");
    c.maxMessageRate = 0;
    c.maxOutboundQueue = 5000; // not whole KiB: kept exactly when untouched
    c.allowedOrigins = {QStringLiteral("http://a.example"), QStringLiteral("http://b.example")};
    c.handshakeTimeoutMs = 1234; // not in the dialog: passes through
    SettingsDialog dialog(c);
    QCOMPARE(spin(dialog, "port")->value(), 9000);
    QCOMPARE(spin(dialog, "max-message-rate")->value(), 0);
    QCOMPARE(spin(dialog, "max-message-rate")->text(), QStringLiteral("no limit"));
    QCOMPARE(spin(dialog, "heartbeat-interval")->minimum(), 50);
    QCOMPARE(spin(dialog, "max-message-size")->maximum(), 64 * 1024 * 1024);
    QCOMPARE(qobject_cast<QLineEdit *>(dialog.field(QStringLiteral("allow-origin")))->text(),
             QStringLiteral("http://a.example, http://b.example"));

    ServerConfig out = dialog.config();
    QCOMPARE(out.listenAddress, c.listenAddress);
    QCOMPARE(out.dataDir, c.dataDir);
    QCOMPARE(out.maxOutboundQueue, qint64(5000));
    QCOMPARE(out.allowedOrigins, c.allowedOrigins);
    QCOMPARE(out.handshakeTimeoutMs, 1234);

    spin(dialog, "max-outbound-queue")->setValue(8);
    qobject_cast<QLineEdit *>(dialog.field(QStringLiteral("allow-origin")))
        ->setText(QStringLiteral(" *, ,http://c.example "));
    out = dialog.config();
    QCOMPARE(out.maxOutboundQueue, qint64(8 * 1024));
    QCOMPARE(out.allowedOrigins,
             (QStringList{QStringLiteral("*"), QStringLiteral("http://c.example")}));

    // A listen address that is not one keeps the dialog open.
    dialog.show();
    qobject_cast<QLineEdit *>(dialog.field(QStringLiteral("listen")))
        ->setText(QStringLiteral("not an address"));
    QVERIFY(!dialog.listenAddressValid());
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
}

void SettingsTest::flagsAndConfigFileBeatSavedSettings()
{
    const QHash<QString, QStringList> saved = {
        {QStringLiteral("port"), {QStringLiteral("9000")}},
        {QStringLiteral("max-content"), {QStringLiteral("50")}},
        {QStringLiteral("max-connections-per-address"), {QStringLiteral("3")}},
        {QStringLiteral("allow-origin"), {QStringLiteral("http://saved.example")}},
    };
    const QString program = QStringLiteral("roomkeeper");

    // Saved values stand in for the built-in defaults.
    CommandLineResult r = parseCommandLine({program}, saved);
    QVERIFY2(r.options, qPrintable(r.error));
    QCOMPARE(r.options->config.port, quint16(9000));
    QCOMPARE(r.options->config.maxContent, 50);
    QCOMPARE(r.options->config.maxConnectionsPerAddress, 3);
    QCOMPARE(r.options->config.allowedOrigins, QStringList{QStringLiteral("http://saved.example")});
    QCOMPARE(r.options->config.maxConnections, ServerConfig().maxConnections);

    // Flags beat them.
    r = parseCommandLine({program, QStringLiteral("--port"), QStringLiteral("9001"),
                          QStringLiteral("--max-connections-per-address"), QStringLiteral("7")},
                         saved);
    QVERIFY2(r.options, qPrintable(r.error));
    QCOMPARE(r.options->config.port, quint16(9001));
    QCOMPARE(r.options->config.maxConnectionsPerAddress, 7);
    QCOMPARE(r.options->config.maxContent, 50);

    // So does a --config file, and flags beat the file.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString ini = dir.filePath(QStringLiteral("roomkeeper.ini"));
    {
        QFile file(ini);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("port=9100\nmax-content=60\n");
    }
    r = parseCommandLine({program, QStringLiteral("--config"), ini, QStringLiteral("--max-content"),
                          QStringLiteral("70")},
                         saved);
    QVERIFY2(r.options, qPrintable(r.error));
    QCOMPARE(r.options->config.port, quint16(9100));
    QCOMPARE(r.options->config.maxContent, 70);
    QCOMPARE(r.options->config.maxConnectionsPerAddress, 3);

    // Without anything saved, the built-in defaults.
    r = parseCommandLine({program});
    QVERIFY2(r.options, qPrintable(r.error));
    QCOMPARE(r.options->config.port, ServerConfig::DefaultPort);
}

void SettingsTest::savedSettingsReadBack()
{
    QVERIFY(readSavedSettings().isEmpty());
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.port = 9200;
    c.dataDir = QStringLiteral("/tmp/roomkeeper-data");
    c.heartbeatIntervalMs = 5000;
    c.maxMessageRate = 0;
    c.maxOutboundQueue = 8 * 1024 * 1024;
    c.roomIdleExpiryHours = 48;
    c.allowedOrigins = {QStringLiteral("http://a.example"), QStringLiteral("http://b.example")};
    saveServerSettings(c);
    {
        // Something else in the group is not a setting and is left out.
        QSettings settings(QStringLiteral("roomkeeper"), QStringLiteral("roomkeeper"));
        settings.setValue(QStringLiteral("server/not-a-flag"), 1);
    }

    const QHash<QString, QStringList> saved = readSavedSettings();
    QVERIFY(!saved.contains(QStringLiteral("not-a-flag")));
    const CommandLineResult r = parseCommandLine({QStringLiteral("roomkeeper")}, saved);
    QVERIFY2(r.options, qPrintable(r.error));
    const ServerConfig &read = r.options->config;
    QCOMPARE(read.listenAddress, c.listenAddress);
    QCOMPARE(read.port, c.port);
    QCOMPARE(read.dataDir, c.dataDir);
    QCOMPARE(read.heartbeatIntervalMs, c.heartbeatIntervalMs);
    QCOMPARE(read.maxMessageRate, 0);
    QCOMPARE(read.maxOutboundQueue, c.maxOutboundQueue);
    QCOMPARE(read.roomIdleExpiryHours, 48);
    QCOMPARE(read.allowedOrigins, c.allowedOrigins);

    // One origin, then none.
    c.allowedOrigins = {QStringLiteral("*")};
    saveServerSettings(c);
    QCOMPARE(parseCommandLine({QStringLiteral("roomkeeper")}, readSavedSettings())
                 .options->config.allowedOrigins,
             QStringList{QStringLiteral("*")});
    c.allowedOrigins.clear();
    saveServerSettings(c);
    QVERIFY(parseCommandLine({QStringLiteral("roomkeeper")}, readSavedSettings())
                .options->config.allowedOrigins.isEmpty());
    clearSavedSettings();
}

QTEST_MAIN(SettingsTest)
#include "tst_windowsettings.moc"

// Roomkeeper: picks the mode (window or headless) before any QObject exists, starts the
// network core on its own thread and wires the operator console to it.

#include "commandline.h"
#include "signalwatcher.h"
#include "stdinconsole.h"

#include "console/consolecommands.h"
#include "server/chatserver.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <sys/resource.h>

using namespace roomkeeper;

namespace {

// Thousands of connections need thousands of descriptors: take the hard limit.
void raiseFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// One log line: "2026-11-23T15:58:41.283 roomkeeper.server info: text". The same as the
// message pattern "%{time yyyy-MM-ddThh:mm:ss.zzz} %{category} %{type}: %{message}", but
// the date is formatted once a second instead of per line: a busy server logs a line per
// connection opened and closed, and QDateTime's formatting was a tenth of a connect.
void writeLogLine(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    static const char *const typeNames[] = {"debug", "warning", "critical", "fatal", "info"};
    thread_local time_t stampedSecond = -1;
    thread_local char stamp[32] = {};
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    const time_t second = time_t(nowMs / 1000);
    if (second != stampedSecond) {
        tm local{};
        localtime_r(&second, &local);
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &local);
        stampedSecond = second;
    }
    const int typeIndex = int(type) >= 0 && int(type) < 5 ? int(type) : 0;
    const QByteArray text = message.toLocal8Bit();
    std::fprintf(stderr, "%s.%03d %s %s: %s\n", stamp, int(nowMs % 1000),
                 context.category ? context.category : "default", typeNames[typeIndex],
                 text.constData());
    if (type == QtFatalMsg)
        std::abort();
}

void applyLogLevel(const QString &level)
{
    QString rules = QStringLiteral("roomkeeper.*.debug=%1\n")
                        .arg(level == QLatin1StringView("debug") ? QStringLiteral("true")
                                                                 : QStringLiteral("false"));
    if (level == QLatin1StringView("warning") || level == QLatin1StringView("error"))
        rules += QStringLiteral("roomkeeper.*.info=false\n");
    if (level == QLatin1StringView("error"))
        rules += QStringLiteral("roomkeeper.*.warning=false\n");
    QLoggingCategory::setFilterRules(rules);
    if (qEnvironmentVariableIsSet("QT_MESSAGE_PATTERN")) {
        qSetMessagePattern(
            QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{category} %{type}: %{message}"));
        return;
    }
    qInstallMessageHandler(writeLogLine);
}

void printLine(FILE *stream, const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
}

} // namespace

int main(int argc, char **argv)
{
    raiseFileLimit();
    // The plain Unix event dispatcher: the GLib one searches its socket list on every
    // change, which costs in proportion to the connections (measured in tests/bench).
    if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication::setApplicationName(QStringLiteral("roomkeeper"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ROOMKEEPER_VERSION));

    // The mode must be known before the application object exists, and a config file
    // may choose it: parse everything first.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    // The window's saved settings (Server → Settings…) lie under the --config file and
    // the flags.
    const CommandLineResult parsed = parseCommandLine(arguments, readSavedSettings());
    if (parsed.exitNow) {
        std::fputs(parsed.output.toLocal8Bit().constData(), stdout);
        return 0;
    }
    if (!parsed.options) {
        printLine(stderr, QStringLiteral("roomkeeper: %1 (see --help)").arg(parsed.error));
        return 2;
    }
    const CommandLine &options = *parsed.options;
    const bool gui = !options.noGui && displayAvailable();
    std::unique_ptr<QCoreApplication> app;
    if (gui)
        app = std::make_unique<QApplication>(argc, argv);
    else
        app = std::make_unique<QCoreApplication>(argc, argv);
    applyLogLevel(options.logLevel);
    if (!options.noGui && !gui)
        printLine(stderr, QStringLiteral("roomkeeper: no display (DISPLAY and WAYLAND_DISPLAY are "
                                         "unset); running headless"));

    QThread coreThread;
    coreThread.setObjectName(QStringLiteral("core"));
    auto *server = new ChatServer(options.config);
    server->moveToThread(&coreThread);

    int exitCode = 0;
    bool stopping = false;
    const auto requestStop = [server, &stopping] {
        if (stopping)
            return;
        stopping = true;
        QMetaObject::invokeMethod(server, &ChatServer::shutdown, Qt::QueuedConnection);
    };

    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, app.get(), requestStop);
    // SIGHUP: read the config file again (flags still win) and apply what can be live.
    QObject::connect(&signalWatcher, &SignalWatcher::reloadRequested, app.get(), [&, server] {
        if (options.configFile.isEmpty()) {
            printLine(stderr, QStringLiteral("roomkeeper: SIGHUP: no --config file to reload"));
            return;
        }
        const CommandLineResult again = parseCommandLine(arguments, readSavedSettings());
        if (!again.options) {
            printLine(
                stderr,
                QStringLiteral("roomkeeper: SIGHUP: config not reloaded: %1").arg(again.error));
            return;
        }
        const ServerConfig next = again.options->config;
        QMetaObject::invokeMethod(server, [server, next, &app] {
            const QStringList report = server->reconfigure(next);
            QMetaObject::invokeMethod(app.get(), [report] {
                for (const QString &line : report)
                    printLine(stderr, QStringLiteral("roomkeeper: SIGHUP: ") + line);
            });
        });
    });

    QObject::connect(&coreThread, &QThread::started, server, &ChatServer::start);
    // With TLS the scheme is wss://; the rest of the line is the same for scripts.
    const QString scheme = options.tlsCert.isEmpty() ? QStringLiteral("ws") : QStringLiteral("wss");
    QObject::connect(server, &ChatServer::started, app.get(),
                     [scheme](const QString &address, quint16 port) {
                         printLine(stdout, QStringLiteral("roomkeeper: listening on %1://%2:%3 "
                                                          "(room protocol /ws, gateway /gateway, "
                                                          "web client /)")
                                               .arg(scheme, address)
                                               .arg(port));
                     });
    QObject::connect(server, &ChatServer::startFailed, app.get(), [&](const QString &reason) {
        printLine(stderr, QStringLiteral("roomkeeper: %1").arg(reason));
        exitCode = 1;
        coreThread.quit();
    });
    QObject::connect(server, &ChatServer::stopped, &coreThread, &QThread::quit);
    QObject::connect(&coreThread, &QThread::finished, server, &QObject::deleteLater);
    QObject::connect(&coreThread, &QThread::finished, app.get(), &QCoreApplication::quit);

    // The stdin console: commands run on the core thread, answers print on this one.
    ConsoleCommands commands(*server);
    std::unique_ptr<StdinConsole> stdinConsole;
    QTimer drainTimer;
    int drainLeft = -1;
    QString drainMessage;
    const auto announceAll = [server](const QString &text) {
        QMetaObject::invokeMethod(server, [server, text] {
            server->moderation().announce(Actor::operatorConsole(), QUuid(), text);
        });
    };
    const std::function<void()> drainTick = [&] {
        if (drainLeft <= 0) {
            drainTimer.stop();
            requestStop();
            return;
        }
        if (drainLeft % 10 == 0 || drainLeft <= 5)
            announceAll(
                QStringLiteral("The server stops in %1 s. %2").arg(drainLeft).arg(drainMessage));
        --drainLeft;
    };
    QObject::connect(&drainTimer, &QTimer::timeout, app.get(), drainTick);
    if (!gui) {
        stdinConsole = std::make_unique<StdinConsole>();
        QObject::connect(server, &ChatServer::watchEvent, app.get(),
                         [](const QString &line) { StdinConsole::print({line}); });
        QObject::connect(stdinConsole.get(), &StdinConsole::lineEntered, app.get(),
                         [&, server](const QString &line) {
                             QMetaObject::invokeMethod(server, [&, server, line] {
                                 const ConsoleCommands::Result result = commands.execute(line);
                                 QMetaObject::invokeMethod(app.get(), [&, result] {
                                     StdinConsole::print(result.lines);
                                     if (result.quit)
                                         requestStop();
                                     if (result.drainSeconds >= 0) {
                                         drainLeft = result.drainSeconds;
                                         drainMessage = result.drainMessage;
                                         drainTimer.start(1000);
                                         drainTick();
                                     }
                                 });
                             });
                         });
    }

    std::unique_ptr<MainWindow> window;
    if (gui) {
        QApplication::setQuitOnLastWindowClosed(false);
        // The window queues its actions to the server and takes its feed (snapshots,
        // traffic) from it; it outlives the core thread (joined below).
        window = std::make_unique<MainWindow>(server);
        window->setServerConfig(options.config);
        QObject::connect(server, &ChatServer::started, window.get(), &MainWindow::setListening);
        QObject::connect(server, &ChatServer::statsUpdated, window.get(), &MainWindow::showStats);
        QObject::connect(window.get(), &MainWindow::stopRequested, app.get(), requestStop);
        window->show();
    }

    coreThread.start();
    const int loopCode = app->exec();
    coreThread.quit();
    coreThread.wait();
    return exitCode != 0 ? exitCode : loopCode;
}

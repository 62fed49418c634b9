// roomkeeper-guilag: how late the GUI thread's event loop runs while the server is under
// load, with or without the operator window (see guilag.sh and RESULTS.md).
//
// It runs a ChatServer on its own core thread, as app/main.cpp does, and with --window a
// MainWindow wired to it the same way. A 10 ms timer on the GUI thread records how late
// each tick fires. It prints "port=N", then "room=UUID" (a room it creates as the
// console, for roomkeeper-load --room), and at the end one line of key=value results.
// It stops after --seconds, or earlier on SIGTERM / SIGINT.

#include "server/chatserver.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QThread>
#include <QTimer>
#include <QUuid>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

using namespace roomkeeper;

namespace {

std::atomic<bool> g_stopSignal{false};

void onSignal(int)
{
    g_stopSignal.store(true);
}

void raiseFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void printLine(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

// CPU time (user + system) of one thread of this process, in ms; -1 if unknown.
double threadCpuMs(qint64 tid)
{
    QFile file(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
    if (tid <= 0 || !file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = file.readAll();
    const qsizetype paren = line.lastIndexOf(')');
    if (paren < 0)
        return -1;
    // After "pid (comm)": state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = line.mid(paren + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks = fields.at(11).toDouble() + fields.at(12).toDouble();
    return 1000.0 * ticks / double(::sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<qint64> sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto index = static_cast<size_t>(p * double(sorted.size() - 1) + 0.5);
    return double(sorted[std::min(index, sorted.size() - 1)]) / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    raiseFileLimit();
    // As app/main.cpp: the plain Unix event dispatcher.
    if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("roomkeeper-guilag"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Measures the GUI thread's event-loop lag while a ChatServer runs."));
    parser.addHelpOption();
    const QCommandLineOption windowOption(QStringLiteral("window"),
                                          QStringLiteral("Show the operator window."));
    const QCommandLineOption secondsOption(QStringLiteral("seconds"),
                                           QStringLiteral("Run this long (SIGTERM ends sooner)."),
                                           QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption dataOption(QStringLiteral("data-dir"),
                                        QStringLiteral("The server's data directory (required)."),
                                        QStringLiteral("dir"));
    const QCommandLineOption intervalOption(QStringLiteral("interval"),
                                            QStringLiteral("Probe timer interval in ms."),
                                            QStringLiteral("ms"), QStringLiteral("10"));
    parser.addOptions({windowOption, secondsOption, dataOption, intervalOption});
    parser.process(app);
    const bool withWindow = parser.isSet(windowOption);
    const double seconds = parser.value(secondsOption).toDouble();
    const int intervalMs = parser.value(intervalOption).toInt();
    if (!parser.isSet(dataOption) || seconds <= 0 || intervalMs <= 0) {
        std::fputs("roomkeeper-guilag: give --data-dir DIR, --seconds > 0, --interval > 0\n",
                   stderr);
        return 2;
    }

    ServerConfig config;
    config.listenAddress = QHostAddress(QHostAddress::LocalHost);
    config.port = 0;
    config.dataDir = parser.value(dataOption);
    config.heartbeatIntervalMs = 15000;
    config.maxMessageRate = 0;
    config.maxConnections = 30000;
    config.maxConnectionsPerAddress = 30000;
    config.maxConcurrentHandshakes = 1024;
    config.maxOutboundQueue = 16 * 1024 * 1024;

    QThread coreThread;
    coreThread.setObjectName(QStringLiteral("core"));
    auto *server = new ChatServer(config);
    server->moveToThread(&coreThread);

    std::atomic<qint64> coreTid{0};
    int exitCode = 0;
    bool stopping = false;
    const auto requestStop = [server, &stopping] {
        if (stopping)
            return;
        stopping = true;
        QMetaObject::invokeMethod(server, &ChatServer::shutdown, Qt::QueuedConnection);
    };

    // On the core thread (the lambda's context is the server): create the room the load
    // generator joins, then report port and room from the GUI thread.
    QObject::connect(server, &ChatServer::started, server,
                     [server, &app, &coreTid](const QString &, quint16 port) {
                         coreTid.store(::gettid());
                         const auto created = server->moderation().createRoom(
                             Actor::operatorConsole(), QStringLiteral("guilag"), false);
                         const QUuid *room = std::get_if<QUuid>(&created);
                         const QString roomText =
                             room ? room->toString(QUuid::WithoutBraces) : QString();
                         QMetaObject::invokeMethod(&app, [port, roomText] {
                             printLine(QStringLiteral("port=%1").arg(port));
                             if (roomText.isEmpty())
                                 printLine(QStringLiteral("room=none"));
                             else
                                 printLine(QStringLiteral("room=") + roomText);
                         });
                     });
    QObject::connect(server, &ChatServer::startFailed, &app, [&](const QString &reason) {
        std::fprintf(stderr, "roomkeeper-guilag: %s\n", reason.toLocal8Bit().constData());
        exitCode = 1;
        coreThread.quit();
    });
    QObject::connect(&coreThread, &QThread::started, server, &ChatServer::start);
    QObject::connect(server, &ChatServer::stopped, &coreThread, &QThread::quit);
    QObject::connect(&coreThread, &QThread::finished, server, &QObject::deleteLater);
    QObject::connect(&coreThread, &QThread::finished, &app, &QCoreApplication::quit);

    // The window, wired as app/main.cpp wires it; its constructor connects the snapshot
    // and traffic feed (MainWindow::setServer).
    std::unique_ptr<MainWindow> window;
    if (withWindow) {
        QApplication::setQuitOnLastWindowClosed(false);
        window = std::make_unique<MainWindow>(server);
        QObject::connect(server, &ChatServer::started, window.get(), &MainWindow::setListening);
        QObject::connect(server, &ChatServer::statsUpdated, window.get(), &MainWindow::showStats);
        QObject::connect(window.get(), &MainWindow::stopRequested, &app, requestStop);
        window->show();
    }

    // The probe: each tick's lateness against the previous tick plus the interval.
    std::vector<qint64> lagsNs;
    lagsNs.reserve(size_t(seconds * 1000 / intervalMs) + 16);
    QElapsedTimer clock;
    qint64 lastNs = -1;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(intervalMs);
    QObject::connect(&probe, &QTimer::timeout, &app, [&] {
        const qint64 now = clock.nsecsElapsed();
        if (lastNs >= 0)
            lagsNs.push_back(std::max<qint64>(0, now - lastNs - qint64(intervalMs) * 1000000));
        lastNs = now;
    });

    double guiCpuStart = 0;
    double coreCpuStart = 0;
    const auto finish = [&] {
        if (stopping)
            return;
        probe.stop();
        const double elapsedS = double(clock.nsecsElapsed()) / 1e9;
        const double guiCpu = threadCpuMs(::getpid()) - guiCpuStart;
        const double coreCpu = threadCpuMs(coreTid.load()) - coreCpuStart;
        std::vector<qint64> sorted = lagsNs;
        std::sort(sorted.begin(), sorted.end());
        const auto over100 =
            std::count_if(sorted.begin(), sorted.end(), [](qint64 ns) { return ns > 100000000; });
        printLine(QStringLiteral("window=%1 seconds=%2 ticks=%3 lag_p50_ms=%4 lag_p99_ms=%5 "
                                 "lag_max_ms=%6 over_100ms=%7 gui_cpu_pct=%8 core_cpu_pct=%9")
                      .arg(withWindow ? QStringLiteral("yes") : QStringLiteral("no"))
                      .arg(elapsedS, 0, 'f', 1)
                      .arg(sorted.size())
                      .arg(percentile(sorted, 0.50), 0, 'f', 3)
                      .arg(percentile(sorted, 0.99), 0, 'f', 3)
                      .arg(sorted.empty() ? 0.0 : double(sorted.back()) / 1e6, 0, 'f', 3)
                      .arg(over100)
                      .arg(guiCpu / (elapsedS * 10), 0, 'f', 1)
                      .arg(coreCpu / (elapsedS * 10), 0, 'f', 1));
        requestStop();
    };

    // Measure from the moment the server listens.
    QObject::connect(server, &ChatServer::started, &app, [&] {
        guiCpuStart = threadCpuMs(::getpid());
        coreCpuStart = threadCpuMs(coreTid.load());
        clock.start();
        probe.start();
        QTimer::singleShot(qRound(seconds * 1000), &app, finish);
    });

    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    QTimer signalPoll;
    QObject::connect(&signalPoll, &QTimer::timeout, &app, [&] {
        if (g_stopSignal.load() && clock.isValid())
            finish();
        else if (g_stopSignal.load())
            requestStop();
    });
    signalPoll.start(50);

    coreThread.start();
    const int loopCode = app.exec();
    coreThread.quit();
    coreThread.wait();
    return exitCode != 0 ? exitCode : loopCode;
}

// roomkeeper-load: a load generator for a running Roomkeeper server (see RESULTS.md).
//
// Every simulated member is a minimal WebSocket client on one epoll loop in one thread. A
// probe showed QWebSocket clients spending most of a core on what this loop does in a
// fraction of one (RESULTS.md, "Choosing the load generator's client"), and the generator
// must outrun the server it measures.

#include "loadoptions.h"
#include "loadrunner.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QUrl>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>

using roomkeeper::bench::LoadOptions;

namespace {

QCommandLineOption option(const char *name, const char *description, const char *valueName = {},
                          const char *defaultValue = {})
{
    if (!valueName)
        return QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(description));
    QString text = QString::fromLatin1(description);
    if (defaultValue)
        text += QStringLiteral(" Default: ") + QString::fromLatin1(defaultValue) + QLatin1Char('.');
    return QCommandLineOption(QString::fromLatin1(name), text, QString::fromLatin1(valueName),
                              QString::fromLatin1(defaultValue));
}

void raiseFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("roomkeeper-load"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Load generator for a running Roomkeeper server. Prints one line of key=value "
        "figures and one line for people; exits 0 when every message reached every member "
        "exactly once and in order, 2 when not, 1 when it could not run."));
    parser.addHelpOption();
    const auto url = option("url", "Server to load, ws://127.0.0.1:PORT.", "url");
    const auto mode = option("mode", "fanout, rate, idle or sink (calibration).", "mode", "fanout");
    const auto room = option("room", "Room UUID to use; default: create one over /ws.", "uuid");
    const auto members = option("members", "Members in the room (C).", "n", "200");
    const auto senders = option("senders", "Members that send (S).", "n", "20");
    const auto window =
        option("window", "Fanout: unacknowledged messages per sender (W).", "n", "10");
    const auto bytes = option("bytes", "Message content size (B), at least ~32.", "n", "100");
    const auto duration = option("duration", "Seconds of sending or holding (D).", "s", "10");
    const auto rate = option("rate", "Rate mode: messages per second in total (R).", "n", "200");
    const auto connections = option("connections", "Idle mode: connections (N).", "n", "10000");
    const auto mix = option("mix", "Half the members on /ws, half on /gateway.");
    const auto pid = option("server-pid", "Server process, for its CPU time and RSS.", "pid", "0");
    const auto concurrency =
        option("connect-concurrency", "Connections being opened at once.", "n", "128");
    const auto drain = option("drain-timeout", "Seconds to wait for the last messages.", "s", "10");
    const auto join = option("join-timeout", "Seconds to wait for all connections.", "s", "120");
    const auto label = option("label", "Scenario name for the human line.", "text");
    const auto verbose = option("verbose", "Say on stderr when each phase starts.");
    const auto quickAck =
        option("quick-ack", "Diagnostic: ACK every read at once (TCP_QUICKACK), which hides "
                            "delays from Nagle's algorithm on the server.");
    parser.addOptions({url, mode, room, members, senders, window, bytes, duration, rate,
                       connections, mix, pid, concurrency, drain, join, label, verbose, quickAck});
    parser.process(app);

    LoadOptions o;
    const QUrl server(parser.value(url));
    if (!server.isValid() || server.scheme() != QLatin1StringView("ws") || server.port() <= 0) {
        std::fprintf(stderr, "roomkeeper-load: give --url ws://127.0.0.1:PORT\n");
        return 1;
    }
    o.host = server.host() == QLatin1StringView("localhost") ? std::string("127.0.0.1")
                                                             : server.host().toStdString();
    o.port = server.port();
    const QString path = server.path(QUrl::FullyEncoded);
    o.path = path.isEmpty() ? std::string(1, '/') : path.toStdString();
    const QString modeName = parser.value(mode);
    if (modeName == QLatin1StringView("fanout"))
        o.mode = LoadOptions::Mode::Fanout;
    else if (modeName == QLatin1StringView("rate"))
        o.mode = LoadOptions::Mode::Rate;
    else if (modeName == QLatin1StringView("idle"))
        o.mode = LoadOptions::Mode::Idle;
    else if (modeName == QLatin1StringView("sink"))
        o.mode = LoadOptions::Mode::Sink;
    else {
        std::fprintf(stderr, "roomkeeper-load: unknown --mode\n");
        return 1;
    }
    o.room = parser.value(room).toStdString();
    o.members = parser.value(members).toInt();
    o.senders = parser.value(senders).toInt();
    o.window = parser.value(window).toInt();
    o.bytes = parser.value(bytes).toInt();
    o.durationS = parser.value(duration).toDouble();
    o.rate = parser.value(rate).toDouble();
    o.connections = parser.value(connections).toInt();
    o.mix = parser.isSet(mix);
    o.serverPid = parser.value(pid).toInt();
    o.connectConcurrency = parser.value(concurrency).toInt();
    o.drainTimeoutS = parser.value(drain).toDouble();
    o.joinTimeoutS = parser.value(join).toDouble();
    o.label = parser.value(label).toStdString();
    o.verbose = parser.isSet(verbose);
    o.quickAck = parser.isSet(quickAck);
    if (o.members < 1 || o.senders < 1 || o.window < 1 || o.bytes < 1 || o.durationS <= 0 ||
        o.rate <= 0 || o.connections < 1 || o.connectConcurrency < 1) {
        std::fprintf(stderr, "roomkeeper-load: counts, sizes and durations must be positive\n");
        return 1;
    }

    std::signal(SIGPIPE, SIG_IGN);
    raiseFileLimit();
    roomkeeper::bench::LoadRunner runner(o);
    return runner.run();
}

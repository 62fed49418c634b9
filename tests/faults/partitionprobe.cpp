// roomkeeper-partition-probe: the measuring half of tests/faults/partition.sh (which makes
// the network namespace and the veth pair, and states the pass criterion).
//
//   roomkeeper-partition-probe --server BIN --netns NS --address A --link L [--interval MS]
//       starts the server on A (the root side of the veth pair) with --heartbeat-interval
//       MS, watches a room from this namespace, runs itself with --member inside NS, cuts
//       the link (ip -n NS link set L down: no FIN, no RST, nothing more reaches the server),
//       and times how the server finds out. Exit status 0: pass, 1: fail.
//   roomkeeper-partition-probe --member --url ws://A:PORT --room ID
//       (inside NS) one /ws and one /gateway member of the room that answer heartbeats and
//       print "ready room|gateway USER_ID" and "beat room|gateway MONOTONIC_MS" lines.
//
// Times on both sides are QElapsedTimer::msecsSinceReference() (CLOCK_MONOTONIC, which a
// network namespace shares).

#include "jsonfields.h"
#include "reconnectingclient.h"
#include "testclient.h"

#include "server/serverconfig.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

using namespace roomkeeper::test;

namespace {

qint64 monotonicMs()
{
    QElapsedTimer clock;
    clock.start();
    return clock.msecsSinceReference();
}

void say(const QString &text)
{
    std::printf("partition: %s\n", qPrintable(text));
    std::fflush(stdout);
}

// ---- inside the namespace -----------------------------------------------------------------

int runMember(const QUrl &server, const QString &roomId)
{
    ReconnectingClient room(ReconnectingClient::Door::Room, QStringLiteral("partitioned-ws"),
                            roomId);
    ReconnectingClient gateway(ReconnectingClient::Door::Gateway,
                               QStringLiteral("partitioned-gateway"), roomId);
    const auto report = [](ReconnectingClient &client, const char *door) {
        QObject::connect(&client, &ReconnectingClient::joined, &client, [&client, door] {
            std::printf("ready %s %s\n", door, qPrintable(client.userId()));
            std::fflush(stdout);
        });
        QObject::connect(&client, &ReconnectingClient::heartbeatSent, &client, [door] {
            std::printf("beat %s %lld\n", door, monotonicMs());
            std::fflush(stdout);
        });
    };
    report(room, "room");
    report(gateway, "gateway");
    room.start(server);
    gateway.start(server);
    return QCoreApplication::exec(); // until the probe kills it
}

// ---- in the root namespace ----------------------------------------------------------------

struct Metrics
{
    qint64 timeouts = -1;
    qint64 roomConnections = -1;
    qint64 gatewayConnections = -1;
};

// One GET /metrics; nothing when the server does not answer within a second.
std::optional<Metrics> readMetrics(const QString &address, quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(address, port);
    if (!socket.waitForConnected(1000))
        return std::nullopt;
    socket.write("GET /metrics HTTP/1.0\r\nHost: " + address.toLatin1() + "\r\n\r\n");
    QByteArray text;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < 1000) {
        socket.waitForReadyRead(100);
        text += socket.readAll();
    }
    text += socket.readAll();
    Metrics m;
    const QList<QByteArray> lines = text.split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> parts = line.trimmed().split(' ');
        if (parts.size() != 2)
            continue;
        if (parts[0] == "roomkeeper_heartbeat_timeouts_total")
            m.timeouts = parts[1].toLongLong();
        else if (parts[0] == "roomkeeper_connections{protocol=\"room\"}")
            m.roomConnections = parts[1].toLongLong();
        else if (parts[0] == "roomkeeper_connections{protocol=\"gateway\"}")
            m.gatewayConnections = parts[1].toLongLong();
    }
    if (m.timeouts < 0 || m.roomConnections < 0 || m.gatewayConnections < 0)
        return std::nullopt;
    return m;
}

class Probe
{
public:
    struct Options
    {
        QString server;
        QString netns;
        QString address;
        QString link;
        int intervalMs = 2000;
    };

    explicit Probe(const Options &o) : m_o(o) {}
    ~Probe();
    bool run();

private:
    bool fail(const QString &why);
    bool startServer();
    bool startMember();
    void memberOutput();
    // The last of 'beats' sent at least 'marginMs' before 'beforeMs', or -1.
    qint64 lastBeatBefore(const QList<qint64> &beats, qint64 beforeMs, qint64 marginMs) const;

    Options m_o;
    QTemporaryDir m_dataDir;
    std::unique_ptr<QProcess> m_server;
    std::unique_ptr<QProcess> m_member;
    quint16 m_port = 0;
    QString m_roomId;
    QByteArray m_memberBuffer;
    QString m_roomUser;
    QString m_gatewayUser;
    QList<qint64> m_roomBeats;
    QList<qint64> m_gatewayBeats;
};

Probe::~Probe()
{
    for (auto *process : {m_member.get(), m_server.get()}) {
        if (process && process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
}

bool Probe::fail(const QString &why)
{
    say(QStringLiteral("FAIL: ") + why);
    if (m_server)
        say(QStringLiteral("server stderr (last 2 KiB):\n") +
            QString::fromUtf8(m_server->readAllStandardError().right(2048)));
    if (m_member)
        say(QStringLiteral("member stderr:\n") +
            QString::fromUtf8(m_member->readAllStandardError().right(2048)));
    return false;
}

bool Probe::startServer()
{
    m_server = std::make_unique<QProcess>();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    m_server->setProcessEnvironment(env);
    m_server->start(m_o.server,
                    {QStringLiteral("--no-gui"), QStringLiteral("--listen"), m_o.address,
                     QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"),
                     m_dataDir.path(), QStringLiteral("--heartbeat-interval"),
                     QString::number(m_o.intervalMs)});
    if (!m_server->waitForStarted(5000))
        return false;
    if (!QTest::qWaitFor(
            [this] { return m_server->canReadLine() || m_server->state() == QProcess::NotRunning; },
            10000))
        return false;
    static const QRegularExpression listening(
        QStringLiteral("^roomkeeper: listening on ws://[^ ]*:([0-9]+) "));
    const QRegularExpressionMatch match =
        listening.match(QString::fromUtf8(m_server->readLine()).trimmed());
    m_port = match.hasMatch() ? quint16(match.captured(1).toUInt()) : 0;
    return m_port != 0;
}

bool Probe::startMember()
{
    m_member = std::make_unique<QProcess>();
    QObject::connect(m_member.get(), &QProcess::readyReadStandardOutput, m_member.get(),
                     [this] { memberOutput(); });
    m_member->start(QStringLiteral("ip"),
                    {QStringLiteral("netns"), QStringLiteral("exec"), m_o.netns,
                     QCoreApplication::applicationFilePath(), QStringLiteral("--member"),
                     QStringLiteral("--url"),
                     QStringLiteral("ws://%1:%2").arg(m_o.address).arg(m_port),
                     QStringLiteral("--room"), m_roomId});
    return m_member->waitForStarted(5000);
}

void Probe::memberOutput()
{
    m_memberBuffer += m_member->readAllStandardOutput();
    qsizetype end;
    while ((end = m_memberBuffer.indexOf('\n')) >= 0) {
        const QList<QByteArray> parts = m_memberBuffer.left(end).split(' ');
        m_memberBuffer.remove(0, end + 1);
        if (parts.size() != 3)
            continue;
        const bool gateway = parts[1] == "gateway";
        if (parts[0] == "ready")
            (gateway ? m_gatewayUser : m_roomUser) = QString::fromLatin1(parts[2]);
        else if (parts[0] == "beat")
            (gateway ? m_gatewayBeats : m_roomBeats).append(parts[2].toLongLong());
    }
}

qint64 Probe::lastBeatBefore(const QList<qint64> &beats, qint64 beforeMs, qint64 marginMs) const
{
    qint64 last = -1;
    for (qint64 t : beats) {
        if (t <= beforeMs - marginMs)
            last = std::max(last, t);
    }
    return last;
}

bool Probe::run()
{
    const int interval = m_o.intervalMs;
    // ChatServer sweeps heartbeats every clamp(interval / 4, 20, 1000) ms. A /ws connection
    // gets a ping one interval after the last and is dropped when one stays unanswered for
    // two intervals; a /gateway connection is dropped when no op 1 came for 1.5 intervals
    // (PROTOCOL.md §2.4, §3). The connection it gives up on gets a close frame and is
    // aborted after the slow-client grace; only then do the others hear of the exit.
    const int tick = std::clamp(interval / 4, 20, 1000);
    const int grace = roomkeeper::ServerConfig().slowClientGraceMs;
    const int slack = 2000;
    const qint64 roomWorst = 3LL * interval + 2 * tick + slack;
    const qint64 gatewayWorst = 3LL * interval / 2 + tick + slack;

    if (!m_dataDir.isValid())
        return fail(QStringLiteral("no temporary directory"));
    if (!startServer())
        return fail(QStringLiteral("the server did not start on ") + m_o.address);
    say(QStringLiteral("server on %1:%2, heartbeat interval %3 ms (swept every %4 ms, close "
                       "grace %5 ms)")
            .arg(m_o.address)
            .arg(m_port)
            .arg(interval)
            .arg(tick)
            .arg(grace));

    // The server's own word on when it gave up on whom: the console's watch stream.
    QList<QPair<QString, qint64>> detections; // user id, when the line arrived
    QByteArray serverBuffer;
    QObject::connect(m_server.get(), &QProcess::readyReadStandardOutput, m_server.get(), [&] {
        serverBuffer += m_server->readAllStandardOutput();
        qsizetype end;
        while ((end = serverBuffer.indexOf('\n')) >= 0) {
            const QList<QByteArray> fields = serverBuffer.left(end).split('\t');
            serverBuffer.remove(0, end + 1);
            if (fields.size() > 4 && fields[0] == "watch" && fields[2] == "heartbeat-timeout")
                detections.append({QString::fromLatin1(fields[4]), monotonicMs()});
        }
    });
    m_server->write("watch on\n");

    // The watcher, in this namespace: creates the room and answers its own pings.
    TestClient watcher;
    QList<QPair<QString, qint64>> exits; // user id, when its exit arrived
    QStringList entered;
    QObject::connect(&watcher.socket(), &QWebSocket::textMessageReceived, &watcher,
                     [&watcher, &exits, &entered](const QString &text) {
                         const QJsonObject f = QJsonDocument::fromJson(text.toUtf8()).object();
                         const QString type = str(f, "type");
                         if (type == QLatin1StringView("enter"))
                             entered.append(str(f, "user_id"));
                         else if (type == QLatin1StringView("exit"))
                             exits.append({str(f, "user_id"), monotonicMs()});
                         else if (type == QLatin1StringView("ping"))
                             watcher.send(
                                 {{QStringLiteral("type"), QStringLiteral("pong")},
                                  {QStringLiteral("time"), f.value(QStringLiteral("time"))}},
                                 false);
                     });
    if (!watcher.openRaw(
            QUrl(QStringLiteral("ws://%1:%2/ws?name=watcher").arg(m_o.address).arg(m_port))))
        return fail(QStringLiteral("the watcher could not connect"));
    const QJsonObject session = watcher.waitFor(QStringLiteral("session"));
    const QString key = str(session, "key");
    if (key.isEmpty())
        return fail(QStringLiteral("the watcher got no session"));
    watcher.send({{QStringLiteral("type"), QStringLiteral("create")},
                  {QStringLiteral("key"), key},
                  {QStringLiteral("name"), QStringLiteral("partition")}},
                 false);
    m_roomId = str(watcher.waitFor(QStringLiteral("room")), "room_id");
    if (m_roomId.isEmpty())
        return fail(QStringLiteral("the watcher could not create a room"));

    if (!startMember())
        return fail(QStringLiteral("could not run the member with ip netns exec"));
    if (!QTest::qWaitFor([this] { return !m_roomUser.isEmpty() && !m_gatewayUser.isEmpty(); },
                         15000))
        return fail(QStringLiteral("the members in the namespace did not join (room: %1, "
                                   "gateway: %2)")
                        .arg(m_roomUser, m_gatewayUser));
    if (!QTest::qWaitFor(
            [&] { return entered.contains(m_roomUser) && entered.contains(m_gatewayUser); }, 5000))
        return fail(QStringLiteral("the watcher did not see both members enter (saw %1)")
                        .arg(entered.join(QLatin1Char(' '))));
    const std::optional<Metrics> base = readMetrics(m_o.address, m_port);
    if (!base || base->roomConnections != 2 || base->gatewayConnections != 1)
        return fail(QStringLiteral("/metrics before the cut: %1 room, %2 gateway connections "
                                   "(expected 2 and 1)")
                        .arg(base ? base->roomConnections : -1)
                        .arg(base ? base->gatewayConnections : -1));

    // Heartbeats flow both ways before the cut: two pongs and two op 1s at least.
    if (!QTest::qWaitFor([this] { return m_roomBeats.size() >= 2 && m_gatewayBeats.size() >= 2; },
                         4 * interval + 5000))
        return fail(QStringLiteral("heartbeats did not flow before the cut (%1 pongs, %2 op 1)")
                        .arg(m_roomBeats.size())
                        .arg(m_gatewayBeats.size()));
    // Cut 300 ms after a pong, so that pong has surely arrived.
    const qint64 beats = m_roomBeats.size();
    if (!QTest::qWaitFor([&] { return m_roomBeats.size() > beats; }, 2 * interval + 2000))
        return fail(QStringLiteral("no further pong"));
    QTest::qWait(300);

    const qint64 cutStart = monotonicMs();
    const int status = QProcess::execute(QStringLiteral("ip"),
                                         {QStringLiteral("-n"), m_o.netns, QStringLiteral("link"),
                                          QStringLiteral("set"), QStringLiteral("dev"), m_o.link,
                                          QStringLiteral("down")});
    const qint64 cut = monotonicMs();
    if (status != 0)
        return fail(QStringLiteral("ip link set %1 down failed (%2)").arg(m_o.link).arg(status));
    say(QStringLiteral("link %1 in %2 down (took %3 ms)")
            .arg(m_o.link, m_o.netns)
            .arg(cut - cutStart));

    // Watch /metrics every 100 ms until both exits are seen, or well past the worst case.
    QList<qint64> counted; // when the timeout counter was seen to go up, one entry a step
    std::optional<Metrics> last;
    qint64 gaugesDropped = -1;
    const auto exitOf = [&exits](const QString &user) -> qint64 {
        for (const auto &[who, when] : exits)
            if (who == user)
                return when;
        return -1;
    };
    const auto detectionOf = [&detections](const QString &user) -> qint64 {
        for (const auto &[who, when] : detections)
            if (who == user)
                return when;
        return -1;
    };
    const qint64 giveUp = cut + roomWorst + grace + 3000;
    while (monotonicMs() < giveUp) {
        if (const std::optional<Metrics> m = readMetrics(m_o.address, m_port)) {
            while (m->timeouts - base->timeouts > counted.size())
                counted.append(monotonicMs());
            if (gaugesDropped < 0 && m->roomConnections == 1 && m->gatewayConnections == 0)
                gaugesDropped = monotonicMs();
            last = m;
        }
        if (exitOf(m_roomUser) >= 0 && exitOf(m_gatewayUser) >= 0 && gaugesDropped >= 0 &&
            counted.size() >= 2)
            break;
        QTest::qWait(100);
    }
    // Anything else the server might still do wrongly (a third timeout: the watcher).
    QTest::qWait(200);
    if (const std::optional<Metrics> m = readMetrics(m_o.address, m_port))
        last = m;
    // The room itself: only the watcher is left in it.
    watcher.send({{QStringLiteral("type"), QStringLiteral("rooms")}, {QStringLiteral("key"), key}},
                 false);
    qint64 participants = -1;
    const QJsonArray listed =
        watcher.waitFor(QStringLiteral("rooms")).value(QLatin1StringView("rooms")).toArray();
    for (const QJsonValue &v : listed) {
        if (str(v.toObject(), "room_id") == m_roomId)
            participants = v.toObject().value(QLatin1StringView("participants")).toInteger(-1);
    }

    // The last heartbeat each member sent that surely reached the server (50 ms before the
    // cut): nothing after it counts, so the deadline runs from it.
    const qint64 lastPong = lastBeatBefore(m_roomBeats, cutStart, 50);
    const qint64 lastOp1 = lastBeatBefore(m_gatewayBeats, cutStart, 50);
    // Earliest allowed: /ws, the next ping (>= 1 interval after the one answered) unanswered
    // for 2 intervals; /gateway, 1.5 intervals after the last op 1. 100 ms for clocks
    // read in two processes and the ping's way to the member.
    const qint64 roomEarliest = lastPong + 3LL * interval - 100;
    const qint64 gatewayEarliest = lastOp1 + 3LL * interval / 2 - 100;
    const qint64 roomExit = exitOf(m_roomUser);
    const qint64 gatewayExit = exitOf(m_gatewayUser);
    // Detected: the first sign of it here, the console's heartbeat-timeout line (which
    // names the cause) or the exit (which can come through the socket a little sooner).
    const auto first = [](qint64 watchLine, qint64 exit) {
        return watchLine < 0 ? -1 : exit < 0 ? watchLine : std::min(watchLine, exit);
    };
    const qint64 roomDetected = first(detectionOf(m_roomUser), roomExit);
    const qint64 gatewayDetected = first(detectionOf(m_gatewayUser), gatewayExit);
    const auto after = [cut](qint64 t) {
        return t < 0 ? QStringLiteral("never") : QStringLiteral("%1 ms").arg(t - cut);
    };
    say(QStringLiteral("/ws member: last pong %1 ms before the cut; detected %2 after the "
                       "cut (allowed from %3 to %4), watcher saw the exit %5 after it")
            .arg(cut - lastPong)
            .arg(after(roomDetected), after(roomEarliest), after(cut + roomWorst),
                 after(roomExit)));
    say(QStringLiteral("/gateway member: last op 1 %1 ms before the cut; detected %2 after the "
                       "cut (allowed from %3 to %4), watcher saw the exit %5 after it")
            .arg(cut - lastOp1)
            .arg(after(gatewayDetected), after(gatewayEarliest), after(cut + gatewayWorst),
                 after(gatewayExit)));
    say(QStringLiteral("/metrics: heartbeat timeouts %1 -> %2 (steps seen %3), connections "
                       "room %4 -> %5, gateway %6 -> %7 (seen %8 after the cut)")
            .arg(base->timeouts)
            .arg(last ? last->timeouts : -1)
            .arg(counted.isEmpty()
                     ? QStringLiteral("never")
                     : after(counted.first()) + QStringLiteral(", ") + after(counted.value(1, -1)))
            .arg(base->roomConnections)
            .arg(last ? last->roomConnections : -1)
            .arg(base->gatewayConnections)
            .arg(last ? last->gatewayConnections : -1)
            .arg(after(gaugesDropped)));
    say(QStringLiteral("room: %1 participant(s) left").arg(participants));

    QStringList problems;
    if (lastPong < 0 || lastOp1 < 0)
        problems.append(QStringLiteral("no heartbeat before the cut to measure from"));
    if (roomDetected < 0)
        problems.append(QStringLiteral("the server never said it dropped the /ws member for its "
                                       "heartbeat"));
    else if (roomDetected < roomEarliest)
        problems.append(QStringLiteral("the /ws member was dropped %1 ms before its deadline")
                            .arg(roomEarliest - roomDetected));
    else if (roomDetected > cut + roomWorst)
        problems.append(QStringLiteral("the /ws member was dropped %1 ms after the cut, over "
                                       "%2 ms")
                            .arg(roomDetected - cut)
                            .arg(roomWorst));
    if (gatewayDetected < 0)
        problems.append(QStringLiteral("the server never said it dropped the /gateway member for "
                                       "its heartbeat"));
    else if (gatewayDetected < gatewayEarliest)
        problems.append(QStringLiteral("the /gateway member was dropped %1 ms before its "
                                       "deadline")
                            .arg(gatewayEarliest - gatewayDetected));
    else if (gatewayDetected > cut + gatewayWorst)
        problems.append(QStringLiteral("the /gateway member was dropped %1 ms after the cut, "
                                       "over %2 ms")
                            .arg(gatewayDetected - cut)
                            .arg(gatewayWorst));
    if (roomExit < 0 || roomExit > cut + roomWorst + grace)
        problems.append(QStringLiteral("the watcher saw the /ws member leave %1 after the cut "
                                       "(at most %2 ms)")
                            .arg(after(roomExit))
                            .arg(roomWorst + grace));
    if (gatewayExit < 0 || gatewayExit > cut + gatewayWorst + grace)
        problems.append(QStringLiteral("the watcher saw the /gateway member leave %1 after the "
                                       "cut (at most %2 ms)")
                            .arg(after(gatewayExit))
                            .arg(gatewayWorst + grace));
    if (!last || last->timeouts != base->timeouts + 2)
        problems.append(QStringLiteral("/metrics counted %1 heartbeat timeouts, not 2")
                            .arg(last ? last->timeouts - base->timeouts : -1));
    if (!last || last->roomConnections != 1 || last->gatewayConnections != 0)
        problems.append(QStringLiteral("/metrics shows %1 room and %2 gateway connections, "
                                       "not 1 and 0")
                            .arg(last ? last->roomConnections : -1)
                            .arg(last ? last->gatewayConnections : -1));
    if (participants != 1)
        problems.append(QStringLiteral("the room lists %1 participants, not 1 (the watcher)")
                            .arg(participants));
    if (!watcher.isConnected())
        problems.append(QStringLiteral("the watcher itself was disconnected"));
    if (!problems.isEmpty()) {
        for (const QString &p : std::as_const(problems))
            say(QStringLiteral("FAIL: ") + p);
        return fail(QStringLiteral("%1 problem(s)").arg(problems.size()));
    }
    say(QStringLiteral("PASS: /ws member dropped %1 ms and /gateway member %2 ms after the "
                       "link went down, neither before its deadline")
            .arg(roomDetected - cut)
            .arg(gatewayDetected - cut));
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption member(QStringLiteral("member"), QStringLiteral("Run as the member."));
    const QCommandLineOption url(QStringLiteral("url"), QStringLiteral("Member: server."),
                                 QStringLiteral("url"));
    const QCommandLineOption room(QStringLiteral("room"), QStringLiteral("Member: room id."),
                                  QStringLiteral("uuid"));
    const QCommandLineOption server(QStringLiteral("server"), QStringLiteral("Server binary."),
                                    QStringLiteral("path"));
    const QCommandLineOption netns(QStringLiteral("netns"), QStringLiteral("Namespace."),
                                   QStringLiteral("name"));
    const QCommandLineOption address(
        QStringLiteral("address"), QStringLiteral("Root-side veth address."), QStringLiteral("ip"));
    const QCommandLineOption link(QStringLiteral("link"),
                                  QStringLiteral("The veth end inside the namespace."),
                                  QStringLiteral("name"));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Heartbeat interval, ms."),
                                      QStringLiteral("ms"), QStringLiteral("2000"));
    parser.addOptions({member, url, room, server, netns, address, link, interval});
    parser.process(app);
    if (parser.isSet(member))
        return runMember(QUrl(parser.value(url)), parser.value(room));

    Probe::Options o;
    o.server = parser.value(server);
    o.netns = parser.value(netns);
    o.address = parser.value(address);
    o.link = parser.value(link);
    o.intervalMs = parser.value(interval).toInt();
    if (o.server.isEmpty() || o.netns.isEmpty() || o.address.isEmpty() || o.link.isEmpty() ||
        o.intervalMs < 100) {
        std::fprintf(stderr, "roomkeeper-partition-probe: give --server, --netns, --address, "
                             "--link (and --interval >= 100)\n");
        return 1;
    }
    Probe probe(o);
    return probe.run() ? 0 : 1;
}

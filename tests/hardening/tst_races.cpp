// Moderation races (issue 9, item 11), over real sockets against the real server on
// port 0, many rounds each.
//
// Pass:
// - kick and ban against a flood: a member (on /ws or on /gateway) sends messages
//   without pause while an admin (over the room protocol, or the operator console) kicks
//   or bans it, 8 rounds per case. For every round, each observer (one on /ws, one on
//   /gateway) gets the flooder's messages in the order sent, then the kick or ban event,
//   and not one message of the flooder after that event; a flooder on /ws gets no room
//   message after its 'kick' and has each of its later messages refused with not_member;
//   the observers' message ids stay contiguous over the whole test. Each case also shows
//   the race was real: messages sent before the kick and refused after it (on /ws), or
//   fewer messages delivered than sent (on /gateway).
// - a /gateway member kicked or banned mid-flood (4 rounds each, admin and console in
//   turn) still gets op 5 naming itself, then close 4010 or 4011 (PROTOCOL.md §3).
// - a join in flight while the room is locked, 42 rounds: enter and lock sent at the
//   same instant in both orders, a console lock while the enter is still unread, a
//   gateway connection opened as the lock happens or locked out before its upgrade is
//   read, and an enter already answered before the lock. Either the joiner is refused
//   (room_closed on /ws, close 4006 on /gateway) and no observer ever sees it enter, or
//   every observer sees it enter before it sees the lock and the joiner's own picture of
//   the room says "not closed". Never a member that entered a locked room. Both outcomes
//   occur.

#include "../gateway/gatewayclient.h"
#include "jsonfields.h"
#include "serverconfigs.h"
#include "servertestmain.h"
#include "testclient.h"

#include "server/chatserver.h"

#include <QRandomGenerator>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;
using namespace Qt::StringLiterals;

namespace {

ServerConfig localConfig()
{
    ServerConfig c = localServerConfig();
    c.maxMessageRate = 0; // the flooder floods; rate limits are tested elsewhere
    return c;
}

qint64 num(const QJsonObject &o, const char *key)
{
    return qint64(o.value(QLatin1StringView(key)).toDouble(-1));
}

QJsonObject frameData(const QJsonObject &frame)
{
    return frame.value("d"_L1).toObject();
}

int op(const QJsonObject &frame)
{
    return frame.value("op"_L1).toInt(-1);
}

// "r3-17" -> 17 when the round is 3, else -1.
int sequenceIn(const QString &content, int round)
{
    const QString prefix = u"r%1-"_s.arg(round);
    return content.startsWith(prefix) ? content.mid(prefix.size()).toInt() : -1;
}

// Every message id a client got, in arrival order, must be the previous one plus one.
QString checkContiguous(const QList<qint64> &ids)
{
    for (qsizetype i = 1; i < ids.size(); ++i) {
        if (ids.at(i) != ids.at(i - 1) + 1)
            return u"message %1 followed message %2"_s.arg(ids.at(i)).arg(ids.at(i - 1));
    }
    return QString();
}

// The stage of a race: an admin who created room 'name', and a /ws and a /gateway member
// who watch it.
bool openRoomWithWatchers(quint16 port, const QString &name, TestClient &admin, TestClient &watcher,
                          GatewayClient &gatewayWatcher, QString &room)
{
    if (!admin.open(port, u"name=admin"_s))
        return false;
    room = admin.createRoom(name);
    return !room.isEmpty() && watcher.open(port, u"name=watcher"_s) && watcher.enter(room) &&
           gatewayWatcher.open(port, GatewayClient::query(room, u"gwatcher"_s));
}

} // namespace

class RacesTest : public QObject
{
    Q_OBJECT

private slots:
    void noMessageAfterKick_data();
    void noMessageAfterKick();
    void kickedGatewayMemberIsToldMidFlood_data();
    void kickedGatewayMemberIsToldMidFlood();
    void joinWhileLocking();

private:
    struct FloodReport
    {
        int refusedAfterKick = 0;
        int roundsCutShort = 0;
        QStringList untold; // rounds where a kicked /gateway flooder missed op 5 or its code
    };
    // Runs 'rounds' rounds of flood-then-kick (admin and console in turn) and checks the
    // ordering on every observer; fails the current test on any violation.
    void floodAndKick(bool gatewayFlooder, bool ban, int rounds, FloodReport &report);
};

void RacesTest::noMessageAfterKick_data()
{
    QTest::addColumn<bool>("gatewayFlooder");
    QTest::addColumn<bool>("ban");
    QTest::addRow("/ws flooder, kick") << false << false;
    QTest::addRow("/ws flooder, ban") << false << true;
    QTest::addRow("/gateway flooder, kick") << true << false;
    QTest::addRow("/gateway flooder, ban") << true << true;
}

void RacesTest::noMessageAfterKick()
{
    QFETCH(bool, gatewayFlooder);
    QFETCH(bool, ban);
    constexpr int Rounds = 8;
    FloodReport report;
    floodAndKick(gatewayFlooder, ban, Rounds, report);
    if (QTest::currentTestFailed())
        return;
    qInfo("%d refused after the kick; %d of %d rounds cut a flood short", report.refusedAfterKick,
          report.roundsCutShort, Rounds);
    if (gatewayFlooder)
        QVERIFY(report.roundsCutShort > 0);
    else
        QVERIFY(report.refusedAfterKick > 0);
}

void RacesTest::kickedGatewayMemberIsToldMidFlood_data()
{
    QTest::addColumn<bool>("ban");
    QTest::addRow("kick") << false;
    QTest::addRow("ban") << true;
}

// Pass: a /gateway member kicked or banned while it floods still gets op 5 naming itself
// and then the close code 4010 (kick) or 4011 (ban), PROTOCOL.md §3, in every round.
void RacesTest::kickedGatewayMemberIsToldMidFlood()
{
    QFETCH(bool, ban);
    FloodReport report;
    floodAndKick(true, ban, 4, report);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(report.untold.isEmpty(), qPrintable(report.untold.join(u"; "_s)));
}

void RacesTest::floodAndKick(bool gatewayFlooder, bool ban, int rounds, FloodReport &report)
{
    ChatServer server(localConfig());
    server.start();
    const quint16 port = server.port();

    TestClient admin;
    TestClient watcher;
    GatewayClient gatewayWatcher;
    QString room;
    QVERIFY(openRoomWithWatchers(port, u"arena"_s, admin, watcher, gatewayWatcher, room));

    // The flooder's identity lasts across rounds: its token brings it back.
    TestClient flooderWs;
    QVERIFY(flooderWs.open(port, u"name=flooder"_s));
    const QString flooder = flooderWs.userId();
    const QString token = flooderWs.token();

    for (int round = 0; round < rounds; ++round) {
        const bool byConsole = round % 2 == 1;
        if (ban && round > 0) {
            gatewayWatcher.drain();
            admin.send({{u"type"_s, u"unban"_s}, {u"room_id"_s, room}, {u"user_id"_s, flooder}});
            QVERIFY(!gatewayWatcher
                         .waitForOp(6,
                                    [&flooder](const QJsonObject &d) {
                                        return str(d, "userId") == flooder &&
                                               d.value("banned"_L1) == QJsonValue(false);
                                    })
                         .isEmpty());
        }

        const qsizetype watcherStart = watcher.frames().size();
        const qsizetype gatewayStart = gatewayWatcher.frames().size();
        const qsizetype flooderStart = flooderWs.frames().size();
        std::unique_ptr<GatewayClient> flooderGw;
        if (gatewayFlooder) {
            flooderGw = std::make_unique<GatewayClient>();
            QVERIFY(flooderGw->open(port, GatewayClient::query(room, QString(), token)));
        } else {
            QVERIFY(flooderWs.enter(room));
        }
        QVERIFY(
            !watcher
                 .waitFor(u"enter"_s,
                          [&flooder](const QJsonObject &o) { return str(o, "user_id") == flooder; })
                 .isEmpty());

        // Flood until told to go.
        int sent = 0;
        bool stop = false;
        QTimer flood;
        flood.setInterval(1);
        connect(&flood, &QTimer::timeout, this, [&] {
            for (int i = 0; i < 3 && !stop && sent < 3000; ++i) {
                const QString content = u"r%1-%2"_s.arg(round).arg(sent++);
                if (flooderGw)
                    flooderGw->sendOp(3, {{u"content"_s, content}});
                else
                    flooderWs.send(
                        {{u"type"_s, u"message"_s}, {u"room_id"_s, room}, {u"content"_s, content}});
            }
        });
        flood.start();
        const auto fromFlooderThisRound = [&](const QList<QJsonObject> &frames, qsizetype from) {
            int n = 0;
            for (qsizetype i = from; i < frames.size(); ++i)
                n += str(frames.at(i), "user_id") == flooder &&
                     sequenceIn(str(frames.at(i), "content"), round) >= 0;
            return n;
        };
        QVERIFY(QTest::qWaitFor(
            [&] { return fromFlooderThisRound(watcher.frames(), watcherStart) >= 20; }, 5000));

        if (byConsole) {
            const Actor console = Actor::operatorConsole();
            const QUuid roomId = QUuid::fromString(room);
            const QUuid target = QUuid::fromString(flooder);
            const Outcome outcome =
                ban ? server.moderation().ban(console, roomId, target, u"console ban"_s)
                    : server.moderation().kick(console, roomId, target, u"console kick"_s);
            QVERIFY(!outcome);
        } else {
            admin.send({{u"type"_s, u"kick"_s},
                        {u"room_id"_s, room},
                        {u"user_id"_s, flooder},
                        {u"permanent"_s, ban}});
        }

        // Everyone hears of it; the flooder stops once it has heard too.
        const QString reason = ban ? u"ban"_s : u"kick"_s;
        QVERIFY(!watcher
                     .waitFor(u"exit"_s,
                              [&](const QJsonObject &o) {
                                  return str(o, "user_id") == flooder && str(o, "reason") == reason;
                              })
                     .isEmpty());
        QVERIFY(
            !gatewayWatcher
                 .waitForOp(
                     5, [&flooder](const QJsonObject &d) { return str(d, "userId") == flooder; })
                 .isEmpty());
        if (flooderGw) {
            QVERIFY(flooderGw->waitForDisconnect());
            stop = true;
            const bool toldOp5 =
                !flooderGw->framesOfOp(5).isEmpty() &&
                str(frameData(flooderGw->framesOfOp(5).constLast()), "userId") == flooder;
            if (!toldOp5 || flooderGw->closeCode() != (ban ? 4011 : 4010))
                report.untold << u"round %1 (%2): %3, close code %4"_s.arg(round)
                                     .arg(byConsole ? "console"_L1 : "admin"_L1,
                                          toldOp5 ? "op 5"_L1 : "no op 5"_L1)
                                     .arg(flooderGw->closeCode());
            QTest::qWait(100); // anything still in flight would arrive now
        } else {
            QVERIFY(!flooderWs.waitFor(u"kick"_s).isEmpty());
            stop = true;
            // Every message sent is answered: delivered back to the flooder, or refused.
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             int answered = 0;
                             const QList<QJsonObject> frames = flooderWs.frames();
                             for (qsizetype i = flooderStart; i < frames.size(); ++i) {
                                 const QString type = str(frames.at(i), "type");
                                 answered += type == "error"_L1 ||
                                             (type == "message"_L1 &&
                                              str(frames.at(i), "user_id") == flooder);
                             }
                             return answered == sent;
                         },
                         10000),
                     qPrintable(u"round %1: not every message was answered"_s.arg(round)));
        }
        flood.stop();

        // The /ws watcher: the flooder's messages in order, then the event, then none.
        {
            const QList<QJsonObject> frames = watcher.frames();
            int expected = 0;
            bool gone = false;
            for (qsizetype i = watcherStart; i < frames.size(); ++i) {
                const QJsonObject &f = frames.at(i);
                if (str(f, "type") == "exit"_L1 && str(f, "user_id") == flooder) {
                    gone = true;
                } else if (str(f, "type") == "message"_L1 && str(f, "user_id") == flooder) {
                    QVERIFY2(
                        !gone,
                        qPrintable(u"round %1 (%2): message '%3' after the %4"_s.arg(round).arg(
                            byConsole ? "console"_L1 : "admin"_L1, str(f, "content"), reason)));
                    QCOMPARE(sequenceIn(str(f, "content"), round), expected++);
                }
            }
            QVERIFY(gone);
            QVERIFY(expected >= 20);
            if (expected < sent)
                ++report.roundsCutShort;
        }
        // The /gateway watcher: op 3 in order, then op 5, then no op 3 of the flooder.
        {
            const QList<QJsonObject> frames = gatewayWatcher.frames();
            int expected = 0;
            bool gone = false;
            for (qsizetype i = gatewayStart; i < frames.size(); ++i) {
                const QJsonObject d = frameData(frames.at(i));
                if (op(frames.at(i)) == 5 && str(d, "userId") == flooder) {
                    gone = true;
                } else if (op(frames.at(i)) == 3 && str(d, "authorId") == flooder) {
                    QVERIFY2(!gone, qPrintable(u"round %1: op 3 '%2' after op 5"_s.arg(round).arg(
                                        str(d, "content"))));
                    QCOMPARE(sequenceIn(str(d, "content"), round), expected++);
                }
            }
            QVERIFY(gone);
        }
        // The /ws flooder: its own messages until 'kick', then refusals only.
        if (!flooderGw) {
            const QList<QJsonObject> frames = flooderWs.frames();
            bool kicked = false;
            for (qsizetype i = flooderStart; i < frames.size(); ++i) {
                const QString type = str(frames.at(i), "type");
                if (type == "kick"_L1) {
                    kicked = true;
                } else if (type == "message"_L1) {
                    QVERIFY2(!kicked, qPrintable(u"round %1: a message after 'kick'"_s.arg(round)));
                } else if (type == "error"_L1) {
                    QCOMPARE(str(frames.at(i), "code"), u"not_member"_s);
                    QVERIFY(kicked);
                    ++report.refusedAfterKick;
                }
            }
        }
    }

    QList<qint64> ids;
    for (const QJsonObject &f : watcher.frames()) {
        if (str(f, "type") == "message"_L1)
            ids.append(num(f, "message_id"));
    }
    QList<qint64> gatewayIds;
    for (const QJsonObject &f : gatewayWatcher.frames()) {
        if (op(f) == 3)
            gatewayIds.append(num(frameData(f), "messageId"));
    }
    QCOMPARE(gatewayIds, ids);
    QVERIFY2(checkContiguous(ids).isEmpty(), qPrintable(checkContiguous(ids)));
    qInfo("%lld messages delivered in %d rounds", qint64(ids.size()), rounds);
}

void RacesTest::joinWhileLocking()
{
    constexpr int Rounds = 42;
    ServerConfig config = localConfig();
    ChatServer server(config);
    server.start();
    const quint16 port = server.port();

    TestClient admin;
    TestClient watcher;
    GatewayClient gatewayWatcher;
    QString room;
    QVERIFY(openRoomWithWatchers(port, u"door"_s, admin, watcher, gatewayWatcher, room));
    TestClient joiner;
    QVERIFY(joiner.open(port, u"name=joiner"_s));

    const auto lockedPicture = [&room](bool closed) {
        return [&room, closed](const QJsonObject &o) {
            return str(o, "room_id") == room && o.value("closed"_L1).toBool() == closed;
        };
    };
    const auto lockByAdmin = [&](bool closed) {
        admin.send({{u"type"_s, u"update"_s}, {u"room_id"_s, room}, {u"closed"_s, closed}});
    };
    const auto lockByConsole = [&] {
        RoomUpdate update;
        update.closed = true;
        return server.moderation().update(Actor::operatorConsole(), QUuid::fromString(room),
                                          update);
    };

    int entered = 0;
    int refused = 0;
    QRandomGenerator random(9);
    for (int round = 0; round < Rounds; ++round) {
        const int mode = round % 6;
        const qsizetype watcherStart = watcher.frames().size();
        const qsizetype gatewayStart = gatewayWatcher.frames().size();
        const qsizetype joinerStart = joiner.frames().size();
        std::unique_ptr<GatewayClient> gatewayJoiner;
        const QJsonObject enter{{u"type"_s, u"enter"_s}, {u"room_id"_s, room}};

        switch (mode) {
        case 0: // the same instant, enter first
            joiner.send(enter);
            lockByAdmin(true);
            break;
        case 1: // the same instant, lock first
            lockByAdmin(true);
            joiner.send(enter);
            break;
        case 2: // the console locks while the enter is still unread: refused for sure
            joiner.send(enter);
            QVERIFY(!lockByConsole());
            break;
        case 3:   // a gateway connection opened as the lock happens
        case 4: { // the console locks before that connection's upgrade is read: refused
            gatewayJoiner = std::make_unique<GatewayClient>();
            QUrl url(u"ws://127.0.0.1:%1/gateway"_s.arg(port));
            url.setQuery(GatewayClient::query(room, u"late"_s));
            gatewayJoiner->socket().open(url);
            if (mode == 4) {
                QVERIFY(!lockByConsole());
            } else {
                QTest::qWait(int(random.bounded(8)));
                lockByAdmin(true);
            }
            break;
        }
        default: // the enter answered before the lock: in for sure
            joiner.send(enter);
            QVERIFY(!joiner.waitFor(u"room"_s, lockedPicture(false)).isEmpty());
            lockByAdmin(true);
            break;
        }

        // Wait until both sides are settled: the lock seen, the joiner answered.
        QVERIFY(!watcher.waitFor(u"room"_s, lockedPicture(true)).isEmpty());
        QString joinerId = joiner.userId();
        bool in = false;
        if (gatewayJoiner) {
            QVERIFY(QTest::qWaitFor(
                [&] {
                    return !gatewayJoiner->framesOfOp(8).isEmpty() ||
                           gatewayJoiner->closeCode() != -1;
                },
                5000));
            in = !gatewayJoiner->framesOfOp(8).isEmpty();
            if (in) {
                const QJsonObject ready = frameData(gatewayJoiner->framesOfOp(8).first());
                joinerId = str(ready, "userId");
                QVERIFY2(!ready.value("room"_L1).toObject().value("roomLocked"_L1).toBool(),
                         "the joiner entered a locked room");
            } else {
                QVERIFY(gatewayJoiner->waitForDisconnect());
                QCOMPARE(gatewayJoiner->closeCode(), 4006);
            }
        } else {
            QVERIFY(QTest::qWaitFor(
                [&] {
                    const QList<QJsonObject> frames = joiner.frames();
                    for (qsizetype i = joinerStart; i < frames.size(); ++i) {
                        const QString type = str(frames.at(i), "type");
                        if (type == "error"_L1 ||
                            (type == "room"_L1 && str(frames.at(i), "room_id") == room))
                            return true;
                    }
                    return false;
                },
                5000));
            const QList<QJsonObject> frames = joiner.frames();
            for (qsizetype i = joinerStart; i < frames.size(); ++i) {
                const QJsonObject &f = frames.at(i);
                if (str(f, "type") == "error"_L1) {
                    QCOMPARE(str(f, "code"), u"room_closed"_s);
                    QCOMPARE(str(f, "ref"), u"enter"_s);
                    break;
                }
                if (str(f, "type") == "room"_L1 && str(f, "room_id") == room) {
                    in = true;
                    QVERIFY2(!f.value("closed"_L1).toBool(), "the joiner entered a locked room");
                    break;
                }
            }
        }
        QVERIFY(!gatewayWatcher
                     .waitForOp(
                         4, [](const QJsonObject &d) { return d.value("roomLocked"_L1).toBool(); })
                     .isEmpty());
        QTest::qWait(20); // a late 'enter' would show now

        // Every observer: the joiner's entry, if any, comes before the lock.
        {
            const QList<QJsonObject> frames = watcher.frames();
            qsizetype enterAt = -1;
            qsizetype lockAt = -1;
            for (qsizetype i = watcherStart; i < frames.size(); ++i) {
                const QJsonObject &f = frames.at(i);
                // Only the joiner tries to get in: any entry is the joiner's.
                if (enterAt < 0 && str(f, "type") == "enter"_L1)
                    enterAt = i;
                if (lockAt < 0 && str(f, "type") == "room"_L1 && f.value("closed"_L1).toBool())
                    lockAt = i;
            }
            QVERIFY(lockAt >= 0);
            if (in)
                QVERIFY2(
                    enterAt >= 0 && enterAt < lockAt,
                    qPrintable(u"round %1: entered at %2, lock at %3"_s.arg(round).arg(enterAt).arg(
                        lockAt)));
            else
                QVERIFY2(enterAt < 0,
                         qPrintable(u"round %1: refused but seen entering"_s.arg(round)));
        }
        {
            const QList<QJsonObject> frames = gatewayWatcher.frames();
            qsizetype enterAt = -1;
            qsizetype lockAt = -1;
            for (qsizetype i = gatewayStart; i < frames.size(); ++i) {
                const QJsonObject d = frameData(frames.at(i));
                if (enterAt < 0 && op(frames.at(i)) == 9)
                    enterAt = i;
                if (lockAt < 0 && op(frames.at(i)) == 4 && d.value("roomLocked"_L1).toBool())
                    lockAt = i;
            }
            QVERIFY(lockAt >= 0);
            if (in)
                QVERIFY(enterAt >= 0 && enterAt < lockAt);
            else
                QVERIFY(enterAt < 0);
        }
        const Room *state = server.rooms().find(QUuid::fromString(room));
        QVERIFY(state && state->settings().closed);
        QCOMPARE(state->hasParticipant(QUuid::fromString(joinerId)), in);
        if (mode == 2 || mode == 4)
            QVERIFY2(!in, "entered after a console lock");
        if (mode == 5)
            QVERIFY(in);
        (in ? entered : refused) += 1;

        // Back to an open room without the joiner.
        if (in) {
            if (gatewayJoiner)
                gatewayJoiner->close();
            else
                joiner.send({{u"type"_s, u"exit"_s}, {u"room_id"_s, room}});
            QVERIFY(!watcher
                         .waitFor(u"exit"_s,
                                  [&joinerId](const QJsonObject &o) {
                                      return str(o, "user_id") == joinerId;
                                  })
                         .isEmpty());
        }
        lockByAdmin(false);
        QVERIFY(!watcher.waitFor(u"room"_s, lockedPicture(false)).isEmpty());
        QVERIFY(!gatewayWatcher
                     .waitForOp(4,
                                [](const QJsonObject &d) {
                                    return d.contains("roomLocked"_L1) &&
                                           !d.value("roomLocked"_L1).toBool();
                                })
                     .isEmpty());
    }
    qInfo("%d rounds: %d entered before the lock, %d refused", Rounds, entered, refused);
    QVERIFY(entered > 0);
    QVERIFY(refused > 0);
}

ROOMKEEPER_SERVER_TEST_MAIN(RacesTest)
#include "tst_races.moc"

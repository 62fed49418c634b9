// The window's models, fed like the core feeds them: whole snapshots and traffic batches.
// Each is checked by QAbstractItemModelTester, and updates must be small edits (no
// resets), so selections in the views survive.

#include "sampledata.h"

#include "ui/auditmodel.h"
#include "ui/bansmodel.h"
#include "ui/participantsmodel.h"
#include "ui/roomsmodel.h"
#include "ui/trafficfiltermodel.h"
#include "ui/trafficmodel.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

using Tester = QAbstractItemModelTester;
constexpr auto Report = QAbstractItemModelTester::FailureReportingMode::QtTest;

ServerSnapshot snapshotOf(const QList<RoomSnapshot> &rooms)
{
    ServerSnapshot s;
    s.rooms = rooms;
    return s;
}

QStringList column(const QAbstractItemModel &model, int column, int role = Qt::DisplayRole)
{
    QStringList values;
    for (int row = 0; row < model.rowCount(); ++row)
        values << model.index(row, column).data(role).toString();
    return values;
}

TrafficEvent event(int n, bool incoming = true)
{
    TrafficEvent e;
    e.timeMs = 1'700'000'000'000 + n;
    e.incoming = incoming;
    e.type = QStringLiteral("message");
    e.size = n;
    e.summary = QStringLiteral("event %1").arg(n);
    return e;
}

TrafficBatch batch(int from, int count, quint64 skipped = 0)
{
    TrafficBatch b;
    for (int i = from; i < from + count; ++i)
        b.events << event(i, i % 2 == 0);
    b.skipped = skipped;
    return b;
}

} // namespace

class ModelsTest : public QObject
{
    Q_OBJECT

private slots:
    void roomsFollowSnapshotsWithoutResets();
    void roomsSurviveRandomSnapshots();
    void roomsShowLimitsLocksAndWebhook();
    void participantsFollowTheSelectedRoom();
    void participantSelectionSurvivesSnapshots();
    void participantsColumns();
    void trafficRingWrapsAround();
    void trafficCountsSkippedAndPaused();
    void trafficOversizedBatchKeepsTheNewest();
    void trafficShowsNamesFromSnapshots();
    void trafficFilter();
    void bansKeepAStableOrderAndUpdateInPlace();
    void auditIsNewestFirst();
};

void ModelsTest::roomsFollowSnapshotsWithoutResets()
{
    RoomsModel model;
    Tester tester(&model, Report);
    QSignalSpy resets(&model, &QAbstractItemModel::modelAboutToBeReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    const RoomSnapshot a = sampleRoom(QStringLiteral("a"), {});
    RoomSnapshot b = sampleRoom(QStringLiteral("b"), {});
    const RoomSnapshot c = sampleRoom(QStringLiteral("c"), {});
    model.applySnapshot(snapshotOf({a, b}));
    QCOMPARE(column(model, RoomsModel::NameColumn),
             (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QCOMPARE(inserted.count(), 1); // one run of two rows

    const QPersistentModelIndex bIndex = model.index(1, 0);
    model.applySnapshot(snapshotOf({a, b})); // nothing changed: no signal at all
    QCOMPARE(changed.count(), 0);
    QCOMPARE(inserted.count(), 1);

    b.participants << samplePerson(QStringLiteral("zoe"), QStringLiteral("#123456"), 2);
    model.applySnapshot(snapshotOf({b, c})); // a goes, b changes, c comes
    QCOMPARE(column(model, RoomsModel::NameColumn),
             (QStringList{QStringLiteral("b"), QStringLiteral("c")}));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.last().at(0).toModelIndex().row(), 0);
    QVERIFY(bIndex.isValid());
    QCOMPARE(bIndex.row(), 0);
    QCOMPARE(bIndex.data(RoomsModel::ParticipantCountRole).toInt(), 1);
    QCOMPARE(bIndex.data(RoomsModel::ConnectionCountRole).toInt(), 2);

    model.applySnapshot(snapshotOf({}));
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(resets.count(), 0);
}

void ModelsTest::roomsSurviveRandomSnapshots()
{
    RoomsModel model;
    Tester tester(&model, Report);
    QSignalSpy resets(&model, &QAbstractItemModel::modelAboutToBeReset);
    QList<RoomSnapshot> pool;
    for (int i = 0; i < 12; ++i)
        pool << sampleRoom(QStringLiteral("room %1").arg(i), {});
    QRandomGenerator random(42);
    for (int round = 0; round < 300; ++round) {
        QList<RoomSnapshot> rooms;
        for (const RoomSnapshot &room : pool) {
            if (random.bounded(3) != 0) {
                RoomSnapshot r = room;
                r.chatLocked = random.bounded(2) == 1;
                r.maxParticipants = int(random.bounded(3));
                rooms << r;
            }
        }
        if (random.bounded(4) == 0) // now and then the core's order changes
            std::shuffle(rooms.begin(), rooms.end(), random);
        model.applySnapshot(snapshotOf(rooms));
        QCOMPARE(model.rowCount(), rooms.size());
        for (int row = 0; row < rooms.size(); ++row) {
            QCOMPARE(model.index(row, 0).data(RoomsModel::IdRole).toUuid(), rooms.at(row).id);
            QCOMPARE(model.index(row, 0).data(RoomsModel::ChatLockedRole).toBool(),
                     rooms.at(row).chatLocked);
        }
    }
    QCOMPARE(resets.count(), 0);
}

void ModelsTest::roomsShowLimitsLocksAndWebhook()
{
    RoomsModel model;
    Tester tester(&model, Report);
    const ServerSnapshot s = sampleSnapshot(1'700'000'000'000);
    model.applySnapshot(s);
    QCOMPARE(model.rowCount(), 4);
    const QModelIndex lecture = model.index(0, RoomsModel::MembersColumn);
    QCOMPARE(lecture.data().toString(), QStringLiteral("8 / 40"));
    QCOMPARE(model.index(1, RoomsModel::MembersColumn).data().toString(), QStringLiteral("3"));
    QCOMPARE(model.index(2, RoomsModel::LocksColumn).data().toString(),
             QStringLiteral("room · chat"));
    QCOMPARE(model.index(0, RoomsModel::LocksColumn).data().toString(), QString());
    QVERIFY(!model.index(0, RoomsModel::NameColumn).data(Qt::DecorationRole).isNull()); // pinned
    QVERIFY(!model.index(2, RoomsModel::LocksColumn).data(Qt::DecorationRole).isNull());
    QVERIFY(model.index(1, RoomsModel::LocksColumn).data(RoomsModel::ClosedRole).toBool());
    QVERIFY(!model.index(1, RoomsModel::LocksColumn).data(RoomsModel::ChatLockedRole).toBool());
    QCOMPARE(model.index(0, RoomsModel::WebhookColumn).data().toString(),
             QStringLiteral("0 queued, 311 delivered"));
    QCOMPARE(model.index(1, RoomsModel::WebhookColumn).data().toString(), QString());
    QCOMPARE(model.rowOf(s.rooms.at(2).id), 2);
    QCOMPARE(model.headerData(RoomsModel::NameColumn, Qt::Horizontal).toString(),
             QStringLiteral("Room"));
}

void ModelsTest::participantsFollowTheSelectedRoom()
{
    ParticipantsModel model;
    Tester tester(&model, Report);
    QSignalSpy resets(&model, &QAbstractItemModel::modelAboutToBeReset);
    const ParticipantSnapshot ann = samplePerson(QStringLiteral("ann"), QStringLiteral("#aa0000"));
    const ParticipantSnapshot bob = samplePerson(QStringLiteral("bob"), QStringLiteral("#00aa00"));
    const ParticipantSnapshot cyd = samplePerson(QStringLiteral("cyd"), QStringLiteral("#0000aa"));
    RoomSnapshot one = sampleRoom(QStringLiteral("one"), {ann, bob});
    const RoomSnapshot two = sampleRoom(QStringLiteral("two"), {cyd});

    model.applySnapshot(snapshotOf({one, two}));
    QCOMPARE(model.rowCount(), 0); // no room chosen
    model.setRoom(one.id);
    QCOMPARE(resets.count(), 1); // another room: a new list
    QCOMPARE(column(model, ParticipantsModel::NameColumn),
             (QStringList{QStringLiteral("ann"), QStringLiteral("bob")}));

    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    one.participants = {bob, cyd}; // ann leaves, cyd enters
    model.applySnapshot(snapshotOf({one, two}));
    QCOMPARE(column(model, ParticipantsModel::NameColumn),
             (QStringList{QStringLiteral("bob"), QStringLiteral("cyd")}));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(inserted.count(), 1);

    model.setRoom(two.id);
    QCOMPARE(column(model, ParticipantsModel::NameColumn), (QStringList{QStringLiteral("cyd")}));
    model.applySnapshot(snapshotOf({one})); // the room closed
    QCOMPARE(model.rowCount(), 0);
    model.setRoom(QUuid());
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(resets.count(), 3);
}

void ModelsTest::participantSelectionSurvivesSnapshots()
{
    ParticipantsModel model;
    Tester tester(&model, Report);
    QItemSelectionModel selection(&model);
    ParticipantSnapshot ann = samplePerson(QStringLiteral("ann"), QStringLiteral("#aa0000"));
    ParticipantSnapshot bob = samplePerson(QStringLiteral("bob"), QStringLiteral("#00aa00"));
    const ParticipantSnapshot cyd = samplePerson(QStringLiteral("cyd"), QStringLiteral("#0000aa"));
    RoomSnapshot room = sampleRoom(QStringLiteral("room"), {ann, bob});
    model.applySnapshot(snapshotOf({room}));
    model.setRoom(room.id);
    selection.setCurrentIndex(model.index(1, 0),
                              QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

    for (int i = 0; i < 20; ++i) { // counters tick, people come and go around bob
        bob.messagesSent += 3;
        bob.roundTripMs = 10 + i;
        room.participants = i % 2 == 0 ? QList<ParticipantSnapshot>{bob, cyd}
                                       : QList<ParticipantSnapshot>{ann, cyd, bob};
        model.applySnapshot(snapshotOf({room}));
        const QModelIndexList selected = selection.selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data(ParticipantsModel::IdRole).toUuid(), bob.user);
        QCOMPARE(selection.currentIndex().data(ParticipantsModel::IdRole).toUuid(), bob.user);
        QCOMPARE(
            selected.first().siblingAtColumn(ParticipantsModel::MessagesColumn).data().toString(),
            QString::number(bob.messagesSent));
    }
}

void ModelsTest::participantsColumns()
{
    ParticipantsModel model;
    Tester tester(&model, Report);
    const ServerSnapshot s = sampleSnapshot(1'700'000'000'000);
    model.applySnapshot(s);
    model.setRoom(s.rooms.first().id);
    QCOMPARE(model.rowCount(), 8);
    QCOMPARE(model.columnCount(), int(ParticipantsModel::ColumnCount));
    const auto cell = [&model](int row, int column, int role = Qt::DisplayRole) {
        return model.index(row, column).data(role);
    };
    QCOMPARE(cell(0, ParticipantsModel::RoleColumn).toString(), QStringLiteral("creator"));
    QCOMPARE(cell(2, ParticipantsModel::RoleColumn).toString(), QStringLiteral("admin"));
    QCOMPARE(cell(1, ParticipantsModel::RoleColumn).toString(), QString());
    QCOMPARE(cell(1, ParticipantsModel::UserIdColumn).toString().size(), 8);
    QCOMPARE(cell(4, ParticipantsModel::ProtocolColumn).toString(), QStringLiteral("ws + gateway"));
    QCOMPARE(cell(4, ParticipantsModel::QueueColumn).toString(), QStringLiteral("18.0 KiB"));
    QCOMPARE(cell(4, ParticipantsModel::QueueColumn, ParticipantsModel::SortRole).toLongLong(),
             18432);
    QCOMPARE(cell(7, ParticipantsModel::RoundTripColumn).toString(), QStringLiteral("–"));
    QCOMPARE(cell(0, ParticipantsModel::RoundTripColumn).toString(), QStringLiteral("3 ms"));
    QCOMPARE(cell(1, ParticipantsModel::ColorColumn, Qt::DecorationRole).value<QColor>(),
             QColor(QStringLiteral("#db2777")));
    QVERIFY(cell(1, ParticipantsModel::AddressColumn)
                .toString()
                .startsWith(QStringLiteral("192.168.1.")));
    QVERIFY(cell(0, ParticipantsModel::NameColumn, ParticipantsModel::AdminRole).toBool());
    QVERIFY(!cell(1, ParticipantsModel::NameColumn, ParticipantsModel::AdminRole).toBool());
}

void ModelsTest::trafficRingWrapsAround()
{
    TrafficModel model;
    QCOMPARE(model.capacity(), 10000);
    model.setCapacity(5);
    Tester tester(&model, Report);
    QSignalSpy resets(&model, &QAbstractItemModel::modelAboutToBeReset);

    model.appendTraffic(batch(0, 3));
    QCOMPARE(model.rowCount(), 3);
    model.appendTraffic(batch(3, 4)); // 7 events in a ring of 5: 0 and 1 fall off the top
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.evicted(), 2u);
    QCOMPARE(column(model, TrafficModel::SummaryColumn),
             (QStringList{QStringLiteral("event 2"), QStringLiteral("event 3"),
                          QStringLiteral("event 4"), QStringLiteral("event 5"),
                          QStringLiteral("event 6")}));
    for (int round = 0; round < 7; ++round) // wrap around the ring several times
        model.appendTraffic(batch(7 + round * 3, 3));
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(column(model, TrafficModel::SummaryColumn),
             (QStringList{QStringLiteral("event 23"), QStringLiteral("event 24"),
                          QStringLiteral("event 25"), QStringLiteral("event 26"),
                          QStringLiteral("event 27")}));
    QCOMPARE(model.evicted(), 23u);
    QCOMPARE(model.received(), 28u);
    QCOMPARE(model.index(0, TrafficModel::DirectionColumn).data().toString(),
             QStringLiteral("out"));
    QCOMPARE(model.index(1, TrafficModel::DirectionColumn).data().toString(), QStringLiteral("in"));
    QCOMPARE(resets.count(), 0);

    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.evicted(), 0u);
    model.appendTraffic(batch(100, 2));
    QCOMPARE(column(model, TrafficModel::SummaryColumn),
             (QStringList{QStringLiteral("event 100"), QStringLiteral("event 101")}));
}

void ModelsTest::trafficCountsSkippedAndPaused()
{
    TrafficModel model;
    model.setCapacity(100);
    Tester tester(&model, Report);
    QSignalSpy counters(&model, &TrafficModel::countersChanged);
    model.appendTraffic(batch(0, 10, 250)); // the core sampled 10 of 260
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.skipped(), 250u);
    QVERIFY(counters.count() >= 1);

    TrafficBatch onlySkipped;
    onlySkipped.skipped = 40;
    model.appendTraffic(onlySkipped);
    QCOMPARE(model.skipped(), 290u);

    model.setPaused(true);
    model.appendTraffic(batch(10, 5, 5)); // shown nothing; all of it skipped
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.skipped(), 300u);
    model.setPaused(false);
    model.appendTraffic(batch(15, 1));
    QCOMPARE(model.rowCount(), 11);
    QCOMPARE(model.index(10, TrafficModel::SummaryColumn).data().toString(),
             QStringLiteral("event 15"));
    QCOMPARE(model.received(), 10u + 250u + 40u + 10u + 1u);
}

void ModelsTest::trafficOversizedBatchKeepsTheNewest()
{
    TrafficModel model;
    model.setCapacity(4);
    Tester tester(&model, Report);
    model.appendTraffic(batch(0, 3));
    model.appendTraffic(batch(3, 9));
    QCOMPARE(column(model, TrafficModel::SummaryColumn),
             (QStringList{QStringLiteral("event 8"), QStringLiteral("event 9"),
                          QStringLiteral("event 10"), QStringLiteral("event 11")}));
    QCOMPARE(model.evicted(), 8u);
}

void ModelsTest::trafficShowsNamesFromSnapshots()
{
    TrafficModel model;
    Tester tester(&model, Report);
    const ServerSnapshot s = sampleSnapshot(1'700'000'000'000);
    model.appendTraffic(sampleTraffic(s, 1'700'000'000'000, 10));
    // Before any snapshot: short ids.
    QCOMPARE(model.index(0, TrafficModel::RoomColumn).data().toString().size(), 8);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.applySnapshot(s);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.index(0, TrafficModel::RoomColumn).data().toString(),
             QStringLiteral("Physics 101"));
    QCOMPARE(model.index(0, TrafficModel::UserColumn).data().toString(),
             QStringLiteral("Ms Okafor"));
    model.applySnapshot(s); // nothing new
    QCOMPARE(changed.count(), 1);
}

void ModelsTest::trafficFilter()
{
    TrafficModel model;
    TrafficFilterModel filter;
    filter.setSourceModel(&model);
    Tester tester(&filter, Report);
    model.appendTraffic(batch(0, 20));
    QCOMPARE(filter.rowCount(), 20);
    filter.setText(QStringLiteral("EVENT 1")); // case-insensitive: 1, 10..19
    QCOMPARE(filter.rowCount(), 11);
    filter.setDirection(TrafficFilterModel::Direction::In); // even numbers are incoming
    QCOMPARE(filter.rowCount(), 5);
    model.appendTraffic(batch(100, 4)); // new rows go through the filter too: 100, 102
    QCOMPARE(filter.rowCount(), 7);
    filter.setText(QString());
    filter.setDirection(TrafficFilterModel::Direction::Out);
    QCOMPARE(filter.rowCount(), 12);
    filter.setDirection(TrafficFilterModel::Direction::Both);
    QCOMPARE(filter.rowCount(), 24);
}

void ModelsTest::bansKeepAStableOrderAndUpdateInPlace()
{
    BansModel model;
    Tester tester(&model, Report);
    QSignalSpy resets(&model, &QAbstractItemModel::modelAboutToBeReset);
    const qint64 now = 1'700'000'000'000;
    const ServerSnapshot s = sampleSnapshot(now);
    QList<Ban> bans = sampleBans(s, now);
    model.applySnapshot(s);
    model.setBans(bans);
    QCOMPARE(model.rowCount(), 3);
    // Oldest first: the address ban, then the room bans.
    QCOMPARE(model.index(0, BansModel::TargetColumn).data().toString(),
             QStringLiteral("192.168.1.0/28"));
    QCOMPARE(model.index(0, BansModel::RoomColumn).data().toString(), QStringLiteral("every room"));
    QVERIFY(model.index(0, 0).data(BansModel::IsAddressRole).toBool());
    QCOMPARE(model.index(0, 0).data(BansModel::BanIdRole).toLongLong(), 7);
    QCOMPARE(model.index(2, BansModel::TargetColumn).data().toString(), QStringLiteral("dmitri"));
    QCOMPARE(model.index(2, BansModel::ByColumn).data().toString(), QStringLiteral("Ms Okafor"));
    QCOMPARE(model.index(1, BansModel::ByColumn).data().toString(), QStringLiteral("console"));
    QCOMPARE(model.index(1, BansModel::UntilColumn).data().toString(), QStringLiteral("for good"));
    QCOMPARE(model.index(0, BansModel::RefusalsColumn).data().toString(), QStringLiteral("12"));

    // The service lists bans in hash order: a shuffled list is the same list.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
    std::reverse(bans.begin(), bans.end());
    model.setBans(bans);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(moved.count(), 0);

    bans[0].hits += 1; // someone was refused again
    model.setBans(bans);
    QCOMPARE(changed.count(), 1);
    const QPersistentModelIndex address = model.index(0, 0);
    bans.removeFirst(); // the address ban is lifted
    model.setBans(bans);
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(!address.isValid());
    const QString text = model.toText();
    QVERIFY(text.startsWith(QStringLiteral("Who\tRoom\tReason\tBy\tSince\tUntil\tRefusals\tId\n")));
    QCOMPARE(text.count(QLatin1Char('\n')), 3);
    QCOMPARE(resets.count(), 0);
}

void ModelsTest::auditIsNewestFirst()
{
    AuditModel model;
    Tester tester(&model, Report);
    const qint64 now = 1'700'000'000'000;
    const ServerSnapshot s = sampleSnapshot(now);
    QList<AuditEntry> entries = sampleAudit(s, now);
    model.applySnapshot(s);
    model.setEntries(entries.mid(0, 4));
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(0, AuditModel::ActionColumn).data().toString(), QStringLiteral("ban"));
    QCOMPARE(model.index(0, AuditModel::RoomColumn).data().toString(),
             QStringLiteral("Physics 101"));
    QCOMPARE(model.index(3, AuditModel::TargetColumn).data().toString(),
             QStringLiteral("192.168.1.0/28"));

    const QPersistentModelIndex oldest = model.index(3, 0);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.setEntries(entries); // two newer ones: inserted at the top
    QCOMPARE(model.rowCount(), 6);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.first().at(1).toInt(), 0);
    QCOMPARE(oldest.row(), 5);
    QCOMPARE(model.index(1, AuditModel::ActorColumn).data().toString(),
             QStringLiteral("Ms Okafor"));
    QCOMPARE(model.index(1, AuditModel::TargetColumn).data().toString(), QStringLiteral("dmitri"));
    model.setEntries(entries.mid(2)); // the store keeps only the newest
    QCOMPARE(model.rowCount(), 4);
}

QTEST_MAIN(ModelsTest)
#include "tst_models.moc"

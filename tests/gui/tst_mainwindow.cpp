// The operator window, driven offscreen without a server of its own: where it says the
// server listens, the live counters, the header's join addresses and QR code, the views
// fed with snapshots, confirmations that say what an action hits, closing, and the
// settings it keeps.

#include "sampledata.h"
#include "testclient.h"
#include "testprompter.h"

#include "server/chatserver.h"
#include "ui/headerstrip.h"
#include "ui/mainwindow.h"
#include "ui/participantsmodel.h"
#include "ui/qrcodewidget.h"
#include "ui/roomsmodel.h"
#include "ui/trafficchart.h"
#include "ui/trafficfiltermodel.h"
#include "ui/trafficmodel.h"

#include <QAction>
#include <QClipboard>
#include <QDateTime>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QAction *action(const MainWindow &window, const char *name)
{
    return window.findChild<QAction *>(QString::fromLatin1(name));
}

TestPrompter *usePrompter(MainWindow &window)
{
    auto prompter = std::make_unique<TestPrompter>();
    TestPrompter *raw = prompter.get();
    window.setPrompter(std::move(prompter));
    return raw;
}

} // namespace

class MainWindowTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void showsListeningAddressAndLiveCounters();
    void closingAsksToStop();
    void closingWithPeopleConnectedAsks();
    void headerShowsJoinAddressesAndQrCode();
    void joinHostsOfAWildcardAreLanAddresses();
    void qrCodeHasFinderPatterns();
    void chartFollowsCounterDeltas();
    void viewsFollowSnapshotsAndKeepTheSelection();
    void confirmationsSayWhatTheyHit();
    void actionsWithoutServerAreRefusedVisibly();
    void trafficPauseFilterAndClear();
    void trafficViewFollowsTheNewestRows();
    void presenterModeHidesAddressesAndIds();
    void layoutIsRemembered();

private:
    QTemporaryDir m_settings;
};

void MainWindowTest::initTestCase()
{
    QVERIFY(m_settings.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settings.path());
    QCoreApplication::setApplicationVersion(QStringLiteral("9.8.7"));
}

void MainWindowTest::init()
{
    QSettings(QStringLiteral("roomkeeper"), QStringLiteral("window")).clear();
}

void MainWindowTest::showsListeningAddressAndLiveCounters()
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.port = 0;
    ChatServer server(c);
    MainWindow window;
    connect(&server, &ChatServer::started, &window, &MainWindow::setListening);
    connect(&server, &ChatServer::statsUpdated, &window, &MainWindow::showStats);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    server.start();
    QCOMPARE(window.listeningText(),
             QStringLiteral("Hosting on ws://127.0.0.1:%1/ws").arg(server.port()));
    QVERIFY(window.statsText().startsWith(QStringLiteral("0 connections")));

    TestClient a;
    TestClient b;
    QVERIFY(a.open(server.port()));
    QVERIFY(b.open(server.port()));
    QVERIFY(!a.createRoom(QStringLiteral("lobby")).isEmpty());
    QTRY_VERIFY2(window.statsText().startsWith(QStringLiteral("2 connections · 1 rooms")),
                 qPrintable(window.statsText()));
    QTRY_VERIFY(window.header()->chart()->points().size() >= 2);
}

void MainWindowTest::closingAsksToStop()
{
    MainWindow window;
    QSignalSpy stop(&window, &MainWindow::stopRequested);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.close();
    QCOMPARE(stop.count(), 1);
}

void MainWindowTest::closingWithPeopleConnectedAsks()
{
    MainWindow window;
    TestPrompter *prompter = usePrompter(window);
    QSignalSpy stop(&window, &MainWindow::stopRequested);
    ServerStats stats;
    stats.connections = 3;
    window.showStats(stats);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    prompter->closeAnswer = CloseChoice::Cancel;
    QVERIFY(!window.close());
    QVERIFY(window.isVisible());
    QCOMPARE(stop.count(), 0);
    QCOMPARE(prompter->asked.last().kind, QStringLiteral("close"));
    QVERIFY2(prompter->lastText().contains(QStringLiteral("disconnects 3 connections")),
             qPrintable(prompter->lastText()));

    // Without a tray there is nowhere to keep hosting: that means stop.
    window.setCloseBehaviour(MainWindow::CloseBehaviour::KeepHosting);
    QVERIFY(window.close());
    QCOMPARE(stop.count(), 1);
}

void MainWindowTest::headerShowsJoinAddressesAndQrCode()
{
    MainWindow window;
    window.show();
    window.setListening(QStringLiteral("127.0.0.1"), 8765);
    QCOMPARE(window.header()->joinUrls(), (QStringList{QStringLiteral("http://127.0.0.1:8765/"),
                                                       QStringLiteral("ws://127.0.0.1:8765/ws")}));
    QCOMPARE(window.header()->qrCode()->text(), QStringLiteral("http://127.0.0.1:8765/"));
    QVERIFY(!window.header()->qrCode()->image().isNull());
    QVERIFY(window.windowTitle().contains(QStringLiteral("8765")));
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("uptime"))
                ->text()
                .startsWith(QStringLiteral("up 0:00:0")));

    auto *copy = window.findChild<QToolButton *>(QStringLiteral("copy:ws://127.0.0.1:8765/ws"));
    QVERIFY(copy);
    QSignalSpy copied(window.header(), &HeaderStrip::copied);
    copy->click();
    QCOMPARE(copied.count(), 1);
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("ws://127.0.0.1:8765/ws"));

    window.setListening(QStringLiteral("192.168.4.2"), 9000); // a chosen LAN address
    QCOMPARE(window.header()->joinUrls().first(), QStringLiteral("http://192.168.4.2:9000/"));
    QCOMPARE(window.header()->joinUrls().size(), 2);
}

void MainWindowTest::joinHostsOfAWildcardAreLanAddresses()
{
    const QStringList hosts = HeaderStrip::joinHosts(QHostAddress(QHostAddress::AnyIPv4));
    QVERIFY(!hosts.isEmpty());
    for (const QString &host : hosts) {
        const QHostAddress address(host);
        QCOMPARE(address.protocol(), QHostAddress::IPv4Protocol);
        // Loopback only when the machine has no network at all.
        QVERIFY(!address.isLoopback() || hosts.size() == 1);
    }
    QCOMPARE(HeaderStrip::joinHosts(QHostAddress(QStringLiteral("10.1.2.3"))),
             QStringList{QStringLiteral("10.1.2.3")});
}

void MainWindowTest::qrCodeHasFinderPatterns()
{
    const QImage image = QrCodeWidget::encode(QStringLiteral("http://192.168.1.20:8765/"));
    QVERIFY(!image.isNull());
    QCOMPARE(image.width(), image.height());
    QCOMPARE((image.width() - 8 - 21) % 4, 0); // a QR version: 21 + 4n modules, quiet zone 4
    const auto dark = [&image](int x, int y) {
        return qGray(image.pixel(x, y)) < 128;
    };
    const int far = image.width() - 5;
    for (const QPoint corner : {QPoint(4, 4), QPoint(far - 6, 4), QPoint(4, far - 6)}) {
        QVERIFY(dark(corner.x(), corner.y()));          // outer ring
        QVERIFY(!dark(corner.x() + 1, corner.y() + 1)); // white ring
        QVERIFY(dark(corner.x() + 3, corner.y() + 3));  // centre
    }
    QVERIFY(!dark(0, 0)); // quiet zone
    QVERIFY(QrCodeWidget::encode(QString()).isNull());
}

void MainWindowTest::chartFollowsCounterDeltas()
{
    TrafficChart chart;
    ServerStats s;
    chart.addStats(s, 1000); // baseline only
    QCOMPARE(chart.points().size(), 0);
    s.framesIn = 50;
    s.framesOut = 400;
    s.connections = 7;
    chart.addStats(s, 1500);
    QCOMPARE(chart.points().size(), 1);
    QCOMPARE(chart.points().first().inPerSecond, 100.0);
    QCOMPARE(chart.points().first().outPerSecond, 800.0);
    QCOMPARE(chart.points().first().connections, 7);
    chart.setWindowSeconds(60);
    for (int i = 1; i <= 200; ++i) {
        s.framesIn += 10;
        chart.addStats(s, 1500 + i * 1000);
    }
    QCOMPARE(chart.points().last().inPerSecond, 10.0);
    QVERIFY(chart.points().size() <= 61); // older points leave the window
    ServerStats restarted;
    chart.addStats(restarted, 300000); // counters went down: a new baseline, no negative rate
    QVERIFY(chart.points().last().inPerSecond >= 0);
    chart.resize(400, 140);
    QVERIFY(!chart.grab().isNull());
}

void MainWindowTest::viewsFollowSnapshotsAndKeepTheSelection()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    ServerSnapshot s = sampleSnapshot(now);
    window.applySnapshot(s);
    auto *rooms = window.findChild<QTreeView *>(QStringLiteral("roomsView"));
    auto *people = window.findChild<QTreeView *>(QStringLiteral("participantsView"));
    QCOMPARE(rooms->model()->rowCount(), 4);
    QCOMPARE(window.selectedRoom(), s.rooms.first().id); // the first room is chosen
    QCOMPARE(people->model()->rowCount(), 8);
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("peopleTitle"))->text(),
             QStringLiteral("People in Physics 101 (8)"));
    QVERIFY(!action(window, "actionKick")->isEnabled());

    // Click dmitri.
    const QUuid dmitri = s.rooms.first().participants.at(4).user;
    QModelIndex row;
    for (int r = 0; r < people->model()->rowCount(); ++r) {
        if (people->model()->index(r, 0).data(ParticipantsModel::IdRole).toUuid() == dmitri)
            row = people->model()->index(r, 0);
    }
    QVERIFY(row.isValid());
    QTest::mouseClick(people->viewport(), Qt::LeftButton, {}, people->visualRect(row).center());
    QCOMPARE(window.selectedParticipants(), QList<QUuid>{dmitri});
    QVERIFY(action(window, "actionKick")->isEnabled());
    QVERIFY(action(window, "actionAdmin")->isEnabled());
    QVERIFY(!action(window, "actionAdmin")->isChecked());

    // Snapshots go on: counters change, someone leaves before dmitri, a room closes.
    for (int i = 0; i < 5; ++i) {
        s.rooms.first().participants[4].messagesSent += 10;
        if (i == 2) {
            s.rooms.first().participants.removeAt(1);
            s.rooms.removeAt(2);
        }
        window.applySnapshot(s);
        QCOMPARE(window.selectedRoom(), s.rooms.first().id);
        QCOMPARE(window.selectedParticipants(), QList<QUuid>{dmitri});
    }
    QCOMPARE(rooms->model()->rowCount(), 3);
    QCOMPARE(people->model()->rowCount(), 7);

    // Choosing the locked room shows its locks on the toggles.
    window.selectRoom(s.rooms.at(1).id);
    QVERIFY(action(window, "actionLockRoom")->isChecked());
    QVERIFY(!action(window, "actionLockChat")->isChecked());
    QVERIFY(window.selectedParticipants().isEmpty());
    QCOMPARE(people->model()->rowCount(), 3);
}

void MainWindowTest::confirmationsSayWhatTheyHit()
{
    MainWindow window;
    TestPrompter *prompter = usePrompter(window);
    prompter->confirmAnswer = false;
    prompter->reasonAnswer.reset();
    prompter->banAnswer.reset();
    window.show();
    const ServerSnapshot s = sampleSnapshot(QDateTime::currentMSecsSinceEpoch());
    window.applySnapshot(s);
    window.selectParticipant(s.rooms.first().participants.at(1).user); // amira, 2 connections

    action(window, "actionKick")->trigger();
    QCOMPARE(prompter->asked.last().kind, QStringLiteral("reason"));
    QVERIFY2(prompter->lastText().contains(
                 QStringLiteral("disconnects 1 person (2 connections) from the room")),
             qPrintable(prompter->lastText()));
    QVERIFY(prompter->lastText().contains(QStringLiteral("Console: kick ")));
    QVERIFY(prompter->lastText().contains(QStringLiteral(" amira [reason]")));

    action(window, "actionBan")->trigger();
    QCOMPARE(prompter->asked.last().kind, QStringLiteral("ban"));
    QVERIFY(prompter->lastText().contains(QStringLiteral("addresses: 192.168.1.")));

    action(window, "actionCloseRoom")->trigger();
    QVERIFY2(prompter->lastText().contains(QStringLiteral("puts out 8 people (9 connections)")),
             qPrintable(prompter->lastText()));
    QVERIFY(prompter->lastText().contains(QStringLiteral("although it is pinned")));

    action(window, "actionClearRoom")->trigger();
    QVERIFY2(prompter->lastText().contains(QStringLiteral("disconnects 6 people (7 connections)")),
             qPrintable(prompter->lastText()));
    QVERIFY(prompter->lastText().contains(QStringLiteral("its 2 admins stay")));

    action(window, "actionLockAll")->trigger();
    QVERIFY2(prompter->lastText().contains(QStringLiteral("Lock all 4 rooms")) &&
                 prompter->lastText().contains(QStringLiteral("the 13 people inside stay")),
             qPrintable(prompter->lastText()));

    action(window, "actionMuteAll")->trigger();
    QVERIFY2(prompter->lastText().contains(QStringLiteral("10 people can no longer send")),
             qPrintable(prompter->lastText()));
}

void MainWindowTest::actionsWithoutServerAreRefusedVisibly()
{
    MainWindow window;
    TestPrompter *prompter = usePrompter(window);
    prompter->reasonAnswer = QStringLiteral("too loud");
    window.show();
    const ServerSnapshot s = sampleSnapshot(QDateTime::currentMSecsSinceEpoch());
    window.applySnapshot(s);
    window.selectParticipant(s.rooms.first().participants.at(3).user);
    QSignalSpy finished(&window, &MainWindow::actionFinished);
    action(window, "actionKick")->trigger();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(1).toBool(), false);
    QCOMPARE(finished.first().at(2).toString(), QStringLiteral("not connected to a server"));
    QCOMPARE(prompter->refusals.size(), 1);
}

void MainWindowTest::trafficPauseFilterAndClear()
{
    MainWindow window;
    window.show();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const ServerSnapshot s = sampleSnapshot(now);
    window.applySnapshot(s);
    const TrafficBatch first = sampleTraffic(s, now, 30);
    const auto questions =
        std::count_if(first.events.cbegin(), first.events.cend(), [](const TrafficEvent &e) {
            return e.summary.contains(QStringLiteral("calculator"));
        });
    QVERIFY(questions > 0);
    window.appendTraffic(first);
    auto *counters = window.findChild<QLabel *>(QStringLiteral("trafficCounters"));
    const int rows = window.trafficModel()->rowCount();
    QVERIFY(rows > 30);
    QCOMPARE(counters->text(), QStringLiteral("%1 of 10000 rows · 0 skipped").arg(rows));

    action(window, "actionPauseTraffic")->trigger();
    TrafficBatch more = sampleTraffic(s, now, 3);
    more.skipped = 7;
    window.appendTraffic(more);
    QCOMPARE(window.trafficModel()->rowCount(), rows);
    QCOMPARE(counters->text(), QStringLiteral("%1 of 10000 rows · %2 skipped · PAUSED")
                                   .arg(rows)
                                   .arg(7 + more.events.size()));
    action(window, "actionPauseTraffic")->trigger();

    auto *filter = window.findChild<QLineEdit *>(QStringLiteral("trafficFilter"));
    filter->setText(QStringLiteral("calculator"));
    QCOMPARE(window.trafficFilter()->rowCount(), int(questions));
    filter->clear();
    action(window, "actionClearTraffic")->trigger();
    QCOMPARE(window.trafficModel()->rowCount(), 0);
}

void MainWindowTest::trafficViewFollowsTheNewestRows()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const ServerSnapshot s = sampleSnapshot(now);
    auto *view = window.findChild<QTreeView *>(QStringLiteral("trafficView"));
    const QScrollBar *bar = view->verticalScrollBar();
    window.appendTraffic(sampleTraffic(s, now, 60));
    QTRY_VERIFY(bar->maximum() > 0);
    QTRY_COMPARE(bar->value(), bar->maximum());
    window.appendTraffic(sampleTraffic(s, now + 60000, 10)); // still following
    QTRY_COMPARE(bar->value(), bar->maximum());

    view->verticalScrollBar()->setValue(0); // the operator scrolls up to read
    window.appendTraffic(sampleTraffic(s, now + 120000, 10));
    QTest::qWait(50);
    QCOMPARE(bar->value(), 0);
}

void MainWindowTest::presenterModeHidesAddressesAndIds()
{
    MainWindow window;
    window.show();
    auto *people = window.findChild<QTreeView *>(QStringLiteral("participantsView"));
    QVERIFY(!people->isColumnHidden(ParticipantsModel::AddressColumn));
    action(window, "actionPresenterMode")->trigger();
    QVERIFY(people->isColumnHidden(ParticipantsModel::AddressColumn));
    QVERIFY(people->isColumnHidden(ParticipantsModel::UserIdColumn));
    QVERIFY(!people->isColumnHidden(ParticipantsModel::NameColumn));
    action(window, "actionPresenterMode")->trigger();
    QVERIFY(!people->isColumnHidden(ParticipantsModel::AddressColumn));
}

void MainWindowTest::layoutIsRemembered()
{
    QList<int> sizes;
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *splitter = window.findChild<QSplitter *>(QStringLiteral("mainSplitter"));
        splitter->setSizes({200, 700});
        sizes = splitter->sizes();
        window.findChild<QTreeView *>(QStringLiteral("trafficView"))
            ->header()
            ->resizeSection(TrafficModel::SummaryColumn - 1, 222);
        window.findChild<QTreeView *>(QStringLiteral("participantsView"))
            ->setColumnHidden(ParticipantsModel::QueueColumn, true);
        window.close();
    }
    MainWindow again;
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.findChild<QSplitter *>(QStringLiteral("mainSplitter"))->sizes(), sizes);
    QCOMPARE(again.findChild<QTreeView *>(QStringLiteral("trafficView"))
                 ->header()
                 ->sectionSize(TrafficModel::SummaryColumn - 1),
             222);
    QVERIFY(again.findChild<QTreeView *>(QStringLiteral("participantsView"))
                ->isColumnHidden(ParticipantsModel::QueueColumn));
}

QTEST_MAIN(MainWindowTest)
#include "tst_mainwindow.moc"

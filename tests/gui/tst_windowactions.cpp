// The window against a real server in this process (on this thread): real clients in a
// room, the window fed by the server's own snapshot and traffic signals, and the
// operator's actions going through CoreLink (queued to the server) to the moderation
// service and back.

#include "testclient.h"
#include "testprompter.h"

#include "domain/roomregistry.h"
#include "server/chatserver.h"
#include "ui/auditmodel.h"
#include "ui/bansmodel.h"
#include "ui/corelink.h"
#include "ui/mainwindow.h"
#include "ui/participantsmodel.h"
#include "ui/roomsmodel.h"
#include "ui/trafficmodel.h"

#include <QAction>
#include <QJsonObject>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;

namespace {

QAction *action(const MainWindow &window, const char *name)
{
    return window.findChild<QAction *>(QString::fromLatin1(name));
}

QJsonObject message(const QString &room, const QString &content)
{
    return {{QStringLiteral("type"), QStringLiteral("message")},
            {QStringLiteral("room_id"), room},
            {QStringLiteral("content"), content}};
}

} // namespace

class WindowActionsTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void kickAndLockChatReachTheClients();
    void banShowsInTheBansTabAndIsLifted();
    void createRoomAndAnnounce();
    void refusalsAreShown();
    void commandPaletteSpeaksTheConsoleGrammar();
    void panicActions();

private:
    // Waits until the window has had a snapshot taken after this call.
    bool feed();
    // Clicks a person in the participants view, as the operator would.
    bool clickPerson(const QString &userId);
    bool waitForAction(bool expectOk);

    QTemporaryDir m_settings;
    std::unique_ptr<ChatServer> m_server;
    std::unique_ptr<MainWindow> m_window;
    TestPrompter *m_prompter = nullptr;
    std::unique_ptr<QSignalSpy> m_finished;
    QString m_room;
};

void WindowActionsTest::initTestCase()
{
    QVERIFY(m_settings.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settings.path());
}

void WindowActionsTest::init()
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.port = 0;
    m_server = std::make_unique<ChatServer>(c);
    m_window = std::make_unique<MainWindow>(m_server.get());
    auto prompter = std::make_unique<TestPrompter>();
    m_prompter = prompter.get();
    m_window->setPrompter(std::move(prompter));
    m_window->setCloseBehaviour(MainWindow::CloseBehaviour::Stop);
    connect(m_server.get(), &ChatServer::started, m_window.get(), &MainWindow::setListening);
    connect(m_server.get(), &ChatServer::statsUpdated, m_window.get(), &MainWindow::showStats);
    m_finished = std::make_unique<QSignalSpy>(m_window.get(), &MainWindow::actionFinished);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_server->start();
    QVERIFY(m_server->port() != 0);

    const auto created =
        m_server->moderation().createRoom(Actor::operatorConsole(), QStringLiteral("lobby"), false);
    QVERIFY(std::holds_alternative<QUuid>(created));
    m_room = std::get<QUuid>(created).toString(QUuid::WithoutBraces);
}

void WindowActionsTest::cleanup()
{
    m_window.reset();
    m_finished.reset();
    m_server.reset();
}

bool WindowActionsTest::feed()
{
    QSignalSpy snapshots(m_server.get(), &ChatServer::snapshotReady);
    return snapshots.wait(3000);
}

bool WindowActionsTest::clickPerson(const QString &userId)
{
    auto *view = m_window->findChild<QTreeView *>(QStringLiteral("participantsView"));
    for (int row = 0; row < view->model()->rowCount(); ++row) {
        const QModelIndex index = view->model()->index(row, ParticipantsModel::NameColumn);
        if (index.data(ParticipantsModel::IdRole).toUuid() == QUuid::fromString(userId)) {
            view->scrollTo(index);
            QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                              view->visualRect(index).center());
            return m_window->selectedParticipants() == QList<QUuid>{QUuid::fromString(userId)};
        }
    }
    return false;
}

bool WindowActionsTest::waitForAction(bool expectOk)
{
    // Every action's answer is taken (and cleared) by one call of this.
    if (!QTest::qWaitFor([this] { return m_finished->count() > 0; }, 5000))
        return false;
    const QList<QVariant> last = m_finished->takeFirst();
    m_finished->clear();
    if (last.at(1).toBool() != expectOk) {
        qWarning() << "action" << last.at(0).toString() << "ended" << last.at(1).toBool()
                   << last.at(2).toString();
        return false;
    }
    return true;
}

void WindowActionsTest::kickAndLockChatReachTheClients()
{
    TestClient alice;
    TestClient bob;
    QVERIFY(alice.open(m_server->port(), QStringLiteral("name=alice")));
    QVERIFY(bob.open(m_server->port(), QStringLiteral("name=bob")));
    QVERIFY(alice.enter(m_room));
    QVERIFY(bob.enter(m_room));
    QVERIFY(feed());
    m_window->selectRoom(QUuid::fromString(m_room));
    QCOMPARE(m_window->participantsModel()->rowCount(), 2);

    // Kick alice: the confirmation says whom it hits; the core does it; alice is told.
    QVERIFY(clickPerson(alice.userId()));
    m_prompter->reasonAnswer = QStringLiteral("too loud");
    action(*m_window, "actionKick")->trigger();
    QVERIFY2(m_prompter->lastText().startsWith(QStringLiteral("Kick alice out of lobby?")),
             qPrintable(m_prompter->lastText()));
    QVERIFY(m_prompter->lastText().contains(QStringLiteral("disconnects 1 person (1 connection)")));
    QVERIFY(m_prompter->lastText().contains(QStringLiteral("Console: kick lobby alice [reason]")));
    const QJsonObject kick = alice.waitFor(QStringLiteral("kick"));
    QVERIFY(!kick.isEmpty());
    QCOMPARE(kick.value(QStringLiteral("message")).toString(), QStringLiteral("too loud"));
    QVERIFY(waitForAction(true));
    QVERIFY(m_window->statusBar()->currentMessage().contains(
        QStringLiteral("console: kick lobby alice too loud")));
    QCOMPARE(bob.waitFor(QStringLiteral("exit")).value(QStringLiteral("reason")).toString(),
             QStringLiteral("kick"));

    // The next snapshot has alice gone; bob stays selected... nobody was: select the room.
    QVERIFY(feed());
    QCOMPARE(m_window->participantsModel()->rowCount(), 1);

    // Lock chat: bob (a member) may no longer send.
    QAction *lockChat = action(*m_window, "actionLockChat");
    QVERIFY(lockChat->isEnabled());
    QVERIFY(!lockChat->isChecked());
    lockChat->trigger();
    QVERIFY(waitForAction(true));
    QVERIFY(m_server->rooms().find(QUuid::fromString(m_room))->settings().chatLocked);
    bob.send(message(m_room, QStringLiteral("hello?")));
    QCOMPARE(bob.waitForError().value(QStringLiteral("code")).toString(),
             QStringLiteral("chat_locked"));
    QVERIFY(feed());
    QVERIFY(lockChat->isChecked());
    QVERIFY(m_window->roomsModel()->index(0, 0).data(RoomsModel::ChatLockedRole).toBool());

    // And unlocked again.
    lockChat->trigger();
    QVERIFY(waitForAction(true));
    bob.send(message(m_room, QStringLiteral("hello again")));
    QCOMPARE(bob.waitFor(QStringLiteral("message")).value(QStringLiteral("content")).toString(),
             QStringLiteral("hello again"));

    // The traffic view saw it go in, from bob, in lobby.
    const TrafficModel *traffic = m_window->trafficModel();
    const auto sawBob = [traffic, &bob, this] {
        for (int row = 0; row < traffic->rowCount(); ++row) {
            const QModelIndex i = traffic->index(row, 0);
            if (i.data(TrafficModel::IncomingRole).toBool() &&
                i.data(TrafficModel::UserIdRole).toUuid() == QUuid::fromString(bob.userId()) &&
                i.data(TrafficModel::RoomIdRole).toUuid() == QUuid::fromString(m_room))
                return true;
        }
        return false;
    };
    QTRY_VERIFY(sawBob());
}

void WindowActionsTest::banShowsInTheBansTabAndIsLifted()
{
    TestClient carol;
    QVERIFY(carol.open(m_server->port(), QStringLiteral("name=carol")));
    QVERIFY(carol.enter(m_room));
    QVERIFY(feed());
    m_window->selectRoom(QUuid::fromString(m_room));
    QVERIFY(clickPerson(carol.userId()));
    m_prompter->banAnswer = BanChoice{QStringLiteral("spam"), 10 * 60 * 1000, false};
    action(*m_window, "actionBan")->trigger();
    QVERIFY(m_prompter->lastText().contains(QStringLiteral("addresses: 127.0.0.1")));
    QVERIFY(carol.waitFor(QStringLiteral("kick")).value(QStringLiteral("permanent")).toBool());
    QVERIFY(waitForAction(true));
    QVERIFY(m_window->statusBar()->currentMessage().contains(
        QStringLiteral("console: ban lobby carol 10m spam")));

    // After an action the window fetches the ban list (and the audit trail).
    BansModel *bans = m_window->bansModel();
    QTRY_COMPARE(bans->rowCount(), 1);
    QVERIFY(feed());
    QCOMPARE(bans->index(0, BansModel::TargetColumn).data().toString(), QStringLiteral("carol"));
    QCOMPARE(bans->index(0, BansModel::RoomColumn).data().toString(), QStringLiteral("lobby"));
    QCOMPARE(bans->index(0, BansModel::ReasonColumn).data().toString(), QStringLiteral("spam"));
    QCOMPARE(bans->index(0, BansModel::ByColumn).data().toString(), QStringLiteral("console"));
    QVERIFY(bans->index(0, BansModel::UntilColumn).data().toString() != QStringLiteral("for good"));
    QTRY_VERIFY(m_window->auditModel()->rowCount() >= 2); // create, ban

    // Carol tries again: refused, and the ban counts it.
    carol.send(
        {{QStringLiteral("type"), QStringLiteral("enter")}, {QStringLiteral("room_id"), m_room}});
    QCOMPARE(carol.waitForError().value(QStringLiteral("code")).toString(),
             QStringLiteral("banned"));

    // Lift it from the Bans tab.
    auto *view = m_window->findChild<QTreeView *>(QStringLiteral("bansView"));
    view->setCurrentIndex(view->model()->index(0, 0));
    QAction *unban = action(*m_window, "actionUnban");
    QVERIFY(unban->isEnabled());
    unban->trigger();
    QVERIFY(waitForAction(true));
    QTRY_COMPARE(bans->rowCount(), 0);
    QVERIFY(carol.enter(m_room));
}

void WindowActionsTest::createRoomAndAnnounce()
{
    TestClient dan;
    QVERIFY(dan.open(m_server->port(), QStringLiteral("name=dan")));
    m_prompter->newRoomAnswer = NewRoomChoice{QStringLiteral("annex"), true};
    action(*m_window, "actionCreateRoom")->trigger();
    QVERIFY(waitForAction(true));
    const auto rooms = m_server->rooms().rooms();
    QCOMPARE(rooms.size(), 2);
    const Room *annex = rooms.last();
    QCOMPARE(annex->settings().name, QStringLiteral("annex"));
    QVERIFY(annex->settings().closed);

    QVERIFY(dan.enter(m_room));
    QVERIFY(feed());
    m_window->selectRoom(QUuid::fromString(m_room));
    m_prompter->textAnswer = QStringLiteral("doors close at 5");
    action(*m_window, "actionAnnounce")->trigger();
    QVERIFY(m_prompter->lastText().contains(QStringLiteral("Console: announce lobby TEXT")));
    QCOMPARE(dan.waitFor(QStringLiteral("message")).value(QStringLiteral("content")).toString(),
             QStringLiteral("doors close at 5"));
    QVERIFY(waitForAction(true));

    // Limit and room lock, through their own actions.
    m_prompter->numberAnswer = 12;
    action(*m_window, "actionMaxParticipants")->trigger();
    QVERIFY(waitForAction(true));
    action(*m_window, "actionLockRoom")->trigger();
    QVERIFY(waitForAction(true));
    const Room *lobby = m_server->rooms().find(QUuid::fromString(m_room));
    QCOMPARE(lobby->settings().maxParticipants, 12);
    QVERIFY(lobby->settings().closed);
    QVERIFY(feed());
    QCOMPARE(m_window->roomsModel()->index(0, RoomsModel::MembersColumn).data().toString(),
             QStringLiteral("1 / 12"));
    QVERIFY(action(*m_window, "actionLockRoom")->isChecked());
}

void WindowActionsTest::refusalsAreShown()
{
    QVERIFY(feed());
    m_window->selectRoom(QUuid::fromString(m_room));
    m_prompter->textAnswer = QStringLiteral("not a url");
    action(*m_window, "actionWebhook")->trigger();
    QVERIFY(waitForAction(false));
    QCOMPARE(m_prompter->refusals.size(), 1);
    QVERIFY2(m_prompter->refusals.first().contains(QStringLiteral("bad_field")),
             qPrintable(m_prompter->refusals.first()));
    QVERIFY(m_window->statusBar()->currentMessage().startsWith(QStringLiteral("Refused: ")));
    QVERIFY(m_server->rooms().find(QUuid::fromString(m_room))->settings().webhook.isEmpty());

    // A limit out of range: refused, nothing changes.
    m_prompter->numberAnswer = RoomRegistry::MaxParticipantsLimit + 1;
    action(*m_window, "actionMaxParticipants")->trigger();
    QVERIFY(waitForAction(false));
    QCOMPARE(m_prompter->refusals.size(), 2);
}

void WindowActionsTest::commandPaletteSpeaksTheConsoleGrammar()
{
    TestClient fay;
    QVERIFY(fay.open(m_server->port(), QStringLiteral("name=fay")));
    QVERIFY(fay.enter(m_room));
    QSignalSpy answered(m_window->coreLink(), &CoreLink::commandDone);
    m_prompter->textAnswer = QStringLiteral("who lobby");
    action(*m_window, "actionCommand")->trigger();
    QTRY_COMPARE(answered.count(), 1);
    const QStringList answer = answered.first().at(1).toStringList();
    QCOMPARE(answer.value(0), QStringLiteral("ok 1 people in lobby"));
    QCOMPARE(m_prompter->informed.size(), 1);
    QVERIFY(m_prompter->informed.first().contains(QStringLiteral("\tfay\t")));
}

void WindowActionsTest::panicActions()
{
    TestClient gus;
    QVERIFY(gus.open(m_server->port(), QStringLiteral("name=gus")));
    QVERIFY(gus.enter(m_room));
    QVERIFY(feed());
    action(*m_window, "actionMuteAll")->trigger();
    QVERIFY(m_prompter->lastText().contains(QStringLiteral("1 person can no longer send")));
    QVERIFY(waitForAction(true));
    gus.send(message(m_room, QStringLiteral("hi")));
    QCOMPARE(gus.waitForError().value(QStringLiteral("code")).toString(),
             QStringLiteral("chat_locked"));

    action(*m_window, "actionPauseAccepting")->trigger();
    QVERIFY(waitForAction(true));
    QTRY_VERIFY(!m_server->stats().accepting);
    TestClient late;
    QVERIFY(!late.open(m_server->port(), QString(), 1500));
    QTRY_VERIFY(m_window->statusBar()
                    ->findChild<QLabel *>(QStringLiteral("acceptingLabel"))
                    ->text()
                    .startsWith(QStringLiteral("PAUSED")));
    action(*m_window, "actionPauseAccepting")->trigger();
    QVERIFY(waitForAction(true));
    QVERIFY(m_server->stats().accepting);

    m_window->selectRoom(QUuid::fromString(m_room));
    m_prompter->reasonAnswer = QStringLiteral("break time");
    action(*m_window, "actionClearRoom")->trigger();
    QVERIFY(gus.waitFor(QStringLiteral("kick")).value(QStringLiteral("message")).toString() ==
            QStringLiteral("break time"));
    QVERIFY(waitForAction(true));
}

QTEST_MAIN(WindowActionsTest)
#include "tst_windowactions.moc"

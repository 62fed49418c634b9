#include "mainwindow.h"

#include "auditmodel.h"
#include "bansmodel.h"
#include "corelink.h"
#include "dialogprompter.h"
#include "displayformat.h"
#include "headerstrip.h"
#include "icons.h"
#include "participantsmodel.h"
#include "roomsmodel.h"
#include "settingsdialog.h"
#include "trafficchart.h"
#include "trafficfiltermodel.h"
#include "trafficmodel.h"
#include "uilog.h"

#include "domain/roomregistry.h"
#include "server/chatserver.h"
#include "server/moderationservice.h"

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QFile>
#include <QFrame>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <variant>

namespace roomkeeper {

namespace {

constexpr int RefreshIntervalMs = 3000;
constexpr int AuditRows = 200;
constexpr qint64 NotifyEveryMs = 30000;

const Actor console = Actor::operatorConsole();

QString withReason(const QString &command, const QString &reason)
{
    return reason.isEmpty() ? command : command + QLatin1Char(' ') + reason;
}

QLabel *paneTitle(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    QFont bold = label->font();
    bold.setBold(true);
    label->setFont(bold);
    label->setContentsMargins(2, 2, 2, 2);
    return label;
}

QWidget *pane(QLabel *title, QWidget *top, QWidget *body, QWidget *parent)
{
    auto *widget = new QWidget(parent);
    auto *layout = new QVBoxLayout(widget);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    if (title)
        layout->addWidget(title);
    if (top)
        layout->addWidget(top);
    layout->addWidget(body, 1);
    return widget;
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : MainWindow(nullptr, parent) {}

MainWindow::MainWindow(ChatServer *server, QWidget *parent)
    : QMainWindow(parent), m_prompter(std::make_unique<DialogPrompter>())
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("Roomkeeper"));
    setWindowIcon(icons::application());

    m_link = new CoreLink(this);
    connect(m_link, &CoreLink::done, this, &MainWindow::onActionDone);
    connect(m_link, &CoreLink::bansFetched, this, &MainWindow::applyBans);
    connect(m_link, &CoreLink::auditFetched, this, &MainWindow::applyAudit);
    connect(m_link, &CoreLink::commandDone, this,
            [this](const QString &line, const QStringList &answer, bool quit) {
                const QString first = answer.value(0);
                statusBar()->showMessage(QStringLiteral("%1 → %2").arg(line, first), 8000);
                if (answer.size() > 1 || first.startsWith(QLatin1StringView("error")))
                    m_prompter->inform(this, line, answer.join(QLatin1Char('\n')));
                refreshLists();
                if (quit)
                    requestStop();
            });

    buildViews();
    buildActions();
    buildMenus();
    buildTray();

    m_statsClock.start();
    m_uptimeTimer.setInterval(1000);
    connect(&m_uptimeTimer, &QTimer::timeout, this,
            [this] { m_header->setUptime(m_uptime.isValid() ? m_uptime.elapsed() : -1); });
    m_refreshTimer.setInterval(RefreshIntervalMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &MainWindow::refreshLists);

    resize(1280, 800);
    restoreSettings();
    showStats(ServerStats());
    updateTrafficCounters();
    updateActions();
    setServer(server);
}

MainWindow::~MainWindow()
{
    saveSettings();
}

void MainWindow::setServer(ChatServer *server)
{
    if (ChatServer *old = m_link->server())
        disconnect(old, nullptr, this, nullptr);
    m_link->setServer(server);
    if (!server) {
        m_refreshTimer.stop();
        return;
    }
    // Snapshots (~3/s) and sampled traffic (<=10/s); queued across threads, direct in
    // single-threaded tests. The core builds them only while someone is connected.
    connect(server, &ChatServer::snapshotReady, this, &MainWindow::applySnapshot);
    connect(server, &ChatServer::trafficReady, this, &MainWindow::appendTraffic);
    // Bans and audit come from the store, which opens when the server starts.
    m_refreshTimer.stop();
    connect(server, &ChatServer::started, this, &MainWindow::startRefreshing);
    connect(server, &ChatServer::stopped, this, [this] {
        m_link->setServer(nullptr);
        m_refreshTimer.stop();
    });
}

void MainWindow::setPrompter(std::unique_ptr<Prompter> prompter)
{
    m_prompter = prompter ? std::move(prompter) : std::make_unique<DialogPrompter>();
}

QString MainWindow::listeningText() const
{
    return m_header->listeningText();
}

QString MainWindow::statsText() const
{
    return m_stats->text();
}

// ---- building -----------------------------------------------------------------------

QTreeView *MainWindow::makeView(const QString &name, QAbstractItemModel *model, bool sortable)
{
    auto *view = new QTreeView(this);
    view->setObjectName(name);
    view->setRootIsDecorated(false);
    view->setUniformRowHeights(true);
    view->setAlternatingRowColors(true);
    view->setAllColumnsShowFocus(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    view->setSortingEnabled(sortable);
    view->setModel(model);
    view->header()->setStretchLastSection(true);
    view->header()->setSectionsMovable(true);
    if (sortable)
        view->sortByColumn(-1, Qt::AscendingOrder); // the model's order until a click
    return view;
}

void MainWindow::buildViews()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(4);

    m_header = new HeaderStrip(central);
    connect(m_header, &HeaderStrip::copied, this, [this](const QString &url) {
        statusBar()->showMessage(QStringLiteral("Copied %1").arg(url), 4000);
    });
    layout->addWidget(m_header);
    auto *rule = new QFrame(central);
    rule->setFrameShape(QFrame::HLine);
    rule->setFrameShadow(QFrame::Sunken);
    layout->addWidget(rule);

    // Rooms.
    m_rooms = new RoomsModel(this);
    m_roomsView = makeView(QStringLiteral("roomsView"), m_rooms, false);
    m_roomsView->setIconSize(QSize(32, 16));
    m_roomsView->header()->resizeSection(RoomsModel::NameColumn, 122);
    m_roomsView->header()->resizeSection(RoomsModel::MembersColumn, 58);
    m_roomsView->header()->resizeSection(RoomsModel::LocksColumn, 128);
    auto *roomsTitle = paneTitle(QStringLiteral("Rooms"), this);

    // People of the selected room.
    m_participants = new ParticipantsModel(this);
    m_participantsSort = new QSortFilterProxyModel(this);
    m_participantsSort->setSourceModel(m_participants);
    m_participantsSort->setSortRole(ParticipantsModel::SortRole);
    m_participantsView = makeView(QStringLiteral("participantsView"), m_participantsSort, true);
    m_participantsView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    const struct
    {
        int column;
        int width;
    } participantWidths[] = {
        {ParticipantsModel::NameColumn, 140},    {ParticipantsModel::UserIdColumn, 80},
        {ParticipantsModel::AddressColumn, 110}, {ParticipantsModel::ProtocolColumn, 100},
        {ParticipantsModel::RoleColumn, 60},     {ParticipantsModel::ColorColumn, 90},
        {ParticipantsModel::SinceColumn, 70},    {ParticipantsModel::MessagesColumn, 70},
        {ParticipantsModel::RoundTripColumn, 75}};
    for (const auto &w : participantWidths)
        m_participantsView->header()->resizeSection(w.column, w.width);
    auto *peopleTitle = paneTitle(QStringLiteral("People"), this);
    peopleTitle->setObjectName(QStringLiteral("peopleTitle"));

    // Traffic.
    m_traffic = new TrafficModel(this);
    m_trafficFilter = new TrafficFilterModel(this);
    m_trafficFilter->setSourceModel(m_traffic);
    m_trafficView = makeView(QStringLiteral("trafficView"), m_trafficFilter, false);
    const struct
    {
        int column;
        int width;
    } trafficWidths[] = {{TrafficModel::TimeColumn, 95},     {TrafficModel::DirectionColumn, 40},
                         {TrafficModel::ProtocolColumn, 70}, {TrafficModel::RoomColumn, 110},
                         {TrafficModel::UserColumn, 110},    {TrafficModel::TypeColumn, 90},
                         {TrafficModel::SizeColumn, 60}};
    for (const auto &w : trafficWidths)
        m_trafficView->header()->resizeSection(w.column, w.width);
    // Follow the newest rows while the view is scrolled to the bottom.
    auto follow = std::make_shared<bool>(true);
    connect(m_trafficFilter, &QAbstractItemModel::rowsAboutToBeInserted, this, [this, follow] {
        const QScrollBar *bar = m_trafficView->verticalScrollBar();
        *follow = bar->value() >= bar->maximum();
    });
    connect(m_trafficFilter, &QAbstractItemModel::rowsInserted, this, [this, follow] {
        if (*follow)
            m_trafficView->scrollToBottom();
    });
    connect(m_traffic, &TrafficModel::countersChanged, this, &MainWindow::updateTrafficCounters);

    auto *trafficBar = new QWidget(this);
    auto *trafficRow = new QHBoxLayout(trafficBar);
    trafficRow->setContentsMargins(0, 0, 0, 0);
    m_trafficFilterEdit = new QLineEdit(trafficBar);
    m_trafficFilterEdit->setObjectName(QStringLiteral("trafficFilter"));
    m_trafficFilterEdit->setPlaceholderText(
        QStringLiteral("Filter: room, user, type or summary (Ctrl+F)"));
    m_trafficFilterEdit->setClearButtonEnabled(true);
    connect(m_trafficFilterEdit, &QLineEdit::textChanged, m_trafficFilter,
            &TrafficFilterModel::setText);
    auto *direction = new QComboBox(trafficBar);
    direction->setObjectName(QStringLiteral("trafficDirection"));
    direction->addItem(QStringLiteral("In and out"));
    direction->addItem(QStringLiteral("In only"));
    direction->addItem(QStringLiteral("Out only"));
    connect(direction, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_trafficFilter->setDirection(i == 1   ? TrafficFilterModel::Direction::In
                                      : i == 2 ? TrafficFilterModel::Direction::Out
                                               : TrafficFilterModel::Direction::Both);
    });
    m_trafficCounters = new QLabel(trafficBar);
    m_trafficCounters->setObjectName(QStringLiteral("trafficCounters"));
    trafficRow->addWidget(m_trafficFilterEdit, 2);
    trafficRow->addWidget(direction);
    // The pause and clear buttons are added with their actions (buildActions).
    trafficRow->addStretch();
    trafficRow->addWidget(m_trafficCounters);

    // Bans and audit.
    m_bans = new BansModel(this);
    m_bansSort = new QSortFilterProxyModel(this);
    m_bansSort->setSourceModel(m_bans);
    m_bansSort->setSortRole(BansModel::SortRole);
    m_bansView = makeView(QStringLiteral("bansView"), m_bansSort, true);
    m_bansView->header()->resizeSection(BansModel::TargetColumn, 140);
    m_bansView->header()->resizeSection(BansModel::RoomColumn, 110);
    m_bansView->header()->resizeSection(BansModel::ReasonColumn, 180);
    m_bansView->header()->resizeSection(BansModel::SinceColumn, 120);
    m_bansView->header()->resizeSection(BansModel::UntilColumn, 120);
    m_audit = new AuditModel(this);
    m_auditView = makeView(QStringLiteral("auditView"), m_audit, false);
    m_auditView->header()->resizeSection(AuditModel::TimeColumn, 140);
    m_auditView->header()->resizeSection(AuditModel::ActionColumn, 90);
    m_auditView->header()->resizeSection(AuditModel::RoomColumn, 110);
    m_auditView->header()->resizeSection(AuditModel::TargetColumn, 120);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(pane(nullptr, trafficBar, m_trafficView, m_tabs), QStringLiteral("Traffic"));
    m_tabs->addTab(m_bansView, QStringLiteral("Bans"));
    m_tabs->addTab(m_auditView, QStringLiteral("Audit"));

    m_rightSplitter = new QSplitter(Qt::Vertical, this);
    m_rightSplitter->setObjectName(QStringLiteral("rightSplitter"));
    m_rightSplitter->addWidget(pane(peopleTitle, nullptr, m_participantsView, m_rightSplitter));
    m_rightSplitter->addWidget(m_tabs);
    m_rightSplitter->setStretchFactor(0, 2);
    m_rightSplitter->setStretchFactor(1, 3);

    m_mainSplitter = new QSplitter(Qt::Horizontal, central);
    m_mainSplitter->setObjectName(QStringLiteral("mainSplitter"));
    m_mainSplitter->addWidget(pane(roomsTitle, nullptr, m_roomsView, m_mainSplitter));
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 3);
    m_mainSplitter->setSizes({430, 930});
    layout->addWidget(m_mainSplitter, 1);
    setCentralWidget(central);

    // Selection drives the participants view and the actions.
    connect(m_roomsView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this, peopleTitle](const QModelIndex &current) {
                m_participants->setRoom(current.data(RoomsModel::IdRole).toUuid());
                const RoomSnapshot *room = currentRoom();
                peopleTitle->setText(room ? QStringLiteral("People in %1 (%2)")
                                                .arg(room->name)
                                                .arg(room->participants.size())
                                          : QStringLiteral("People"));
                updateActions();
            });
    connect(m_participantsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);
    connect(m_bansView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);

    // Status bar counters.
    m_stats = new QLabel(this);
    m_stats->setObjectName(QStringLiteral("statsLabel"));
    m_rates = new QLabel(this);
    m_alerts = new QLabel(this);
    m_accepting = new QLabel(this);
    m_accepting->setObjectName(QStringLiteral("acceptingLabel"));
    statusBar()->addPermanentWidget(m_alerts);
    statusBar()->addPermanentWidget(m_rates);
    statusBar()->addPermanentWidget(m_stats);
    statusBar()->addPermanentWidget(m_accepting);
}

QAction *MainWindow::makeAction(const QString &name, const QString &text,
                                const QKeySequence &shortcut, const QString &console,
                                const QString &tip)
{
    auto *action = new QAction(text, this);
    action->setObjectName(name);
    action->setShortcut(shortcut);
    QString help = tip;
    if (!console.isEmpty())
        help += QStringLiteral("\nConsole: %1").arg(console);
    if (!shortcut.isEmpty())
        help += QStringLiteral("\nShortcut: %1").arg(shortcut.toString(QKeySequence::NativeText));
    action->setToolTip(help);
    action->setStatusTip(console.isEmpty() ? tip
                                           : QStringLiteral("%1 — console: %2").arg(tip, console));
    addAction(action); // shortcuts work with the menu bar hidden too
    m_actions.insert(name, action);
    return action;
}

void MainWindow::buildActions()
{
    using icons::Glyph;
    const auto add = [this](const char *name, const QString &text, const QKeySequence &shortcut,
                            const QString &console, const QString &tip,
                            std::optional<Glyph> glyph = std::nullopt) {
        QAction *a = makeAction(QString::fromLatin1(name), text, shortcut, console, tip);
        if (glyph)
            a->setIcon(icons::glyph(*glyph));
        return a;
    };

    connect(add("actionCreateRoom", QStringLiteral("&Create room…"), QKeySequence::New,
                QStringLiteral("create NAME [closed]"), QStringLiteral("Create a room"),
                Glyph::Create),
            &QAction::triggered, this, &MainWindow::createRoom);
    connect(add("actionAnnounce", QStringLiteral("&Announce…"), QKeySequence(Qt::CTRL | Qt::Key_J),
                QStringLiteral("announce ROOM TEXT"),
                QStringLiteral("Post a message from the operator in the selected room"),
                Glyph::Announce),
            &QAction::triggered, this, [this] { announce(false); });
    connect(add("actionAnnounceAll", QStringLiteral("Announce in &every room…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_J), QStringLiteral("announce all TEXT"),
                QStringLiteral("Post a message from the operator in every room"), Glyph::Announce),
            &QAction::triggered, this, [this] { announce(true); });

    connect(add("actionKick", QStringLiteral("&Kick…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K),
                QStringLiteral("kick ROOM USER [reason]"),
                QStringLiteral("Put the selected people out of the room"), Glyph::Kick),
            &QAction::triggered, this, &MainWindow::kick);
    connect(add("actionBan", QStringLiteral("&Ban…"), QKeySequence(Qt::CTRL | Qt::Key_B),
                QStringLiteral("ban ROOM USER [DURATION] [reason]"),
                QStringLiteral("Kick the selected people and keep them out"), Glyph::Ban),
            &QAction::triggered, this, &MainWindow::ban);
    connect(add("actionBanAddress", QStringLiteral("Ban a&ddress…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B),
                QStringLiteral("ban-address ADDR[/PREFIX] [DURATION] [reason]"),
                QStringLiteral("Refuse an address or subnet in every room and end its connections"),
                Glyph::Ban),
            &QAction::triggered, this, &MainWindow::banAddress);
    connect(add("actionUnban", QStringLiteral("&Lift ban"), QKeySequence(Qt::CTRL | Qt::Key_U),
                QStringLiteral("unban ROOM USER / unban-address BAN-ID"),
                QStringLiteral("Lift the ban selected in the Bans tab")),
            &QAction::triggered, this, &MainWindow::liftBan);
    connect(add("actionExportBans", QStringLiteral("E&xport bans…"), QKeySequence(),
                QStringLiteral("bans"), QStringLiteral("Save the ban list as tab-separated text")),
            &QAction::triggered, this, &MainWindow::exportBans);

    m_lockRoom =
        add("actionLockRoom", QStringLiteral("Lock &room"), QKeySequence(Qt::CTRL | Qt::Key_L),
            QStringLiteral("lock ROOM / unlock ROOM"),
            QStringLiteral("Room lock: only admins and invited people get in"), Glyph::RoomLock);
    m_lockRoom->setCheckable(true);
    connect(m_lockRoom, &QAction::triggered, this, &MainWindow::setRoomLocked);
    m_lockChat = add("actionLockChat", QStringLiteral("Lock c&hat"),
                     QKeySequence(Qt::CTRL | Qt::Key_M), QStringLiteral("mute ROOM / unmute ROOM"),
                     QStringLiteral("Chat lock: only admins may send"), Glyph::ChatLock);
    m_lockChat->setCheckable(true);
    connect(m_lockChat, &QAction::triggered, this, &MainWindow::setChatLocked);
    m_pin = add("actionPinRoom", QStringLiteral("&Pin room"), QKeySequence(),
                QStringLiteral("pin ROOM / unpin ROOM"),
                QStringLiteral("Keep the room even when it is idle"), Glyph::Pin);
    m_pin->setCheckable(true);
    connect(m_pin, &QAction::triggered, this, &MainWindow::setPinned);
    connect(add("actionMaxParticipants", QStringLiteral("&Max participants…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M), QStringLiteral("limit ROOM N"),
                QStringLiteral("Most people in the room (admins always get in)"), Glyph::Limit),
            &QAction::triggered, this, &MainWindow::setMaxParticipants);
    connect(add("actionWebhook", QStringLiteral("&Webhook…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_W),
                QStringLiteral("webhook ROOM URL|off"),
                QStringLiteral("Forward the room's messages to a webhook"), Glyph::Webhook),
            &QAction::triggered, this, &MainWindow::setWebhook);
    m_admin = add(
        "actionAdmin", QStringLiteral("Room &admin"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), QStringLiteral("admin ROOM USER on|off"),
        QStringLiteral("Grant or revoke room admin for the selected person"), Glyph::Admin);
    m_admin->setCheckable(true);
    connect(m_admin, &QAction::triggered, this, &MainWindow::setAdmin);
    connect(add("actionColor", QStringLiteral("C&olour…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C),
                QStringLiteral("color ROOM USER #rrggbb"),
                QStringLiteral("Change the selected person's display colour"), Glyph::Color),
            &QAction::triggered, this, &MainWindow::setColor);
    connect(add("actionCloseRoom", QStringLiteral("Close r&oom…"),
                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Delete),
                QStringLiteral("close ROOM [reason]"),
                QStringLiteral("Close (delete) the room; everyone is put out"), Glyph::Close),
            &QAction::triggered, this, &MainWindow::closeRoom);

    connect(add("actionLockAll", QStringLiteral("Lock &all rooms…"),
                QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_L), QStringLiteral("lock all"),
                QStringLiteral("Panic: nobody new gets into any room"), Glyph::RoomLock),
            &QAction::triggered, this, [this] { lockAll(true); });
    connect(add("actionUnlockAll", QStringLiteral("Unlock all rooms"),
                QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_U), QStringLiteral("unlock all"),
                QStringLiteral("Lift the room lock everywhere")),
            &QAction::triggered, this, [this] { lockAll(false); });
    connect(add("actionMuteAll", QStringLiteral("&Mute all rooms…"),
                QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_M), QStringLiteral("mute all"),
                QStringLiteral("Panic: only admins may send, everywhere"), Glyph::ChatLock),
            &QAction::triggered, this, [this] { muteAll(true); });
    connect(add("actionUnmuteAll", QStringLiteral("Unmute all rooms"),
                QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_N), QStringLiteral("unmute all"),
                QStringLiteral("Lift the chat lock everywhere")),
            &QAction::triggered, this, [this] { muteAll(false); });
    m_pauseAccepting = add(
        "actionPauseAccepting", QStringLiteral("&Pause new connections"),
        QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_P), QStringLiteral("pause / resume"),
        QStringLiteral("Panic: refuse new connections (503); connected people stay"), Glyph::Pause);
    m_pauseAccepting->setCheckable(true);
    connect(m_pauseAccepting, &QAction::triggered, this,
            [this](bool paused) { setAccepting(!paused); });
    connect(add("actionClearRoom", QStringLiteral("&Clear room…"),
                QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_X), QStringLiteral("clear ROOM [reason]"),
                QStringLiteral("Panic: put everyone but the admins out of the room"), Glyph::Kick),
            &QAction::triggered, this, &MainWindow::clearRoom);

    connect(
        add("actionCommand", QStringLiteral("Run co&mmand…"), QKeySequence(Qt::CTRL | Qt::Key_K),
            QStringLiteral("help"),
            QStringLiteral("Type a console command; the window's actions are the same commands"),
            Glyph::Command),
        &QAction::triggered, this, &MainWindow::runCommand);
    connect(add("actionRefresh", QStringLiteral("&Refresh bans and audit"), QKeySequence::Refresh,
                QString(), QStringLiteral("Fetch the ban list and the audit trail now")),
            &QAction::triggered, this, &MainWindow::refreshLists);
    m_presenter =
        add("actionPresenterMode", QStringLiteral("P&resenter mode"), QKeySequence(Qt::Key_F9),
            QString(), QStringLiteral("Hide people's addresses and ids while the screen is shown"));
    m_presenter->setCheckable(true);
    connect(m_presenter, &QAction::toggled, this, &MainWindow::setPresenterMode);
    connect(add("actionSettings", QStringLiteral("Se&ttings…"),
                QKeySequence(Qt::CTRL | Qt::Key_Comma), QString(),
                QStringLiteral("Port, listen address, limits, heartbeat, data directory; saved "
                               "for the next start, limits applied at once")),
            &QAction::triggered, this, &MainWindow::openSettings);
    connect(add("actionQuit", QStringLiteral("&Stop hosting and quit"), QKeySequence::Quit,
                QStringLiteral("quit"), QStringLiteral("Tell everyone, save state and stop")),
            &QAction::triggered, this, &MainWindow::requestStop);

    m_pauseTraffic = add(
        "actionPauseTraffic", QStringLiteral("&Pause traffic"), QKeySequence(Qt::Key_F8), QString(),
        QStringLiteral("Stop adding rows to the traffic view (counted as skipped)"), Glyph::Pause);
    m_pauseTraffic->setCheckable(true);
    connect(m_pauseTraffic, &QAction::toggled, m_traffic, &TrafficModel::setPaused);
    QAction *clearTraffic = add("actionClearTraffic", QStringLiteral("&Clear traffic"),
                                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_X), QString(),
                                QStringLiteral("Empty the traffic view"), Glyph::Close);
    connect(clearTraffic, &QAction::triggered, m_traffic, &TrafficModel::clear);
    connect(add("actionFilterTraffic", QStringLiteral("&Filter traffic"), QKeySequence::Find,
                QString(), QStringLiteral("Type to filter the traffic view")),
            &QAction::triggered, this, [this] {
                m_tabs->setCurrentIndex(0);
                m_trafficFilterEdit->setFocus();
                m_trafficFilterEdit->selectAll();
            });

    // The traffic bar's buttons.
    auto *trafficRow = qobject_cast<QHBoxLayout *>(m_trafficFilterEdit->parentWidget()->layout());
    for (QAction *a : {m_pauseTraffic, clearTraffic}) {
        auto *button = new QToolButton(m_trafficFilterEdit->parentWidget());
        button->setDefaultAction(a);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setAutoRaise(true);
        trafficRow->insertWidget(2, button);
    }
}

void MainWindow::buildMenus()
{
    const auto a = [this](const char *name) {
        return m_actions.value(QString::fromLatin1(name));
    };

    QMenu *server = menuBar()->addMenu(QStringLiteral("&Server"));
    server->addAction(a("actionCreateRoom"));
    server->addAction(a("actionAnnounceAll"));
    server->addAction(a("actionCommand"));
    server->addSeparator();
    server->addAction(m_pauseAccepting);
    server->addAction(m_presenter);
    server->addSeparator();
    server->addAction(a("actionSettings"));
    server->addSeparator();
    server->addAction(a("actionQuit"));

    QMenu *room = menuBar()->addMenu(QStringLiteral("&Room"));
    for (const char *name : {"actionLockRoom", "actionLockChat", "actionPinRoom",
                             "actionMaxParticipants", "actionWebhook", "actionAnnounce"})
        room->addAction(a(name));
    room->addSeparator();
    room->addAction(a("actionClearRoom"));
    room->addAction(a("actionCloseRoom"));

    QMenu *people = menuBar()->addMenu(QStringLiteral("&People"));
    for (const char *name : {"actionKick", "actionBan", "actionBanAddress"})
        people->addAction(a(name));
    people->addSeparator();
    people->addAction(m_admin);
    people->addAction(a("actionColor"));

    QMenu *bans = menuBar()->addMenu(QStringLiteral("&Bans"));
    for (const char *name :
         {"actionUnban", "actionBanAddress", "actionExportBans", "actionRefresh"})
        bans->addAction(a(name));

    QMenu *panic = menuBar()->addMenu(QStringLiteral("P&anic"));
    for (const char *name : {"actionLockAll", "actionUnlockAll", "actionMuteAll", "actionUnmuteAll",
                             "actionPauseAccepting", "actionClearRoom"})
        panic->addAction(a(name));

    QMenu *view = menuBar()->addMenu(QStringLiteral("&View"));
    for (const char *name : {"actionPauseTraffic", "actionClearTraffic", "actionFilterTraffic"})
        view->addAction(a(name));

    // The toolbar: the everyday actions, text beside icons.
    QToolBar *bar = addToolBar(QStringLiteral("Actions"));
    bar->setObjectName(QStringLiteral("actionsToolBar"));
    bar->setMovable(false);
    bar->setIconSize(QSize(20, 20));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(a("actionCreateRoom"));
    bar->addSeparator();
    bar->addAction(a("actionKick"));
    bar->addAction(a("actionBan"));
    bar->addSeparator();
    bar->addAction(m_lockRoom);
    bar->addAction(m_lockChat);
    bar->addAction(a("actionAnnounce"));
    bar->addSeparator();
    auto *panicButton = new QToolButton(bar);
    panicButton->setObjectName(QStringLiteral("panicButton"));
    panicButton->setText(QStringLiteral("Panic"));
    panicButton->setIcon(icons::glyph(icons::Glyph::Ban));
    panicButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    panicButton->setPopupMode(QToolButton::InstantPopup);
    panicButton->setMenu(panic);
    bar->addWidget(panicButton);
    bar->addAction(m_pauseAccepting);
    bar->addSeparator();
    bar->addAction(a("actionCommand"));

    // Context menus.
    connect(m_roomsView, &QWidget::customContextMenuRequested, this,
            [this, room](const QPoint &at) {
                if (m_roomsView->indexAt(at).isValid())
                    room->popup(m_roomsView->viewport()->mapToGlobal(at));
            });
    connect(m_participantsView, &QWidget::customContextMenuRequested, this,
            [this, people](const QPoint &at) {
                if (m_participantsView->indexAt(at).isValid())
                    people->popup(m_participantsView->viewport()->mapToGlobal(at));
            });
    connect(m_bansView, &QWidget::customContextMenuRequested, this, [this, bans](const QPoint &at) {
        bans->popup(m_bansView->viewport()->mapToGlobal(at));
    });
    connect(m_trafficView, &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        const QModelIndex index = m_trafficView->indexAt(at);
        auto *menu = new QMenu(this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        const auto filterOn = [this, menu](const QString &label, const QString &text) {
            if (text.isEmpty())
                return;
            connect(menu->addAction(label.arg(text)), &QAction::triggered, this,
                    [this, text] { m_trafficFilterEdit->setText(text); });
        };
        if (index.isValid()) {
            filterOn(QStringLiteral("Only %1"),
                     index.siblingAtColumn(TrafficModel::UserColumn).data().toString());
            filterOn(QStringLiteral("Only room %1"),
                     index.siblingAtColumn(TrafficModel::RoomColumn).data().toString());
            filterOn(QStringLiteral("Only type %1"),
                     index.siblingAtColumn(TrafficModel::TypeColumn).data().toString());
            menu->addSeparator();
        }
        menu->addAction(m_pauseTraffic);
        menu->addAction(m_actions.value(QStringLiteral("actionClearTraffic")));
        menu->popup(m_trafficView->viewport()->mapToGlobal(at));
    });
}

void MainWindow::buildTray()
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(icons::application(0), this);
    auto *menu = new QMenu(this);
    connect(menu->addAction(QStringLiteral("Show window")), &QAction::triggered, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    menu->addAction(m_pauseAccepting);
    menu->addSeparator();
    menu->addAction(m_actions.value(QStringLiteral("actionQuit")));
    m_tray->setContextMenu(menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r != QSystemTrayIcon::Trigger)
            return;
        if (isVisible() && !isMinimized()) {
            hide();
        } else {
            showNormal();
            raise();
            activateWindow();
        }
    });
    m_tray->show();
    updateTray();
}

void MainWindow::restoreSettings()
{
    QSettings settings(QStringLiteral("roomkeeper"), QStringLiteral("window"));
    settings.beginGroup(QStringLiteral("window"));
    restoreGeometry(settings.value(QStringLiteral("geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("state")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("mainSplitter")).toByteArray());
    m_rightSplitter->restoreState(settings.value(QStringLiteral("rightSplitter")).toByteArray());
    const std::pair<const char *, QTreeView *> views[] = {
        {"roomsHeader", m_roomsView},
        {"participantsHeader", m_participantsView},
        {"trafficHeader", m_trafficView},
        {"bansHeader", m_bansView},
        {"auditHeader", m_auditView}};
    for (const auto &[key, view] : views)
        view->header()->restoreState(settings.value(QString::fromLatin1(key)).toByteArray());
    m_tabs->setCurrentIndex(settings.value(QStringLiteral("tab"), 0).toInt());
    m_presenter->setChecked(settings.value(QStringLiteral("presenter"), false).toBool());
}

void MainWindow::saveSettings() const
{
    QSettings settings(QStringLiteral("roomkeeper"), QStringLiteral("window"));
    settings.beginGroup(QStringLiteral("window"));
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("state"), saveState());
    settings.setValue(QStringLiteral("mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("rightSplitter"), m_rightSplitter->saveState());
    const std::pair<const char *, QTreeView *> views[] = {
        {"roomsHeader", m_roomsView},
        {"participantsHeader", m_participantsView},
        {"trafficHeader", m_trafficView},
        {"bansHeader", m_bansView},
        {"auditHeader", m_auditView}};
    for (const auto &[key, view] : views)
        settings.setValue(QString::fromLatin1(key), view->header()->saveState());
    settings.setValue(QStringLiteral("tab"), m_tabs->currentIndex());
    settings.setValue(QStringLiteral("presenter"), m_presenter->isChecked());
}

// ---- feed ---------------------------------------------------------------------------

void MainWindow::setListening(const QString &address, quint16 port)
{
    m_header->setListening(address, port);
    setWindowTitle(QStringLiteral("Roomkeeper — port %1").arg(port));
    m_uptime.start();
    m_header->setUptime(0);
    m_uptimeTimer.start();
    startRefreshing();
}

void MainWindow::showStats(const ServerStats &stats)
{
    m_stats->setText(QStringLiteral("%1 connections · %2 rooms · %3 messages · %4 deliveries")
                         .arg(stats.connections)
                         .arg(stats.rooms)
                         .arg(stats.messagesPosted)
                         .arg(stats.framesOut));
    m_stats->setToolTip(
        QStringLiteral("%1 on /ws, %2 on /gateway, %3 handshakes\n"
                       "in %4, out %5")
            .arg(stats.roomConnections)
            .arg(stats.gatewayConnections)
            .arg(stats.handshakes)
            .arg(display::bytes(qint64(stats.bytesIn)), display::bytes(qint64(stats.bytesOut))));
    m_header->chart()->addStats(stats, m_statsClock.elapsed());
    const QList<TrafficChart::Point> &points = m_header->chart()->points();
    if (!points.isEmpty())
        m_rates->setText(QStringLiteral("in %1/s · out %2/s")
                             .arg(points.last().inPerSecond, 0, 'f', 0)
                             .arg(points.last().outPerSecond, 0, 'f', 0));

    QStringList alerts;
    if (stats.rateLimited > 0)
        alerts << QStringLiteral("%1 rate-limited").arg(stats.rateLimited);
    if (stats.slowClientDrops > 0)
        alerts << QStringLiteral("%1 slow dropped").arg(stats.slowClientDrops);
    if (stats.bannedConnections > 0)
        alerts << QStringLiteral("%1 refused by bans").arg(stats.bannedConnections);
    if (stats.refusedConnections > 0)
        alerts << QStringLiteral("%1 over limits").arg(stats.refusedConnections);
    if (stats.webhookFailed > 0)
        alerts << QStringLiteral("%1 webhook failures").arg(stats.webhookFailed);
    m_alerts->setText(alerts.join(QStringLiteral(" · ")));

    m_accepting->setText(stats.accepting ? QStringLiteral("accepting")
                                         : QStringLiteral("PAUSED: refusing newcomers"));
    m_accepting->setStyleSheet(stats.accepting
                                   ? QStringLiteral("color: #15803d;")
                                   : QStringLiteral("color: #b91c1c; font-weight: bold;"));
    m_pauseAccepting->setChecked(!stats.accepting);

    if (m_lastStats) {
        const ServerStats &last = *m_lastStats;
        if (stats.rateLimited > last.rateLimited)
            notify(QStringLiteral("flood"), QStringLiteral("Flooding"),
                   QStringLiteral("%1 requests were rate-limited just now.")
                       .arg(stats.rateLimited - last.rateLimited));
        if (stats.slowClientDrops > last.slowClientDrops)
            notify(QStringLiteral("slow"), QStringLiteral("Slow clients"),
                   QStringLiteral("%1 connections were dropped as too slow.")
                       .arg(stats.slowClientDrops - last.slowClientDrops));
        if (stats.bans > last.bans || stats.bannedConnections > last.bannedConnections)
            notify(QStringLiteral("ban"), QStringLiteral("Bans"),
                   QStringLiteral("%1 new bans, %2 connections refused by address bans.")
                       .arg(stats.bans - last.bans)
                       .arg(stats.bannedConnections - last.bannedConnections));
    }
    m_lastStats = stats;
    updateTray();
}

void MainWindow::applySnapshot(const ServerSnapshot &snapshot)
{
    if (snapshot.rooms.size() != m_snapshot.rooms.size() ||
        snapshot.connections != m_snapshot.connections)
        qCDebug(lcUi) << "snapshot:" << snapshot.rooms.size() << "rooms," << snapshot.connections
                      << "connections";
    m_snapshot = snapshot;
    m_participants->applySnapshot(snapshot);
    m_rooms->applySnapshot(snapshot);
    m_traffic->applySnapshot(snapshot);
    m_bans->applySnapshot(snapshot);
    m_audit->applySnapshot(snapshot);
    if (!m_roomsView->currentIndex().isValid() && m_rooms->rowCount() > 0)
        m_roomsView->setCurrentIndex(m_rooms->index(0, 0));
    if (auto *title = findChild<QLabel *>(QStringLiteral("peopleTitle"))) {
        const RoomSnapshot *room = currentRoom();
        title->setText(
            room
                ? QStringLiteral("People in %1 (%2)").arg(room->name).arg(room->participants.size())
                : QStringLiteral("People"));
    }
    updateActions();
}

void MainWindow::appendTraffic(const TrafficBatch &batch)
{
    m_traffic->appendTraffic(batch);
}

void MainWindow::applyBans(const QList<Ban> &bans)
{
    m_bans->setBans(bans);
    m_tabs->setTabText(1, bans.isEmpty() ? QStringLiteral("Bans")
                                         : QStringLiteral("Bans (%1)").arg(bans.size()));
    updateActions();
}

void MainWindow::applyAudit(const QList<AuditEntry> &entries)
{
    m_audit->setEntries(entries);
}

void MainWindow::startRefreshing()
{
    m_started = true;
    if (!m_link->server() || m_refreshTimer.isActive())
        return;
    m_refreshTimer.start();
    refreshLists();
}

void MainWindow::refreshLists()
{
    if (m_started) // the store opens when the server starts
        m_link->refresh(AuditRows);
}

void MainWindow::updateTrafficCounters()
{
    QString text = QStringLiteral("%1 of %2 rows · %3 skipped")
                       .arg(m_traffic->rowCount())
                       .arg(m_traffic->capacity())
                       .arg(m_traffic->skipped());
    if (m_traffic->isPaused())
        text += QStringLiteral(" · PAUSED");
    m_trafficCounters->setText(text);
    m_trafficCounters->setToolTip(
        QStringLiteral("%1 events received; %2 left out by sampling or while paused; %3 "
                       "dropped off the top of the ring")
            .arg(m_traffic->received())
            .arg(m_traffic->skipped())
            .arg(m_traffic->evicted()));
}

void MainWindow::updateTray()
{
    if (!m_tray)
        return;
    const int count = m_lastStats ? m_lastStats->connections : 0;
    if (count != m_trayCount) {
        m_trayCount = count;
        m_tray->setIcon(icons::application(count));
    }
    m_tray->setToolTip(
        QStringLiteral("Roomkeeper — %1 connected%2")
            .arg(count)
            .arg(m_lastStats && !m_lastStats->accepting ? QStringLiteral(" (paused)") : QString()));
}

void MainWindow::notify(const QString &kind, const QString &title, const QString &text)
{
    const qint64 now = m_statsClock.elapsed();
    const auto last = m_lastNotified.constFind(kind);
    if (last != m_lastNotified.cend() && now - *last < NotifyEveryMs)
        return;
    m_lastNotified.insert(kind, now);
    qCInfo(lcUi).noquote() << title << ":" << text;
    if (m_tray && m_tray->isVisible())
        m_tray->showMessage(title, text, QSystemTrayIcon::Warning, 8000);
}

// ---- selection ----------------------------------------------------------------------

QUuid MainWindow::selectedRoom() const
{
    return m_roomsView->currentIndex().data(RoomsModel::IdRole).toUuid();
}

QList<QUuid> MainWindow::selectedParticipants() const
{
    QList<QUuid> ids;
    const QModelIndexList rows = m_participantsView->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows)
        ids << index.data(ParticipantsModel::IdRole).toUuid();
    return ids;
}

void MainWindow::selectRoom(const QUuid &room)
{
    const int row = m_rooms->rowOf(room);
    if (row >= 0)
        m_roomsView->setCurrentIndex(m_rooms->index(row, 0));
}

void MainWindow::selectParticipant(const QUuid &user)
{
    const int row = m_participants->rowOf(user);
    if (row < 0)
        return;
    const QModelIndex index = m_participantsSort->mapFromSource(m_participants->index(row, 0));
    m_participantsView->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

const RoomSnapshot *MainWindow::currentRoom() const
{
    const QUuid id = selectedRoom();
    if (id.isNull())
        return nullptr;
    for (const RoomSnapshot &room : m_snapshot.rooms) {
        if (room.id == id)
            return &room;
    }
    return nullptr;
}

QList<ParticipantSnapshot> MainWindow::currentPeople() const
{
    QList<ParticipantSnapshot> people;
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return people;
    const QList<QUuid> ids = selectedParticipants();
    for (const ParticipantSnapshot &p : room->participants) {
        if (ids.contains(p.user))
            people << p;
    }
    return people;
}

QString MainWindow::roomRef(const RoomSnapshot &room) const
{
    const auto same = std::count_if(m_snapshot.rooms.cbegin(), m_snapshot.rooms.cend(),
                                    [&room](const RoomSnapshot &r) {
                                        return r.name.compare(room.name, Qt::CaseInsensitive) == 0;
                                    });
    return display::consoleRef(room.name, room.id, same == 1);
}

QString MainWindow::userRef(const RoomSnapshot &room, const ParticipantSnapshot &person) const
{
    const auto same =
        std::count_if(room.participants.cbegin(), room.participants.cend(),
                      [&person](const ParticipantSnapshot &p) {
                          return p.name.compare(person.name, Qt::CaseInsensitive) == 0;
                      });
    return display::consoleRef(person.name, person.user, same == 1);
}

void MainWindow::updateActions()
{
    const RoomSnapshot *room = currentRoom();
    const QList<ParticipantSnapshot> people = currentPeople();
    const bool hasRoom = room != nullptr;
    const bool hasPeople = hasRoom && !people.isEmpty();
    const bool onePerson = hasRoom && people.size() == 1;
    const bool anyRoom = !m_snapshot.rooms.isEmpty();
    const auto enable = [this](const char *name, bool on) {
        m_actions.value(QString::fromLatin1(name))->setEnabled(on);
    };
    for (const char *name :
         {"actionLockRoom", "actionLockChat", "actionPinRoom", "actionMaxParticipants",
          "actionWebhook", "actionAnnounce", "actionCloseRoom", "actionClearRoom"})
        enable(name, hasRoom);
    enable("actionKick", hasPeople);
    enable("actionBan", hasPeople);
    enable("actionAdmin", onePerson);
    enable("actionColor", onePerson);
    for (const char *name : {"actionLockAll", "actionUnlockAll", "actionMuteAll", "actionUnmuteAll",
                             "actionAnnounceAll"})
        enable(name, anyRoom);
    enable("actionUnban", m_bansView->selectionModel()->hasSelection());
    m_lockRoom->setChecked(hasRoom && room->closed);
    m_lockChat->setChecked(hasRoom && room->chatLocked);
    m_pin->setChecked(hasRoom && room->pinned);
    m_admin->setChecked(onePerson && (people.first().admin || people.first().creator));
}

// ---- actions ------------------------------------------------------------------------

void MainWindow::send(const QString &what, const QString &command,
                      std::function<Outcome(ModerationService &)> action)
{
    statusBar()->showMessage(QStringLiteral("%1…").arg(what));
    m_link->run(what, command, std::move(action));
}

void MainWindow::onActionDone(const QString &what, const QString &command, bool ok,
                              const QString &message)
{
    const QString shown = QString(command).replace(QLatin1Char('\n'), QStringLiteral("; "));
    if (ok) {
        statusBar()->showMessage(QStringLiteral("Done: %1 — console: %2").arg(what, shown), 8000);
    } else {
        statusBar()->showMessage(QStringLiteral("Refused: %1 — %2").arg(what, message), 15000);
        m_prompter->refused(this, QStringLiteral("Refused"),
                            QStringLiteral("%1 was refused:\n%2").arg(what, message));
        updateActions(); // toggles go back to what the core has
    }
    emit actionFinished(what, ok, message);
    refreshLists();
}

void MainWindow::createRoom()
{
    const std::optional<NewRoomChoice> choice = m_prompter->newRoom(this);
    if (!choice || choice->name.isEmpty())
        return;
    const QString command =
        QStringLiteral("create %1%2")
            .arg(choice->name, choice->closed ? QStringLiteral(" closed") : QString());
    send(QStringLiteral("create room %1").arg(choice->name), command,
         [name = choice->name, closed = choice->closed](ModerationService &m) -> Outcome {
             const auto created = m.createRoom(console, name, closed);
             if (const Refusal *refusal = std::get_if<Refusal>(&created))
                 return *refusal;
             return std::nullopt;
         });
}

void MainWindow::kick()
{
    const RoomSnapshot *room = currentRoom();
    const QList<ParticipantSnapshot> people = currentPeople();
    if (!room || people.isEmpty()) {
        statusBar()->showMessage(QStringLiteral("Select someone in a room first"), 4000);
        return;
    }
    int connections = 0;
    QStringList commands;
    QList<QUuid> ids;
    for (const ParticipantSnapshot &p : people) {
        connections += p.connections;
        ids << p.user;
        commands << QStringLiteral("kick %1 %2").arg(roomRef(*room), userRef(*room, p));
    }
    const QString who = people.size() == 1 ? people.first().name : display::people(people.size());
    const QString text =
        QStringLiteral("Kick %1 out of %2?\n\nThis disconnects %3 (%4) from the room. They can "
                       "come back unless banned.\n\nConsole: %5 [reason]")
            .arg(who, room->name, display::people(people.size()), display::connections(connections),
                 commands.join(QStringLiteral(" [reason]\n")));
    const std::optional<QString> reason =
        m_prompter->confirmWithReason(this, QStringLiteral("Kick"), text, QStringLiteral("Kick"));
    if (!reason)
        return;
    for (QString &c : commands)
        c = withReason(c, *reason);
    send(QStringLiteral("kick %1 from %2").arg(who, room->name), commands.join(QLatin1Char('\n')),
         [roomId = room->id, ids, reason = *reason](ModerationService &m) -> Outcome {
             for (const QUuid &user : ids) {
                 if (Outcome refusal = m.kick(console, roomId, user, reason))
                     return refusal;
             }
             return std::nullopt;
         });
}

void MainWindow::ban()
{
    const RoomSnapshot *room = currentRoom();
    const QList<ParticipantSnapshot> people = currentPeople();
    if (!room || people.isEmpty()) {
        statusBar()->showMessage(QStringLiteral("Select someone in a room first"), 4000);
        return;
    }
    int connections = 0;
    QList<QUuid> ids;
    QStringList addresses;
    QStringList refs;
    for (const ParticipantSnapshot &p : people) {
        connections += p.connections;
        ids << p.user;
        refs << userRef(*room, p);
        for (const QString &a : p.addresses.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (!addresses.contains(a.trimmed()))
                addresses << a.trimmed();
        }
    }
    const QString who = people.size() == 1 ? people.first().name : display::people(people.size());
    const QString text =
        QStringLiteral("Ban %1 from %2?\n\nThis disconnects %3 (%4) from the room and keeps them "
                       "out.\n\nConsole: ban %5 %6 [DURATION] [reason]")
            .arg(who, room->name, display::people(people.size()), display::connections(connections),
                 roomRef(*room), refs.join(QLatin1Char('|')));
    const std::optional<BanChoice> choice =
        m_prompter->ban(this, QStringLiteral("Ban"), text, addresses);
    if (!choice)
        return;
    const QString duration = choice->durationMs > 0
                                 ? display::durationArgument(choice->durationMs) + QLatin1Char(' ')
                                 : QString();
    QStringList commands;
    for (const QString &ref : refs)
        commands << withReason(
            QStringLiteral("ban %1 %2 %3").arg(roomRef(*room), ref, duration).trimmed(),
            choice->reason);
    if (choice->alsoAddresses) {
        for (const QString &a : addresses)
            commands << withReason(QStringLiteral("ban-address %1 %2").arg(a, duration).trimmed(),
                                   choice->reason);
    } else {
        addresses.clear();
    }
    send(QStringLiteral("ban %1 from %2").arg(who, room->name), commands.join(QLatin1Char('\n')),
         [roomId = room->id, ids, addresses, c = *choice](ModerationService &m) -> Outcome {
             for (const QUuid &user : ids) {
                 if (Outcome refusal = m.ban(console, roomId, user, c.reason, c.durationMs))
                     return refusal;
             }
             for (const QString &address : addresses) {
                 const auto banned = m.banAddress(console, address, c.reason, c.durationMs);
                 if (const Refusal *refusal = std::get_if<Refusal>(&banned))
                     return *refusal;
             }
             return std::nullopt;
         });
}

void MainWindow::banAddress()
{
    const QList<ParticipantSnapshot> people = currentPeople();
    const QString initial =
        people.isEmpty() ? QString()
                         : people.first().addresses.section(QLatin1Char(','), 0, 0).trimmed();
    const std::optional<QString> address = m_prompter->text(
        this, QStringLiteral("Ban address"),
        QStringLiteral("Address or subnet to refuse in every room, e.g. 10.0.0.7 or "
                       "10.0.0.0/24.\n\nConsole: ban-address ADDR[/PREFIX] [DURATION] [reason]"),
        initial);
    if (!address || address->isEmpty())
        return;
    Ban probe;
    if (address->contains(QLatin1Char('/'))) {
        const auto subnet = QHostAddress::parseSubnet(*address);
        probe.address = subnet.first;
        probe.prefixLength = subnet.second;
    } else {
        probe.address = QHostAddress(*address);
    }
    if (probe.address.isNull()) {
        statusBar()->showMessage(QStringLiteral("%1 is not an address or subnet").arg(*address),
                                 6000);
        return;
    }
    // Who it hits now, as the last snapshot has it.
    QSet<QUuid> hitPeople;
    int hitConnections = 0;
    for (const RoomSnapshot &room : std::as_const(m_snapshot.rooms)) {
        for (const ParticipantSnapshot &p : room.participants) {
            if (hitPeople.contains(p.user))
                continue;
            for (const QString &a : p.addresses.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                if (probe.matchesAddress(QHostAddress(a.trimmed()))) {
                    hitPeople.insert(p.user);
                    hitConnections += p.connections;
                    break;
                }
            }
        }
    }
    const QString text =
        QStringLiteral("Ban %1 in every room?\n\nThis disconnects %2 (%3) connected from it now, "
                       "and refuses it from now on.\n\nConsole: ban-address %1 [reason]")
            .arg(*address, display::people(hitPeople.size()), display::connections(hitConnections));
    const std::optional<QString> reason = m_prompter->confirmWithReason(
        this, QStringLiteral("Ban address"), text, QStringLiteral("Ban address"));
    if (!reason)
        return;
    send(QStringLiteral("ban address %1").arg(*address),
         withReason(QStringLiteral("ban-address %1").arg(*address), *reason),
         [address = *address, reason = *reason](ModerationService &m) -> Outcome {
             const auto banned = m.banAddress(console, address, reason);
             if (const Refusal *refusal = std::get_if<Refusal>(&banned))
                 return *refusal;
             return std::nullopt;
         });
}

void MainWindow::liftBan()
{
    const QModelIndex index = m_bansView->currentIndex();
    if (!index.isValid()) {
        statusBar()->showMessage(QStringLiteral("Select a ban in the Bans tab first"), 4000);
        return;
    }
    const QString who = index.siblingAtColumn(BansModel::TargetColumn).data().toString();
    if (index.data(BansModel::IsAddressRole).toBool()) {
        const qint64 id = index.data(BansModel::BanIdRole).toLongLong();
        send(QStringLiteral("lift the ban on %1").arg(who),
             QStringLiteral("unban-address %1").arg(id),
             [id](ModerationService &m) { return m.liftAddressBan(console, id); });
        return;
    }
    const QUuid room = index.data(BansModel::RoomIdRole).toUuid();
    const QUuid user = index.data(BansModel::UserIdRole).toUuid();
    const QString roomName = index.siblingAtColumn(BansModel::RoomColumn).data().toString();
    send(QStringLiteral("lift the ban on %1 in %2").arg(who, roomName),
         QStringLiteral("unban %1 %2")
             .arg(display::consoleRef(roomName, room, false), display::shortId(user)),
         [room, user](ModerationService &m) { return m.unban(console, room, user); });
}

void MainWindow::sendRoomUpdate(const RoomSnapshot &room, const RoomUpdate &update,
                                const QString &description, const QString &command)
{
    send(description, command, [roomId = room.id, update](ModerationService &m) {
        return m.update(console, roomId, update);
    });
}

void MainWindow::setRoomLocked(bool locked)
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    RoomUpdate update;
    update.closed = locked;
    sendRoomUpdate(*room, update,
                   QStringLiteral("%1 room %2")
                       .arg(locked ? QStringLiteral("lock") : QStringLiteral("unlock"), room->name),
                   QStringLiteral("%1 %2").arg(
                       locked ? QStringLiteral("lock") : QStringLiteral("unlock"), roomRef(*room)));
}

void MainWindow::setChatLocked(bool locked)
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    RoomUpdate update;
    update.chatLocked = locked;
    sendRoomUpdate(*room, update,
                   QStringLiteral("%1 chat in %2")
                       .arg(locked ? QStringLiteral("lock") : QStringLiteral("unlock"), room->name),
                   QStringLiteral("%1 %2").arg(
                       locked ? QStringLiteral("mute") : QStringLiteral("unmute"), roomRef(*room)));
}

void MainWindow::setPinned(bool pinned)
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    send(QStringLiteral("%1 %2").arg(pinned ? QStringLiteral("pin") : QStringLiteral("unpin"),
                                     room->name),
         QStringLiteral("%1 %2").arg(pinned ? QStringLiteral("pin") : QStringLiteral("unpin"),
                                     roomRef(*room)),
         [roomId = room->id, pinned](ModerationService &m) {
             return m.setPinned(console, roomId, pinned);
         });
}

void MainWindow::setMaxParticipants()
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    const std::optional<int> limit = m_prompter->number(
        this, QStringLiteral("Max participants"),
        QStringLiteral("Most people in %1 (0 = no limit; admins always get in).\n%2 inside now; "
                       "nobody is put out.\n\nConsole: limit %3 N")
            .arg(room->name, display::people(room->participants.size()), roomRef(*room)),
        room->maxParticipants, 0, RoomRegistry::MaxParticipantsLimit);
    if (!limit)
        return;
    RoomUpdate update;
    update.maxParticipants = *limit;
    sendRoomUpdate(*room, update, QStringLiteral("limit %1 to %2").arg(room->name).arg(*limit),
                   QStringLiteral("limit %1 %2").arg(roomRef(*room)).arg(*limit));
}

void MainWindow::setWebhook()
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    const std::optional<QString> url = m_prompter->text(
        this, QStringLiteral("Webhook"),
        QStringLiteral("URL to forward %1's messages to (empty: none).\nNow: %2\n\nConsole: "
                       "webhook %3 URL|off")
            .arg(room->name,
                 room->hasWebhook
                     ? (room->webhookState.isEmpty() ? QStringLiteral("on") : room->webhookState)
                     : QStringLiteral("none"),
                 roomRef(*room)),
        QString());
    if (!url)
        return;
    RoomUpdate update;
    update.webhook = *url;
    sendRoomUpdate(*room, update,
                   url->isEmpty() ? QStringLiteral("remove the webhook of %1").arg(room->name)
                                  : QStringLiteral("set the webhook of %1").arg(room->name),
                   QStringLiteral("webhook %1 %2")
                       .arg(roomRef(*room), url->isEmpty() ? QStringLiteral("off") : *url));
}

void MainWindow::setAdmin(bool admin)
{
    const RoomSnapshot *room = currentRoom();
    const QList<ParticipantSnapshot> people = currentPeople();
    if (!room || people.size() != 1)
        return;
    const ParticipantSnapshot &p = people.first();
    send(QStringLiteral("%1 %2 admin in %3")
             .arg(admin ? QStringLiteral("make") : QStringLiteral("no longer make"), p.name,
                  room->name),
         QStringLiteral("admin %1 %2 %3")
             .arg(roomRef(*room), userRef(*room, p),
                  admin ? QStringLiteral("on") : QStringLiteral("off")),
         [roomId = room->id, user = p.user, admin](ModerationService &m) {
             return m.setAdmin(console, roomId, user, admin);
         });
}

void MainWindow::setColor()
{
    const RoomSnapshot *room = currentRoom();
    const QList<ParticipantSnapshot> people = currentPeople();
    if (!room || people.size() != 1)
        return;
    const ParticipantSnapshot &p = people.first();
    const std::optional<QColor> color = m_prompter->color(
        this, QStringLiteral("Colour of %1").arg(p.name), QColor::fromString(p.color));
    if (!color || !color->isValid())
        return;
    const QString hex = color->name(QColor::HexRgb);
    send(QStringLiteral("colour %1 %2").arg(p.name, hex),
         QStringLiteral("color %1 %2 %3").arg(roomRef(*room), userRef(*room, p), hex),
         [roomId = room->id, user = p.user, hex](ModerationService &m) {
             return m.setColor(console, roomId, user, hex);
         });
}

void MainWindow::closeRoom()
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    int connections = 0;
    for (const ParticipantSnapshot &p : room->participants)
        connections += p.connections;
    const QString text =
        QStringLiteral("Close %1?\n\nThis puts out %2 (%3) and deletes the room%4.\n\nConsole: "
                       "close %5 [reason]")
            .arg(room->name, display::people(room->participants.size()),
                 display::connections(connections),
                 room->pinned ? QStringLiteral(", although it is pinned") : QString(),
                 roomRef(*room));
    const std::optional<QString> reason = m_prompter->confirmWithReason(
        this, QStringLiteral("Close room"), text, QStringLiteral("Close room"));
    if (!reason)
        return;
    send(QStringLiteral("close %1").arg(room->name),
         withReason(QStringLiteral("close %1").arg(roomRef(*room)), *reason),
         [roomId = room->id, reason = *reason](ModerationService &m) {
             return m.closeRoom(console, roomId, reason);
         });
}

void MainWindow::announce(bool everyRoom)
{
    const RoomSnapshot *room = everyRoom ? nullptr : currentRoom();
    if (!everyRoom && !room)
        return;
    int people = 0;
    for (const RoomSnapshot &r : std::as_const(m_snapshot.rooms))
        people += int(r.participants.size());
    const QString where =
        everyRoom
            ? QStringLiteral("every room (%1 in %2)")
                  .arg(display::people(people), display::rooms(m_snapshot.rooms.size()))
            : QStringLiteral("%1 (%2)").arg(room->name, display::people(room->participants.size()));
    const QString ref = everyRoom ? QStringLiteral("all") : roomRef(*room);
    const std::optional<QString> text = m_prompter->text(
        this, QStringLiteral("Announce"),
        QStringLiteral("A message from the operator to %1:\n\nConsole: announce %2 TEXT")
            .arg(where, ref),
        QString());
    if (!text || text->isEmpty())
        return;
    send(
        QStringLiteral("announce in %1").arg(everyRoom ? QStringLiteral("every room") : room->name),
        QStringLiteral("announce %1 %2").arg(ref, *text),
        [roomId = everyRoom ? QUuid() : room->id, text = *text](ModerationService &m) {
            return m.announce(console, roomId, text);
        });
}

void MainWindow::lockAll(bool locked)
{
    if (locked) {
        int people = 0;
        for (const RoomSnapshot &r : std::as_const(m_snapshot.rooms))
            people += int(r.participants.size());
        const QString text =
            QStringLiteral("Lock all %1?\n\nNobody new gets in anywhere (admins "
                           "and invited people still can); the %2 inside stay."
                           "\n\nConsole: lock all")
                .arg(display::rooms(m_snapshot.rooms.size()), display::people(people));
        if (!m_prompter->confirm(this, QStringLiteral("Lock all rooms"), text,
                                 QStringLiteral("Lock all")))
            return;
    }
    send(locked ? QStringLiteral("lock every room") : QStringLiteral("unlock every room"),
         locked ? QStringLiteral("lock all") : QStringLiteral("unlock all"),
         [locked](ModerationService &m) { return m.lockAllRooms(console, locked); });
}

void MainWindow::muteAll(bool muted)
{
    if (muted) {
        int people = 0;
        for (const RoomSnapshot &r : std::as_const(m_snapshot.rooms)) {
            for (const ParticipantSnapshot &p : r.participants)
                people += p.admin || p.creator ? 0 : 1;
        }
        const QString text =
            QStringLiteral("Mute all %1?\n\n%2 can no longer send; admins still can.\n\nConsole: "
                           "mute all")
                .arg(display::rooms(m_snapshot.rooms.size()), display::people(people));
        if (!m_prompter->confirm(this, QStringLiteral("Mute all rooms"), text,
                                 QStringLiteral("Mute all")))
            return;
    }
    send(muted ? QStringLiteral("mute every room") : QStringLiteral("unmute every room"),
         muted ? QStringLiteral("mute all") : QStringLiteral("unmute all"),
         [muted](ModerationService &m) { return m.muteAllRooms(console, muted); });
}

void MainWindow::setAccepting(bool accepting)
{
    send(accepting ? QStringLiteral("accept new connections")
                   : QStringLiteral("refuse new connections"),
         accepting ? QStringLiteral("resume") : QStringLiteral("pause"),
         [accepting](ModerationService &m) { return m.setAccepting(console, accepting); });
}

void MainWindow::clearRoom()
{
    const RoomSnapshot *room = currentRoom();
    if (!room)
        return;
    int out = 0;
    int admins = 0;
    int connections = 0;
    for (const ParticipantSnapshot &p : room->participants) {
        if (p.admin || p.creator) {
            ++admins;
        } else {
            ++out;
            connections += p.connections;
        }
    }
    const QString text =
        QStringLiteral("Clear %1?\n\nThis disconnects %2 (%3) from the room; its "
                       "%4 admins stay.\n\nConsole: clear %5 [reason]")
            .arg(room->name, display::people(out), display::connections(connections))
            .arg(admins)
            .arg(roomRef(*room));
    const std::optional<QString> reason = m_prompter->confirmWithReason(
        this, QStringLiteral("Clear room"), text, QStringLiteral("Clear room"));
    if (!reason)
        return;
    send(QStringLiteral("clear %1").arg(room->name),
         withReason(QStringLiteral("clear %1").arg(roomRef(*room)), *reason),
         [roomId = room->id, reason = *reason](ModerationService &m) {
             return m.clearRoom(console, roomId, reason);
         });
}

void MainWindow::runCommand()
{
    const std::optional<QString> line = m_prompter->text(
        this, QStringLiteral("Run command"),
        QStringLiteral("A console command, as on the headless console (help lists them):"),
        QString());
    if (!line || line->isEmpty())
        return;
    // The drain countdown lives in the headless console's loop (app/main.cpp).
    if (line->section(QLatin1Char(' '), 0, 0, QString::SectionSkipEmpty) ==
        QLatin1StringView("drain")) {
        m_prompter->inform(this, *line,
                           QStringLiteral("error: drain is for the headless console; here use "
                                          "Panic → Pause new connections, Announce, then Stop "
                                          "hosting."));
        return;
    }
    m_link->runCommand(*line);
}

void MainWindow::openSettings()
{
    if (m_settingsDialog) {
        m_settingsDialog->raise();
        m_settingsDialog->activateWindow();
        return;
    }
    m_settingsDialog = new SettingsDialog(m_serverConfig, this);
    m_settingsDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_settingsDialog, &QDialog::accepted, this, [this] {
        if (m_settingsDialog)
            applySettings(m_settingsDialog->config());
    });
    m_settingsDialog->open();
}

void MainWindow::applySettings(const ServerConfig &next)
{
    saveServerSettings(next);
    m_serverConfig = next;
    ChatServer *server = m_link->server();
    if (!server) {
        showSettingsReport({});
        return;
    }
    // As CoreLink does: run on the core thread, answer on this one. The window outlives
    // the core's event processing (app/main.cpp joins the core thread first).
    const QPointer<MainWindow> self(this);
    QMetaObject::invokeMethod(
        server,
        [server, next, self] {
            const QStringList report = server->reconfigure(next);
            if (!self)
                return;
            QMetaObject::invokeMethod(
                self.data(),
                [self, report] {
                    if (self)
                        self->showSettingsReport(report);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void MainWindow::showSettingsReport(const QStringList &report)
{
    QStringList applied;
    QStringList restart;
    for (const QString &line : report) {
        if (line.startsWith(QLatin1StringView("applied ")))
            applied.append(line.mid(8));
        else if (line.startsWith(QLatin1StringView("needs a restart: ")))
            restart.append(line.mid(17));
    }
    QStringList sentences;
    if (!m_link->server())
        sentences.append(QStringLiteral("Saved; not hosting, so nothing was applied."));
    else if (report.isEmpty())
        sentences.append(QStringLiteral("Saved; nothing changed."));
    if (!applied.isEmpty())
        sentences.append(QStringLiteral("Applied: %1.").arg(applied.join(QStringLiteral(", "))));
    if (!restart.isEmpty())
        sentences.append(QStringLiteral("Needs a restart of Roomkeeper: %1.")
                             .arg(restart.join(QStringLiteral(", "))));
    const QString text = sentences.join(QLatin1Char(' '));
    qCInfo(lcUi).noquote() << "settings:" << text;
    statusBar()->showMessage(QStringLiteral("Settings: %1").arg(text), 8000);
    m_prompter->inform(this, QStringLiteral("Settings"), text);
    emit settingsApplied(report);
}

void MainWindow::exportBans()
{
    const std::optional<QString> path = m_prompter->saveFileName(
        this, QStringLiteral("Export bans"), QStringLiteral("roomkeeper-bans.tsv"));
    if (!path)
        return;
    QFile file(*path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text) ||
        file.write(m_bans->toText().toUtf8()) < 0) {
        m_prompter->refused(this, QStringLiteral("Export bans"),
                            QStringLiteral("Cannot write %1: %2").arg(*path, file.errorString()));
        return;
    }
    statusBar()->showMessage(
        QStringLiteral("Saved %1 bans to %2").arg(m_bans->rowCount()).arg(*path), 6000);
}

void MainWindow::setPresenterMode(bool on)
{
    m_participantsView->setColumnHidden(ParticipantsModel::UserIdColumn, on);
    m_participantsView->setColumnHidden(ParticipantsModel::AddressColumn, on);
    m_bansView->setColumnHidden(BansModel::TargetColumn, on);
    statusBar()->showMessage(on ? QStringLiteral("Presenter mode: addresses and ids are hidden")
                                : QStringLiteral("Presenter mode off"),
                             4000);
}

// ---- closing ------------------------------------------------------------------------

void MainWindow::requestStop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_link->setServer(nullptr);
    m_refreshTimer.stop();
    emit stopRequested();
    close();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    if (m_stopping) {
        event->accept();
        return;
    }
    const bool tray = m_tray && QSystemTrayIcon::isSystemTrayAvailable();
    const int connected = m_lastStats ? m_lastStats->connections : 0;
    CloseChoice choice = CloseChoice::Stop;
    switch (m_closeBehaviour) {
    case CloseBehaviour::Stop:
        break;
    case CloseBehaviour::KeepHosting:
        choice = tray ? CloseChoice::KeepHosting : CloseChoice::Stop;
        break;
    case CloseBehaviour::Ask:
        if (tray || connected > 0) {
            const QString text =
                tray ? QStringLiteral("%1 connected. Keep hosting in the tray, or stop hosting "
                                      "and disconnect everyone?")
                           .arg(display::people(connected))
                     : QStringLiteral("Stop hosting? This disconnects %1.")
                           .arg(display::connections(connected));
            choice = m_prompter->closing(this, text, tray);
        }
        break;
    }
    switch (choice) {
    case CloseChoice::Cancel:
        event->ignore();
        return;
    case CloseChoice::KeepHosting:
        event->ignore();
        hide();
        notify(QStringLiteral("tray"), QStringLiteral("Roomkeeper keeps hosting"),
               QStringLiteral("The server keeps running. Click the tray icon to open the window."));
        return;
    case CloseChoice::Stop:
        m_stopping = true;
        m_link->setServer(nullptr);
        m_refreshTimer.stop();
        emit stopRequested();
        event->accept();
        return;
    }
}

} // namespace roomkeeper

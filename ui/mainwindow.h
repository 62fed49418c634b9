#pragma once

#include "prompter.h"
#include "settingsdialog.h"

#include "domain/ban.h"
#include "domain/errorcode.h"
#include "domain/roomregistry.h"
#include "server/serverstats.h"
#include "server/snapshot.h"
#include "store/records.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QAbstractItemModel;
class QAction;
class QLabel;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QSplitter;
class QSystemTrayIcon;
class QTabWidget;
class QTreeView;

namespace roomkeeper {

class AuditModel;
class BansModel;
class ChatServer;
class CoreLink;
class HeaderStrip;
class ModerationService;
class ParticipantsModel;
class RoomsModel;
class TrafficFilterModel;
class TrafficModel;

// The operator window (DESIGN.md "Operator window"). It never calls into the core: state
// comes in as values (snapshots, traffic batches, counters) through its slots, and every
// action goes to the core thread through CoreLink (QMetaObject::invokeMethod) and comes
// back as an answer. Everything shown is a model behind a view.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    enum class CloseBehaviour
    {
        Ask,         // ask (keep hosting in the tray, or stop)
        KeepHosting, // hide to the tray without asking (stops when there is no tray)
        Stop,        // stop hosting without asking
    };

    explicit MainWindow(QWidget *parent = nullptr);
    // 'server' lives on the core thread; the window only queues work to it. It may be
    // null (the window then shows what it is fed and refuses actions).
    explicit MainWindow(ChatServer *server, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Also connects the core's snapshot and traffic feed to this window.
    void setServer(ChatServer *server);
    // Who answers the window's questions; dialogs by default. Tests answer themselves.
    void setPrompter(std::unique_ptr<Prompter> prompter);
    Prompter *prompter() const { return m_prompter.get(); }
    void setCloseBehaviour(CloseBehaviour behaviour) { m_closeBehaviour = behaviour; }

    QString listeningText() const;
    QString statsText() const;

    RoomsModel *roomsModel() const { return m_rooms; }
    ParticipantsModel *participantsModel() const { return m_participants; }
    TrafficModel *trafficModel() const { return m_traffic; }
    TrafficFilterModel *trafficFilter() const { return m_trafficFilter; }
    BansModel *bansModel() const { return m_bans; }
    AuditModel *auditModel() const { return m_audit; }
    HeaderStrip *header() const { return m_header; }
    CoreLink *coreLink() const { return m_link; }

    // The settings the server runs with (app/main.cpp sets them), edited by Server →
    // Settings…; after the dialog they are what was chosen, restart-only ones included.
    void setServerConfig(const ServerConfig &config) { m_serverConfig = config; }
    const ServerConfig &serverConfig() const { return m_serverConfig; }
    // The settings dialog opened by Server → Settings… while it is open (tests fill it).
    SettingsDialog *settingsDialog() const { return m_settingsDialog; }

    QUuid selectedRoom() const;
    QList<QUuid> selectedParticipants() const;
    // Selects in the views, as a click would.
    void selectRoom(const QUuid &room);
    void selectParticipant(const QUuid &user);

public slots:
    void setListening(const QString &address, quint16 port);
    void showStats(const roomkeeper::ServerStats &stats);
    void applySnapshot(const roomkeeper::ServerSnapshot &snapshot);
    void appendTraffic(const roomkeeper::TrafficBatch &batch);
    void applyBans(const QList<roomkeeper::Ban> &bans);
    void applyAudit(const QList<roomkeeper::AuditEntry> &entries);
    // Asks the core for the ban list and the audit trail (also done every few seconds).
    void refreshLists();
    // Server → Settings…: opens the settings dialog (not modal); OK calls applySettings().
    void openSettings();
    // Saves 'next' as the window's server settings (QSettings "server" group), has the core
    // apply what it can live (ChatServer::reconfigure on its thread) and tells the
    // operator what was applied and what needs a restart; settingsApplied() follows.
    void applySettings(const roomkeeper::ServerConfig &next);

signals:
    // The operator chose to stop hosting (closing the window, or Quit).
    void stopRequested();
    // An action came back from the core: done, or refused with 'message'.
    void actionFinished(const QString &what, bool ok, const QString &message);
    // The core's answer to applySettings(): "applied KEY" / "needs a restart: KEY" lines.
    void settingsApplied(const QStringList &report);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildViews();
    void buildActions();
    void buildMenus();
    void buildTray();
    QAction *makeAction(const QString &name, const QString &text, const QKeySequence &shortcut,
                        const QString &console, const QString &tip);
    QTreeView *makeView(const QString &name, QAbstractItemModel *model, bool sortable);
    // Layout (geometry, splitters, columns, tab) in QSettings "roomkeeper/window", the
    // user's native settings file, not in the server's database: it belongs to this desktop.
    void restoreSettings();
    void saveSettings() const;

    void startRefreshing();
    void updateActions();
    void updateTrafficCounters();
    void updateTray();
    void notify(const QString &kind, const QString &title, const QString &text);
    void onActionDone(const QString &what, const QString &command, bool ok, const QString &message);
    void requestStop();
    void showSettingsReport(const QStringList &report);

    // The selected room and people, as the last snapshot has them.
    const RoomSnapshot *currentRoom() const;
    QList<ParticipantSnapshot> currentPeople() const;
    QString roomRef(const RoomSnapshot &room) const;
    QString userRef(const RoomSnapshot &room, const ParticipantSnapshot &person) const;
    // Sends one moderation action, unless there is no room or nobody is selected.
    void send(const QString &what, const QString &command,
              std::function<Outcome(ModerationService &)> action);

    // The actions.
    void createRoom();
    void kick();
    void ban();
    void banAddress();
    void liftBan();
    void setRoomLocked(bool locked);
    void setChatLocked(bool locked);
    // Sends one settings change of a room through the moderation service.
    void sendRoomUpdate(const RoomSnapshot &room, const RoomUpdate &update,
                        const QString &description, const QString &command);
    void setPinned(bool pinned);
    void setMaxParticipants();
    void setWebhook();
    void setAdmin(bool admin);
    void setColor();
    void closeRoom();
    void announce(bool everyRoom);
    void lockAll(bool locked);
    void muteAll(bool muted);
    void setAccepting(bool accepting);
    void clearRoom();
    void runCommand();
    void exportBans();
    void setPresenterMode(bool on);

    CoreLink *m_link = nullptr;
    std::unique_ptr<Prompter> m_prompter;
    CloseBehaviour m_closeBehaviour = CloseBehaviour::Ask;
    bool m_stopping = false;
    bool m_started = false; // the server listens (its store is open)

    RoomsModel *m_rooms = nullptr;
    ParticipantsModel *m_participants = nullptr;
    TrafficModel *m_traffic = nullptr;
    TrafficFilterModel *m_trafficFilter = nullptr;
    BansModel *m_bans = nullptr;
    AuditModel *m_audit = nullptr;
    QSortFilterProxyModel *m_participantsSort = nullptr;
    QSortFilterProxyModel *m_bansSort = nullptr;

    HeaderStrip *m_header = nullptr;
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_rightSplitter = nullptr;
    QTabWidget *m_tabs = nullptr;
    QTreeView *m_roomsView = nullptr;
    QTreeView *m_participantsView = nullptr;
    QTreeView *m_trafficView = nullptr;
    QTreeView *m_bansView = nullptr;
    QTreeView *m_auditView = nullptr;
    QLineEdit *m_trafficFilterEdit = nullptr;
    QLabel *m_trafficCounters = nullptr;
    QLabel *m_stats = nullptr;
    QLabel *m_rates = nullptr;
    QLabel *m_alerts = nullptr;
    QLabel *m_accepting = nullptr;
    QSystemTrayIcon *m_tray = nullptr;

    QHash<QString, QAction *> m_actions;
    QAction *m_lockRoom = nullptr;
    QAction *m_lockChat = nullptr;
    QAction *m_pin = nullptr;
    QAction *m_admin = nullptr;
    QAction *m_pauseAccepting = nullptr;
    QAction *m_pauseTraffic = nullptr;
    QAction *m_presenter = nullptr;

    ServerConfig m_serverConfig;
    QPointer<SettingsDialog> m_settingsDialog;

    ServerSnapshot m_snapshot;
    std::optional<ServerStats> m_lastStats;
    QElapsedTimer m_statsClock;
    QElapsedTimer m_uptime;
    QTimer m_uptimeTimer;
    QTimer m_refreshTimer;
    QHash<QString, qint64> m_lastNotified; // kind -> m_statsClock ms
    int m_trayCount = -1;
};

} // namespace roomkeeper

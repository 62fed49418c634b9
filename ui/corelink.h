#pragma once

#include "domain/ban.h"
#include "domain/errorcode.h"
#include "store/records.h"

#include <QList>
#include <QObject>
#include <QStringList>

#include <functional>

namespace roomkeeper {

class ChatServer;
class ModerationService;

// The window's only way into the core (DESIGN.md "Threads"). Each request is a functor
// queued to the ChatServer's thread with QMetaObject::invokeMethod; it runs there against
// the moderation service and queues its answer back to this object's thread, where it
// comes out as a signal. Nothing here blocks either thread.
//
// Lifetime: the answer is posted to this object from the core thread, so it must outlive
// the core's event processing: app/main.cpp joins the core thread before the window goes,
// and setServer(nullptr) stops new requests once hosting stops.
class CoreLink final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CoreLink)

public:
    // Runs on the core thread; returns the refusal, or nothing when done.
    using Action = std::function<Outcome(ModerationService &moderation)>;

    explicit CoreLink(QObject *parent = nullptr);
    ~CoreLink() override;

    void setServer(ChatServer *server) { m_server = server; }
    ChatServer *server() const { return m_server; }
    // Requests sent whose answer has not come back yet.
    int pending() const { return m_pending; }

    // 'what' says the action in words, 'command' is the console command it equals; both
    // come back in done().
    void run(const QString &what, const QString &command, Action action);
    // Fetches the ban list and the newest 'auditCount' audit entries.
    void refresh(int auditCount);
    // Runs one line of the console grammar (ConsoleCommands) as the stdin console would.
    void runCommand(const QString &line);

signals:
    void done(const QString &what, const QString &command, bool ok, const QString &message);
    void bansFetched(const QList<roomkeeper::Ban> &bans);
    void auditFetched(const QList<roomkeeper::AuditEntry> &entries);
    void commandDone(const QString &line, const QStringList &answer, bool quit);

private:
    // Queues 'work' to the core thread; false (and nothing queued) without a server.
    bool post(std::function<void(ChatServer &server)> work);

    ChatServer *m_server = nullptr;
    int m_pending = 0;
};

} // namespace roomkeeper

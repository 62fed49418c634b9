#include "corelink.h"

#include "uilog.h"

#include "console/consolecommands.h"
#include "server/chatserver.h"

#include <QPointer>

namespace roomkeeper {

CoreLink::CoreLink(QObject *parent) : QObject(parent) {}

CoreLink::~CoreLink() = default;

bool CoreLink::post(std::function<void(ChatServer &server)> work)
{
    if (!m_server)
        return false;
    ChatServer *server = m_server;
    QMetaObject::invokeMethod(
        server, [server, work = std::move(work)] { work(*server); }, Qt::QueuedConnection);
    return true;
}

void CoreLink::run(const QString &what, const QString &command, Action action)
{
    qCDebug(lcUi).noquote() << "request:" << what << "=" << command;
    // The QPointer is read on the core thread only while this object is alive (see the
    // lifetime note in the header); in single-threaded tests it guards a closed window.
    const QPointer<CoreLink> self(this);
    const bool sent = post([self, what, command, action = std::move(action)](ChatServer &server) {
        const Outcome refusal = action(server.moderation());
        const QString message =
            refusal ? QStringLiteral("%1: %2").arg(errorCodeName(refusal->code), refusal->message)
                    : QString();
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, what, command, ok = !refusal, message] {
                if (!self)
                    return;
                --self->m_pending;
                emit self->done(what, command, ok, message);
            },
            Qt::QueuedConnection);
    });
    if (!sent) {
        emit done(what, command, false, QStringLiteral("not connected to a server"));
        return;
    }
    ++m_pending;
}

void CoreLink::refresh(int auditCount)
{
    const QPointer<CoreLink> self(this);
    post([self, auditCount](ChatServer &server) {
        const QList<Ban> bans = server.moderation().bans();
        const QList<AuditEntry> audit = server.moderation().recentAudit(auditCount);
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, bans, audit] {
                if (!self)
                    return;
                emit self->bansFetched(bans);
                emit self->auditFetched(audit);
            },
            Qt::QueuedConnection);
    });
}

void CoreLink::runCommand(const QString &line)
{
    const QPointer<CoreLink> self(this);
    const bool sent = post([self, line](ChatServer &server) {
        ConsoleCommands commands(server);
        const ConsoleCommands::Result result = commands.execute(line);
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, line, result] {
                if (!self)
                    return;
                emit self->commandDone(line, result.lines, result.quit);
            },
            Qt::QueuedConnection);
    });
    if (!sent)
        emit commandDone(line, {QStringLiteral("error: not connected to a server")}, false);
}

} // namespace roomkeeper

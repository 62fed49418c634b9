#pragma once

#include "session.h"

#include "../domain/ban.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>

#include <memory>

class QTcpSocket;
class QWebSocket;

namespace roomkeeper {

class ModerationService;
class OutboundBatch;
class StateWriter;

// Every open session: ids, the connections of each person and of each address,
// admission (limits, address bans, shutdown), the one heartbeat sweep, the storing of new
// identities, and what happens when a connection ends. Core thread only.
class SessionRegistry final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionRegistry)

public:
    SessionRegistry(const Protocols &protocols, SessionContext &context,
                    ModerationService &moderation, StateWriter &writer, OutboundBatch &batch,
                    QObject *parent = nullptr);
    ~SessionRegistry() override;

    // An upgraded socket on 'path': turned away with its close code, or a new session.
    void accept(QWebSocket *socket, QTcpSocket *transport, const QByteArray &path);

    Session *find(MemberId id) const
    {
        const auto it = m_sessions.constFind(id);
        return it == m_sessions.cend() ? nullptr : it->get();
    }
    const QHash<MemberId, std::shared_ptr<Session>> &all() const { return m_sessions; }
    qsizetype size() const { return m_sessions.size(); }
    QList<MemberId> connectionsOf(const QUuid &user) const { return m_byUser.value(user); }
    // Distinct addresses a person is connected from.
    QStringList addressesOf(const QUuid &user) const;

    void setShuttingDown(bool shuttingDown) { m_shuttingDown = shuttingDown; }
    // Tells every connection 'code' and drops the ones still there after 'graceMs'.
    void closeAll(int code, const QString &reason, int graceMs);
    // Forgets every session at once (their sockets are aborted).
    void clear();
    // Ends every connection an address ban covers; returns how many.
    int endConnectionsFrom(const Ban &addressBan);
    // New limits from reconfigure().
    void applyLimits(bool rate, bool queue, bool size);

    // Closes the overdue (4009) after asking everyone else for a sign of life.
    void sweepHeartbeats();
    // Stores changed identities now, then sends the sessions that waited for theirs.
    void storeIdentities();
    // The same at the end of this event-loop turn.
    void scheduleIdentityStore();
    void awaitStoredIdentity(MemberId id);

    // Gives back idle connections' outbound buffers.
    void releaseIdleMemory();

signals:
    // A session ended and is forgotten.
    void ended();

private:
    void turnAway(QWebSocket *socket, int code, const QString &reason);
    void onDisconnected(MemberId id);

    const Protocols &m_protocols;
    SessionContext &m_context;
    ModerationService &m_moderation;
    StateWriter &m_writer;
    OutboundBatch &m_batch;
    QHash<MemberId, std::shared_ptr<Session>> m_sessions;
    QHash<QUuid, QList<MemberId>> m_byUser;
    QHash<QHostAddress, int> m_perAddress;
    QList<MemberId> m_awaitingIdentity;
    MemberId m_nextId = 1;
    bool m_identityStoreQueued = false;
    bool m_shuttingDown = false;
};

} // namespace roomkeeper

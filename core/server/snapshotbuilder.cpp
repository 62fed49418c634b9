#include "snapshotbuilder.h"

#include "../domain/roomregistry.h"
#include "../domain/userdirectory.h"
#include "../session/sessionregistry.h"
#include "../webhook/webhookforwarder.h"

#include <QStringList>

namespace roomkeeper {

ServerSnapshot buildSnapshot(const SnapshotSources &in)
{
    ServerSnapshot snapshot;
    snapshot.takenAtMs = in.wallNowMs;
    snapshot.connections = int(in.sessions.size());
    int inRooms = 0;
    for (const auto &session : in.sessions.all()) {
        if (!in.rooms.roomsOf(session->id()).isEmpty())
            ++inRooms;
    }
    snapshot.lobbyConnections = snapshot.connections - inRooms;

    for (const Room *room : in.rooms.rooms()) {
        RoomSnapshot r;
        const RoomSettings &s = room->settings();
        r.id = room->id();
        r.name = s.name;
        r.closed = s.closed;
        r.chatLocked = s.chatLocked;
        r.pinned = room->isPinned();
        r.maxParticipants = s.maxParticipants;
        r.hasWebhook = !s.webhook.isEmpty();
        if (r.hasWebhook) {
            const WebhookForwarder::RoomState w = in.webhooks.state(room->id());
            r.webhookState = QStringLiteral("%1 queued, %2 delivered, %3 failed")
                                 .arg(w.queued)
                                 .arg(w.delivered)
                                 .arg(w.failed);
            if (!w.lastError.isEmpty())
                r.webhookState += QStringLiteral(": ") + w.lastError;
        }
        r.lastMessageId = room->lastMessageId();

        // Per participant, what their connections in this room add up to.
        QHash<QUuid, ParticipantSnapshot> byUser;
        const QHash<MemberId, QUuid> &members = room->members();
        for (auto it = members.cbegin(); it != members.cend(); ++it) {
            const Session *session = in.sessions.find(it.key());
            if (!session)
                continue;
            const Connection *conn = &session->connection();
            ParticipantSnapshot &p = byUser[it.value()];
            ++p.connections;
            const QString address = conn->address().toString();
            if (!p.addresses.split(QLatin1Char(','), Qt::SkipEmptyParts).contains(address))
                p.addresses += (p.addresses.isEmpty() ? QString() : QStringLiteral(",")) + address;
            const QString protocol = session->protocol().label();
            if (!p.protocols.contains(protocol))
                p.protocols += (p.protocols.isEmpty() ? QString() : QStringLiteral(",")) + protocol;
            const qint64 since = in.wallNowMs - (in.monotonicNowMs - conn->connectedAtMs);
            if (p.connectedSinceMs == 0 || since < p.connectedSinceMs)
                p.connectedSinceMs = since;
            if (session->roundTripMs() >= 0)
                p.roundTripMs = session->roundTripMs();
            p.queuedBytes += conn->queuedBytes();
        }
        for (const QUuid &id : room->participants()) {
            ParticipantSnapshot p = byUser.value(id);
            p.user = id;
            if (const User *user = in.users.find(id)) {
                p.name = user->name;
                p.color = user->color;
            }
            p.admin = room->isAdmin(id);
            p.creator = room->creator() == id;
            p.messagesSent = in.messagesByUser.value(id);
            r.participants.append(p);
        }
        snapshot.rooms.append(r);
    }
    return snapshot;
}

} // namespace roomkeeper

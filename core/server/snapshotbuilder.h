#pragma once

#include "snapshot.h"

#include "../domain/room.h"

#include <QHash>
#include <QUuid>

#include <memory>

namespace roomkeeper {

class RoomRegistry;
class SessionRegistry;
class UserDirectory;
class WebhookForwarder;

// Builds the window's picture of the server from the core's state (core thread).
struct SnapshotSources
{
    const RoomRegistry &rooms;
    const UserDirectory &users;
    const SessionRegistry &sessions;
    const QHash<QUuid, quint64> &messagesByUser;
    const WebhookForwarder &webhooks;
    qint64 monotonicNowMs; // the clock Connection::connectedAtMs uses
    qint64 wallNowMs;
};

ServerSnapshot buildSnapshot(const SnapshotSources &sources);

} // namespace roomkeeper

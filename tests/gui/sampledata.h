#pragma once

#include "domain/ban.h"
#include "server/serverstats.h"
#include "server/snapshot.h"
#include "store/records.h"

#include <QList>

namespace roomkeeper::test {

// Made-up but plausible state for model tests and the window screenshot: a classroom
// with a few rooms, people on both protocols, traffic, bans and an audit trail.
// Ids are derived from names, so repeated calls agree.

QUuid sampleId(const QString &name);
ParticipantSnapshot samplePerson(const QString &name, const QString &color, int connections = 1);
RoomSnapshot sampleRoom(const QString &name, const QList<ParticipantSnapshot> &people);
ServerSnapshot sampleSnapshot(qint64 nowMs);
TrafficBatch sampleTraffic(const ServerSnapshot &snapshot, qint64 nowMs, int count);
QList<Ban> sampleBans(const ServerSnapshot &snapshot, qint64 nowMs);
QList<AuditEntry> sampleAudit(const ServerSnapshot &snapshot, qint64 nowMs);
// Counters as they grow over 'seconds' seconds, one per second, oldest first.
QList<ServerStats> sampleStatsSeries(int seconds);

} // namespace roomkeeper::test

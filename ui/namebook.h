#pragma once

#include "server/snapshot.h"

#include <QHash>
#include <QString>
#include <QUuid>

namespace roomkeeper {

// The names of rooms and people seen in snapshots during this run, for the views that
// only get ids (traffic, bans, audit). It never forgets, so a banned person who left is
// still shown by name.
class NameBook
{
public:
    // Learns the names of a snapshot; true when any name is new or changed.
    bool learn(const ServerSnapshot &snapshot);

    // The name, or the short id when the name is not known.
    QString room(const QUuid &id) const;
    QString user(const QUuid &id) const;
    // "console", or a user id as text (bans' "by", the audit's actor).
    QString actor(const QString &actor) const;
    bool knowsRoom(const QUuid &id) const { return m_rooms.contains(id); }
    bool knowsUser(const QUuid &id) const { return m_users.contains(id); }

private:
    QHash<QUuid, QString> m_rooms;
    QHash<QUuid, QString> m_users;
};

} // namespace roomkeeper

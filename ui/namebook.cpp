#include "namebook.h"

#include "displayformat.h"

namespace roomkeeper {

namespace {

bool remember(QHash<QUuid, QString> &names, const QUuid &id, const QString &name)
{
    auto it = names.find(id);
    if (it == names.end()) {
        names.insert(id, name);
        return true;
    }
    if (*it == name)
        return false;
    *it = name;
    return true;
}

} // namespace

bool NameBook::learn(const ServerSnapshot &snapshot)
{
    bool changed = false;
    for (const RoomSnapshot &room : snapshot.rooms) {
        changed |= remember(m_rooms, room.id, room.name);
        for (const ParticipantSnapshot &p : room.participants)
            changed |= remember(m_users, p.user, p.name);
    }
    return changed;
}

QString NameBook::room(const QUuid &id) const
{
    return m_rooms.value(id, display::shortId(id));
}

QString NameBook::user(const QUuid &id) const
{
    return m_users.value(id, display::shortId(id));
}

QString NameBook::actor(const QString &actor) const
{
    const QUuid id = QUuid::fromString(actor);
    return id.isNull() ? actor : user(id);
}

} // namespace roomkeeper

#include "room.h"

namespace roomkeeper {

QList<MemberId> Room::membersOf(const QUuid &user) const
{
    QList<MemberId> result;
    for (auto it = m_members.cbegin(); it != m_members.cend(); ++it) {
        if (it.value() == user)
            result.append(it.key());
    }
    return result;
}

bool Room::addMember(MemberId member, const QUuid &user)
{
    if (m_members.contains(member))
        return false;
    m_members.insert(member, user);
    int &count = m_presence[user];
    if (++count > 1)
        return false;
    m_participants.append(user);
    return true;
}

bool Room::removeMember(MemberId member)
{
    const auto it = m_members.constFind(member);
    if (it == m_members.cend())
        return false;
    const QUuid user = it.value();
    m_members.erase(it);
    const auto presence = m_presence.find(user);
    if (--presence.value() > 0)
        return false;
    m_presence.erase(presence);
    m_participants.removeOne(user);
    return true;
}

} // namespace roomkeeper

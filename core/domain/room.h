#pragma once

#include "ban.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QUuid>

namespace roomkeeper {

// One connection's handle in the domain. The domain never sees sockets: the network
// layer gives each connection a MemberId and maps it back.
using MemberId = quint64;

struct RoomSettings
{
    QString name;
    bool closed = false;     // only admins and invited users may enter
    bool chatLocked = false; // only admins may send
    int maxParticipants = 0; // 0 = no limit
    QString webhook;         // empty = none; a secret shown to admins only
};

// A chat room: its settings, its people and its message counter. Membership is per
// connection (a person may have several connections in a room); the participants are
// the distinct users behind them, in the order they entered.
class Room
{
public:
    Room(const QUuid &id, const RoomSettings &settings, const QUuid &creator)
        : m_id(id), m_settings(settings), m_creator(creator)
    {
        if (!creator.isNull())
            m_admins.insert(creator);
    }

    const QUuid &id() const { return m_id; }
    const RoomSettings &settings() const { return m_settings; }
    const QUuid &creator() const { return m_creator; }
    qint64 lastMessageId() const { return m_lastMessageId; }

    bool isAdmin(const QUuid &user) const { return m_admins.contains(user); }
    // A ban stays until lifted or swept when expired; activeBan() ignores expired ones.
    bool isBanned(const QUuid &user) const { return m_bans.contains(user); }
    const Ban *activeBan(const QUuid &user, qint64 nowMs) const
    {
        const auto it = m_bans.constFind(user);
        return it == m_bans.cend() || it->isExpired(nowMs) ? nullptr : &*it;
    }
    const QHash<QUuid, Ban> &banRecords() const { return m_bans; }
    bool isPinned() const { return m_pinned; }
    qint64 emptySinceMs() const { return m_emptySinceMs; }
    qint64 createdAtMs() const { return m_createdAtMs; }
    bool isInvited(const QUuid &user) const { return m_invitations.contains(user); }
    const QSet<QUuid> &admins() const { return m_admins; }
    QSet<QUuid> bans() const { return QSet<QUuid>(m_bans.keyBegin(), m_bans.keyEnd()); }

    const QHash<MemberId, QUuid> &members() const { return m_members; }
    bool isMember(MemberId member) const { return m_members.contains(member); }
    const QList<QUuid> &participants() const { return m_participants; }
    bool hasParticipant(const QUuid &user) const { return m_presence.contains(user); }
    int participantCount() const { return int(m_participants.size()); }
    QList<MemberId> membersOf(const QUuid &user) const;
    bool isFull() const
    {
        return m_settings.maxParticipants > 0 && participantCount() >= m_settings.maxParticipants;
    }

private:
    friend class RoomRegistry;

    // Returns true when this made the user a participant (their first connection here).
    bool addMember(MemberId member, const QUuid &user);
    // Returns true when this was the user's last connection here.
    bool removeMember(MemberId member);

    QUuid m_id;
    RoomSettings m_settings;
    QUuid m_creator;
    qint64 m_lastMessageId = 0;
    QSet<QUuid> m_admins;
    QHash<QUuid, Ban> m_bans; // by user
    bool m_pinned = false;
    qint64 m_emptySinceMs = 0;
    qint64 m_createdAtMs = 0;
    QSet<QUuid> m_invitations;
    QHash<MemberId, QUuid> m_members;
    QHash<QUuid, int> m_presence; // user -> number of member connections
    QList<QUuid> m_participants;
};

} // namespace roomkeeper

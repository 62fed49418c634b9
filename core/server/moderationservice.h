#pragma once

#include "../domain/ban.h"
#include "../domain/errorcode.h"
#include "../domain/roomregistry.h"
#include "../store/records.h"

#include <QHostAddress>
#include <QList>
#include <QString>
#include <QUuid>

#include <functional>
#include <variant>

namespace roomkeeper {

class StateWriter;
class UserDirectory;

// What the moderation service needs from the network side.
class ModerationHost
{
public:
    virtual ~ModerationHost() = default;
    // Ends every connection from an address the ban covers (kick events, then 4011).
    virtual int endConnectionsFrom(const Ban &addressBan) = 0;
    virtual void setAccepting(bool accepting) = 0;
    virtual bool isAccepting() const = 0;
    // A user's colour or name changed: refresh the pictures of the rooms they are in.
    virtual void userChanged(const QUuid &user) = 0;
};

// The one moderation API (DESIGN.md "One moderation API"). The operator window, the
// stdin console and room admins on either protocol all act through it. Each action is
// checked (rank rules of PROTOCOL.md §2.4; the console outranks everyone), applied,
// written to the store, broadcast, and recorded in the audit trail. A refusal changes
// nothing. Core thread only.
class ModerationService
{
public:
    ModerationService(RoomRegistry &rooms, UserDirectory &users, StateWriter &writer,
                      ModerationHost &host);

    std::variant<Refusal, QUuid> createRoom(const Actor &actor, const QString &name, bool closed,
                                            MemberId enterAs = 0);
    Outcome setPinned(const Actor &actor, const QUuid &room, bool pinned);
    Outcome kick(const Actor &actor, const QUuid &room, const QUuid &user, const QString &reason);
    // durationMs 0 = for good.
    Outcome ban(const Actor &actor, const QUuid &room, const QUuid &user, const QString &reason,
                qint64 durationMs = 0);
    Outcome unban(const Actor &actor, const QUuid &room, const QUuid &user);
    // "10.0.0.7", "10.0.0.0/24", "fd00::/64". Console only. Returns the ban's id.
    std::variant<Refusal, qint64> banAddress(const Actor &actor, const QString &address,
                                             const QString &reason, qint64 durationMs = 0);
    Outcome liftAddressBan(const Actor &actor, qint64 banId);
    QList<Ban> bans() const; // room bans and address bans
    Outcome update(const Actor &actor, const QUuid &room, const RoomUpdate &update);
    Outcome setAdmin(const Actor &actor, const QUuid &room, const QUuid &user, bool admin);
    // 'room' may be null for the console (colours are per person).
    Outcome setColor(const Actor &actor, const QUuid &room, const QUuid &user,
                     const QString &color);
    Outcome closeRoom(const Actor &actor, const QUuid &room, const QString &reason);
    // A null room announces in every room. Console only.
    Outcome announce(const Actor &actor, const QUuid &room, const QString &text);

    // Panic actions, console only.
    Outcome lockAllRooms(const Actor &actor, bool locked); // room lock: no one new gets in
    Outcome muteAllRooms(const Actor &actor, bool muted);  // chat lock: only admins speak
    Outcome setAccepting(const Actor &actor, bool accepting);
    Outcome clearRoom(const Actor &actor, const QUuid &room, const QString &reason);

    // For new connections: the address ban that refuses this peer, counting the hit.
    const Ban *refusingBan(const QHostAddress &peer);
    // Expired bans go, idle rooms close. Run from a timer.
    void sweep(qint64 roomIdleMs);

    void restoreAddressBan(const Ban &ban) { m_addressBans.append(ban); }
    // An address ban written anew got a new id.
    void renumberAddressBan(qint64 from, qint64 to)
    {
        for (Ban &ban : m_addressBans) {
            if (ban.id == from)
                ban.id = to;
        }
    }
    QList<AuditEntry> recentAudit(int count) const;

private:
    Outcome requireConsole(const Actor &actor) const;
    // The same settings change in every room (panic actions), audited once.
    Outcome updateAllRooms(const Actor &actor, const RoomUpdate &change, const QString &action);
    // Runs 'change' with its audit entry staged, so that the entry is committed with the
    // change's own commit (or alone, if it has none) and only if the change is done.
    Outcome audited(const Actor &actor, const QString &action, const QUuid &room,
                    const QString &target, const QString &detail,
                    const std::function<Outcome()> &change);
    static void log(const AuditEntry &entry);

    RoomRegistry &m_rooms;
    UserDirectory &m_users;
    StateWriter &m_writer;
    ModerationHost &m_host;
    QList<Ban> m_addressBans;
};

} // namespace roomkeeper

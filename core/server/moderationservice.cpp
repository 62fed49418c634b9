#include "moderationservice.h"

#include "../domain/textrules.h"
#include "../domain/userdirectory.h"
#include "../store/statewriter.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcModeration, "roomkeeper.moderation")

namespace roomkeeper {

namespace {

constexpr int FreeTextLogLimit = 500;

QString idText(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces);
}

QString durationText(qint64 durationMs)
{
    return durationMs > 0 ? QStringLiteral(" for %1 s").arg(durationMs / 1000) : QString();
}

} // namespace

ModerationService::ModerationService(RoomRegistry &rooms, UserDirectory &users, StateWriter &writer,
                                     ModerationHost &host)
    : m_rooms(rooms), m_users(users), m_writer(writer), m_host(host)
{}

Outcome ModerationService::requireConsole(const Actor &actor) const
{
    if (!actor.console)
        return refuse(ErrorCode::Forbidden, QStringLiteral("only the operator may do that"));
    return std::nullopt;
}

Outcome ModerationService::audited(const Actor &actor, const QString &action, const QUuid &room,
                                   const QString &target, const QString &detail,
                                   const std::function<Outcome()> &change)
{
    AuditEntry entry;
    entry.atMs = m_rooms.now();
    entry.actor = actor.name();
    entry.action = action;
    entry.room = room;
    entry.target = target;
    entry.detail = detail;
    // The entry goes into the store with the change itself (StateCommit), so an action
    // that is done is on record, and one that could not be stored is neither.
    m_writer.stageAudit(entry);
    const Outcome outcome = change();
    if (outcome) {
        m_writer.dropStagedAudit();
        return outcome;
    }
    if (!m_writer.writeStagedAudit()) // only if the change had no commit of its own
        qCWarning(lcModeration) << "audit entry not stored:" << m_writer.failure();
    log(entry);
    return std::nullopt;
}

void ModerationService::log(const AuditEntry &entry)
{
    // Reasons and names come from clients: escaped, so they cannot split or forge a line.
    qCInfo(lcModeration).noquote() << "by" << textrules::printable(entry.actor) << entry.action
                                   << (entry.room.isNull() ? QString() : idText(entry.room))
                                   << textrules::printable(entry.target, FreeTextLogLimit)
                                   << textrules::printable(entry.detail, FreeTextLogLimit);
}

std::variant<Refusal, QUuid> ModerationService::createRoom(const Actor &actor, const QString &name,
                                                           bool closed, MemberId enterAs)
{
    // The room's id is known only once it exists: the entry names it after the commit.
    std::variant<Refusal, QUuid> created = QUuid();
    const Outcome outcome =
        audited(actor, QStringLiteral("create"), QUuid(), name.trimmed(),
                closed ? QStringLiteral("closed") : QStringLiteral("open"), [&]() -> Outcome {
                    created = m_rooms.createRoom(actor, name, closed, enterAs);
                    if (const Refusal *refused = std::get_if<Refusal>(&created))
                        return *refused;
                    return std::nullopt;
                });
    if (outcome)
        return *outcome;
    return created;
}

Outcome ModerationService::setPinned(const Actor &actor, const QUuid &room, bool pinned)
{
    return audited(actor, pinned ? QStringLiteral("pin") : QStringLiteral("unpin"), room, QString(),
                   QString(), [&] { return m_rooms.setPinned(actor, room, pinned); });
}

Outcome ModerationService::kick(const Actor &actor, const QUuid &room, const QUuid &user,
                                const QString &reason)
{
    return audited(actor, QStringLiteral("kick"), room, idText(user), reason,
                   [&] { return m_rooms.kick(actor, room, user, reason, false); });
}

Outcome ModerationService::ban(const Actor &actor, const QUuid &room, const QUuid &user,
                               const QString &reason, qint64 durationMs)
{
    if (durationMs < 0)
        return refuse(ErrorCode::BadField, QStringLiteral("a ban's duration cannot be negative"));
    const qint64 until = durationMs > 0 ? m_rooms.now() + durationMs : 0;
    return audited(actor, QStringLiteral("ban"), room, idText(user),
                   reason + durationText(durationMs),
                   [&] { return m_rooms.kick(actor, room, user, reason, true, until); });
}

Outcome ModerationService::unban(const Actor &actor, const QUuid &room, const QUuid &user)
{
    return audited(actor, QStringLiteral("unban"), room, idText(user), QString(),
                   [&] { return m_rooms.unban(actor, room, user); });
}

std::variant<Refusal, qint64> ModerationService::banAddress(const Actor &actor,
                                                            const QString &address,
                                                            const QString &reason,
                                                            qint64 durationMs)
{
    if (Outcome bad = requireConsole(actor))
        return *bad;
    Ban ban;
    const QString text = address.trimmed();
    if (text.contains(QLatin1Char('/'))) {
        // Qt reads "/0" as 0.0.0.0/0: a subnet must name its address.
        const QPair<QHostAddress, int> subnet = QHostAddress::parseSubnet(text);
        if (subnet.first.isNull() || text.section(QLatin1Char('/'), 0, 0).trimmed().isEmpty())
            return refuse(ErrorCode::BadField,
                          QStringLiteral("'%1' is not an address or a subnet").arg(text));
        ban.address = subnet.first;
        ban.prefixLength = subnet.second;
    } else {
        ban.address = QHostAddress(text);
        if (ban.address.isNull())
            return refuse(ErrorCode::BadField, QStringLiteral("'%1' is not an address").arg(text));
    }
    if (durationMs < 0)
        return refuse(ErrorCode::BadField, QStringLiteral("a ban's duration cannot be negative"));
    ban.reason = reason;
    ban.bannedBy = actor.name();
    ban.sinceMs = m_rooms.now();
    ban.untilMs = durationMs > 0 ? ban.sinceMs + durationMs : 0;
    int ended = 0;
    const Outcome outcome = audited(actor, QStringLiteral("ban-address"), QUuid(),
                                    ban.addressText(), reason + durationText(durationMs), [&] {
                                        LastingChange change;
                                        change.ban = &ban;
                                        if (Outcome bad = m_writer.commit(change))
                                            return bad;
                                        m_addressBans.append(ban);
                                        ended = m_host.endConnectionsFrom(ban);
                                        return Outcome();
                                    });
    if (outcome)
        return *outcome;
    qCInfo(lcModeration) << "address ban" << ban.id << "ended" << ended << "connections";
    return ban.id;
}

Outcome ModerationService::liftAddressBan(const Actor &actor, qint64 banId)
{
    if (Outcome bad = requireConsole(actor))
        return bad;
    for (qsizetype i = 0; i < m_addressBans.size(); ++i) {
        if (m_addressBans.at(i).id == banId) {
            return audited(actor, QStringLiteral("unban-address"), QUuid(),
                           m_addressBans.at(i).addressText(), QString(), [&] {
                               LastingChange change;
                               change.liftedBanId = banId;
                               if (Outcome bad = m_writer.commit(change))
                                   return bad;
                               m_addressBans.removeAt(i);
                               return Outcome();
                           });
        }
    }
    return refuse(ErrorCode::NoSuchUser, QStringLiteral("no address ban with id %1").arg(banId));
}

QList<Ban> ModerationService::bans() const
{
    QList<Ban> result;
    for (const Room *room : m_rooms.rooms()) {
        for (const Ban &ban : room->banRecords())
            result.append(ban);
    }
    result.append(m_addressBans);
    return result;
}

Outcome ModerationService::update(const Actor &actor, const QUuid &room, const RoomUpdate &update)
{
    QStringList what;
    if (update.name)
        what << QStringLiteral("name=") + *update.name;
    if (update.closed)
        what << QStringLiteral("closed=%1").arg(*update.closed);
    if (update.chatLocked)
        what << QStringLiteral("chat_locked=%1").arg(*update.chatLocked);
    if (update.maxParticipants)
        what << QStringLiteral("max_participants=%1").arg(*update.maxParticipants);
    if (update.webhook)
        what << (update.webhook->isEmpty() ? QStringLiteral("webhook off")
                                           : QStringLiteral("webhook set"));
    return audited(actor, QStringLiteral("update"), room, QString(), what.join(QLatin1Char(' ')),
                   [&] { return m_rooms.update(actor, room, update); });
}

Outcome ModerationService::setAdmin(const Actor &actor, const QUuid &room, const QUuid &user,
                                    bool admin)
{
    return audited(actor, admin ? QStringLiteral("admin") : QStringLiteral("unadmin"), room,
                   idText(user), QString(),
                   [&] { return m_rooms.setAdmin(actor, room, user, admin); });
}

Outcome ModerationService::setColor(const Actor &actor, const QUuid &room, const QUuid &user,
                                    const QString &color)
{
    if (!m_users.contains(user))
        return refuse(ErrorCode::NoSuchUser, QStringLiteral("no such user"));
    if (!UserDirectory::isColor(color))
        return refuse(ErrorCode::BadField, QStringLiteral("a colour is written #rrggbb"));
    if (!actor.console) {
        const Room *where = m_rooms.find(room);
        if (!where)
            return refuse(ErrorCode::NoSuchRoom, QStringLiteral("no such room"));
        if (RoomRegistry::rankOf(*where, actor) < 1)
            return refuse(ErrorCode::Forbidden, QStringLiteral("only room admins may do that"));
        // A room admin's reach ends at its room.
        if (!where->hasParticipant(user))
            return refuse(ErrorCode::NotMember, QStringLiteral("that user is not in the room"));
        if (actor.user != user && RoomRegistry::rankOf(*where, Actor::person(user)) >=
                                      RoomRegistry::rankOf(*where, actor))
            return refuse(ErrorCode::Forbidden,
                          QStringLiteral("you cannot recolour someone of equal or higher rank"));
    }
    return audited(actor, QStringLiteral("color"), room, idText(user), color, [&] {
        const QString before = m_users.find(user)->color;
        m_users.setColor(user, color);
        if (Outcome bad = m_writer.commit({})) { // the identity, with its new colour
            m_users.setColor(user, before);
            m_users.takeChanged(); // back as it was: nothing to write
            return bad;
        }
        m_host.userChanged(user);
        return Outcome();
    });
}

Outcome ModerationService::closeRoom(const Actor &actor, const QUuid &room, const QString &reason)
{
    // 'room' may refer into the room itself (Room::id()), which closing frees: copy it.
    const QUuid id = room;
    return audited(actor, QStringLiteral("close"), id, QString(), reason,
                   [&] { return m_rooms.close(actor, id, reason); });
}

Outcome ModerationService::announce(const Actor &actor, const QUuid &room, const QString &text)
{
    if (Outcome bad = requireConsole(actor))
        return bad;
    const QString detail = QStringLiteral("%1 characters").arg(text.size()); // never the text
    if (!room.isNull())
        return audited(actor, QStringLiteral("announce"), room, QString(), detail,
                       [&] { return m_rooms.announce(actor, room, text); });
    const QList<const Room *> rooms = m_rooms.rooms();
    return audited(actor, QStringLiteral("announce-all"), QUuid(), QString(),
                   detail + QStringLiteral(" to %1 rooms").arg(rooms.size()), [&] {
                       // The first room's commit carries the entry.
                       for (const Room *each : rooms) {
                           // The text is the same for all: the first refusal holds for all.
                           if (Outcome bad = m_rooms.announce(actor, each->id(), text))
                               return bad;
                       }
                       return Outcome();
                   });
}

Outcome ModerationService::updateAllRooms(const Actor &actor, const RoomUpdate &change,
                                          const QString &action)
{
    if (Outcome bad = requireConsole(actor))
        return bad;
    // Room by room, each committed before it is changed; the first that cannot be stored
    // stops the rest (the rooms before it are changed and stored).
    return audited(actor, action, QUuid(), QString(), QString(), [&] {
        for (const Room *room : m_rooms.rooms()) { // the first commit carries the entry
            if (Outcome bad = m_rooms.update(actor, room->id(), change))
                return bad;
        }
        return Outcome();
    });
}

Outcome ModerationService::lockAllRooms(const Actor &actor, bool locked)
{
    RoomUpdate change;
    change.closed = locked;
    return updateAllRooms(actor, change,
                          locked ? QStringLiteral("lock-all") : QStringLiteral("unlock-all"));
}

Outcome ModerationService::muteAllRooms(const Actor &actor, bool muted)
{
    RoomUpdate change;
    change.chatLocked = muted;
    return updateAllRooms(actor, change,
                          muted ? QStringLiteral("mute-all") : QStringLiteral("unmute-all"));
}

Outcome ModerationService::setAccepting(const Actor &actor, bool accepting)
{
    if (Outcome bad = requireConsole(actor))
        return bad;
    return audited(actor, accepting ? QStringLiteral("resume") : QStringLiteral("pause"), QUuid(),
                   QString(), QString(), [&] {
                       if (Outcome bad = m_writer.commit({}))
                           return bad;
                       m_host.setAccepting(accepting);
                       return Outcome();
                   });
}

Outcome ModerationService::clearRoom(const Actor &actor, const QUuid &room, const QString &reason)
{
    const Room *where = m_rooms.find(room);
    if (!where)
        return refuse(ErrorCode::NoSuchRoom, QStringLiteral("no such room"));
    if (RoomRegistry::rankOf(*where, actor) < 1)
        return refuse(ErrorCode::Forbidden, QStringLiteral("only room admins may do that"));
    QList<QUuid> targets;
    for (const QUuid &user : where->participants()) {
        if (!where->isAdmin(user))
            targets.append(user);
    }
    return audited(actor, QStringLiteral("clear"), room, QString(),
                   reason + QStringLiteral(" (%1 kicked)").arg(targets.size()), [&] {
                       // Each kick is committed before it is made; the first carries the
                       // entry. One that cannot be stored stops the rest.
                       for (const QUuid &user : std::as_const(targets)) {
                           if (Outcome bad = m_rooms.kick(actor, room, user, reason, false))
                               return bad;
                       }
                       return Outcome();
                   });
}

const Ban *ModerationService::refusingBan(const QHostAddress &peer)
{
    const qint64 now = m_rooms.now();
    for (Ban &ban : m_addressBans) {
        if (!ban.isExpired(now) && ban.matchesAddress(peer)) {
            ++ban.hits;
            return &ban;
        }
    }
    return nullptr;
}

void ModerationService::sweep(qint64 roomIdleMs)
{
    const qint64 now = m_rooms.now();
    for (qsizetype i = m_addressBans.size() - 1; i >= 0; --i) {
        if (m_addressBans.at(i).isExpired(now)) {
            LastingChange change;
            change.liftedBanId = m_addressBans.at(i).id;
            if (m_writer.commit(change))
                continue; // cannot be stored now: the next sweep tries again
            const Ban ban = m_addressBans.takeAt(i);
            qCInfo(lcModeration).noquote() << "address ban expired:" << ban.addressText();
        }
    }
    m_rooms.sweepExpiredBans();
    m_rooms.closeIdleRooms(roomIdleMs);
}

QList<AuditEntry> ModerationService::recentAudit(int count) const
{
    return m_writer.store().loadAudit(count);
}

} // namespace roomkeeper

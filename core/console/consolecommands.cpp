#include "consolecommands.h"

#include "../domain/textrules.h"
#include "../domain/userdirectory.h"
#include "../server/chatserver.h"

#include <QDateTime>
#include <QProcess>
#include <QRegularExpression>

#include <variant>

namespace roomkeeper {

namespace {

using Result = ConsoleCommands::Result;

const Actor console = Actor::operatorConsole();

QString idText(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces);
}

// Free text in a tab-separated row: a TAB or a line break in a reason must not shift the
// columns or split the record.
QString cell(const QString &text)
{
    return textrules::printable(text, 1000);
}

Result ok(const QString &what = QString(), const QStringList &data = {})
{
    Result r;
    r.lines.append(what.isEmpty() ? QStringLiteral("ok") : QStringLiteral("ok ") + what);
    r.lines += data;
    return r;
}

Result error(const QString &why)
{
    Result r;
    r.lines.append(QStringLiteral("error: ") + why);
    return r;
}

Result answer(const Outcome &outcome, const QString &done)
{
    if (outcome)
        return error(QStringLiteral("%1: %2").arg(errorCodeName(outcome->code), outcome->message));
    return ok(done);
}

// "90" seconds, "30s", "10m", "2h", "7d"; -1 if it is not a duration.
qint64 parseDurationMs(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^(\\d{1,9})([smhd]?)$"));
    const QRegularExpressionMatch m = pattern.match(text);
    if (!m.hasMatch())
        return -1;
    const qint64 n = m.captured(1).toLongLong();
    const QString unit = m.captured(2);
    const qint64 scale = unit == QLatin1StringView("m")   ? 60
                         : unit == QLatin1StringView("h") ? 3600
                         : unit == QLatin1StringView("d") ? 86400
                                                          : 1;
    return n * scale * 1000;
}

QString timeText(qint64 ms)
{
    return ms == 0 ? QStringLiteral("never")
                   : QDateTime::fromMSecsSinceEpoch(ms).toString(Qt::ISODate);
}

QString rest(const QStringList &args, int from)
{
    return args.mid(from).join(QLatin1Char(' '));
}

} // namespace

ConsoleCommands::ConsoleCommands(ChatServer &server) : m_server(server)
{
    // ROOM and USER accept a UUID, a unique UUID prefix or a name.
    const auto findRoom = [this](const QString &text) -> std::variant<QString, const Room *> {
        QList<const Room *> hits;
        for (const Room *room : m_server.rooms().rooms()) {
            if (idText(room->id()) == text.toLower())
                return room;
            if ((text.size() >= 4 && idText(room->id()).startsWith(text.toLower())) ||
                room->settings().name.compare(text, Qt::CaseInsensitive) == 0)
                hits.append(room);
        }
        if (hits.size() == 1)
            return hits.first();
        if (hits.isEmpty())
            return QStringLiteral("no_such_room: no room matches '%1'").arg(text);
        QStringList ids;
        for (const Room *room : hits)
            ids.append(idText(room->id()));
        return QStringLiteral("ambiguous: '%1' matches rooms %2")
            .arg(text, ids.join(QLatin1Char(' ')));
    };
    const auto findUser = [this](const QString &text,
                                 const Room *room) -> std::variant<QString, QUuid> {
        QList<QUuid> hits;
        for (const User &user : m_server.users().all()) {
            if (idText(user.id) == text.toLower())
                return user.id;
            const bool byName = user.name.compare(text, Qt::CaseInsensitive) == 0 &&
                                (!room || room->hasParticipant(user.id) || room->isBanned(user.id));
            if (byName || (text.size() >= 4 && idText(user.id).startsWith(text.toLower())))
                hits.append(user.id);
        }
        if (hits.size() == 1)
            return hits.first();
        if (hits.isEmpty())
            return QStringLiteral("no_such_user: no user matches '%1'").arg(text);
        QStringList ids;
        for (const QUuid &id : hits)
            ids.append(idText(id));
        return QStringLiteral("ambiguous: '%1' matches users %2")
            .arg(text, ids.join(QLatin1Char(' ')));
    };
    // Runs 'act' on the room named by args[0] (and the user named by args[1] if 'withUser').
    const auto onRoom = [findRoom](const QStringList &args,
                                   const std::function<Result(const Room &)> &act) -> Result {
        const auto room = findRoom(args.at(0));
        if (const QString *why = std::get_if<QString>(&room))
            return error(*why);
        return act(*std::get<const Room *>(room));
    };
    const auto onRoomUser =
        [findRoom, findUser](const QStringList &args,
                             const std::function<Result(const Room &, const QUuid &)> &act) {
            const auto room = findRoom(args.at(0));
            if (const QString *why = std::get_if<QString>(&room))
                return error(*why);
            const Room &r = *std::get<const Room *>(room);
            const auto user = findUser(args.at(1), &r);
            if (const QString *why = std::get_if<QString>(&user))
                return error(*why);
            return act(r, std::get<QUuid>(user));
        };
    // For commands on one room or on "all".
    const auto eachOrAll = [onRoom](const QStringList &args, bool on,
                                    const std::function<Outcome(bool)> &all,
                                    const std::function<RoomUpdate(bool)> &change,
                                    ModerationService &moderation) -> Result {
        if (args.at(0) == QLatin1StringView("all"))
            return answer(all(on), QStringLiteral("every room"));
        return onRoom(args, [&](const Room &room) {
            return answer(moderation.update(console, room.id(), change(on)), idText(room.id()));
        });
    };

    ModerationService &mod = m_server.moderation();

    add(QStringLiteral("help"), QStringLiteral("help"), QStringLiteral("list the commands"), 0,
        [this](const QStringList &) { return ok(QString(), help()); });
    add(QStringLiteral("rooms"), QStringLiteral("rooms"),
        QStringLiteral("list rooms: id, name, people/limit, flags"), 0,
        [this](const QStringList &) {
            QStringList lines;
            for (const Room *room : m_server.rooms().rooms()) {
                const RoomSettings &s = room->settings();
                QStringList flags;
                if (s.closed)
                    flags << QStringLiteral("locked");
                if (s.chatLocked)
                    flags << QStringLiteral("muted");
                if (room->isPinned())
                    flags << QStringLiteral("pinned");
                if (!s.webhook.isEmpty())
                    flags << QStringLiteral("webhook");
                lines.append(QStringList{
                    idText(room->id()), s.name,
                    QStringLiteral("%1/%2")
                        .arg(room->participantCount())
                        .arg(s.maxParticipants > 0 ? QString::number(s.maxParticipants)
                                                   : QStringLiteral("-")),
                    flags.isEmpty() ? QStringLiteral("-") : flags.join(QLatin1Char(','))}
                                 .join(QLatin1Char('\t')));
            }
            return ok(QStringLiteral("%1 rooms").arg(lines.size()), lines);
        });
    add(QStringLiteral("who"), QStringLiteral("who ROOM"),
        QStringLiteral("people in a room: id, name, role, colour, connections, addresses"), 1,
        [this, onRoom](const QStringList &args) {
            return onRoom(args, [this](const Room &room) {
                QStringList lines;
                for (const QUuid &id : room.participants()) {
                    const User *user = m_server.users().find(id);
                    const QString role = room.creator() == id ? QStringLiteral("creator")
                                         : room.isAdmin(id)   ? QStringLiteral("admin")
                                                              : QStringLiteral("member");
                    lines.append(QStringList{idText(id), user ? user->name : QString(), role,
                                             user ? user->color : QString(),
                                             QString::number(m_server.connectionCount(id)),
                                             m_server.addressesOf(id).join(QLatin1Char(','))}
                                     .join(QLatin1Char('\t')));
                }
                return ok(
                    QStringLiteral("%1 people in %2").arg(lines.size()).arg(room.settings().name),
                    lines);
            });
        });
    add(QStringLiteral("create"), QStringLiteral("create NAME [closed]"),
        QStringLiteral("create a room (closed: invitation only)"), 1,
        [&mod](const QStringList &args) {
            const bool closed = args.size() > 1 && args.last() == QLatin1StringView("closed");
            const QString name = closed ? args.mid(0, args.size() - 1).join(QLatin1Char(' '))
                                        : args.join(QLatin1Char(' '));
            const auto created = mod.createRoom(console, name, closed);
            if (const Refusal *r = std::get_if<Refusal>(&created))
                return answer(*r, QString());
            return ok(idText(std::get<QUuid>(created)));
        });
    add(QStringLiteral("kick"), QStringLiteral("kick ROOM USER [reason]"),
        QStringLiteral("put someone out of a room"), 2,
        [&mod, onRoomUser](const QStringList &args) {
            return onRoomUser(args, [&](const Room &room, const QUuid &user) {
                return answer(mod.kick(console, room.id(), user, rest(args, 2)), idText(user));
            });
        });
    add(QStringLiteral("ban"), QStringLiteral("ban ROOM USER [DURATION] [reason]"),
        QStringLiteral("kick and keep out (DURATION like 30s, 10m, 2h, 7d; none = for good)"), 2,
        [&mod, onRoomUser](const QStringList &args) {
            return onRoomUser(args, [&](const Room &room, const QUuid &user) {
                qint64 duration = args.size() > 2 ? parseDurationMs(args.at(2)) : -1;
                const QString reason = rest(args, duration >= 0 ? 3 : 2);
                return answer(
                    mod.ban(console, room.id(), user, reason, std::max<qint64>(duration, 0)),
                    idText(user));
            });
        });
    add(QStringLiteral("unban"), QStringLiteral("unban ROOM USER"),
        QStringLiteral("lift a room ban"), 2, [&mod, onRoomUser](const QStringList &args) {
            return onRoomUser(args, [&](const Room &room, const QUuid &user) {
                return answer(mod.unban(console, room.id(), user), idText(user));
            });
        });
    add(QStringLiteral("ban-address"),
        QStringLiteral("ban-address ADDR[/PREFIX] [DURATION] [reason]"),
        QStringLiteral("refuse an address or subnet and end its connections"), 1,
        [&mod](const QStringList &args) {
            const qint64 duration = args.size() > 1 ? parseDurationMs(args.at(1)) : -1;
            const auto banned =
                mod.banAddress(console, args.at(0), rest(args, duration >= 0 ? 2 : 1),
                               std::max<qint64>(duration, 0));
            if (const Refusal *r = std::get_if<Refusal>(&banned))
                return answer(*r, QString());
            return ok(QStringLiteral("ban %1").arg(std::get<qint64>(banned)));
        });
    add(QStringLiteral("unban-address"), QStringLiteral("unban-address BAN-ID"),
        QStringLiteral("lift an address ban (ids: see bans)"), 1, [&mod](const QStringList &args) {
            bool number = false;
            const qint64 id = args.at(0).toLongLong(&number);
            if (!number)
                return error(QStringLiteral("bad_field: a ban id is a number (see bans)"));
            return answer(mod.liftAddressBan(console, id), args.at(0));
        });
    add(QStringLiteral("bans"), QStringLiteral("bans"),
        QStringLiteral("list bans: id, room, user or address, reason, by, since, until, refusals"),
        0, [&mod](const QStringList &) {
            QStringList lines;
            for (const Ban &ban : mod.bans()) {
                lines.append(QStringList{QString::number(ban.id),
                                         ban.room.isNull() ? QStringLiteral("*") : idText(ban.room),
                                         ban.isAddressBan() ? ban.addressText() : idText(ban.user),
                                         cell(ban.reason), cell(ban.bannedBy),
                                         timeText(ban.sinceMs), timeText(ban.untilMs),
                                         QString::number(ban.hits)}
                                 .join(QLatin1Char('\t')));
            }
            return ok(QStringLiteral("%1 bans").arg(lines.size()), lines);
        });
    add(QStringLiteral("lock"), QStringLiteral("lock ROOM|all"),
        QStringLiteral("room lock: only admins and invited people get in"), 1,
        [&mod, eachOrAll](const QStringList &args) {
            return eachOrAll(
                args, true, [&mod](bool on) { return mod.lockAllRooms(console, on); },
                [](bool on) {
                    RoomUpdate u;
                    u.closed = on;
                    return u;
                },
                mod);
        });
    add(QStringLiteral("unlock"), QStringLiteral("unlock ROOM|all"),
        QStringLiteral("lift the room lock"), 1, [&mod, eachOrAll](const QStringList &args) {
            return eachOrAll(
                args, false, [&mod](bool on) { return mod.lockAllRooms(console, on); },
                [](bool on) {
                    RoomUpdate u;
                    u.closed = on;
                    return u;
                },
                mod);
        });
    add(QStringLiteral("mute"), QStringLiteral("mute ROOM|all"),
        QStringLiteral("chat lock: only admins may send"), 1,
        [&mod, eachOrAll](const QStringList &args) {
            return eachOrAll(
                args, true, [&mod](bool on) { return mod.muteAllRooms(console, on); },
                [](bool on) {
                    RoomUpdate u;
                    u.chatLocked = on;
                    return u;
                },
                mod);
        });
    add(QStringLiteral("unmute"), QStringLiteral("unmute ROOM|all"),
        QStringLiteral("lift the chat lock"), 1, [&mod, eachOrAll](const QStringList &args) {
            return eachOrAll(
                args, false, [&mod](bool on) { return mod.muteAllRooms(console, on); },
                [](bool on) {
                    RoomUpdate u;
                    u.chatLocked = on;
                    return u;
                },
                mod);
        });
    add(QStringLiteral("limit"), QStringLiteral("limit ROOM N"),
        QStringLiteral("most participants (0 = no limit; admins always get in)"), 2,
        [&mod, onRoom](const QStringList &args) {
            bool number = false;
            const int n = args.at(1).toInt(&number);
            if (!number)
                return error(QStringLiteral("bad_field: the limit is a number"));
            return onRoom(args, [&](const Room &room) {
                RoomUpdate u;
                u.maxParticipants = n;
                return answer(mod.update(console, room.id(), u), idText(room.id()));
            });
        });
    add(QStringLiteral("webhook"), QStringLiteral("webhook ROOM URL|off"),
        QStringLiteral("forward a room's messages to a webhook"), 2,
        [&mod, onRoom](const QStringList &args) {
            return onRoom(args, [&](const Room &room) {
                RoomUpdate u;
                u.webhook = args.at(1) == QLatin1StringView("off") ? QString() : args.at(1);
                return answer(mod.update(console, room.id(), u), idText(room.id()));
            });
        });
    add(QStringLiteral("admin"), QStringLiteral("admin ROOM USER on|off"),
        QStringLiteral("grant or revoke room admin"), 3,
        [&mod, onRoomUser](const QStringList &args) {
            const QString v = args.at(2).toLower();
            if (v != QLatin1StringView("on") && v != QLatin1StringView("off"))
                return error(QStringLiteral("bad_field: say on or off"));
            return onRoomUser(args, [&](const Room &room, const QUuid &user) {
                return answer(mod.setAdmin(console, room.id(), user, v == QLatin1StringView("on")),
                              idText(user));
            });
        });
    add(QStringLiteral("color"), QStringLiteral("color ROOM USER #rrggbb"),
        QStringLiteral("change someone's display colour"), 3,
        [&mod, onRoomUser](const QStringList &args) {
            return onRoomUser(args, [&](const Room &room, const QUuid &user) {
                return answer(mod.setColor(console, room.id(), user, args.at(2)), idText(user));
            });
        });
    add(QStringLiteral("announce"), QStringLiteral("announce ROOM|all TEXT"),
        QStringLiteral("post a message from the operator"), 2,
        [&mod, onRoom](const QStringList &args) {
            const QString text = rest(args, 1);
            if (args.at(0) == QLatin1StringView("all"))
                return answer(mod.announce(console, QUuid(), text), QStringLiteral("every room"));
            return onRoom(args, [&](const Room &room) {
                return answer(mod.announce(console, room.id(), text), idText(room.id()));
            });
        });
    add(QStringLiteral("close"), QStringLiteral("close ROOM [reason]"),
        QStringLiteral("close (delete) a room; everyone is put out"), 1,
        [&mod, onRoom](const QStringList &args) {
            return onRoom(args, [&](const Room &room) {
                const QString id = idText(room.id());
                return answer(mod.closeRoom(console, room.id(), rest(args, 1)), id);
            });
        });
    add(QStringLiteral("pin"), QStringLiteral("pin ROOM"),
        QStringLiteral("keep a room even when idle"), 1, [&mod, onRoom](const QStringList &args) {
            return onRoom(args, [&](const Room &room) {
                return answer(mod.setPinned(console, room.id(), true), idText(room.id()));
            });
        });
    add(QStringLiteral("unpin"), QStringLiteral("unpin ROOM"),
        QStringLiteral("let an idle room expire"), 1, [&mod, onRoom](const QStringList &args) {
            return onRoom(args, [&](const Room &room) {
                return answer(mod.setPinned(console, room.id(), false), idText(room.id()));
            });
        });
    add(QStringLiteral("clear"), QStringLiteral("clear ROOM [reason]"),
        QStringLiteral("kick everyone but the admins"), 1, [&mod, onRoom](const QStringList &args) {
            return onRoom(args, [&](const Room &room) {
                return answer(mod.clearRoom(console, room.id(), rest(args, 1)), idText(room.id()));
            });
        });
    add(QStringLiteral("pause"), QStringLiteral("pause"),
        QStringLiteral("stop accepting new connections (503)"), 0, [&mod](const QStringList &) {
            return answer(mod.setAccepting(console, false), QStringLiteral("paused"));
        });
    add(QStringLiteral("resume"), QStringLiteral("resume"),
        QStringLiteral("accept new connections again"), 0, [&mod](const QStringList &) {
            return answer(mod.setAccepting(console, true), QStringLiteral("accepting"));
        });
    add(QStringLiteral("stats"), QStringLiteral("stats"), QStringLiteral("counters, one per line"),
        0, [this](const QStringList &) {
            const ServerStats s = m_server.stats();
            const auto line = [](const char *name, auto value) {
                return QStringLiteral("%1\t%2").arg(QLatin1StringView(name)).arg(value);
            };
            return ok(QString(),
                      {line("connections", s.connections), line("rooms", s.rooms),
                       line("accepting", s.accepting ? 1 : 0), line("messages", s.messagesPosted),
                       line("deliveries", s.framesOut), line("frames_in", s.framesIn),
                       line("kicks", s.kicks), line("bans", s.bans),
                       line("rate_limited", s.rateLimited),
                       line("slow_client_drops", s.slowClientDrops),
                       line("heartbeat_timeouts", s.heartbeatTimeouts),
                       line("refused_connections", s.refusedConnections),
                       line("banned_connections", s.bannedConnections),
                       line("webhook_delivered", s.webhookDelivered),
                       line("webhook_failed", s.webhookFailed)});
        });
    add(QStringLiteral("audit"), QStringLiteral("audit [N]"),
        QStringLiteral("the last N moderation actions (default 20)"), 0,
        [&mod](const QStringList &args) {
            const int n = args.isEmpty() ? 20 : std::clamp(args.at(0).toInt(), 1, 1000);
            QStringList lines;
            for (const AuditEntry &e : mod.recentAudit(n))
                lines.append(QStringList{timeText(e.atMs), cell(e.actor), e.action,
                                         e.room.isNull() ? QStringLiteral("-") : idText(e.room),
                                         e.target.isEmpty() ? QStringLiteral("-") : cell(e.target),
                                         cell(e.detail)}
                                 .join(QLatin1Char('\t')));
            return ok(QStringLiteral("%1 entries").arg(lines.size()), lines);
        });
    add(QStringLiteral("drain"), QStringLiteral("drain SECONDS [message]"),
        QStringLiteral("refuse newcomers, warn everyone, then stop"), 1,
        [&mod](const QStringList &args) {
            bool number = false;
            const int seconds = args.at(0).toInt(&number);
            if (!number || seconds < 0 || seconds > 3600)
                return error(QStringLiteral("bad_field: SECONDS is 0 to 3600"));
            mod.setAccepting(console, false);
            mod.lockAllRooms(console, true);
            Result r = ok(QStringLiteral("stopping in %1 s").arg(seconds));
            r.drainSeconds = seconds;
            r.drainMessage = rest(args, 1);
            return r;
        });
    add(QStringLiteral("watch"), QStringLiteral("watch [on|off]"),
        QStringLiteral("stream joins, leaves, kicks, ban hits, floods (never message text)"), 0,
        [this](const QStringList &args) {
            const bool on = args.isEmpty() || args.at(0).toLower() != QLatin1StringView("off");
            m_server.setWatching(on);
            return ok(on ? QStringLiteral("watching") : QStringLiteral("not watching"));
        });
    add(QStringLiteral("quit"), QStringLiteral("quit"),
        QStringLiteral("stop the server (clients are told, state is saved)"), 0,
        [](const QStringList &) {
            Result r = ok(QStringLiteral("stopping"));
            r.quit = true;
            return r;
        });
}

void ConsoleCommands::add(const QString &name, const QString &usage, const QString &summary,
                          int minArgs, std::function<Result(const QStringList &)> run)
{
    m_commands.append({name, usage, summary, minArgs, std::move(run)});
}

QStringList ConsoleCommands::help() const
{
    QStringList lines;
    for (const Command &c : m_commands)
        lines.append(c.usage + QLatin1Char('\t') + c.summary);
    return lines;
}

ConsoleCommands::Result ConsoleCommands::execute(const QString &line)
{
    const QStringList words = QProcess::splitCommand(line.trimmed());
    if (words.isEmpty())
        return error(QStringLiteral("empty command (try help)"));
    const QString name = words.first().toLower();
    for (const Command &c : m_commands) {
        if (c.name != name)
            continue;
        const QStringList args = words.mid(1);
        if (args.size() < c.minArgs)
            return error(QStringLiteral("usage: ") + c.usage);
        return c.run(args);
    }
    return error(QStringLiteral("unknown command '%1' (try help)").arg(name.left(40)));
}

} // namespace roomkeeper

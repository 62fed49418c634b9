#pragma once

#include "roomrequest.h"

#include "../domain/commands.h"

#include "../domain/room.h"
#include "../domain/roomevents.h"
#include "../domain/user.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace roomkeeper {

class UserDirectory;

// The room protocol's codec (PROTOCOL.md §2): frames in, requests out; domain events in,
// frames out. It holds no state: every function is pure, so broadcasts are serialised
// once and the same text goes to every member.
namespace roomcodec {

ParsedRoomFrame parse(const QByteArray &utf8);
// The domain command a request asks for; nothing for the session's own requests (ping,
// pong, rooms).
std::optional<Command> command(const RoomRequest &request);

QByteArray session(const User &user, const QByteArray &key, const QByteArray &token,
                   int heartbeatIntervalMs);
QByteArray error(const Refusal &refusal, const QString &ref,
                 const std::optional<QUuid> &roomId = std::nullopt);
QByteArray ping(qint64 time);
QByteArray pong(double time);
QByteArray rooms(const QList<const Room *> &rooms);
QByteArray room(const Room &room, const UserDirectory &users, bool withWebhook);
QByteArray roomClosed(const QUuid &roomId, const QString &message);
QByteArray message(const Room &room, const ChatMessage &message);
QByteArray read(const QUuid &roomId, const QUuid &reader, qint64 messageId);
QByteArray invite(const QUuid &roomId, const QUuid &inviter);
QByteArray kick(const QUuid &roomId, const QString &message, bool permanent);
QByteArray enter(const QUuid &roomId, const User &user, bool admin);
// 'reason' is empty for an ordinary leave, "kick" or "ban" otherwise.
QByteArray exit(const QUuid &roomId, const QUuid &user, const QString &reason = QString());

QString idString(const QUuid &id);

} // namespace roomcodec
} // namespace roomkeeper

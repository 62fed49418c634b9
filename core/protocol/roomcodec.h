#pragma once

#include "roomrequest.h"

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

QString session(const User &user, const QByteArray &key, const QByteArray &token,
                int heartbeatIntervalMs);
QString error(const Refusal &refusal, const QString &ref,
              const std::optional<QUuid> &roomId = std::nullopt);
QString ping(qint64 time);
QString pong(double time);
QString rooms(const QList<const Room *> &rooms);
QString room(const Room &room, const UserDirectory &users, bool withWebhook);
QString roomClosed(const QUuid &roomId, const QString &message);
QString message(const Room &room, const ChatMessage &message);
QString read(const QUuid &roomId, const QUuid &reader, qint64 messageId);
QString invite(const QUuid &roomId, const QUuid &inviter);
QString kick(const QUuid &roomId, const QString &message, bool permanent);
QString enter(const QUuid &roomId, const User &user, bool admin);
// 'reason' is empty for an ordinary leave, "kick" or "ban" otherwise.
QString exit(const QUuid &roomId, const QUuid &user, const QString &reason = QString());

QString idString(const QUuid &id);

} // namespace roomcodec
} // namespace roomkeeper

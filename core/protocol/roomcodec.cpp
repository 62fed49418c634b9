#include "roomcodec.h"

#include "fieldreader.h"
#include "jsonwriter.h"

#include "../domain/textrules.h"
#include "../domain/userdirectory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <array>
#include <utility>

namespace roomkeeper::roomcodec {

namespace {

using Type = RoomRequest::Type;

constexpr std::array<std::pair<const char *, Type>, 14> requestTypes = {{
    {"ping", Type::Ping},
    {"pong", Type::Pong},
    {"rooms", Type::Rooms},
    {"create", Type::Create},
    {"enter", Type::Enter},
    {"exit", Type::Exit},
    {"message", Type::Message},
    {"read", Type::Read},
    {"invite", Type::Invite},
    {"kick", Type::Kick},
    {"unban", Type::Unban},
    {"update", Type::Update},
    {"admin", Type::Admin},
    {"close", Type::Close},
}};

constexpr int MaxRefLength = 32;
constexpr int MaxReasonLength = 500;

QByteArray frame(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// The frames sent most (per message, per connection, per member change) are written
// directly; the rarer, nested ones go through QJsonObject.
QByteArray frame(JsonObjectWriter &object)
{
    return object.take();
}

RoomFrameError frameError(ErrorCode code, const QString &message, const QString &ref = QString())
{
    return RoomFrameError{Refusal{code, message}, ref, std::nullopt};
}

void readFields(FieldReader &in, RoomRequest &request)
{
    const auto L = [](const char *s) {
        return QLatin1StringView(s);
    };
    // A key of the wrong type is kept as an empty key, which never matches: bad_key.
    const QJsonValue key = in.value(L("key"));
    if (!key.isUndefined())
        request.key = key.isString() ? key.toString() : QString();
    switch (request.type) {
    case Type::Ping:
        request.time = in.number(L("time"));
        break;
    case Type::Pong:
        // It echoes one of our pings (milliseconds); a far-off time is refused, not converted.
        request.time = in.number(L("time"), double(FieldReader::MaxExactInteger));
        break;
    case Type::Rooms:
        break;
    case Type::Create:
        request.name = in.string(L("name"));
        request.closed = in.boolean(L("closed"), false);
        break;
    case Type::Enter:
    case Type::Exit:
        request.roomId = in.uuid(L("room_id"));
        break;
    case Type::Message:
        request.roomId = in.uuid(L("room_id"));
        request.content = in.string(L("content"));
        break;
    case Type::Read:
        request.roomId = in.optionalUuid(L("room_id"));
        request.messageId = in.integer(L("message_id"), 1, FieldReader::MaxExactInteger);
        break;
    case Type::Invite:
    case Type::Unban:
        request.roomId = in.uuid(L("room_id"));
        request.userId = in.uuid(L("user_id"));
        break;
    case Type::Kick:
        request.roomId = in.uuid(L("room_id"));
        request.userId = in.uuid(L("user_id"));
        request.message = in.optionalString(L("message")).value_or(QString());
        request.permanent = in.boolean(L("permanent"), false);
        break;
    case Type::Admin:
        request.roomId = in.uuid(L("room_id"));
        request.userId = in.uuid(L("user_id"));
        request.admin = in.boolean(L("admin"), false);
        if (!in.failed() && !in.has(L("admin")))
            in.string(L("admin")); // reports the missing field
        break;
    case Type::Close:
        request.roomId = in.uuid(L("room_id"));
        request.message = in.optionalString(L("message")).value_or(QString());
        break;
    case Type::Update: {
        request.roomId = in.uuid(L("room_id"));
        RoomUpdate &u = request.update;
        u.name = in.optionalString(L("name"));
        u.closed = in.optionalBoolean(L("closed"));
        u.chatLocked = in.optionalBoolean(L("chat_locked"));
        if (const auto max =
                in.optionalInteger(L("max_participants"), 0, RoomRegistry::MaxParticipantsLimit))
            u.maxParticipants = int(*max);
        u.webhook = in.optionalString(L("webhook"));
        break;
    }
    }
}

} // namespace

QString idString(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces);
}

std::optional<Command> command(const RoomRequest &r)
{
    const QUuid room = r.roomId.value_or(QUuid());
    switch (r.type) {
    case Type::Ping:
    case Type::Pong:
    case Type::Rooms:
        return std::nullopt;
    case Type::Create:
        return command::CreateRoom{r.name, r.closed};
    case Type::Enter:
        return command::Enter{room};
    case Type::Exit:
        return command::Exit{room};
    case Type::Message:
        return command::SendMessage{room, r.content};
    case Type::Read:
        return command::MarkRead{r.roomId, r.messageId};
    case Type::Invite:
        return command::Invite{room, r.userId};
    case Type::Kick:
        return command::Kick{room, r.userId, r.message, r.permanent};
    case Type::Unban:
        return command::Unban{room, r.userId};
    case Type::Update:
        return command::UpdateRoom{room, r.update};
    case Type::Admin:
        return command::ChangeParticipant{room, r.userId, r.admin, std::nullopt};
    case Type::Close:
        return command::CloseRoom{room, r.message};
    }
    return std::nullopt;
}

ParsedRoomFrame parse(const QByteArray &utf8)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return frameError(ErrorCode::BadJson, QStringLiteral("not valid JSON: %1 at offset %2")
                                                  .arg(parseError.errorString())
                                                  .arg(parseError.offset));
    if (!doc.isObject())
        return frameError(ErrorCode::BadJson, QStringLiteral("a request must be a JSON object"));
    const QJsonObject object = doc.object();
    if (const std::optional<Refusal> duplicate = duplicateKeyRefusal(utf8, object))
        return frameError(duplicate->code, duplicate->message);
    const QJsonValue typeValue = object.value(QLatin1StringView("type"));
    if (typeValue.isUndefined())
        return frameError(ErrorCode::MissingField, QStringLiteral("missing field 'type'"));
    if (!typeValue.isString())
        return frameError(ErrorCode::BadField, QStringLiteral("'type' must be a string"));
    const QString typeName = typeValue.toString();

    RoomRequest request;
    request.typeName = typeName;
    bool known = false;
    for (const auto &[name, type] : requestTypes) {
        if (typeName == QLatin1StringView(name)) {
            request.type = type;
            known = true;
            break;
        }
    }
    if (!known)
        return frameError(ErrorCode::BadType, QStringLiteral("unknown request type"),
                          typeName.left(MaxRefLength));

    FieldReader in(object);
    readFields(in, request);
    // An error names the room only when the request named one that could be read.
    std::optional<QUuid> roomId = request.roomId;
    if (roomId && roomId->isNull())
        roomId.reset();
    if (in.failed())
        return RoomFrameError{*in.refusal(), typeName, roomId};
    if (request.message.size() > MaxReasonLength)
        return RoomFrameError{
            Refusal{ErrorCode::TooLong,
                    QStringLiteral("'message' is longer than %1 characters").arg(MaxReasonLength)},
            typeName, roomId};
    // A reason reaches other people and the audit trail: the rules of message content.
    if (!request.message.isEmpty() &&
        textrules::checkContent(request.message, MaxReasonLength) != textrules::Problem::None)
        return RoomFrameError{
            Refusal{ErrorCode::BadField,
                    QStringLiteral("'message' contains control characters or invalid text")},
            typeName, roomId};
    return request;
}

QByteArray session(const User &user, const QByteArray &key, const QByteArray &token,
                   int heartbeatIntervalMs)
{
    JsonObjectWriter w;
    w.add("type", u"session")
        .addId("user_id", user.id)
        .add("name", user.name)
        .add("color", user.color)
        .add("key", QString::fromLatin1(key))
        .add("token", QString::fromLatin1(token))
        .add("heartbeat_interval", qint64(heartbeatIntervalMs));
    return frame(w);
}

QByteArray error(const Refusal &refusal, const QString &ref, const std::optional<QUuid> &roomId)
{
    JsonObjectWriter w;
    w.add("type", u"error")
        .add("code", QString(errorCodeName(refusal.code)))
        .add("message", refusal.message)
        .add("ref", ref);
    if (roomId)
        w.addId("room_id", *roomId);
    return frame(w);
}

QByteArray ping(qint64 time)
{
    JsonObjectWriter w;
    w.add("type", u"ping").add("time", time);
    return frame(w);
}

QByteArray pong(double time)
{
    return frame(
        {{QStringLiteral("type"), QStringLiteral("pong")}, {QStringLiteral("time"), time}});
}

QByteArray rooms(const QList<const Room *> &rooms)
{
    QJsonArray list;
    for (const Room *room : rooms) {
        const RoomSettings &s = room->settings();
        list.append(QJsonObject{{QStringLiteral("room_id"), idString(room->id())},
                                {QStringLiteral("name"), s.name},
                                {QStringLiteral("participants"), room->participantCount()},
                                {QStringLiteral("max_participants"), s.maxParticipants},
                                {QStringLiteral("closed"), s.closed},
                                {QStringLiteral("chat_locked"), s.chatLocked}});
    }
    return frame(
        {{QStringLiteral("type"), QStringLiteral("rooms")}, {QStringLiteral("rooms"), list}});
}

QByteArray room(const Room &room, const UserDirectory &users, bool withWebhook)
{
    QJsonArray participants;
    for (const QUuid &id : room.participants()) {
        const User *user = users.find(id);
        participants.append(QJsonObject{{QStringLiteral("user_id"), idString(id)},
                                        {QStringLiteral("name"), user ? user->name : QString()},
                                        {QStringLiteral("admin"), room.isAdmin(id)},
                                        {QStringLiteral("color"), user ? user->color : QString()}});
    }
    const RoomSettings &s = room.settings();
    QJsonObject object{{QStringLiteral("type"), QStringLiteral("room")},
                       {QStringLiteral("room_id"), idString(room.id())},
                       {QStringLiteral("name"), s.name},
                       {QStringLiteral("closed"), s.closed},
                       {QStringLiteral("chat_locked"), s.chatLocked},
                       {QStringLiteral("max_participants"), s.maxParticipants},
                       {QStringLiteral("last_message_id"), double(room.lastMessageId())},
                       {QStringLiteral("participants"), participants}};
    if (withWebhook)
        object.insert(QStringLiteral("webhook"), s.webhook);
    return frame(object);
}

QByteArray roomClosed(const QUuid &roomId, const QString &message)
{
    JsonObjectWriter w;
    w.add("type", u"room_closed").addId("room_id", roomId);
    if (!message.isEmpty())
        w.add("message", message);
    return frame(w);
}

QByteArray message(const Room &room, const ChatMessage &message)
{
    JsonObjectWriter w(message.content.size() + 200);
    w.add("type", u"message")
        .add("time", message.sentAtMs)
        .add("content", message.content)
        .addId("user_id", message.author)
        .add("name", message.authorName)
        .add("message_id", message.id)
        .addId("room_id", room.id());
    return frame(w);
}

QByteArray read(const QUuid &roomId, const QUuid &reader, qint64 messageId)
{
    JsonObjectWriter w;
    w.add("type", u"read")
        .add("message_id", messageId)
        .addId("user_id", reader)
        .addId("room_id", roomId);
    return frame(w);
}

QByteArray invite(const QUuid &roomId, const QUuid &inviter)
{
    JsonObjectWriter w;
    w.add("type", u"invite").addId("user_id", inviter).addId("room_id", roomId);
    return frame(w);
}

QByteArray kick(const QUuid &roomId, const QString &message, bool permanent)
{
    JsonObjectWriter w;
    w.add("type", u"kick")
        .addId("room_id", roomId)
        .add("message", message)
        .addBool("permanent", permanent);
    return frame(w);
}

QByteArray enter(const QUuid &roomId, const User &user, bool admin)
{
    JsonObjectWriter w;
    w.add("type", u"enter")
        .addId("user_id", user.id)
        .addId("room_id", roomId)
        .add("name", user.name)
        .addBool("admin", admin)
        .add("color", user.color);
    return frame(w);
}

QByteArray exit(const QUuid &roomId, const QUuid &user, const QString &reason)
{
    JsonObjectWriter w;
    w.add("type", u"exit").addId("user_id", user).addId("room_id", roomId);
    if (!reason.isEmpty())
        w.add("reason", reason);
    return frame(w);
}

} // namespace roomkeeper::roomcodec

#include "gatewaycodec.h"

#include "fieldreader.h"
#include "jsonwriter.h"
#include "roomcodec.h"

#include "../domain/userdirectory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <cmath>
#include <limits>

namespace roomkeeper::gatewaycodec {

namespace {

QByteArray frame(int op, const QJsonObject &d)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("op"), op}, {QStringLiteral("d"), d}})
        .toJson(QJsonDocument::Compact);
}

// The frequent frames: 'd' written directly, then wrapped.
QByteArray frame(int op, JsonObjectWriter &d)
{
    JsonObjectWriter w(256);
    w.add("op", qint64(op)).addRaw("d", d.take());
    return w.take();
}

QString id(const QUuid &uuid)
{
    return roomcodec::idString(uuid);
}

Refusal bad(ErrorCode code, const QString &message)
{
    return Refusal{code, message};
}

} // namespace

std::optional<Command> command(const GatewayRequest &r, const QUuid &room)
{
    switch (r.op) {
    case GatewayRequest::Heartbeat:
    case GatewayRequest::HeartbeatAck:
        return std::nullopt;
    case GatewayRequest::SendMessage:
        return command::SendMessage{room, r.content};
    case GatewayRequest::UpdateRoom:
        return command::UpdateRoom{room, r.update};
    case GatewayRequest::KickParticipant:
        return command::Kick{room, r.userId, QString(), r.banned};
    case GatewayRequest::ChangeParticipant:
        return command::ChangeParticipant{room, r.userId, r.admin, r.color};
    case GatewayRequest::CloseRoom:
        return command::CloseRoom{room, QString()};
    case GatewayRequest::Read:
        return command::MarkRead{room, r.messageId};
    }
    return std::nullopt;
}

ParsedGatewayFrame parse(const QByteArray &utf8)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return bad(ErrorCode::BadJson, QStringLiteral("not valid JSON: %1 at offset %2")
                                           .arg(parseError.errorString())
                                           .arg(parseError.offset));
    if (!doc.isObject())
        return bad(ErrorCode::BadJson, QStringLiteral("a frame must be a JSON object"));
    const QJsonObject object = doc.object();
    if (const std::optional<Refusal> duplicate = duplicateKeyRefusal(utf8, object))
        return *duplicate;
    const QJsonValue opValue = object.value(QLatin1StringView("op"));
    if (opValue.isUndefined())
        return bad(ErrorCode::MissingField, QStringLiteral("missing field 'op'"));
    const double op = opValue.toDouble(-1);
    if (!opValue.isDouble() || std::trunc(op) != op)
        return bad(ErrorCode::BadField, QStringLiteral("'op' must be an integer"));
    if (std::fabs(op) > std::numeric_limits<int>::max()) // int(op) would be undefined
        return bad(ErrorCode::BadType, QStringLiteral("unknown op %1").arg(op));
    const QJsonValue dValue = object.value(QLatin1StringView("d"));
    if (!dValue.isUndefined() && !dValue.isObject() && !dValue.isNull())
        return bad(ErrorCode::BadField, QStringLiteral("'d' must be an object"));
    const QJsonObject d = dValue.toObject();

    GatewayRequest request;
    FieldReader in(d);
    const auto L = [](const char *s) {
        return QLatin1StringView(s);
    };
    switch (int(op)) {
    case GatewayRequest::Heartbeat:
    case GatewayRequest::HeartbeatAck:
    case GatewayRequest::CloseRoom:
        break;
    case GatewayRequest::SendMessage:
        request.content = in.string(L("content"));
        break;
    case GatewayRequest::UpdateRoom: {
        RoomUpdate &u = request.update;
        u.chatLocked = in.optionalBoolean(L("chatLocked"));
        u.closed = in.optionalBoolean(L("roomLocked"));
        if (const auto max =
                in.optionalInteger(L("maxParticipants"), 0, RoomRegistry::MaxParticipantsLimit))
            u.maxParticipants = int(*max);
        u.webhook = in.optionalString(L("discordWebhookLink"));
        u.name = in.optionalString(L("name"));
        break;
    }
    case GatewayRequest::KickParticipant:
        request.userId = in.uuid(L("userId"));
        request.banned = in.boolean(L("banned"), false);
        break;
    case GatewayRequest::ChangeParticipant:
        request.userId = in.uuid(L("userId"));
        request.admin = in.optionalBoolean(L("admin"));
        request.color = in.optionalString(L("color"));
        if (!in.failed() && !request.admin && !request.color)
            return bad(ErrorCode::MissingField, QStringLiteral("give 'admin' or 'color'"));
        break;
    case GatewayRequest::Read:
        request.messageId = in.integer(L("messageId"), 1, FieldReader::MaxExactInteger);
        break;
    default:
        return bad(ErrorCode::BadType, QStringLiteral("unknown op %1").arg(op));
    }
    if (in.failed())
        return *in.refusal();
    request.op = GatewayRequest::Op(int(op));
    return request;
}

QByteArray hello(int heartbeatIntervalMs)
{
    return frame(0, {{QStringLiteral("heartbeatInterval"), heartbeatIntervalMs}});
}

QByteArray heartbeat()
{
    return frame(1, {});
}

QByteArray heartbeatAck()
{
    return frame(2, {});
}

QByteArray messageCreate(const ChatMessage &message)
{
    JsonObjectWriter d(message.content.size() + 160);
    d.addId("authorId", message.author)
        .add("authorName", message.authorName)
        .add("content", message.content)
        .add("sentAt", message.sentAtMs)
        .add("messageId", message.id);
    return frame(3, d);
}

QByteArray roomUpdate(const Room &room, RoomChanges changes, bool forAdmin)
{
    const RoomSettings &s = room.settings();
    QJsonObject d;
    if (changes & ChatLockedChanged)
        d.insert(QStringLiteral("chatLocked"), s.chatLocked);
    if (changes & ClosedChanged)
        d.insert(QStringLiteral("roomLocked"), s.closed);
    if (changes & MaxParticipantsChanged)
        d.insert(QStringLiteral("maxParticipants"), s.maxParticipants);
    if (changes & NameChanged)
        d.insert(QStringLiteral("name"), s.name);
    if ((changes & WebhookChanged) && forAdmin)
        d.insert(QStringLiteral("discordWebhookLink"), s.webhook);
    return d.isEmpty() ? QByteArray() : frame(4, d);
}

QByteArray participantKick(const QUuid &user)
{
    return frame(5, {{QStringLiteral("userId"), id(user)}});
}

QByteArray participantChange(const QUuid &user, std::optional<bool> banned,
                             std::optional<QString> color, std::optional<bool> admin)
{
    QJsonObject d{{QStringLiteral("userId"), id(user)}};
    if (banned)
        d.insert(QStringLiteral("banned"), *banned);
    if (color)
        d.insert(QStringLiteral("color"), *color);
    if (admin)
        d.insert(QStringLiteral("admin"), *admin);
    return frame(6, d);
}

QByteArray roomClose()
{
    return frame(7, {});
}

QByteArray ready(const User &user, const QByteArray &token, const Room &room,
                 const UserDirectory &users)
{
    const RoomSettings &s = room.settings();
    const bool admin = room.isAdmin(user.id);
    QJsonObject roomObject{{QStringLiteral("id"), id(room.id())},
                           {QStringLiteral("name"), s.name},
                           {QStringLiteral("chatLocked"), s.chatLocked},
                           {QStringLiteral("roomLocked"), s.closed},
                           {QStringLiteral("maxParticipants"), s.maxParticipants},
                           {QStringLiteral("lastMessageId"), double(room.lastMessageId())}};
    if (admin)
        roomObject.insert(QStringLiteral("discordWebhookLink"), s.webhook);
    QJsonArray participants;
    for (const QUuid &pid : room.participants()) {
        const User *p = users.find(pid);
        participants.append(QJsonObject{{QStringLiteral("userId"), id(pid)},
                                        {QStringLiteral("name"), p ? p->name : QString()},
                                        {QStringLiteral("color"), p ? p->color : QString()},
                                        {QStringLiteral("admin"), room.isAdmin(pid)}});
    }
    QJsonObject d{
        {QStringLiteral("userId"), id(user.id)}, {QStringLiteral("name"), user.name},
        {QStringLiteral("color"), user.color},   {QStringLiteral("admin"), admin},
        {QStringLiteral("room"), roomObject},    {QStringLiteral("participants"), participants}};
    if (!token.isEmpty())
        d.insert(QStringLiteral("token"), QString::fromLatin1(token));
    return frame(8, d);
}

QByteArray participantEnter(const User &user, bool admin)
{
    JsonObjectWriter d;
    d.addId("userId", user.id)
        .add("name", user.name)
        .add("color", user.color)
        .addBool("admin", admin);
    return frame(9, d);
}

QByteArray participantExit(const QUuid &user, const QString &reason)
{
    JsonObjectWriter d;
    d.addId("userId", user);
    if (!reason.isEmpty())
        d.add("reason", reason);
    return frame(10, d);
}

QByteArray read(const QUuid &reader, qint64 messageId)
{
    JsonObjectWriter d;
    d.add("messageId", messageId).addId("userId", reader);
    return frame(11, d);
}

QByteArray error(const Refusal &refusal)
{
    JsonObjectWriter d;
    d.add("code", QString(errorCodeName(refusal.code))).add("message", refusal.message);
    return frame(12, d);
}

} // namespace roomkeeper::gatewaycodec

#pragma once

#include "../domain/commands.h"
#include "../domain/errorcode.h"
#include "../domain/room.h"
#include "../domain/roomevents.h"
#include "../domain/roomregistry.h"
#include "../domain/user.h"

#include <QByteArray>
#include <QString>
#include <QUuid>

#include <optional>
#include <variant>

namespace roomkeeper {

class UserDirectory;

// One client frame of the gateway protocol (PROTOCOL.md §3), checked for shape and types.
struct GatewayRequest
{
    enum Op
    {
        Heartbeat = 1,
        HeartbeatAck = 2,
        SendMessage = 3,
        UpdateRoom = 4,
        KickParticipant = 5,
        ChangeParticipant = 6,
        CloseRoom = 7,
        Read = 11,
    };

    Op op = Heartbeat;
    QString content;              // 3
    RoomUpdate update;            // 4
    QUuid userId;                 // 5, 6
    bool banned = false;          // 5
    std::optional<bool> admin;    // 6
    std::optional<QString> color; // 6
    qint64 messageId = 0;         // 11

    bool isHeartbeat() const { return op == Heartbeat || op == HeartbeatAck; }
};

using ParsedGatewayFrame = std::variant<GatewayRequest, Refusal>;

// The gateway protocol's codec: frames {"op": N, "d": {...}} in and out. Stateless; each
// event is serialised once and the same text goes to every gateway member.
namespace gatewaycodec {

ParsedGatewayFrame parse(const QByteArray &utf8);
// The domain command a request asks for in the connection's one 'room'; nothing for
// heartbeats.
std::optional<Command> command(const GatewayRequest &request, const QUuid &room);

QByteArray hello(int heartbeatIntervalMs);
QByteArray heartbeat();    // op 1
QByteArray heartbeatAck(); // op 2
QByteArray messageCreate(const ChatMessage &message);
// Only the fields in 'changes'; the webhook only when 'forAdmin'. Empty if nothing to say.
QByteArray roomUpdate(const Room &room, RoomChanges changes, bool forAdmin);
QByteArray participantKick(const QUuid &user);
QByteArray participantChange(const QUuid &user, std::optional<bool> banned,
                             std::optional<QString> color, std::optional<bool> admin);
QByteArray roomClose();
QByteArray ready(const User &user, const QByteArray &token, const Room &room,
                 const UserDirectory &users);
QByteArray participantEnter(const User &user, bool admin);
QByteArray participantExit(const QUuid &user, const QString &reason = QString());
QByteArray read(const QUuid &reader, qint64 messageId);
QByteArray error(const Refusal &refusal);

} // namespace gatewaycodec
} // namespace roomkeeper

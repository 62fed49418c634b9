#pragma once

// Helpers shared by the gateway tests (PROTOCOL.md §3) and the cross-protocol tests:
// payloads, op 12 checks and state lookups. Header-only; builds on the room-protocol
// helpers of tests/protocol/protocoltest.h.

#include "../protocol/protocoltest.h"
#include "gatewayclient.h"

#include "server/chatserver.h"

#include <QJsonObject>
#include <QRegularExpression>
#include <QStringList>
#include <QUuid>

#include <initializer_list>

namespace roomkeeper::test {

// A 'd' payload from fields.
inline QJsonObject payload(std::initializer_list<Field> fields = {})
{
    QJsonObject object;
    for (const Field &f : fields)
        object.insert(QString::fromLatin1(f.key), f.value);
    return object;
}

inline const QRegularExpression &colorPattern()
{
    static const QRegularExpression re(QStringLiteral("^#[0-9a-f]{6}$"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re;
}

// The settings the server holds for 'roomId' (default settings if there is no such room).
inline RoomSettings settingsOf(const ChatServer &server, const QString &roomId)
{
    const Room *room = server.rooms().find(QUuid::fromString(roomId));
    return room ? room->settings() : RoomSettings();
}

inline bool roomExists(const ChatServer &server, const QString &roomId)
{
    return server.rooms().find(QUuid::fromString(roomId)) != nullptr;
}

inline bool isAdminOf(const ChatServer &server, const QString &roomId, const QString &userId)
{
    const Room *room = server.rooms().find(QUuid::fromString(roomId));
    return room && room->isAdmin(QUuid::fromString(userId));
}

inline QString colorOf(const ChatServer &server, const QString &userId)
{
    const User *user = server.users().find(QUuid::fromString(userId));
    return user ? user->color : QString();
}

// Waits for the next op 12 and checks it against PROTOCOL.md §3: {code, message} with a
// code of §2.5 and a non-empty message. Returns what is wrong, or an empty string.
inline QString checkOp12(GatewayClient &client, const QString &code, int timeoutMs = 5000)
{
    const QJsonObject frame = client.waitForOp(12, {}, timeoutMs);
    if (frame.isEmpty())
        return QStringLiteral("no op 12 arrived (expected %1); close code %2")
            .arg(code)
            .arg(client.closeCode());
    const QJsonObject d = GatewayClient::data(frame);
    QStringList problems;
    if (str(d, "code") != code)
        problems << QStringLiteral("code is '%1', expected '%2'").arg(str(d, "code"), code);
    if (!d.value(QLatin1StringView("message")).isString() || str(d, "message").isEmpty())
        problems << QStringLiteral("no message");
    if (problems.isEmpty())
        return QString();
    return problems.join(QStringLiteral("; ")) + QStringLiteral(" in ") + compact(frame);
}

inline QString checkOp12(GatewayClient &client, const char *code, int timeoutMs = 5000)
{
    return checkOp12(client, QString::fromLatin1(code), timeoutMs);
}

} // namespace roomkeeper::test

// Fails the test unless the next op 12 at 'client' carries 'code' (a literal or a QString).
#define EXPECT_OP12(client, code)                                                                  \
    do {                                                                                           \
        const QString why_ = roomkeeper::test::checkOp12(client, code);                            \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                \
    } while (false)

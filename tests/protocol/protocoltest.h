#pragma once

// Small helpers shared by the room-protocol integration tests (PROTOCOL.md §2): building
// requests, reading fields and checking refusals. Header-only, used by tst_roomprotocol
// and tst_roomadmin.

#include "jsonfields.h"
#include "serverconfigs.h"
#include "testclient.h"

#include "server/serverconfig.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>
#include <QUuid>

#include <initializer_list>

namespace roomkeeper::test {

inline ServerConfig localConfig()
{
    return localServerConfig();
}

// One field of a request: a key and its value.
struct Field
{
    const char *key;
    QJsonValue value;
};

// A request of 'type' with 'fields'; TestClient::send adds the session key.
inline QJsonObject request(const char *type, std::initializer_list<Field> fields = {})
{
    QJsonObject object{{QStringLiteral("type"), QString::fromLatin1(type)}};
    for (const Field &f : fields)
        object.insert(QString::fromLatin1(f.key), f.value);
    return object;
}

inline qint64 num(const QJsonObject &object, const char *key)
{
    return qint64(object.value(QLatin1StringView(key)).toDouble(-1));
}

inline QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

inline QString newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// Whether 'text' is a UUID as the protocol writes it: 36 characters, no braces.
inline bool isProtocolUuid(const QString &text)
{
    return text.size() == 36 && !QUuid::fromString(text).isNull();
}

// The frames of 'type' that 'client' has received so far (consumed or not).
inline QList<QJsonObject> framesOfType(const TestClient &client, const char *type)
{
    QList<QJsonObject> result;
    const QList<QJsonObject> frames = client.frames();
    for (const QJsonObject &f : frames) {
        if (str(f, "type") == QLatin1StringView(type))
            result.append(f);
    }
    return result;
}

// Asks for the room list and returns the reply (empty on timeout).
inline QJsonObject roomList(TestClient &client)
{
    client.send(request("rooms"));
    return client.waitFor(QStringLiteral("rooms"));
}

// Waits for a frame of 'type' whose room_id is 'roomId'.
inline QJsonObject waitInRoom(TestClient &client, const char *type, const QString &roomId,
                              int timeoutMs = 5000)
{
    return client.waitFor(
        QString::fromLatin1(type),
        [roomId](const QJsonObject &o) { return str(o, "room_id") == roomId; }, timeoutMs);
}

// Waits for the 'message' frame carrying 'content'.
inline QJsonObject waitForContent(TestClient &client, const QString &content)
{
    return client.waitFor(QStringLiteral("message"),
                          [content](const QJsonObject &o) { return str(o, "content") == content; });
}

// Consumes every frame received so far, so that the next wait sees only newer ones.
inline void drain(TestClient &client)
{
    client.waitFor(QStringLiteral("(nothing)"), {}, 0);
}

// Whether a ping/pong round trip works: the connection is up and the server answers.
inline bool answersPing(TestClient &client)
{
    static double next = 1000;
    const double time = ++next;
    client.send(request("ping", {{"time", time}}), false);
    return !client
                .waitFor(QStringLiteral("pong"),
                         [time](const QJsonObject &o) {
                             return o.value(QLatin1StringView("time")).toDouble() == time;
                         })
                .isEmpty();
}

// What the room id of an expected error must be: absent, any, or this id.
inline const QString &NoRoomId()
{
    static const QString none;
    return none;
}
inline const QString &AnyRoomId()
{
    static const QString any = QStringLiteral("*");
    return any;
}

// Waits for the next error frame and checks it against PROTOCOL.md §2.3: 'code',
// a non-empty 'message', 'ref' (the request type) and 'room_id' (empty: must be absent;
// "*": not checked). Returns what is wrong, or an empty string.
inline QString checkError(TestClient &client, const QString &code, const QString &ref,
                          const QString &roomId, int timeoutMs = 5000)
{
    const QJsonObject e = client.waitForError(timeoutMs);
    if (e.isEmpty())
        return QStringLiteral("no error frame arrived (expected %1)").arg(code);
    QStringList problems;
    if (str(e, "code") != code)
        problems << QStringLiteral("code is '%1', expected '%2'").arg(str(e, "code"), code);
    if (!e.value(QLatin1StringView("message")).isString() || str(e, "message").isEmpty())
        problems << QStringLiteral("no message");
    if (!e.value(QLatin1StringView("ref")).isString() || str(e, "ref") != ref)
        problems << QStringLiteral("ref is '%1', expected '%2'").arg(str(e, "ref"), ref);
    if (str(e, "room_id") == QUuid().toString(QUuid::WithoutBraces))
        problems << QStringLiteral("room_id is the nil UUID, which names no room");
    if (roomId.isEmpty() && e.contains(QLatin1StringView("room_id")))
        problems << QStringLiteral("has a room_id, expected none");
    if (!roomId.isEmpty() && roomId != AnyRoomId() && str(e, "room_id") != roomId)
        problems << QStringLiteral("room_id is '%1', expected '%2'").arg(str(e, "room_id"), roomId);
    if (problems.isEmpty())
        return QString();
    return problems.join(QStringLiteral("; ")) + QStringLiteral(" in ") + compact(e);
}

} // namespace roomkeeper::test

// Fails the test unless the next error at 'client' is 'code' for request 'ref'.
#define EXPECT_ERROR(client, code, ref, roomId)                                                    \
    do {                                                                                           \
        const QString why_ = roomkeeper::test::checkError(client, QStringLiteral(code),            \
                                                          QStringLiteral(ref), roomId);            \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                \
    } while (false)

#pragma once

// Shared by the moderation-service integration tests (DESIGN.md "One moderation API"):
// a real server on 127.0.0.1:0 with an injected wall clock, real room-protocol clients,
// and helpers to check outcomes and the frames the clients receive. Header-only.

#include "jsonfields.h"
#include "rawclient.h"
#include "testclient.h"

#include "server/chatserver.h"
#include "server/moderationservice.h"
#include "server/serverconfig.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QStringList>
#include <QTest>
#include <QUuid>

#include <functional>
#include <initializer_list>
#include <variant>

namespace roomkeeper::test {

// ---- values ------------------------------------------------------------------------------

inline QString idText(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces);
}

inline QUuid uuidOf(const QString &text)
{
    return QUuid::fromString(text);
}

inline QUuid userOf(const TestClient &client)
{
    return uuidOf(client.userId());
}

inline QString nullUuidText()
{
    return QUuid().toString(QUuid::WithoutBraces);
}

inline qint64 num(const QJsonObject &object, const char *key)
{
    return qint64(object.value(QLatin1StringView(key)).toDouble(-1));
}

inline bool flag(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1StringView(key)).toBool();
}

inline QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

// ---- outcomes ----------------------------------------------------------------------------

inline QString describe(const Outcome &outcome)
{
    if (!outcome)
        return QStringLiteral("done");
    return QStringLiteral("refused: ") + QString(errorCodeName(outcome->code)) +
           QStringLiteral(" (") + outcome->message + QLatin1Char(')');
}

template <typename T> Outcome outcomeOf(const std::variant<Refusal, T> &result)
{
    if (const Refusal *refusal = std::get_if<Refusal>(&result))
        return *refusal;
    return std::nullopt;
}

// Why 'outcome' is not a refusal with 'code' (empty when it is).
inline QString refusalProblem(const Outcome &outcome, ErrorCode code)
{
    if (outcome && outcome->code == code && !outcome->message.isEmpty())
        return QString();
    return QStringLiteral("expected refusal '%1', got %2")
        .arg(QString(errorCodeName(code)), describe(outcome));
}

} // namespace roomkeeper::test

// Fails the test unless the action was done.
#define CHECK_DONE(expr)                                                                           \
    do {                                                                                           \
        const roomkeeper::Outcome outcome_ = (expr);                                               \
        QVERIFY2(!outcome_, qPrintable(roomkeeper::test::describe(outcome_)));                     \
    } while (false)

// Fails the test unless the action was refused with 'code' (an ErrorCode).
#define CHECK_REFUSED(expr, code)                                                                  \
    do {                                                                                           \
        const QString why_ = roomkeeper::test::refusalProblem((expr), (code));                     \
        QVERIFY2(why_.isEmpty(), qPrintable(QStringLiteral(#expr ": ") + why_));                   \
    } while (false)

namespace roomkeeper::test {

// ---- frames ------------------------------------------------------------------------------

inline bool isHeartbeat(const QJsonObject &frame)
{
    const QString type = str(frame, "type");
    return type == QLatin1StringView("ping") || type == QLatin1StringView("pong");
}

// Where a client's frames stand now; frames after a mark are the new ones.
inline qsizetype mark(const TestClient &client)
{
    return client.frames().size();
}

// The frames other than heartbeats that 'client' got from index 'from' on.
inline QList<QJsonObject> framesSince(const TestClient &client, qsizetype from)
{
    QList<QJsonObject> result;
    const QList<QJsonObject> all = client.frames();
    for (qsizetype i = from; i < all.size(); ++i) {
        if (!isHeartbeat(all.at(i)))
            result.append(all.at(i));
    }
    return result;
}

inline QList<QJsonObject> framesOfType(const TestClient &client, const char *type,
                                       qsizetype from = 0)
{
    QList<QJsonObject> result;
    for (const QJsonObject &f : framesSince(client, from)) {
        if (str(f, "type") == QLatin1StringView(type))
            result.append(f);
    }
    return result;
}

// Waits for a frame of 'type' received at or after index 'from' that satisfies 'match'.
// It does not consume frames: the order of such waits does not matter.
inline QJsonObject frameAfter(TestClient &client, qsizetype from, const char *type,
                              const std::function<bool(const QJsonObject &)> &match = {},
                              int timeoutMs = 5000)
{
    QJsonObject found;
    const auto look = [&] {
        const QList<QJsonObject> all = client.frames();
        for (qsizetype i = from; i < all.size(); ++i) {
            const QJsonObject &f = all.at(i);
            if (str(f, "type") == QLatin1StringView(type) && (!match || match(f))) {
                found = f;
                return true;
            }
        }
        return false;
    };
    if (!look() && !QTest::qWaitFor(look, timeoutMs))
        return QJsonObject();
    return found;
}

inline std::function<bool(const QJsonObject &)> inRoom(const QUuid &room)
{
    const QString id = idText(room);
    return [id](const QJsonObject &o) {
        return str(o, "room_id") == id;
    };
}

// The participant entry for 'user' in a 'room' picture (empty if absent).
inline QJsonObject participant(const QJsonObject &picture, const QUuid &user)
{
    const QString id = idText(user);
    const QJsonArray list = picture.value(QLatin1StringView("participants")).toArray();
    for (const QJsonValue &v : list) {
        if (str(v.toObject(), "user_id") == id)
            return v.toObject();
    }
    return QJsonObject();
}

inline QStringList participantIds(const QJsonObject &picture)
{
    QStringList ids;
    const QJsonArray list = picture.value(QLatin1StringView("participants")).toArray();
    for (const QJsonValue &v : list)
        ids << str(v.toObject(), "user_id");
    ids.sort();
    return ids;
}

// Waits for a 'room' picture of 'room' after 'from' that satisfies 'match'.
inline QJsonObject pictureAfter(TestClient &client, qsizetype from, const QUuid &room,
                                const std::function<bool(const QJsonObject &)> &match = {})
{
    const QString id = idText(room);
    return frameAfter(client, from, "room", [&](const QJsonObject &o) {
        return str(o, "room_id") == id && (!match || match(o));
    });
}

// A ping/pong round trip: every frame the server sent before it has arrived.
inline bool roundTrip(TestClient &client)
{
    static double next = 5000;
    const double time = ++next;
    const qsizetype from = mark(client);
    client.send(QJsonObject{{QStringLiteral("type"), QStringLiteral("ping")},
                            {QStringLiteral("time"), time}},
                false);
    const auto look = [&] {
        const QList<QJsonObject> all = client.frames();
        for (qsizetype i = from; i < all.size(); ++i) {
            if (str(all.at(i), "type") == QLatin1StringView("pong") &&
                all.at(i).value(QLatin1StringView("time")).toDouble() == time)
                return true;
        }
        return false;
    };
    return QTest::qWaitFor(look, 5000);
}

// Enters every client into 'room' and waits until all frames so far have arrived.
inline bool enterAll(const QUuid &room, std::initializer_list<TestClient *> clients)
{
    for (TestClient *c : clients) {
        if (!c->enter(idText(room)))
            return false;
    }
    for (TestClient *c : clients) {
        if (!roundTrip(*c))
            return false;
    }
    return true;
}

inline bool settle(std::initializer_list<TestClient *> clients)
{
    for (TestClient *c : clients) {
        if (!roundTrip(*c))
            return false;
    }
    return true;
}

// ---- requests ----------------------------------------------------------------------------

inline QJsonObject request(const char *type,
                           std::initializer_list<QPair<const char *, QJsonValue>> fields = {})
{
    QJsonObject object{{QStringLiteral("type"), QString::fromLatin1(type)}};
    for (const auto &[key, value] : fields)
        object.insert(QString::fromLatin1(key), value);
    return object;
}

inline QJsonObject chat(const QUuid &room, const QString &content)
{
    return request("message", {{"room_id", idText(room)}, {"content", content}});
}

inline QJsonObject enterRequest(const QUuid &room)
{
    return request("enter", {{"room_id", idText(room)}});
}

// Sends 'enter' and returns the error code it got, or "ok" when the room picture came.
inline QString tryEnter(TestClient &client, const QUuid &room)
{
    const qsizetype from = mark(client);
    client.send(enterRequest(room));
    const QString id = idText(room);
    QString result = QStringLiteral("(no answer)");
    [[maybe_unused]] const bool answered = QTest::qWaitFor(
        [&] {
            for (const QJsonObject &f : framesSince(client, from)) {
                if (str(f, "type") == QLatin1StringView("error") &&
                    str(f, "ref") == QLatin1StringView("enter")) {
                    result = str(f, "code");
                    return true;
                }
                if (str(f, "type") == QLatin1StringView("room") && str(f, "room_id") == id) {
                    result = QStringLiteral("ok");
                    return true;
                }
            }
            return false;
        },
        5000);
    return result;
}

// Sends a chat message and returns the error code, or "ok" when it came back delivered.
inline QString trySend(TestClient &client, const QUuid &room, const QString &content)
{
    const qsizetype from = mark(client);
    client.send(chat(room, content));
    QString result = QStringLiteral("(no answer)");
    [[maybe_unused]] const bool answered = QTest::qWaitFor(
        [&] {
            for (const QJsonObject &f : framesSince(client, from)) {
                if (str(f, "type") == QLatin1StringView("error") &&
                    str(f, "ref") == QLatin1StringView("message")) {
                    result = str(f, "code");
                    return true;
                }
                if (str(f, "type") == QLatin1StringView("message") &&
                    str(f, "content") == content) {
                    result = QStringLiteral("ok");
                    return true;
                }
            }
            return false;
        },
        5000);
    return result;
}

// ---- HTTP --------------------------------------------------------------------------------

// Sends one plain HTTP request and returns the whole response (the server closes after it).
inline QByteArray httpGet(quint16 port, const QByteArray &path)
{
    RawClient client;
    if (!client.connectTo(port))
        return QByteArray();
    client.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    client.waitForDisconnected(3000);
    return client.buffered();
}

inline int httpStatus(const QByteArray &response)
{
    const QList<QByteArray> parts = response.left(response.indexOf("\r\n")).split(' ');
    return parts.size() >= 2 ? parts.at(1).toInt() : 0;
}

inline QByteArray httpBody(const QByteArray &response)
{
    const qsizetype end = response.indexOf("\r\n\r\n");
    return end < 0 ? QByteArray() : response.mid(end + 4);
}

// ---- a client from another address -------------------------------------------------------

// A room-protocol client whose connection comes from another loopback address (127.0.0.2 by
// default), over a raw socket, so that address bans can be told apart by address.
class RemoteClient
{
public:
    bool open(quint16 port, const char *name,
              const QHostAddress &from = QHostAddress(QStringLiteral("127.0.0.2")))
    {
        if (!m_raw.socket().bind(from) || !m_raw.connectTo(port) ||
            m_raw.upgrade("/ws?name=" + QByteArray(name)) != 101)
            return false;
        m_session = waitFor("session", {}, 3000);
        return !m_session.isEmpty();
    }

    QString userId() const { return str(m_session, "user_id"); }

    void send(QJsonObject object)
    {
        object.insert(QStringLiteral("key"), str(m_session, "key"));
        m_raw.sendText(QJsonDocument(object).toJson(QJsonDocument::Compact));
    }

    // The first frame of 'type' from index 'from' on that matches, reading more as needed;
    // every frame read is kept in frames().
    QJsonObject waitFor(const char *type,
                        const std::function<bool(const QJsonObject &)> &match = {},
                        int timeoutMs = 5000, qsizetype from = 0)
    {
        for (qsizetype i = from; i < m_frames.size(); ++i) {
            if (str(m_frames.at(i), "type") == QLatin1StringView(type) &&
                (!match || match(m_frames.at(i))))
                return m_frames.at(i);
        }
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired() && m_closeCode < 0) {
            const QByteArray payload =
                m_raw.readFrame(int(qMax<qint64>(1, deadline.remainingTime())));
            if (payload.isEmpty())
                continue;
            const QJsonDocument doc = QJsonDocument::fromJson(payload);
            if (!doc.isObject()) { // a close frame: the code, then the reason
                if (payload.size() >= 2)
                    m_closeCode = (quint8(payload.at(0)) << 8) | quint8(payload.at(1));
                break;
            }
            m_frames.append(doc.object());
            if (str(doc.object(), "type") == QLatin1StringView(type) &&
                (!match || match(doc.object())))
                return doc.object();
        }
        return QJsonObject();
    }

    // Waits for the server's close frame; its code, or -1.
    int waitForCloseCode(int timeoutMs = 5000)
    {
        waitFor("(nothing)", {}, timeoutMs);
        return m_closeCode;
    }

    bool isConnected() { return m_raw.socket().state() == QAbstractSocket::ConnectedState; }
    const QList<QJsonObject> &frames() const { return m_frames; }

private:
    RawClient m_raw;
    QJsonObject m_session;
    QList<QJsonObject> m_frames;
    int m_closeCode = -1;
};

// ---- the stage ---------------------------------------------------------------------------

// A server with a clock the test moves by hand. Clients are opened by the tests.
struct Stage
{
    static constexpr qint64 Epoch = 1'700'000'000'000; // an arbitrary UNIX ms

    explicit Stage(const ServerConfig &config = defaults()) : server(config)
    {
        server.setClock([this] { return clockMs; });
    }

    static ServerConfig defaults()
    {
        ServerConfig c;
        c.listenAddress = QHostAddress(QHostAddress::LocalHost);
        c.port = 0;
        c.maxMessageRate = 0;
        c.sweepIntervalMs = 3600 * 1000; // sweeps only when a test asks
        return c;
    }

    bool start()
    {
        server.start();
        port = server.port();
        return port != 0;
    }

    bool open(TestClient &client, const char *name)
    {
        return client.open(port, QStringLiteral("name=") + QLatin1StringView(name));
    }

    // A second connection of the same person (same token, same user id).
    bool openAgain(TestClient &client, const TestClient &as)
    {
        return client.open(port, QStringLiteral("token=") + as.token()) &&
               client.userId() == as.userId();
    }

    ModerationService &moderation() { return server.moderation(); }

    // A room created by the operator console (no creator, no admins); null on failure.
    QUuid consoleRoom(const char *name, bool closed = false)
    {
        const auto created =
            moderation().createRoom(Actor::operatorConsole(), QString::fromLatin1(name), closed);
        const QUuid *id = std::get_if<QUuid>(&created);
        return id ? *id : QUuid();
    }

    // A room created over the protocol by 'creator', who becomes its creator and admin.
    static QUuid clientRoom(TestClient &creator, const char *name)
    {
        return uuidOf(creator.createRoom(QString::fromLatin1(name)));
    }

    qsizetype auditCount() { return moderation().recentAudit(100000).size(); }

    qint64 clockMs = Epoch;
    ChatServer server;
    quint16 port = 0;
};

inline const Actor &console()
{
    static const Actor actor = Actor::operatorConsole();
    return actor;
}

inline Actor as(const TestClient &client)
{
    return Actor::person(userOf(client));
}

} // namespace roomkeeper::test

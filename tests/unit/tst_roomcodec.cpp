// roomcodec: room-protocol frames (PROTOCOL.md §2) parsed from byte arrays, and the
// frames the server writes, read back with QJsonDocument.

#include "domain/roomregistry.h"
#include "domain/userdirectory.h"
#include "protocol/fieldreader.h"
#include "protocol/roomcodec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <variant>

using namespace roomkeeper;
using namespace Qt::StringLiterals;
using Type = RoomRequest::Type;

namespace {

const QByteArray roomText = "6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f";
const QByteArray userText = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a";
const QUuid roomId = QUuid::fromString(QLatin1StringView(roomText));
const QUuid userId = QUuid::fromString(QLatin1StringView(userText));

// Single quotes become double quotes, $R and $U the test UUIDs.
QByteArray json(const char *text)
{
    QByteArray out(text);
    out.replace('\'', '"');
    out.replace("$R", roomText);
    out.replace("$U", userText);
    return out;
}

QByteArray kickWithMessage(const QByteArray &message)
{
    return json("{'type':'kick','key':'k','room_id':'$R','user_id':'$U','message':'") + message +
           "\"}";
}

// A JSON value nested 'depth' levels deep, counting the request object itself.
QByteArray nested(int depth)
{
    const int arrays = depth - 1;
    return json("{'type':'ping','time':1,'deep':") + QByteArray(arrays, '[') +
           QByteArray(arrays, ']') + "}";
}

class NullSink final : public RoomEventSink
{
public:
    void memberJoined(const Room &, MemberId) override {}
    void participantEntered(const Room &, const User &) override {}
    void memberLeft(const Room &, MemberId, const QUuid &) override {}
    void participantExited(const Room &, const QUuid &, ExitReason) override {}
    void messagePosted(const Room &, const ChatMessage &) override {}
    void readReceipt(const Room &, const QUuid &, qint64) override {}
    void userInvited(const Room &, const QUuid &, const QUuid &) override {}
    void participantKicked(const Room &, const QUuid &, const QList<MemberId> &, const QString &,
                           bool) override
    {}
    void participantUnbanned(const Room &, const QUuid &) override {}
    void adminChanged(const Room &, const QUuid &, bool) override {}
    void roomChanged(const Room &, RoomChanges) override {}
    void roomClosed(const Room &, const QList<MemberId> &, const QString &) override {}
};

QJsonObject object(const QString &frame)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(frame.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return QJsonObject();
    return doc.object();
}

bool isId(const QJsonValue &value, const QUuid &id)
{
    return value.isString() && value.toString().size() == 36 && parseUuid(value.toString()) == id;
}

} // namespace

// Frames are compact, one line, and a JSON object.
#define FRAME(var, expr)                                                                           \
    const QString var##Text = QString::fromUtf8(expr);                                             \
    QVERIFY2(!var##Text.contains(u'\n'), qPrintable(var##Text));                                   \
    const QJsonObject var = object(var##Text);                                                     \
    QVERIFY2(!var.isEmpty(), qPrintable(var##Text))

class RoomCodecTest : public QObject
{
    Q_OBJECT

private slots:
    void parseValid_data();
    void parseValid();
    void parseFields();
    void parseUpdateSetsOnlyPresentFields();
    void parseMessageIdBounds_data();
    void parseMessageIdBounds();
    void keyOfWrongTypeIsAnEmptyKey_data();
    void keyOfWrongTypeIsAnEmptyKey();
    void parseErrors_data();
    void parseErrors();
    void parseErrorKeepsRoomId();
    void nestingLimit();

    void sessionFrame();
    void messageFrame();
    void roomFrame();
    void errorFrame_data();
    void errorFrame();
    void exitFrame_data();
    void exitFrame();
    void otherFrames();
};

void RoomCodecTest::parseValid_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<Type>("type");
    QTest::addColumn<bool>("hasRoom");

    QTest::addRow("ping") << json("{'type':'ping','time':123}") << Type::Ping << false;
    QTest::addRow("pong") << json("{'type':'pong','time':1.5}") << Type::Pong << false;
    QTest::addRow("rooms") << json("{'type':'rooms','key':'k'}") << Type::Rooms << false;
    QTest::addRow("create") << json("{'type':'create','key':'k','name':'Lobby'}") << Type::Create
                            << false;
    QTest::addRow("enter") << json("{'type':'enter','key':'k','room_id':'$R'}") << Type::Enter
                           << true;
    QTest::addRow("exit") << json("{'type':'exit','key':'k','room_id':'$R'}") << Type::Exit << true;
    QTest::addRow("message") << json("{'type':'message','key':'k','room_id':'$R','content':'hi'}")
                             << Type::Message << true;
    QTest::addRow("read") << json("{'type':'read','room_id':'$R','message_id':1}") << Type::Read
                          << true;
    QTest::addRow("read without room")
        << json("{'type':'read','message_id':1}") << Type::Read << false;
    QTest::addRow("invite") << json("{'type':'invite','key':'k','room_id':'$R','user_id':'$U'}")
                            << Type::Invite << true;
    QTest::addRow("kick") << json("{'type':'kick','key':'k','room_id':'$R','user_id':'$U'}")
                          << Type::Kick << true;
    QTest::addRow("unban") << json("{'type':'unban','key':'k','room_id':'$R','user_id':'$U'}")
                           << Type::Unban << true;
    QTest::addRow("update") << json("{'type':'update','key':'k','room_id':'$R'}") << Type::Update
                            << true;
    QTest::addRow("admin")
        << json("{'type':'admin','key':'k','room_id':'$R','user_id':'$U','admin':true}")
        << Type::Admin << true;
    QTest::addRow("close") << json("{'type':'close','key':'k','room_id':'$R'}") << Type::Close
                           << true;
    QTest::addRow("unknown fields ignored")
        << json("{'type':'enter','key':'k','room_id':'$R','extra':[1,{'a':null}]}") << Type::Enter
        << true;
    QTest::addRow("uppercase uuid")
        << QByteArray("{\"type\":\"enter\",\"key\":\"k\",\"room_id\":\"" + roomText.toUpper() +
                      "\"}")
        << Type::Enter << true;
}

void RoomCodecTest::parseValid()
{
    QFETCH(QByteArray, frame);
    QFETCH(Type, type);
    QFETCH(bool, hasRoom);

    const ParsedRoomFrame parsed = roomcodec::parse(frame);
    const RoomRequest *request = std::get_if<RoomRequest>(&parsed);
    if (!request) {
        const RoomFrameError &e = std::get<RoomFrameError>(parsed);
        QFAIL(qPrintable(QString(errorCodeName(e.refusal.code)) + u": "_s + e.refusal.message));
    }
    QCOMPARE(request->type, type);
    QCOMPARE(request->typeName, QJsonDocument::fromJson(frame)[u"type"_s].toString());
    const bool heartbeat = type == Type::Ping || type == Type::Pong;
    QCOMPARE(request->isHeartbeat(), heartbeat);
    QCOMPARE(request->needsKey(), !heartbeat && type != Type::Read);
    if (request->needsKey())
        QCOMPARE(request->key, std::optional<QString>(u"k"_s));
    else
        QVERIFY(!request->key);
    QCOMPARE(request->roomId.has_value(), hasRoom);
    if (hasRoom)
        QCOMPARE(*request->roomId, roomId);
}

void RoomCodecTest::parseFields()
{
    auto request = [](const QByteArray &frame) {
        const ParsedRoomFrame parsed = roomcodec::parse(frame);
        const RoomRequest *r = std::get_if<RoomRequest>(&parsed);
        return r ? *r : RoomRequest();
    };

    RoomRequest r = request(json("{'type':'ping','time':1234.5}"));
    QCOMPARE(r.type, Type::Ping);
    QCOMPARE(r.time, 1234.5);

    r = request(json("{'type':'create','key':'k','name':'  Lobby  '}"));
    QCOMPARE(r.type, Type::Create);
    QCOMPARE(r.name, u"  Lobby  "_s); // trimming is the domain's job
    QCOMPARE(r.closed, false);
    r = request(json("{'type':'create','key':'k','name':'Annex','closed':true}"));
    QCOMPARE(r.name, u"Annex"_s);
    QCOMPARE(r.closed, true);

    r = request(json("{'type':'message','key':'k','room_id':'$R','content':'a\\nb \\u00e9 "
                     "\\ud83d\\ude00'}"));
    QCOMPARE(r.type, Type::Message);
    QCOMPARE(r.content, u"a\nb \u00E9 \U0001F600"_s);

    r = request(json("{'type':'read','message_id':42}"));
    QCOMPARE(r.type, Type::Read);
    QCOMPARE(r.messageId, 42);
    QVERIFY(!r.roomId);

    r = request(json("{'type':'invite','key':'k','room_id':'$R','user_id':'$U'}"));
    QCOMPARE(r.type, Type::Invite);
    QCOMPARE(r.userId, userId);

    r = request(json("{'type':'kick','key':'k','room_id':'$R','user_id':'$U'}"));
    QCOMPARE(r.type, Type::Kick);
    QCOMPARE(r.userId, userId);
    QVERIFY(r.message.isEmpty());
    QCOMPARE(r.permanent, false);
    r = request(json(
        "{'type':'kick','key':'k','room_id':'$R','user_id':'$U','message':'go','permanent':true}"));
    QCOMPARE(r.message, u"go"_s);
    QCOMPARE(r.permanent, true);
    r = request(kickWithMessage(QByteArray(500, 'm'))); // at the limit
    QCOMPARE(r.type, Type::Kick);
    QCOMPARE(r.message.size(), 500);

    r = request(json("{'type':'admin','key':'k','room_id':'$R','user_id':'$U','admin':false}"));
    QCOMPARE(r.type, Type::Admin);
    QCOMPARE(r.userId, userId);
    QCOMPARE(r.admin, false);
    r = request(json("{'type':'admin','key':'k','room_id':'$R','user_id':'$U','admin':true}"));
    QCOMPARE(r.admin, true);

    r = request(json("{'type':'close','key':'k','room_id':'$R','message':'bye'}"));
    QCOMPARE(r.type, Type::Close);
    QCOMPARE(r.message, u"bye"_s);
}

void RoomCodecTest::parseUpdateSetsOnlyPresentFields()
{
    ParsedRoomFrame parsed = roomcodec::parse(json("{'type':'update','key':'k','room_id':'$R'}"));
    const RoomRequest *r = std::get_if<RoomRequest>(&parsed);
    QVERIFY(r);
    QVERIFY(!r->update.name);
    QVERIFY(!r->update.closed);
    QVERIFY(!r->update.chatLocked);
    QVERIFY(!r->update.maxParticipants);
    QVERIFY(!r->update.webhook);

    parsed = roomcodec::parse(
        json("{'type':'update','key':'k','room_id':'$R','name':'Hall','chat_locked':false}"));
    r = std::get_if<RoomRequest>(&parsed);
    QVERIFY(r);
    QCOMPARE(r->update.name, std::optional<QString>(u"Hall"_s));
    QCOMPARE(r->update.chatLocked, std::optional<bool>(false));
    QVERIFY(!r->update.closed);
    QVERIFY(!r->update.maxParticipants);
    QVERIFY(!r->update.webhook);

    parsed = roomcodec::parse(
        json("{'type':'update','key':'k','room_id':'$R','name':'Hall','closed':true,"
             "'chat_locked':true,'max_participants':100000,'webhook':'https://example.com/h'}"));
    r = std::get_if<RoomRequest>(&parsed);
    QVERIFY(r);
    QCOMPARE(r->update.closed, std::optional<bool>(true));
    QCOMPARE(r->update.chatLocked, std::optional<bool>(true));
    QCOMPARE(r->update.maxParticipants, std::optional<int>(RoomRegistry::MaxParticipantsLimit));
    QCOMPARE(r->update.webhook, std::optional<QString>(u"https://example.com/h"_s));

    parsed = roomcodec::parse(
        json("{'type':'update','key':'k','room_id':'$R','max_participants':0,'webhook':''}"));
    r = std::get_if<RoomRequest>(&parsed);
    QVERIFY(r);
    QCOMPARE(r->update.maxParticipants, std::optional<int>(0));
    QCOMPARE(r->update.webhook, std::optional<QString>(QString()));
}

void RoomCodecTest::parseMessageIdBounds_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("code"); // empty: accepted
    QTest::addColumn<qint64>("expected");

    QTest::addRow("1") << QByteArray("1") << QString() << qint64(1);
    QTest::addRow("1.0") << QByteArray("1.0") << QString() << qint64(1);
    QTest::addRow("2^53-1") << QByteArray("9007199254740991") << QString() << (qint64(1) << 53) - 1;
    QTest::addRow("2^53") << QByteArray("9007199254740992") << u"bad_field"_s << qint64(0);
    QTest::addRow("2^53+1") << QByteArray("9007199254740993") << u"bad_field"_s << qint64(0);
    QTest::addRow("2^63") << QByteArray("9223372036854775808") << u"bad_field"_s << qint64(0);
    QTest::addRow("-(2^53+1)") << QByteArray("-9007199254740993") << u"bad_field"_s << qint64(0);
    QTest::addRow("0") << QByteArray("0") << u"bad_field"_s << qint64(0);
    QTest::addRow("-1") << QByteArray("-1") << u"bad_field"_s << qint64(0);
    QTest::addRow("1.5") << QByteArray("1.5") << u"bad_field"_s << qint64(0);
    QTest::addRow("2^53+2") << QByteArray("9007199254740994") << u"bad_field"_s << qint64(0);
    QTest::addRow("1e300") << QByteArray("1e300") << u"bad_field"_s << qint64(0);
    QTest::addRow("string") << QByteArray("\"1\"") << u"bad_field"_s << qint64(0);
    QTest::addRow("null") << QByteArray("null") << u"bad_field"_s << qint64(0);
    QTest::addRow("true") << QByteArray("true") << u"bad_field"_s << qint64(0);
    QTest::addRow("array") << QByteArray("[1]") << u"bad_field"_s << qint64(0);
    QTest::addRow("1e400") << QByteArray("1e400") << u"bad_json"_s << qint64(0);
    QTest::addRow("-1e400") << QByteArray("-1e400") << u"bad_json"_s << qint64(0);
}

void RoomCodecTest::parseMessageIdBounds()
{
    QFETCH(QByteArray, value);
    QFETCH(QString, code);
    QFETCH(qint64, expected);

    const ParsedRoomFrame parsed =
        roomcodec::parse(json("{'type':'read','room_id':'$R','message_id':") + value + "}");
    if (code.isEmpty()) {
        const RoomRequest *r = std::get_if<RoomRequest>(&parsed);
        QVERIFY(r);
        QCOMPARE(r->messageId, expected);
    } else {
        const RoomFrameError *e = std::get_if<RoomFrameError>(&parsed);
        QVERIFY(e);
        QCOMPARE(QString(errorCodeName(e->refusal.code)), code);
        QVERIFY(!e->refusal.message.isEmpty());
    }
}

void RoomCodecTest::keyOfWrongTypeIsAnEmptyKey_data()
{
    QTest::addColumn<QByteArray>("key");

    QTest::addRow("number") << QByteArray("5");
    QTest::addRow("null") << QByteArray("null");
    QTest::addRow("bool") << QByteArray("true");
    QTest::addRow("object") << QByteArray("{\"k\":\"k\"}");
    QTest::addRow("array") << QByteArray("[\"k\"]");
    QTest::addRow("empty string") << QByteArray("\"\"");
}

void RoomCodecTest::keyOfWrongTypeIsAnEmptyKey()
{
    QFETCH(QByteArray, key);

    const ParsedRoomFrame parsed =
        roomcodec::parse(json("{'type':'enter','room_id':'$R','key':") + key + "}");
    const RoomRequest *r = std::get_if<RoomRequest>(&parsed);
    QVERIFY(r); // not a parse error: the key check answers bad_key later
    QVERIFY(r->key.has_value());
    QVERIFY(r->key->isEmpty());
    QCOMPARE(r->roomId, std::optional<QUuid>(roomId));

    const ParsedRoomFrame keyless = roomcodec::parse(json("{'type':'enter','room_id':'$R'}"));
    QVERIFY(std::holds_alternative<RoomRequest>(keyless));
    QVERIFY(!std::get<RoomRequest>(keyless).key.has_value());
}

void RoomCodecTest::parseErrors_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("ref");

    const QString none;
    // Not a request at all.
    QTest::addRow("empty") << QByteArray() << u"bad_json"_s << none;
    QTest::addRow("truncated") << json("{'type':'ping'") << u"bad_json"_s << none;
    QTest::addRow("trailing comma") << json("{'type':'ping','time':1,}") << u"bad_json"_s << none;
    QTest::addRow("single quotes") << QByteArray("{'type':'ping'}") << u"bad_json"_s << none;
    QTest::addRow("garbage") << QByteArray("hello") << u"bad_json"_s << none;
    QTest::addRow("invalid utf-8")
        << QByteArray("{\"type\":\"\xff\xfe\"}") << u"bad_json"_s << none;
    QTest::addRow("array") << json("[{'type':'ping','time':1}]") << u"bad_json"_s << none;
    QTest::addRow("empty array") << QByteArray("[]") << u"bad_json"_s << none;
    QTest::addRow("number") << QByteArray("42") << u"bad_json"_s << none;
    QTest::addRow("string") << QByteArray("\"ping\"") << u"bad_json"_s << none;
    QTest::addRow("null") << QByteArray("null") << u"bad_json"_s << none;
    QTest::addRow("1e400 anywhere")
        << json("{'type':'ping','time':1e400}") << u"bad_json"_s << none;
    QTest::addRow("duplicate type")
        << json("{'type':'rooms','key':'k','name':'x','type':'create'}") << u"bad_json"_s << none;
    QTest::addRow("duplicate key, escaped")
        << json("{'key':'k','type':'rooms','\\u006bey':'k2'}") << u"bad_json"_s << none;

    // The type.
    QTest::addRow("no type") << json("{'time':1}") << u"missing_field"_s << none;
    QTest::addRow("empty object") << QByteArray("{}") << u"missing_field"_s << none;
    QTest::addRow("type number") << json("{'type':1}") << u"bad_field"_s << none;
    QTest::addRow("type null") << json("{'type':null}") << u"bad_field"_s << none;
    QTest::addRow("type array") << json("{'type':['ping']}") << u"bad_field"_s << none;
    QTest::addRow("unknown type") << json("{'type':'dance'}") << u"bad_type"_s << u"dance"_s;
    QTest::addRow("type wrong case")
        << json("{'type':'PING','time':1}") << u"bad_type"_s << u"PING"_s;
    QTest::addRow("empty type") << json("{'type':''}") << u"bad_type"_s << none;
    QTest::addRow("long type, ref cut")
        << "{\"type\":\"" + QByteArray(100, 'x') + "\"}" << u"bad_type"_s << QString(32, u'x');

    // Missing and wrong-typed fields; ref is the request type.
    QTest::addRow("ping without time")
        << json("{'type':'ping'}") << u"missing_field"_s << u"ping"_s;
    QTest::addRow("ping time string")
        << json("{'type':'ping','time':'1'}") << u"bad_field"_s << u"ping"_s;
    QTest::addRow("pong time null")
        << json("{'type':'pong','time':null}") << u"bad_field"_s << u"pong"_s;
    QTest::addRow("pong time 1e300")
        << json("{'type':'pong','time':1e300}") << u"bad_field"_s << u"pong"_s;
    QTest::addRow("pong time -2^63")
        << json("{'type':'pong','time':-9223372036854775808}") << u"bad_field"_s << u"pong"_s;
    QTest::addRow("create without name")
        << json("{'type':'create','key':'k'}") << u"missing_field"_s << u"create"_s;
    QTest::addRow("create name number")
        << json("{'type':'create','key':'k','name':5}") << u"bad_field"_s << u"create"_s;
    QTest::addRow("create closed string")
        << json("{'type':'create','key':'k','name':'a','closed':'yes'}") << u"bad_field"_s
        << u"create"_s;
    QTest::addRow("enter without room")
        << json("{'type':'enter','key':'k'}") << u"missing_field"_s << u"enter"_s;
    QTest::addRow("enter room number")
        << json("{'type':'enter','key':'k','room_id':7}") << u"bad_field"_s << u"enter"_s;
    QTest::addRow("room in braces")
        << json("{'type':'enter','key':'k','room_id':'{$R}'}") << u"bad_field"_s << u"enter"_s;
    QTest::addRow("room garbage")
        << json("{'type':'enter','key':'k','room_id':'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'}")
        << u"bad_field"_s << u"enter"_s;
    QTest::addRow("room without dashes")
        << json("{'type':'enter','key':'k','room_id':'6f1c2b1e3a4d4c5b9e8f0a1b2c3d4e5f'}")
        << u"bad_field"_s << u"enter"_s;
    QTest::addRow("room nil")
        << json("{'type':'enter','key':'k','room_id':'00000000-0000-0000-0000-000000000000'}")
        << u"bad_field"_s << u"enter"_s;
    QTest::addRow("room empty") << json("{'type':'exit','key':'k','room_id':''}") << u"bad_field"_s
                                << u"exit"_s;
    QTest::addRow("message without content") << json("{'type':'message','key':'k','room_id':'$R'}")
                                             << u"missing_field"_s << u"message"_s;
    QTest::addRow("message without room") << json("{'type':'message','key':'k','content':'hi'}")
                                          << u"missing_field"_s << u"message"_s;
    QTest::addRow("message content number")
        << json("{'type':'message','key':'k','room_id':'$R','content':1}") << u"bad_field"_s
        << u"message"_s;
    QTest::addRow("read without message_id")
        << json("{'type':'read','room_id':'$R'}") << u"missing_field"_s << u"read"_s;
    QTest::addRow("read bad room")
        << json("{'type':'read','room_id':'x','message_id':1}") << u"bad_field"_s << u"read"_s;
    QTest::addRow("invite without user")
        << json("{'type':'invite','key':'k','room_id':'$R'}") << u"missing_field"_s << u"invite"_s;
    QTest::addRow("invite user in braces")
        << json("{'type':'invite','key':'k','room_id':'$R','user_id':'{$U}'}") << u"bad_field"_s
        << u"invite"_s;
    QTest::addRow("unban without user")
        << json("{'type':'unban','key':'k','room_id':'$R'}") << u"missing_field"_s << u"unban"_s;
    QTest::addRow("kick permanent string")
        << json("{'type':'kick','key':'k','room_id':'$R','user_id':'$U','permanent':'true'}")
        << u"bad_field"_s << u"kick"_s;
    QTest::addRow("kick message number")
        << json("{'type':'kick','key':'k','room_id':'$R','user_id':'$U','message':5}")
        << u"bad_field"_s << u"kick"_s;
    QTest::addRow("kick message 501")
        << kickWithMessage(QByteArray(501, 'm')) << u"too_long"_s << u"kick"_s;
    QTest::addRow("kick message ESC")
        << kickWithMessage("\\u001b[2Jbye") << u"bad_field"_s << u"kick"_s;
    QTest::addRow("kick message NUL")
        << kickWithMessage("a\\u0000b") << u"bad_field"_s << u"kick"_s;
    QTest::addRow("kick message lone surrogate")
        << kickWithMessage("a\\ud800b") << u"bad_field"_s << u"kick"_s;
    QTest::addRow("close message ESC")
        << json("{'type':'close','key':'k','room_id':'$R','message':'\\u001b[31m'}")
        << u"bad_field"_s << u"close"_s;
    QTest::addRow("close message 501")
        << json("{'type':'close','key':'k','room_id':'$R','message':'") + QByteArray(501, 'm') +
               "\"}"
        << u"too_long"_s << u"close"_s;
    QTest::addRow("admin without admin")
        << json("{'type':'admin','key':'k','room_id':'$R','user_id':'$U'}") << u"missing_field"_s
        << u"admin"_s;
    QTest::addRow("admin admin string")
        << json("{'type':'admin','key':'k','room_id':'$R','user_id':'$U','admin':'yes'}")
        << u"bad_field"_s << u"admin"_s;
    QTest::addRow("update without room")
        << json("{'type':'update','key':'k','name':'x'}") << u"missing_field"_s << u"update"_s;
    QTest::addRow("update max -1")
        << json("{'type':'update','key':'k','room_id':'$R','max_participants':-1}")
        << u"bad_field"_s << u"update"_s;
    QTest::addRow("update max 100001")
        << json("{'type':'update','key':'k','room_id':'$R','max_participants':100001}")
        << u"bad_field"_s << u"update"_s;
    QTest::addRow("update max 2.5")
        << json("{'type':'update','key':'k','room_id':'$R','max_participants':2.5}")
        << u"bad_field"_s << u"update"_s;
    QTest::addRow("update max string")
        << json("{'type':'update','key':'k','room_id':'$R','max_participants':'5'}")
        << u"bad_field"_s << u"update"_s;
    QTest::addRow("update name number")
        << json("{'type':'update','key':'k','room_id':'$R','name':1}") << u"bad_field"_s
        << u"update"_s;
    QTest::addRow("update chat_locked string")
        << json("{'type':'update','key':'k','room_id':'$R','chat_locked':'no'}") << u"bad_field"_s
        << u"update"_s;
    QTest::addRow("update webhook bool")
        << json("{'type':'update','key':'k','room_id':'$R','webhook':true}") << u"bad_field"_s
        << u"update"_s;
    QTest::addRow("close without room")
        << json("{'type':'close','key':'k'}") << u"missing_field"_s << u"close"_s;
}

void RoomCodecTest::parseErrors()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QFETCH(QString, ref);

    const ParsedRoomFrame parsed = roomcodec::parse(frame);
    const RoomFrameError *e = std::get_if<RoomFrameError>(&parsed);
    QVERIFY2(e, "accepted");
    QCOMPARE(QString(errorCodeName(e->refusal.code)), code);
    QCOMPARE(e->ref, ref);
    QVERIFY(!e->refusal.message.isEmpty());
    // An error names a room only when the request named a valid one.
    QVERIFY2(!e->roomId || !e->roomId->isNull(), "error carries the nil UUID as room_id");
}

void RoomCodecTest::parseErrorKeepsRoomId()
{
    ParsedRoomFrame parsed = roomcodec::parse(json("{'type':'message','key':'k','room_id':'$R'}"));
    const RoomFrameError *e = std::get_if<RoomFrameError>(&parsed);
    QVERIFY(e);
    QCOMPARE(e->refusal.code, ErrorCode::MissingField);
    QCOMPARE(e->roomId, std::optional<QUuid>(roomId));

    parsed =
        roomcodec::parse(json("{'type':'update','key':'k','room_id':'$R','max_participants':-1}"));
    e = std::get_if<RoomFrameError>(&parsed);
    QVERIFY(e);
    QCOMPARE(e->roomId, std::optional<QUuid>(roomId));

    parsed = roomcodec::parse(kickWithMessage(QByteArray(501, 'm')));
    e = std::get_if<RoomFrameError>(&parsed);
    QVERIFY(e);
    QCOMPARE(e->refusal.code, ErrorCode::TooLong);
    QCOMPARE(e->roomId, std::optional<QUuid>(roomId));

    parsed = roomcodec::parse(json("{'type':'enter','key':'k','room_id':'nope'}"));
    e = std::get_if<RoomFrameError>(&parsed);
    QVERIFY(e);
    QCOMPARE(e->refusal.code, ErrorCode::BadField);
    QCOMPARE(e->roomId, std::optional<QUuid>());
}

void RoomCodecTest::nestingLimit()
{
    const ParsedRoomFrame deepest = roomcodec::parse(nested(1024));
    QVERIFY(std::holds_alternative<RoomRequest>(deepest));
    QCOMPARE(std::get<RoomRequest>(deepest).type, Type::Ping);

    const ParsedRoomFrame tooDeep = roomcodec::parse(nested(1025));
    const RoomFrameError *e = std::get_if<RoomFrameError>(&tooDeep);
    QVERIFY(e);
    QCOMPARE(e->refusal.code, ErrorCode::BadJson);

    const ParsedRoomFrame muchTooDeep = roomcodec::parse(QByteArray(100000, '['));
    QVERIFY(std::holds_alternative<RoomFrameError>(muchTooDeep));
    QCOMPARE(std::get<RoomFrameError>(muchTooDeep).refusal.code, ErrorCode::BadJson);
}

void RoomCodecTest::sessionFrame()
{
    const User user{userId, u"alice"_s, u"#e6194b"_s};
    FRAME(o, roomcodec::session(user, "S3cr3tKey_-", "t0ken", 15000));
    QCOMPARE(o[u"type"_s].toString(), u"session"_s);
    QVERIFY(isId(o[u"user_id"_s], userId));
    QCOMPARE(o[u"name"_s].toString(), u"alice"_s);
    QCOMPARE(o[u"key"_s].toString(), u"S3cr3tKey_-"_s);
    QCOMPARE(o[u"token"_s].toString(), u"t0ken"_s);
    QVERIFY(o[u"heartbeat_interval"_s].isDouble());
    QCOMPARE(o[u"heartbeat_interval"_s].toInteger(), 15000);
}

void RoomCodecTest::messageFrame()
{
    const Room room(roomId, RoomSettings{u"Lobby"_s, false, false, 0, QString()}, userId);
    ChatMessage m;
    m.id = (qint64(1) << 40) + 1; // stays exact in a double
    m.author = userId;
    m.authorName = u"alice"_s;
    m.content = u"line one\nline \"two\" \U0001F600"_s;
    m.sentAtMs = 1'700'000'000'123;

    FRAME(o, roomcodec::message(room, m));
    QCOMPARE(o[u"type"_s].toString(), u"message"_s);
    QVERIFY(o[u"time"_s].isDouble());
    QCOMPARE(o[u"time"_s].toInteger(), m.sentAtMs);
    QCOMPARE(o[u"content"_s].toString(), m.content);
    QVERIFY(isId(o[u"user_id"_s], userId));
    QCOMPARE(o[u"name"_s].toString(), u"alice"_s);
    QVERIFY(o[u"message_id"_s].isDouble());
    QCOMPARE(o[u"message_id"_s].toInteger(), m.id);
    QVERIFY(isId(o[u"room_id"_s], roomId));
}

void RoomCodecTest::roomFrame()
{
    UserDirectory users;
    NullSink sink;
    RoomRegistry registry(users, sink);
    registry.setClock([] { return qint64(1'700'000'000'000); });
    const User alice = users.identify(QString(), u"alice"_s).user;
    const User bob = users.identify(QString(), u"bob"_s).user;
    const auto created = registry.createRoom(Actor::person(alice.id), u"Lobby"_s, false, 1);
    QVERIFY(std::holds_alternative<QUuid>(created));
    const QUuid id = std::get<QUuid>(created);
    QVERIFY(!registry.enter(2, bob.id, id));
    RoomUpdate u;
    u.chatLocked = true;
    u.maxParticipants = 5;
    u.webhook = u"https://example.com/hook"_s;
    QVERIFY(!registry.update(Actor::person(alice.id), id, u));
    QVERIFY(!registry.postMessage(1, id, u"hello"_s, 1));
    const Room &room = *registry.find(id);

    FRAME(o, roomcodec::room(room, users, false));
    QCOMPARE(o[u"type"_s].toString(), u"room"_s);
    QVERIFY(isId(o[u"room_id"_s], id));
    QCOMPARE(o[u"name"_s].toString(), u"Lobby"_s);
    QVERIFY(o[u"closed"_s].isBool());
    QCOMPARE(o[u"closed"_s].toBool(), false);
    QVERIFY(o[u"chat_locked"_s].isBool());
    QCOMPARE(o[u"chat_locked"_s].toBool(), true);
    QVERIFY(o[u"max_participants"_s].isDouble());
    QCOMPARE(o[u"max_participants"_s].toInt(), 5);
    QVERIFY(o[u"last_message_id"_s].isDouble());
    QCOMPARE(o[u"last_message_id"_s].toInt(), 1);
    QVERIFY(!o.contains(u"webhook"_s)); // a secret: only when asked

    QVERIFY(o[u"participants"_s].isArray());
    const QJsonArray people = o[u"participants"_s].toArray();
    QCOMPARE(people.size(), 2);
    const User *expected[] = {&alice, &bob};
    for (qsizetype i = 0; i < people.size(); ++i) {
        QVERIFY(people[i].isObject());
        const QJsonObject p = people[i].toObject();
        QVERIFY(isId(p[u"user_id"_s], expected[i]->id));
        QCOMPARE(p[u"name"_s].toString(), expected[i]->name);
        QVERIFY(p[u"admin"_s].isBool());
        QCOMPARE(p[u"admin"_s].toBool(), i == 0);
        QVERIFY(p[u"color"_s].isString());
        QCOMPARE(p[u"color"_s].toString(), expected[i]->color);
        QCOMPARE(p[u"color"_s].toString().size(), 7);
    }

    FRAME(admin, roomcodec::room(room, users, true));
    QVERIFY(admin[u"webhook"_s].isString());
    QCOMPARE(admin[u"webhook"_s].toString(), u"https://example.com/hook"_s);
    QCOMPARE(admin[u"participants"_s].toArray().size(), 2);
}

void RoomCodecTest::errorFrame_data()
{
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("name");

    // PROTOCOL.md §2.5
    QTest::addRow("bad_json") << ErrorCode::BadJson << u"bad_json"_s;
    QTest::addRow("bad_type") << ErrorCode::BadType << u"bad_type"_s;
    QTest::addRow("missing_field") << ErrorCode::MissingField << u"missing_field"_s;
    QTest::addRow("bad_field") << ErrorCode::BadField << u"bad_field"_s;
    QTest::addRow("bad_key") << ErrorCode::BadKey << u"bad_key"_s;
    QTest::addRow("no_such_room") << ErrorCode::NoSuchRoom << u"no_such_room"_s;
    QTest::addRow("no_such_user") << ErrorCode::NoSuchUser << u"no_such_user"_s;
    QTest::addRow("not_member") << ErrorCode::NotMember << u"not_member"_s;
    QTest::addRow("banned") << ErrorCode::Banned << u"banned"_s;
    QTest::addRow("room_full") << ErrorCode::RoomFull << u"room_full"_s;
    QTest::addRow("room_closed") << ErrorCode::RoomClosed << u"room_closed"_s;
    QTest::addRow("chat_locked") << ErrorCode::ChatLocked << u"chat_locked"_s;
    QTest::addRow("forbidden") << ErrorCode::Forbidden << u"forbidden"_s;
    QTest::addRow("too_long") << ErrorCode::TooLong << u"too_long"_s;
    QTest::addRow("rate_limited") << ErrorCode::RateLimited << u"rate_limited"_s;
}

void RoomCodecTest::errorFrame()
{
    QFETCH(ErrorCode, code);
    QFETCH(QString, name);

    const Refusal refusal{code, u"what went wrong"_s};
    FRAME(o, roomcodec::error(refusal, u"enter"_s));
    QCOMPARE(o[u"type"_s].toString(), u"error"_s);
    QVERIFY(o[u"code"_s].isString());
    QCOMPARE(o[u"code"_s].toString(), name);
    QCOMPARE(o[u"message"_s].toString(), u"what went wrong"_s);
    QCOMPARE(o[u"ref"_s].toString(), u"enter"_s);
    QVERIFY(!o.contains(u"room_id"_s));

    FRAME(withRoom, roomcodec::error(refusal, u"message"_s, roomId));
    QCOMPARE(withRoom[u"code"_s].toString(), name);
    QCOMPARE(withRoom[u"ref"_s].toString(), u"message"_s);
    QVERIFY(isId(withRoom[u"room_id"_s], roomId));
}

void RoomCodecTest::exitFrame_data()
{
    QTest::addColumn<QString>("reason");

    QTest::addRow("left") << QString();
    QTest::addRow("kick") << u"kick"_s;
    QTest::addRow("ban") << u"ban"_s;
}

void RoomCodecTest::exitFrame()
{
    QFETCH(QString, reason);

    FRAME(o, roomcodec::exit(roomId, userId, reason));
    QCOMPARE(o[u"type"_s].toString(), u"exit"_s);
    QVERIFY(isId(o[u"user_id"_s], userId));
    QVERIFY(isId(o[u"room_id"_s], roomId));
    if (reason.isEmpty()) {
        QVERIFY(!o.contains(u"reason"_s));
    } else {
        QVERIFY(o[u"reason"_s].isString());
        QCOMPARE(o[u"reason"_s].toString(), reason);
    }

    FRAME(plain, roomcodec::exit(roomId, userId));
    QVERIFY(!plain.contains(u"reason"_s));
}

void RoomCodecTest::otherFrames()
{
    FRAME(ping, roomcodec::ping(1'700'000'000'000));
    QCOMPARE(ping[u"type"_s].toString(), u"ping"_s);
    QCOMPARE(ping[u"time"_s].toInteger(), 1'700'000'000'000);

    FRAME(pong, roomcodec::pong(12.5));
    QCOMPARE(pong[u"type"_s].toString(), u"pong"_s);
    QCOMPARE(pong[u"time"_s].toDouble(), 12.5);

    FRAME(read, roomcodec::read(roomId, userId, 9));
    QCOMPARE(read[u"type"_s].toString(), u"read"_s);
    QCOMPARE(read[u"message_id"_s].toInteger(), 9);
    QVERIFY(isId(read[u"user_id"_s], userId));
    QVERIFY(isId(read[u"room_id"_s], roomId));

    FRAME(invite, roomcodec::invite(roomId, userId));
    QCOMPARE(invite[u"type"_s].toString(), u"invite"_s);
    QVERIFY(isId(invite[u"user_id"_s], userId));
    QVERIFY(isId(invite[u"room_id"_s], roomId));

    FRAME(kick, roomcodec::kick(roomId, u"bye"_s, true));
    QCOMPARE(kick[u"type"_s].toString(), u"kick"_s);
    QVERIFY(isId(kick[u"room_id"_s], roomId));
    QCOMPARE(kick[u"message"_s].toString(), u"bye"_s);
    QVERIFY(kick[u"permanent"_s].isBool());
    QCOMPARE(kick[u"permanent"_s].toBool(), true);

    const User bob{userId, u"bob"_s, u"#3cb44b"_s};
    FRAME(enter, roomcodec::enter(roomId, bob, false));
    QCOMPARE(enter[u"type"_s].toString(), u"enter"_s);
    QVERIFY(isId(enter[u"user_id"_s], userId));
    QVERIFY(isId(enter[u"room_id"_s], roomId));
    QCOMPARE(enter[u"name"_s].toString(), u"bob"_s);
    QVERIFY(enter[u"admin"_s].isBool());
    QCOMPARE(enter[u"admin"_s].toBool(), false);
    QCOMPARE(enter[u"color"_s].toString(), u"#3cb44b"_s);

    FRAME(closed, roomcodec::roomClosed(roomId, QString()));
    QCOMPARE(closed[u"type"_s].toString(), u"room_closed"_s);
    QVERIFY(isId(closed[u"room_id"_s], roomId));
    QVERIFY(!closed.contains(u"message"_s));
    FRAME(closedWithMessage, roomcodec::roomClosed(roomId, u"night"_s));
    QCOMPARE(closedWithMessage[u"message"_s].toString(), u"night"_s);

    const Room room(roomId, RoomSettings{u"Lobby"_s, true, false, 8, u"https://x.org/h"_s}, userId);
    FRAME(rooms, roomcodec::rooms({&room}));
    QCOMPARE(rooms[u"type"_s].toString(), u"rooms"_s);
    const QJsonArray list = rooms[u"rooms"_s].toArray();
    QCOMPARE(list.size(), 1);
    const QJsonObject entry = list.first().toObject();
    QVERIFY(isId(entry[u"room_id"_s], roomId));
    QCOMPARE(entry[u"name"_s].toString(), u"Lobby"_s);
    QCOMPARE(entry[u"participants"_s].toInt(-1), 0);
    QCOMPARE(entry[u"max_participants"_s].toInt(), 8);
    QCOMPARE(entry[u"closed"_s].toBool(), true);
    QVERIFY(entry[u"chat_locked"_s].isBool());
    QVERIFY(!entry.contains(u"webhook"_s)); // the list never shows the secret
    FRAME(none, roomcodec::rooms({}));
    QVERIFY(none[u"rooms"_s].isArray());
    QVERIFY(none[u"rooms"_s].toArray().isEmpty());
}

QTEST_APPLESS_MAIN(RoomCodecTest)
#include "tst_roomcodec.moc"

// Duplicate keys in client JSON (fieldreader.h): the member counter over raw text, the
// count over a parsed object, and both codecs refusing a frame that names a key twice in
// any object with bad_json, however the keys are spelled.
//
// Pass: the counter matches a hand count on odd and broken inputs; over 3,000 generated
// documents (keys from a small pool spelled raw or escaped at random, nesting, strings full
// of quotes, backslashes and colons) the counter equals the members written and a refusal
// comes exactly when some object repeats a key; the codecs answer bad_json for repeated
// keys at the top level and deeper, and accept tricky frames without repeats.

#include "protocol/fieldreader.h"
#include "protocol/gatewaycodec.h"
#include "protocol/roomcodec.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QTest>

#include <variant>

using namespace roomkeeper;
using namespace Qt::StringLiterals;

namespace {

// Writes random JSON text, spelling every string one of the many legal ways, and records
// how many members it wrote and whether some object repeated a key.
class JsonWriter
{
public:
    explicit JsonWriter(quint32 seed) : m_random(seed) {}

    QByteArray object(int depth)
    {
        m_members = 0;
        m_duplicate = false;
        QByteArray out;
        writeObject(out, depth);
        return out;
    }
    qsizetype members() const { return m_members; }
    bool duplicate() const { return m_duplicate; }

private:
    static const QStringList &keys()
    {
        static const QStringList pool{u"a"_s,    u"b"_s,      u"type"_s,       u"k:\""_s, u"\\"_s,
                                      u"\\\""_s, u"\u00e9"_s, u"\U0001F600"_s, QString(), u":"_s,
                                      u"{}"_s,   u"a\nb"_s,   u"\"\\:\""_s};
        return pool;
    }

    int pick(int n) { return int(m_random.bounded(n)); }

    void space(QByteArray &out)
    {
        static const char *const spaces[] = {"", "", "", " ", "\n", "\t ", "\r\n  "};
        out += spaces[pick(7)];
    }

    void writeString(QByteArray &out, const QString &text)
    {
        out += '"';
        const QList<uint> codePoints = text.toUcs4();
        for (uint cp : codePoints) {
            const bool mustEscape = cp == '"' || cp == '\\' || cp < 0x20;
            const int way = pick(3);
            if (cp == '"' && way == 0) {
                out += "\\\"";
            } else if (cp == '\\' && way == 0) {
                out += "\\\\";
            } else if (cp == '\n' && way == 0) {
                out += "\\n";
            } else if (mustEscape || way == 1) {
                if (cp > 0xffff) {
                    const char16_t high = QChar::highSurrogate(cp);
                    const char16_t low = QChar::lowSurrogate(cp);
                    out += QStringLiteral("\\u%1\\u%2")
                               .arg(uint(high), 4, 16, QLatin1Char('0'))
                               .arg(uint(low), 4, 16, QLatin1Char(pick(2) ? 'a' : '0'))
                               .toLatin1();
                } else {
                    QByteArray hex = QByteArray::number(cp, 16).rightJustified(4, '0');
                    out += "\\u" + (pick(2) ? hex.toUpper() : hex);
                }
            } else {
                const auto c32 = char32_t(cp);
                out += QString::fromUcs4(&c32, 1).toUtf8();
            }
        }
        out += '"';
    }

    void writeValue(QByteArray &out, int depth)
    {
        switch (pick(depth > 0 ? 8 : 5)) {
        case 0:
            out += QByteArray::number(pick(100000) - 50000);
            break;
        case 1:
            out += pick(2) ? "true" : "null";
            break;
        case 2:
        case 3:
        case 4:
            writeString(out, keys().at(pick(int(keys().size()))) + u"x:\"\\"_s);
            break;
        case 5:
        case 6:
            writeObject(out, depth - 1);
            break;
        default: {
            out += '[';
            const int n = pick(4);
            for (int i = 0; i < n; ++i) {
                if (i > 0)
                    out += ',';
                space(out);
                writeValue(out, depth - 1);
                space(out);
            }
            out += ']';
        }
        }
    }

    void writeObject(QByteArray &out, int depth)
    {
        out += '{';
        QSet<QString> seen;
        const int n = pick(5);
        for (int i = 0; i < n; ++i) {
            if (i > 0)
                out += ',';
            space(out);
            const QString key = keys().at(pick(int(keys().size())));
            if (seen.contains(key))
                m_duplicate = true;
            seen.insert(key);
            writeString(out, key);
            space(out);
            out += ':';
            ++m_members;
            space(out);
            writeValue(out, depth);
            space(out);
        }
        out += '}';
    }

    QRandomGenerator m_random;
    qsizetype m_members = 0;
    bool m_duplicate = false;
};

QString roomCode(const QByteArray &frame)
{
    const ParsedRoomFrame parsed = roomcodec::parse(frame);
    if (const auto *e = std::get_if<RoomFrameError>(&parsed))
        return QString(errorCodeName(e->refusal.code));
    return QString();
}

QString gatewayCode(const QByteArray &frame)
{
    const ParsedGatewayFrame parsed = gatewaycodec::parse(frame);
    if (const auto *e = std::get_if<Refusal>(&parsed))
        return QString(errorCodeName(e->code));
    return QString();
}

} // namespace

class DuplicateKeysTest : public QObject
{
    Q_OBJECT

private slots:
    void countsMembersOfRawText_data();
    void countsMembersOfRawText();
    void generatedDocuments();
    void largeFlatObject();
    void roomCodecRefusesRepeatedKeys_data();
    void roomCodecRefusesRepeatedKeys();
    void gatewayCodecRefusesRepeatedKeys_data();
    void gatewayCodecRefusesRepeatedKeys();
};

void DuplicateKeysTest::countsMembersOfRawText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qsizetype>("members");

    QTest::addRow("empty") << QByteArray() << qsizetype(0);
    QTest::addRow("empty object") << QByteArray("{}") << qsizetype(0);
    QTest::addRow("one") << QByteArray(R"({"a":1})") << qsizetype(1);
    QTest::addRow("nested") << QByteArray(R"({"a":{"b":2,"c":[{"d":3},{}]},"e":[]})")
                            << qsizetype(5);
    QTest::addRow("colons in strings") << QByteArray(R"({"a:b":"c:d::"})") << qsizetype(1);
    QTest::addRow("escaped quote") << QByteArray(R"({"a\":b":"x\":"})") << qsizetype(1);
    QTest::addRow("escaped backslash ends string") << QByteArray(R"({"a\\":1})") << qsizetype(1);
    QTest::addRow("backslash, quote, colon")
        << QByteArray(R"({"a\\\":":1,"b":"\\\\"})") << qsizetype(2);
    QTest::addRow("four backslashes") << QByteArray(R"({"\\\\":"\\\\\\\\","x":0})") << qsizetype(2);
    QTest::addRow("bare colons") << QByteArray(":::") << qsizetype(3);
    QTest::addRow("colons in a string only") << QByteArray(R"(":::")") << qsizetype(0);
    QTest::addRow("unterminated string") << QByteArray(R"({"a":"b:c)") << qsizetype(1);
    QTest::addRow("lone quote") << QByteArray("\"") << qsizetype(0);
    QTest::addRow("quote then backslash at end") << QByteArray("\"\\") << qsizetype(0);
    QTest::addRow("escaped quote at end") << QByteArray("\"\\\":") << qsizetype(0);
    QTest::addRow("NUL and high bytes")
        << QByteArray("{\"\xff\x00\xfe\":\x00:\"\xc3\xa9\":", 13) << qsizetype(2);
    QTest::addRow("UTF-8 with quote-free bytes")
        << QByteArray("{\"\xe2\x80\xae\":\"\xf0\x9f\x98\x80\"}") << qsizetype(1);
}

// Pass: the count of ':' outside strings equals the hand count, whatever the bytes.
void DuplicateKeysTest::countsMembersOfRawText()
{
    QFETCH(QByteArray, text);
    QFETCH(qsizetype, members);
    QCOMPARE(countObjectMembers(QByteArrayView(text)), members);
}

// Pass: for every generated document, the text count equals the members written, the
// parsed object's count equals it exactly when no key repeats, and a refusal (bad_json)
// comes exactly when some object repeats a key. Both outcomes occur many times.
void DuplicateKeysTest::generatedDocuments()
{
    JsonWriter writer(20261123);
    int withDuplicates = 0;
    for (int i = 0; i < 3000; ++i) {
        const QByteArray text = writer.object(1 + i % 4);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        QVERIFY2(error.error == QJsonParseError::NoError,
                 qPrintable(error.errorString() + u": "_s + QString::fromUtf8(text)));
        QVERIFY(doc.isObject());
        const QJsonObject object = doc.object();
        QCOMPARE(countObjectMembers(QByteArrayView(text)), writer.members());
        QVERIFY(countObjectMembers(object) <= writer.members());
        QCOMPARE(countObjectMembers(object) < writer.members(), writer.duplicate());
        const std::optional<Refusal> refusal = duplicateKeyRefusal(text, object);
        QVERIFY2(refusal.has_value() == writer.duplicate(), text.constData());
        if (refusal) {
            QCOMPARE(refusal->code, ErrorCode::BadJson);
            ++withDuplicates;
        }
        // What Qt writes back never repeats a key.
        const QByteArray again =
            QJsonDocument(object).toJson(i % 2 ? QJsonDocument::Compact : QJsonDocument::Indented);
        QCOMPARE(countObjectMembers(QByteArrayView(again)), countObjectMembers(object));
        QVERIFY(!duplicateKeyRefusal(again, object));
    }
    qInfo("%d of 3000 documents repeated a key", withDuplicates);
    QVERIFY(withDuplicates > 300);
    QVERIFY(withDuplicates < 2700);
}

// Pass: an object of 3,500 distinct keys (under 64 KiB) is accepted; the same with its first key
// written again at the end is refused.
void DuplicateKeysTest::largeFlatObject()
{
    QByteArray text = "{";
    for (int i = 0; i < 3500; ++i)
        text += "\"key" + QByteArray::number(i) + "\":\"" + QByteArray(4, 'v') + "\",";
    QByteArray repeated = text + "\"key0\":1}";
    text.chop(1);
    text += '}';
    QVERIFY(text.size() < 64 * 1024);
    const QJsonObject object = QJsonDocument::fromJson(text).object();
    QCOMPARE(object.size(), 3500);
    QVERIFY(!duplicateKeyRefusal(text, object));
    const QJsonObject last = QJsonDocument::fromJson(repeated).object();
    QCOMPARE(last.size(), 3500);
    QVERIFY(duplicateKeyRefusal(repeated, last));
}

void DuplicateKeysTest::roomCodecRefusesRepeatedKeys_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code"); // empty: accepted

    const QByteArray room = "6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f";
    QTest::addRow("type twice, last would create")
        << QByteArray(R"({"type":"rooms","key":"k","name":"x","type":"create"})") << u"bad_json"_s;
    QTest::addRow("type twice, escaped")
        << QByteArray(R"({"type":"rooms","\u0074ype":"create","key":"k","name":"x"})")
        << u"bad_json"_s;
    QTest::addRow("key twice") << QByteArray(R"({"type":"rooms","key":"wrong","key":"k"})")
                               << u"bad_json"_s;
    QTest::addRow("content twice") << QByteArray(R"({"type":"message","key":"k","room_id":")" +
                                                 room + R"(","content":"a","content":"b"})")
                                   << u"bad_json"_s;
    QTest::addRow("nested twice")
        << QByteArray(R"({"type":"rooms","key":"k","x":{"a":1,"b":[{"c":1,"c":2}]}})")
        << u"bad_json"_s;
    QTest::addRow("same key in two objects")
        << QByteArray(R"({"type":"rooms","key":"k","x":{"a":1},"y":{"a":1},"z":[{"a":2}]})")
        << QString();
    QTest::addRow("tricky strings, no repeat")
        << QByteArray(R"({"type":"create","key":"k","name":"a\":\"type\":\"b\\","type\\":1})")
        << QString();
    QTest::addRow("kick reason with a line break")
        << QByteArray(R"({"type":"kick","key":"k","room_id":")" + room + R"(","user_id":")" + room +
                      R"(","message":"one\ntwo"})")
        << QString();
}

// Pass: repeated keys anywhere give bad_json with no ref; look-alikes are accepted.
void DuplicateKeysTest::roomCodecRefusesRepeatedKeys()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QCOMPARE(roomCode(frame), code);
}

void DuplicateKeysTest::gatewayCodecRefusesRepeatedKeys_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code"); // empty: accepted

    QTest::addRow("op twice") << QByteArray(R"({"op":3,"d":{"content":"hi"},"op":1})")
                              << u"bad_json"_s;
    QTest::addRow("d twice") << QByteArray(R"({"op":3,"d":{"content":"a"},"d":{"content":"b"}})")
                             << u"bad_json"_s;
    QTest::addRow("content twice")
        << QByteArray(R"({"op":3,"d":{"content":"a","content":"b"}})") << u"bad_json"_s;
    QTest::addRow("banned twice")
        << QByteArray(
               R"({"op":5,"d":{"userId":"6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f","banned":false,"banned":true}})")
        << u"bad_json"_s;
    QTest::addRow("plain message")
        << QByteArray(R"({"op":3,"d":{"content":"op\":1"}})") << QString();
    QTest::addRow("messageId 2^53+1")
        << QByteArray(R"({"op":11,"d":{"messageId":9007199254740993}})") << u"bad_field"_s;
    QTest::addRow("messageId 2^53-1")
        << QByteArray(R"({"op":11,"d":{"messageId":9007199254740991}})") << QString();
}

// Pass: as for the room codec, over gateway frames; ids past 2^53 - 1 are bad_field.
void DuplicateKeysTest::gatewayCodecRefusesRepeatedKeys()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QCOMPARE(gatewayCode(frame), code);
}

QTEST_APPLESS_MAIN(DuplicateKeysTest)
#include "tst_duplicatekeys.moc"

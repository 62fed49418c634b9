// JsonObjectWriter: what it writes must read back through Qt's own JSON parser as the
// same values, for every character class a chat message or a name can hold.

#include "protocol/jsonwriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using roomkeeper::JsonObjectWriter;

class JsonWriterTest : public QObject
{
    Q_OBJECT

private slots:
    void stringsRoundTrip_data();
    void stringsRoundTrip();
    void everyControlCharacterIsEscaped();
    void loneSurrogateBecomesReplacementCharacter();
    void valuesOfEachKind();
    void emptyObject();
};

namespace {

QJsonObject parsed(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "not JSON:" << error.errorString() << json;
    return doc.object();
}

} // namespace

void JsonWriterTest::stringsRoundTrip_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("plain") << QStringLiteral("hello, room");
    QTest::newRow("quotes and backslashes") << QStringLiteral("say \"hi\" \\ \\\" \\\\");
    QTest::newRow("line breaks and tabs") << QStringLiteral("a\r\nb\tc\bd\fe");
    QTest::newRow("NUL inside") << QString(QStringLiteral("a") + QChar(0) + QStringLiteral("b"));
    QTest::newRow("ANSI escape") << QStringLiteral("\x1b[31mred\x1b[0m");
    QTest::newRow("non-ASCII") << QStringLiteral("Grüße, ünïcödé, 日本語");
    QTest::newRow("emoji (surrogate pair)") << QString::fromUtf8("party \xf0\x9f\x8e\x89 time");
    QTest::newRow("line/paragraph separators") << QString::fromUtf8("a\xe2\x80\xa8"
                                                                    "b\xe2\x80\xa9");
    QTest::newRow("bidi override") << QString::fromUtf8("\xe2\x80\xae"
                                                        "abc");
    QTest::newRow("HTML") << QStringLiteral("<img src=x onerror=alert(1)></script>");
}

void JsonWriterTest::stringsRoundTrip()
{
    QFETCH(QString, text);
    JsonObjectWriter w;
    w.add("content", text);
    const QByteArray json = w.take();
    QCOMPARE(parsed(json).value(QStringLiteral("content")).toString(), text);
}

void JsonWriterTest::everyControlCharacterIsEscaped()
{
    QString all;
    for (int c = 0; c < 0x20; ++c)
        all += QChar(c);
    JsonObjectWriter w;
    w.add("s", all);
    const QByteArray json = w.take();
    for (char c : json)
        QVERIFY2(quint8(c) >= 0x20, "a raw control byte in the output");
    QCOMPARE(parsed(json).value(QStringLiteral("s")).toString(), all);
}

void JsonWriterTest::loneSurrogateBecomesReplacementCharacter()
{
    const QString text = QStringLiteral("a") + QChar(0xd800) + QStringLiteral("b");
    JsonObjectWriter w;
    w.add("s", text);
    const QByteArray json = w.take();
    QVERIFY(QString::fromUtf8(json).toUtf8() == json); // valid UTF-8 throughout
    const QString back = parsed(json).value(QStringLiteral("s")).toString();
    QCOMPARE(back.size(), 3);
    QCOMPARE(back.at(0), QLatin1Char('a'));
    QVERIFY(!back.at(1).isSurrogate());
    QCOMPARE(back.at(2), QLatin1Char('b'));
}

void JsonWriterTest::valuesOfEachKind()
{
    const QUuid id = QUuid::createUuid();
    JsonObjectWriter w;
    w.add("type", QStringLiteral("message"))
        .add("time", qint64(1763900000123))
        .add("big", qint64(9007199254740991))
        .add("negative", qint64(-42))
        .addBool("yes", true)
        .addBool("no", false)
        .addId("user_id", id)
        .addRaw("d", QByteArrayView("{\"x\":[1,2]}"));
    const QJsonObject o = parsed(w.take());
    QCOMPARE(o.size(), 8);
    QCOMPARE(o.value(QStringLiteral("type")).toString(), QStringLiteral("message"));
    QCOMPARE(o.value(QStringLiteral("time")).toInteger(), qint64(1763900000123));
    QCOMPARE(o.value(QStringLiteral("big")).toInteger(), qint64(9007199254740991));
    QCOMPARE(o.value(QStringLiteral("negative")).toInteger(), qint64(-42));
    QCOMPARE(o.value(QStringLiteral("yes")).toBool(false), true);
    QCOMPARE(o.value(QStringLiteral("no")).toBool(true), false);
    QCOMPARE(o.value(QStringLiteral("user_id")).toString(), id.toString(QUuid::WithoutBraces));
    QCOMPARE(o.value(QStringLiteral("d")).toObject().value(QStringLiteral("x")).toArray().size(),
             2);
}

void JsonWriterTest::emptyObject()
{
    JsonObjectWriter w;
    QCOMPARE(w.take(), QByteArray("{}"));
}

QTEST_APPLESS_MAIN(JsonWriterTest)
#include "tst_jsonwriter.moc"

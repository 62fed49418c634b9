// textrules: the length and character rules for names and message content
// (PROTOCOL.md §2.4; lengths in code points, not UTF-16 units).

#include "domain/textrules.h"

#include <QTest>

#include <memory>

using namespace roomkeeper;
using namespace Qt::StringLiterals;
using textrules::Problem;

namespace roomkeeper::textrules {
// Readable QCOMPARE failures.
char *toString(Problem problem)
{
    switch (problem) {
    case Problem::None:
        return qstrdup("None");
    case Problem::Empty:
        return qstrdup("Empty");
    case Problem::TooLong:
        return qstrdup("TooLong");
    case Problem::BadCharacters:
        return qstrdup("BadCharacters");
    }
    return qstrdup("?");
}
} // namespace roomkeeper::textrules

namespace {

const QString grinning = u"\U0001F600"_s; // one code point, two UTF-16 units
const QChar highSurrogate(char16_t(0xD83D));
const QChar lowSurrogate(char16_t(0xDE00));
// woman, ZWJ, woman, ZWJ, girl: five code points, one picture
const QString family = u"\U0001F469\u200D\U0001F469\u200D\U0001F467"_s;

QString withChar(char16_t c)
{
    return u"ab"_s + QChar(c) + u"cd"_s;
}

} // namespace

class TextRulesTest : public QObject
{
    Q_OBJECT

private slots:
    void codePoints_data();
    void codePoints();
    void checkName_data();
    void checkName();
    void checkContent_data();
    void checkContent();
    void describeEveryProblem();
};

void TextRulesTest::codePoints_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("expected");

    QTest::addRow("empty") << QString() << 0;
    QTest::addRow("ascii") << u"abc"_s << 3;
    QTest::addRow("latin-1") << u"Zo\u00EB"_s << 3;
    QTest::addRow("one emoji") << grinning << 1;
    QTest::addRow("three emoji") << grinning.repeated(3) << 3;
    QTest::addRow("emoji between letters") << u"a"_s + grinning + u"b"_s << 3;
    QTest::addRow("zwj sequence") << family << 5;
    QTest::addRow("lone high surrogate") << QString(highSurrogate) << 1;
    QTest::addRow("lone low surrogate") << QString(lowSurrogate) << 1;
    QTest::addRow("high surrogate at end") << u"ab"_s + highSurrogate << 3;
    QTest::addRow("swapped pair") << QString(lowSurrogate) + highSurrogate << 2;
    QTest::addRow("nul counts") << QString(QChar(u'\0')) << 1;
}

void TextRulesTest::codePoints()
{
    QFETCH(QString, text);
    QFETCH(int, expected);
    QCOMPARE(textrules::codePoints(text), expected);
}

void TextRulesTest::checkName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("max");
    QTest::addColumn<Problem>("expected");

    const int room = textrules::MaxRoomName;
    const int display = textrules::MaxDisplayName;

    QTest::addRow("empty") << QString() << room << Problem::Empty;
    QTest::addRow("one letter") << u"a"_s << room << Problem::None;
    QTest::addRow("inner spaces") << u"the lobby"_s << room << Problem::None;
    QTest::addRow("non-latin") << u"\u65E5\u672C\u8A9E Zo\u00EB"_s << room << Problem::None;
    QTest::addRow("room name exact max") << QString(room, u'a') << room << Problem::None;
    QTest::addRow("room name one over") << QString(room + 1, u'a') << room << Problem::TooLong;
    QTest::addRow("display name exact max") << QString(display, u'a') << display << Problem::None;
    QTest::addRow("display name one over")
        << QString(display + 1, u'a') << display << Problem::TooLong;
    QTest::addRow("emoji exact max") << grinning.repeated(display) << display << Problem::None;
    QTest::addRow("emoji one over")
        << grinning.repeated(display + 1) << display << Problem::TooLong;
    QTest::addRow("emoji and letters at max")
        << grinning.repeated(display - 1) + u"x"_s << display << Problem::None;
    QTest::addRow("lone high surrogate")
        << u"ab"_s + highSurrogate + u"cd"_s << room << Problem::BadCharacters;
    QTest::addRow("lone low surrogate")
        << u"ab"_s + lowSurrogate + u"cd"_s << room << Problem::BadCharacters;
    QTest::addRow("high surrogate at end")
        << u"ab"_s + highSurrogate << room << Problem::BadCharacters;
    QTest::addRow("swapped pair") << QString(lowSurrogate) + highSurrogate << room
                                  << Problem::BadCharacters;
    QTest::addRow("nul") << withChar(0x0000) << room << Problem::BadCharacters;
    QTest::addRow("tab") << withChar(u'\t') << room << Problem::BadCharacters;
    QTest::addRow("line feed") << withChar(u'\n') << room << Problem::BadCharacters;
    QTest::addRow("carriage return") << withChar(u'\r') << room << Problem::BadCharacters;
    QTest::addRow("escape") << withChar(0x001B) << room << Problem::BadCharacters;
    QTest::addRow("delete") << withChar(0x007F) << room << Problem::BadCharacters;
    QTest::addRow("c1 next line") << withChar(0x0085) << room << Problem::BadCharacters;
    QTest::addRow("right-to-left override") << withChar(0x202E) << room << Problem::BadCharacters;
    QTest::addRow("zero-width joiner") << withChar(0x200D) << room << Problem::BadCharacters;
    QTest::addRow("zero-width space") << withChar(0x200B) << room << Problem::BadCharacters;
    QTest::addRow("byte order mark") << withChar(0xFEFF) << room << Problem::BadCharacters;
    QTest::addRow("line separator") << withChar(0x2028) << room << Problem::BadCharacters;
    QTest::addRow("paragraph separator") << withChar(0x2029) << room << Problem::BadCharacters;
    QTest::addRow("zwj emoji sequence") << family << room << Problem::BadCharacters;
}

void TextRulesTest::checkName()
{
    QFETCH(QString, name);
    QFETCH(int, max);
    QFETCH(Problem, expected);
    QCOMPARE(textrules::checkName(name, max), expected);
}

void TextRulesTest::checkContent_data()
{
    QTest::addColumn<QString>("content");
    QTest::addColumn<int>("max");
    QTest::addColumn<Problem>("expected");

    const int max = textrules::DefaultMaxContent;

    QTest::addRow("empty") << QString() << max << Problem::Empty;
    QTest::addRow("one letter") << u"a"_s << max << Problem::None;
    QTest::addRow("only a space") << u" "_s << max << Problem::None;
    QTest::addRow("exact max") << QString(max, u'x') << max << Problem::None;
    QTest::addRow("one over") << QString(max + 1, u'x') << max << Problem::TooLong;
    QTest::addRow("emoji exact max") << grinning.repeated(max) << max << Problem::None;
    QTest::addRow("emoji one over") << grinning.repeated(max + 1) << max << Problem::TooLong;
    QTest::addRow("small max exact") << u"12345"_s << 5 << Problem::None;
    QTest::addRow("small max one over") << u"123456"_s << 5 << Problem::TooLong;
    QTest::addRow("line feed") << u"line one\nline two"_s << max << Problem::None;
    QTest::addRow("crlf") << u"line one\r\nline two"_s << max << Problem::None;
    QTest::addRow("carriage return") << withChar(u'\r') << max << Problem::None;
    QTest::addRow("tab") << u"\tindented"_s << max << Problem::None;
    QTest::addRow("only a line feed") << u"\n"_s << max << Problem::None;
    QTest::addRow("zwj emoji sequence") << family << max << Problem::None;
    QTest::addRow("nul") << withChar(0x0000) << max << Problem::BadCharacters;
    QTest::addRow("start of heading") << withChar(0x0001) << max << Problem::BadCharacters;
    QTest::addRow("bell") << withChar(0x0007) << max << Problem::BadCharacters;
    QTest::addRow("backspace") << withChar(0x0008) << max << Problem::BadCharacters;
    QTest::addRow("vertical tab") << withChar(0x000B) << max << Problem::BadCharacters;
    QTest::addRow("form feed") << withChar(0x000C) << max << Problem::BadCharacters;
    QTest::addRow("escape") << withChar(0x001B) << max << Problem::BadCharacters;
    QTest::addRow("unit separator") << withChar(0x001F) << max << Problem::BadCharacters;
    QTest::addRow("delete") << withChar(0x007F) << max << Problem::BadCharacters;
    QTest::addRow("c1 next line") << withChar(0x0085) << max << Problem::BadCharacters;
    QTest::addRow("c1 csi") << withChar(0x009B) << max << Problem::BadCharacters;
    QTest::addRow("lone high surrogate")
        << u"ab"_s + highSurrogate + u"cd"_s << max << Problem::BadCharacters;
    QTest::addRow("lone low surrogate") << u"ab"_s + lowSurrogate << max << Problem::BadCharacters;
    QTest::addRow("swapped pair") << QString(lowSurrogate) + highSurrogate << max
                                  << Problem::BadCharacters;
}

void TextRulesTest::checkContent()
{
    QFETCH(QString, content);
    QFETCH(int, max);
    QFETCH(Problem, expected);
    QCOMPARE(textrules::checkContent(content, max), expected);
}

void TextRulesTest::describeEveryProblem()
{
    QVERIFY(textrules::describe(Problem::None).isEmpty());
    QStringList texts;
    for (Problem p : {Problem::Empty, Problem::TooLong, Problem::BadCharacters}) {
        const QString text = textrules::describe(p);
        const std::unique_ptr<char[]> name(toString(p));
        QVERIFY2(!text.isEmpty(), name.get());
        QVERIFY2(!texts.contains(text), name.get());
        texts.append(text);
    }
}

QTEST_APPLESS_MAIN(TextRulesTest)
#include "tst_textrules.moc"

#include "textrules.h"

namespace roomkeeper::textrules {

namespace {

bool isLoneSurrogate(char32_t cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

bool forbiddenInName(char32_t cp)
{
    if (isLoneSurrogate(cp) || cp == QChar::ReplacementCharacter)
        return true;
    switch (QChar::category(cp)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_NotAssigned:
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
        return true;
    default:
        return false;
    }
}

bool forbiddenInContent(char32_t cp)
{
    if (cp == '\n' || cp == '\t' || cp == '\r')
        return false;
    if (isLoneSurrogate(cp))
        return true;
    return QChar::category(cp) == QChar::Other_Control;
}

// Calls 'visit' with each code point; an unpaired surrogate comes as itself.
template <typename Visit> void forEachCodePoint(const QString &text, Visit visit)
{
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t u = text.at(i).unicode();
        if (QChar::isHighSurrogate(u) && i + 1 < n &&
            QChar::isLowSurrogate(text.at(i + 1).unicode())) {
            visit(QChar::surrogateToUcs4(u, text.at(i + 1).unicode()));
            ++i;
        } else {
            visit(char32_t(u));
        }
    }
}

template <typename Forbidden>
Problem check(const QString &text, int maxCodePoints, Forbidden forbidden)
{
    if (text.isEmpty())
        return Problem::Empty;
    int count = 0;
    bool bad = false;
    forEachCodePoint(text, [&](char32_t cp) {
        bad = bad || forbidden(cp);
        ++count;
    });
    if (bad)
        return Problem::BadCharacters;
    return count > maxCodePoints ? Problem::TooLong : Problem::None;
}

} // namespace

int codePoints(const QString &text)
{
    int count = 0;
    forEachCodePoint(text, [&count](char32_t) { ++count; });
    return count;
}

Problem checkName(const QString &trimmed, int maxCodePoints)
{
    return check(trimmed, maxCodePoints, forbiddenInName);
}

Problem checkContent(const QString &content, int maxCodePoints)
{
    return check(content, maxCodePoints, forbiddenInContent);
}

QString printable(const QString &text, int maxCodePoints)
{
    QString out;
    int count = 0;
    forEachCodePoint(text, [&](char32_t cp) {
        if (++count > maxCodePoints)
            return;
        if (forbiddenInName(cp) || cp == '\\')
            out += QStringLiteral("\\u%1").arg(uint(cp), 4, 16, QLatin1Char('0'));
        else
            out += QString::fromUcs4(&cp, 1);
    });
    if (count > maxCodePoints)
        out += QStringLiteral("...");
    return out;
}

QString describe(Problem problem)
{
    switch (problem) {
    case Problem::None:
        return QString();
    case Problem::Empty:
        return QStringLiteral("must not be empty");
    case Problem::TooLong:
        return QStringLiteral("is too long");
    case Problem::BadCharacters:
        return QStringLiteral("contains control characters or invalid text");
    }
    return QString();
}

} // namespace roomkeeper::textrules

#pragma once

#include <QString>

namespace roomkeeper {

// Rules for text that people type: display names, room names and message content.
// Lengths count Unicode code points, not UTF-16 units.
namespace textrules {

enum class Problem
{
    None,
    Empty,
    TooLong,
    BadCharacters, // control or format characters, line breaks, broken UTF-16
};

constexpr int MaxDisplayName = 32;
constexpr int MaxRoomName = 64;
constexpr int DefaultMaxContent = 4000;

int codePoints(const QString &text);

// Names (display names, room names) are checked after trimming: no control characters,
// no format characters (bidi overrides such as U+202E, zero-width joiners), no line or
// paragraph separators and no lone surrogates, so a name can never forge a log line or
// reorder the text around it.
Problem checkName(const QString &trimmed, int maxCodePoints);

// Message content may hold line breaks and tabs, but no other C0/C1 control characters
// and no lone surrogates.
Problem checkContent(const QString &content, int maxCodePoints);

QString describe(Problem problem);

// The text with control, format and separator characters written as \uXXXX, so that text
// from a client can never split or forge a log line, nor move the terminal's cursor.
QString printable(const QString &text, int maxCodePoints = 200);

} // namespace textrules
} // namespace roomkeeper

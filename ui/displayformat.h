#pragma once

#include <QString>
#include <QUuid>

namespace roomkeeper::display {

// Text for the window: short ids, sizes, times and counts, one way everywhere.

// The first 8 hex digits: enough to tell people apart and a unique prefix for the console.
QString shortId(const QUuid &id);
// "512 B", "12.3 KiB", "4.0 MiB".
QString bytes(qint64 bytes);
// Local wall-clock time of a UNIX ms instant: "14:03:22" (or with ".123").
QString clockTime(qint64 unixMs, bool withMs = false);
// Local date and time of a UNIX ms instant: "2024-05-01 14:03".
QString dateTime(qint64 unixMs);
// A span for people: "45 s", "12 min", "3 h 05 min", "2 d 4 h".
QString span(qint64 ms);
// A span in the console's DURATION grammar: "30s", "10m", "2h", "7d".
QString durationArgument(qint64 ms);
// "1 person", "7 people"; "1 connection", "3 connections"; "1 room", "2 rooms".
QString people(qsizetype count);
QString connections(qsizetype count);
QString rooms(qsizetype count);
// How the console grammar names a room or a person: the name when it is one word and
// unique, else the id's first 8 digits (a unique prefix).
QString consoleRef(const QString &name, const QUuid &id, bool nameIsUnique);

} // namespace roomkeeper::display

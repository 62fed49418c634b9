#include "displayformat.h"

#include <QDateTime>
#include <QRegularExpression>

namespace roomkeeper::display {

QString shortId(const QUuid &id)
{
    return id.isNull() ? QString() : id.toString(QUuid::WithoutBraces).left(8);
}

QString bytes(qint64 bytes)
{
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    int unit = -1;
    while (value >= 1024.0 && unit < 3) {
        value /= 1024.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1StringView(units[unit]));
}

QString clockTime(qint64 unixMs, bool withMs)
{
    if (unixMs <= 0)
        return QString();
    return QDateTime::fromMSecsSinceEpoch(unixMs).toString(withMs ? QStringLiteral("HH:mm:ss.zzz")
                                                                  : QStringLiteral("HH:mm:ss"));
}

QString dateTime(qint64 unixMs)
{
    if (unixMs <= 0)
        return QString();
    return QDateTime::fromMSecsSinceEpoch(unixMs).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString span(qint64 ms)
{
    const qint64 s = qMax<qint64>(0, ms / 1000);
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min").arg(s / 60);
    if (s < 86400)
        return QStringLiteral("%1 h %2 min")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s / 3600) % 24);
}

QString durationArgument(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s % 86400 == 0)
        return QStringLiteral("%1d").arg(s / 86400);
    if (s % 3600 == 0)
        return QStringLiteral("%1h").arg(s / 3600);
    if (s % 60 == 0)
        return QStringLiteral("%1m").arg(s / 60);
    return QStringLiteral("%1s").arg(s);
}

namespace {

QString counted(qsizetype count, const char *one, const char *many)
{
    return QStringLiteral("%1 %2").arg(count).arg(QLatin1StringView(count == 1 ? one : many));
}

} // namespace

QString people(qsizetype count)
{
    return counted(count, "person", "people");
}

QString connections(qsizetype count)
{
    return counted(count, "connection", "connections");
}

QString rooms(qsizetype count)
{
    return counted(count, "room", "rooms");
}

QString consoleRef(const QString &name, const QUuid &id, bool nameIsUnique)
{
    const bool oneWord =
        !name.isEmpty() && !name.contains(QRegularExpression(QStringLiteral("\\s")));
    return nameIsUnique && oneWord ? name : shortId(id);
}

} // namespace roomkeeper::display

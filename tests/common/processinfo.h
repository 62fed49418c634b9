#pragma once

#include <QByteArray>
#include <QFile>
#include <QList>

namespace roomkeeper::test {

// VmRSS of this process in KiB (0 if unreadable).
inline qint64 rssKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

} // namespace roomkeeper::test

#include "stdinconsole.h"

#include <QSocketNotifier>

#include <cstdio>
#include <unistd.h>

namespace roomkeeper {

namespace {
constexpr qsizetype MaxLineBytes = 64 * 1024;
}

StdinConsole::StdinConsole(QObject *parent) : QObject(parent)
{
    m_notifier = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &StdinConsole::readAvailable);
}

StdinConsole::~StdinConsole() = default;

void StdinConsole::print(const QStringList &lines)
{
    for (const QString &line : lines) {
        std::fputs(line.toUtf8().constData(), stdout);
        std::fputc('\n', stdout);
    }
    std::fflush(stdout);
}

void StdinConsole::readAvailable()
{
    char buffer[4096];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) {
        m_notifier->setEnabled(false);
        if (!m_pending.trimmed().isEmpty())
            emit lineEntered(QString::fromUtf8(m_pending).trimmed());
        m_pending.clear();
        emit inputClosed();
        return;
    }
    m_pending.append(buffer, n);
    qsizetype end;
    while ((end = m_pending.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_pending.left(end)).trimmed();
        m_pending.remove(0, end + 1);
        if (!line.isEmpty())
            emit lineEntered(line);
    }
    if (m_pending.size() > MaxLineBytes) {
        m_pending.clear();
        print({QStringLiteral("error: line too long")});
    }
}

} // namespace roomkeeper

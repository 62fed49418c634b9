#pragma once

#include <QByteArray>
#include <QObject>
#include <QStringList>

class QSocketNotifier;

namespace roomkeeper {

// Reads operator commands from stdin, line by line, without blocking the event loop.
// Works with a terminal and with a pipe; at end of input it stops reading and the server
// goes on serving.
class StdinConsole final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StdinConsole)

public:
    explicit StdinConsole(QObject *parent = nullptr);
    ~StdinConsole() override;

    // Prints an answer: each line on its own, flushed at once.
    static void print(const QStringList &lines);

signals:
    void lineEntered(const QString &line);
    void inputClosed();

private:
    void readAvailable();

    QSocketNotifier *m_notifier = nullptr;
    QByteArray m_pending;
};

} // namespace roomkeeper

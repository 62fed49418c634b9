#pragma once

#include <QObject>

class QSocketNotifier;

namespace roomkeeper {

// Turns SIGINT and SIGTERM into a Qt signal. The handler only writes the signal number
// to a socketpair; a QSocketNotifier reads it on the event loop, where work is safe.
class SignalWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void terminationRequested(int signalNumber);

private:
    void readSignal();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace roomkeeper

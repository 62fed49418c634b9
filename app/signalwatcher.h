#pragma once

#include <QObject>

class QSocketNotifier;

namespace roomkeeper {

// Turns SIGINT, SIGTERM and SIGHUP into Qt signals. The handler only writes the signal number
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
    void reloadRequested(); // SIGHUP

private:
    void readSignal();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace roomkeeper

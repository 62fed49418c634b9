#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <QMultiHash>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include <sys/epoll.h>

namespace roomkeeper {

// An event dispatcher for one non-GUI thread built on Linux epoll, so that the cost of
// one event-loop iteration grows with the number of ready descriptors rather than with
// the number of registered socket notifiers.
//
// Install it before the thread runs: QThread::setEventDispatcher() for a worker thread,
// or QCoreApplication::setEventDispatcher() before QCoreApplication is constructed.
// Everything except wakeUp() and interrupt() must be called from the dispatcher's thread.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)

public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // Counters for diagnostics and tests; read them on the dispatcher's thread.
    struct Stats
    {
        quint64 iterations = 0;    // processEvents calls
        quint64 waits = 0;         // epoll_wait / poll calls
        quint64 epollCtlCalls = 0; // epoll_ctl calls made while applying interest changes
        quint64 notifierActivations = 0;
        quint64 timerActivations = 0;
    };
    Stats stats() const { return m_stats; }

private:
    using Clock = std::chrono::steady_clock;

    // What the dispatcher knows about one file descriptor (indexed by the fd number).
    struct FdEntry
    {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr}; // Read, Write, Exception
        std::uint32_t kernelMask = 0;       // events currently registered with epoll (0: absent)
        std::uint32_t generation = 0;       // bumped whenever the last notifier goes away
        std::uint32_t kernelGeneration = 0; // generation stored in epoll's user data
        bool queued = false;                // listed in m_dirtyFds
        bool warned = false;                // an epoll_ctl failure was already logged
    };

    struct Timer
    {
        QObject *object = nullptr;
        qint64 interval = 0; // ms, after VeryCoarse rounding
        qint64 requestedInterval = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        Clock::time_point deadline;
        quint64 serial = 0; // changes each time the timer is armed; names its heap entry
        bool inHeap = false;
    };

    struct HeapEntry
    {
        Clock::time_point deadline;
        int timerId;
        quint64 serial;
    };

    void markDirty(int fd);
    void applyInterestChanges();
    void applyInterest(int fd, FdEntry &entry);
    int activateSocketNotifiers(const epoll_event *events, int count, bool deliver);
    int activateTimers();
    void drainWakeUp();

    void pushTimer(int timerId, Timer &timer);
    bool topTimerIsStale();
    void dropStaleTopTimers();
    void compactTimerHeap();
    int waitTimeoutMs(bool includeTimers);

    int m_epollFd = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakeUpPending{false};
    std::atomic<bool> m_interrupted{false};
    bool m_wokenUp = false; // the eventfd was drained during this processEvents call

    std::vector<FdEntry> m_fds;
    std::vector<int> m_dirtyFds;

    QHash<int, Timer> m_timers;
    QMultiHash<QObject *, int> m_timersByObject;
    std::vector<HeapEntry> m_timerHeap; // min-heap on deadline, may hold stale entries
    std::size_t m_staleHeapEntries = 0;
    quint64 m_nextSerial = 1;

    // Per-nesting-level scratch buffers (processEvents can be re-entered from a handler).
    // A deque keeps the outer levels' buffers in place when a deeper level is added.
    std::deque<std::vector<epoll_event>> m_eventBuffers;
    std::deque<std::vector<HeapEntry>> m_deferredBuffers;
    int m_depth = 0;

    Stats m_stats;
};

// The dispatcher for a thread that runs the server: an EpollEventDispatcher, or null
// (keep Qt's own) when the environment says ROOMKEEPER_EVENT_DISPATCHER=qt.
QAbstractEventDispatcher *createServerEventDispatcher();

} // namespace roomkeeper

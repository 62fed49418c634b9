#include "epolldispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>
#include <QTimerEvent>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace roomkeeper {

namespace {

// How many ready descriptors one epoll_wait call may report. Anything beyond that stays
// ready (level-triggered) and is picked up by the next iteration.
constexpr int kMaxEvents = 256;

// User data of the wake-up eventfd in the epoll set; never a valid (generation, fd) pair
// because its fd half would be -1.
constexpr std::uint64_t kWakeTag = ~std::uint64_t(0);

// Compact the timer heap when it holds more than this many stale entries and more stale
// entries than live timers.
constexpr std::size_t kMinStaleForCompaction = 1024;

constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kExceptionEvents = EPOLLPRI;

const char *typeName(QSocketNotifier::Type type)
{
    switch (type) {
    case QSocketNotifier::Read:
        return "Read";
    case QSocketNotifier::Write:
        return "Write";
    case QSocketNotifier::Exception:
        return "Exception";
    }
    return "Unknown";
}

// Heap order: earliest deadline first; equal deadlines in registration order.
bool laterThan(const auto &a, const auto &b)
{
    if (a.deadline != b.deadline)
        return a.deadline > b.deadline;
    return a.serial > b.serial;
}

const auto heapOrder = [](const auto &a, const auto &b) {
    return laterThan(a, b);
};

// Milliseconds from now until deadline, rounded up so that a wait never ends early.
qint64 msUntil(std::chrono::steady_clock::time_point deadline,
               std::chrono::steady_clock::time_point now)
{
    if (deadline <= now)
        return 0;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
    return (ns + 999'999) / 1'000'000;
}

qint64 effectiveInterval(qint64 interval, Qt::TimerType type)
{
    if (type != Qt::VeryCoarseTimer || interval == 0)
        return interval;
    // Very coarse timers only promise whole seconds; round to the nearest one (at least 1).
    return std::max<qint64>(1000, (interval + 500) / 1000 * 1000);
}

bool onOwnThread(const QObject *dispatcher, const char *what)
{
    if (Q_LIKELY(QThread::currentThread() == dispatcher->thread()))
        return true;
    qWarning("EpollEventDispatcher::%s: called from a thread other than the dispatcher's", what);
    return false;
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent) : QAbstractEventDispatcher(parent)
{
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0)
        qFatal("EpollEventDispatcher: epoll_create1 failed: %s", std::strerror(errno));
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakeFd < 0)
        qFatal("EpollEventDispatcher: eventfd failed: %s", std::strerror(errno));

    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeFd, &ev) < 0)
        qFatal("EpollEventDispatcher: cannot watch the wake-up eventfd: %s", std::strerror(errno));

    m_dirtyFds.reserve(64);
    m_timerHeap.reserve(64);
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epollFd);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    ++m_stats.iterations;

    // Each nesting level (a handler may run its own event loop) gets its own scratch buffers.
    const int depth = m_depth;
    if (m_eventBuffers.size() <= std::size_t(depth)) {
        m_eventBuffers.emplace_back(kMaxEvents);
        m_deferredBuffers.emplace_back();
    }
    struct DepthGuard
    {
        int &depth;
        explicit DepthGuard(int &d) : depth(d) { ++depth; }
        ~DepthGuard() { --depth; }
        Q_DISABLE_COPY_MOVE(DepthGuard)
    } guard(m_depth);

    // An interrupt() left over from an earlier call (QEventLoop::exit() calls it) must not
    // cut this call short; its wake-up still keeps this call from blocking.
    m_interrupted.store(false, std::memory_order_relaxed);

    QCoreApplication::sendPostedEvents();

    // Interrupted by a posted event's handler, or by another thread meanwhile.
    if (m_interrupted.exchange(false, std::memory_order_acq_rel))
        return false;

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    // A pending wake-up means something was posted after sendPostedEvents(): do not block.
    const bool canWait =
        (flags & QEventLoop::WaitForMoreEvents) && !m_wakeUpPending.load(std::memory_order_acquire);

    if (canWait)
        emit aboutToBlock();
    const int timeout = canWait ? waitTimeoutMs(includeTimers) : 0;

    int delivered = 0;
    int ready = 0;
    epoll_event *events = m_eventBuffers[std::size_t(depth)].data();
    ++m_stats.waits;
    if (includeNotifiers) {
        applyInterestChanges();
        ready = epoll_wait(m_epollFd, events, kMaxEvents, timeout);
        if (ready < 0) {
            if (errno != EINTR)
                qWarning("EpollEventDispatcher: epoll_wait failed: %s", std::strerror(errno));
            ready = 0;
        }
    } else {
        // Socket notifiers are excluded: wait only for a wake-up (or the timer timeout), so
        // that ready sockets in the epoll set cannot turn this wait into a busy loop.
        pollfd pfd{m_wakeFd, POLLIN, 0};
        if (poll(&pfd, 1, timeout) > 0 && (pfd.revents & POLLIN)) {
            drainWakeUp();
            ++delivered;
        }
    }

    if (canWait)
        emit awake();

    // interrupt() asks for a prompt return: skip activation. Ready sockets stay ready and
    // due timers stay due, so nothing is lost.
    const bool interrupted = m_interrupted.exchange(false, std::memory_order_acq_rel);
    delivered += activateSocketNotifiers(events, ready, !interrupted);
    if (interrupted) {
        m_wokenUp = false;
        return delivered > 0;
    }

    if (includeTimers)
        delivered += activateTimers();

    // Woken by another thread: deliver what it posted now rather than on the next call,
    // so that one blocking processEvents() call handles the event that ended its wait.
    if (m_wokenUp) {
        m_wokenUp = false;
        QCoreApplication::sendPostedEvents();
    }
    return delivered > 0;
}

// ---- socket notifiers -----------------------------------------------------------------

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr sockfd = notifier->socket();
    const QSocketNotifier::Type type = notifier->type();
    if (sockfd < 0 || sockfd > INT_MAX) {
        qWarning("EpollEventDispatcher: invalid socket %lld and type '%s'",
                 static_cast<long long>(sockfd), typeName(type));
        return;
    }
    if (!onOwnThread(this, "registerSocketNotifier"))
        return;
    if (notifier->thread() != thread()) {
        qWarning("EpollEventDispatcher: socket notifiers cannot be enabled from another thread");
        return;
    }

    const int fd = int(sockfd);
    if (m_fds.size() <= std::size_t(fd))
        m_fds.resize(std::size_t(fd) + 1);
    FdEntry &entry = m_fds[std::size_t(fd)];
    QSocketNotifier *&slot = entry.notifiers[type];
    if (slot && slot != notifier)
        qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d and type '%s'", fd,
                 typeName(type));
    slot = notifier;
    markDirty(fd);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr sockfd = notifier->socket();
    if (sockfd < 0 || std::size_t(sockfd) >= m_fds.size())
        return;
    if (!onOwnThread(this, "unregisterSocketNotifier"))
        return;

    const int fd = int(sockfd);
    FdEntry &entry = m_fds[std::size_t(fd)];
    QSocketNotifier *&slot = entry.notifiers[notifier->type()];
    if (slot != notifier)
        return;
    slot = nullptr;
    if (!entry.notifiers[0] && !entry.notifiers[1] && !entry.notifiers[2]) {
        // The descriptor may now be closed and its number reused: a new generation makes
        // already-reported events for the old one stale, and forces a fresh epoll_ctl.
        ++entry.generation;
        entry.warned = false;
        // Stop watching now, not before the next wait: the owner is about to close the
        // descriptor, and if another descriptor still refers to the same socket (a dup()),
        // a closed number could no longer be removed and the kernel would go on reporting
        // it.
        applyInterest(fd, entry);
        return;
    }
    markDirty(fd);
}

void EpollEventDispatcher::markDirty(int fd)
{
    FdEntry &entry = m_fds[std::size_t(fd)];
    if (!entry.queued) {
        entry.queued = true;
        m_dirtyFds.push_back(fd);
    }
}

void EpollEventDispatcher::applyInterestChanges()
{
    for (const int fd : m_dirtyFds) {
        FdEntry &entry = m_fds[std::size_t(fd)];
        entry.queued = false;
        applyInterest(fd, entry);
    }
    m_dirtyFds.clear();
}

void EpollEventDispatcher::applyInterest(int fd, FdEntry &entry)
{
    const std::uint32_t desired = (entry.notifiers[QSocketNotifier::Read] ? EPOLLIN : 0u) |
                                  (entry.notifiers[QSocketNotifier::Write] ? EPOLLOUT : 0u) |
                                  (entry.notifiers[QSocketNotifier::Exception] ? EPOLLPRI : 0u);

    if (desired == 0) {
        if (entry.kernelMask != 0) {
            ++m_stats.epollCtlCalls;
            // ENOENT / EBADF: the descriptor was closed, which already removed it.
            if (epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr) < 0 && errno != ENOENT &&
                errno != EBADF)
                qWarning("EpollEventDispatcher: cannot stop watching socket %d: %s", fd,
                         std::strerror(errno));
            entry.kernelMask = 0;
        }
        return;
    }
    if (desired == entry.kernelMask && entry.generation == entry.kernelGeneration)
        return;

    epoll_event ev{};
    ev.events = desired;
    ev.data.u64 = (std::uint64_t(entry.generation) << 32) | std::uint32_t(fd);

    // Our record of the kernel state may be out of date if the descriptor was closed and
    // its number reused, so fall back between ADD and MOD.
    const int firstOp = entry.kernelMask != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    ++m_stats.epollCtlCalls;
    int rc = epoll_ctl(m_epollFd, firstOp, fd, &ev);
    if (rc < 0 && firstOp == EPOLL_CTL_MOD && errno == ENOENT) {
        ++m_stats.epollCtlCalls;
        rc = epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &ev);
    } else if (rc < 0 && firstOp == EPOLL_CTL_ADD && errno == EEXIST) {
        ++m_stats.epollCtlCalls;
        rc = epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &ev);
    }

    if (rc == 0) {
        entry.kernelMask = desired;
        entry.kernelGeneration = entry.generation;
        return;
    }
    // EBADF (closed descriptor), EPERM (a regular file, which epoll cannot watch) and the
    // like: the notifiers on this descriptor will not fire. Say so once.
    const int err = errno;
    entry.kernelMask = 0;
    if (!entry.warned) {
        entry.warned = true;
        qWarning("EpollEventDispatcher: invalid socket %d, its notifiers will not fire: %s", fd,
                 std::strerror(err));
    }
}

int EpollEventDispatcher::activateSocketNotifiers(const epoll_event *events, int count,
                                                  bool deliver)
{
    static constexpr struct
    {
        std::uint32_t mask;
        QSocketNotifier::Type type;
    } kinds[] = {
        {kReadEvents, QSocketNotifier::Read},
        {kWriteEvents, QSocketNotifier::Write},
        {kExceptionEvents, QSocketNotifier::Exception},
    };

    int delivered = 0;
    for (int i = 0; i < count; ++i) {
        const std::uint64_t data = events[i].data.u64;
        const std::uint32_t mask = events[i].events;
        if (data == kWakeTag) {
            drainWakeUp();
            ++delivered;
            continue;
        }
        if (!deliver)
            continue;

        const auto fd = std::size_t(std::uint32_t(data));
        const auto generation = std::uint32_t(data >> 32);
        for (const auto &kind : kinds) {
            if (!(mask & kind.mask))
                continue;
            // Look the notifier up again before every delivery: an earlier handler may have
            // removed it, deleted it, or closed the descriptor and reused its number.
            if (fd >= m_fds.size() || m_fds[fd].generation != generation)
                break;
            QSocketNotifier *notifier = m_fds[fd].notifiers[kind.type];
            if (!notifier)
                continue;
            ++delivered;
            ++m_stats.notifierActivations;
            QEvent event(QEvent::SockAct);
            QCoreApplication::sendEvent(notifier, &event);
        }
    }
    return delivered;
}

// ---- wake-up ----------------------------------------------------------------------------

void EpollEventDispatcher::wakeUp()
{
    // Only the first wake-up since the last drain writes to the eventfd.
    if (m_wakeUpPending.exchange(true, std::memory_order_acq_rel))
        return;
    const std::uint64_t one = 1;
    ssize_t rc;
    do {
        rc = ::write(m_wakeFd, &one, sizeof one);
    } while (rc < 0 && errno == EINTR);
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_release);
    wakeUp();
}

void EpollEventDispatcher::drainWakeUp()
{
    // Read first, then clear the flag: a wake-up that lands in between finds the flag
    // still set and skips its write, but its posted event was queued before it called
    // wakeUp() and the next processEvents() starts with sendPostedEvents().
    std::uint64_t value = 0;
    ssize_t rc;
    do {
        rc = ::read(m_wakeFd, &value, sizeof value);
    } while (rc < 0 && errno == EINTR);
    m_wakeUpPending.store(false, std::memory_order_release);
    m_wokenUp = true;
}

// ---- timers -------------------------------------------------------------------------------

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    if (!onOwnThread(this, "registerTimer"))
        return;
    if (object->thread() != thread()) {
        qWarning("EpollEventDispatcher::registerTimer: timers cannot be started from another "
                 "thread");
        return;
    }
    if (m_timers.contains(timerId))
        unregisterTimer(timerId);

    Timer timer;
    timer.object = object;
    timer.requestedInterval = interval;
    timer.interval = effectiveInterval(interval, timerType);
    timer.type = timerType;
    timer.deadline = Clock::now() + std::chrono::milliseconds(timer.interval);
    timer.serial = m_nextSerial++;
    auto it = m_timers.insert(timerId, timer);
    m_timersByObject.insert(object, timerId);
    pushTimer(timerId, *it);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    if (!onOwnThread(this, "unregisterTimer"))
        return false;
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    if (it->inHeap)
        ++m_staleHeapEntries;
    m_timersByObject.remove(it->object, timerId);
    m_timers.erase(it);
    if (m_staleHeapEntries > kMinStaleForCompaction &&
        m_staleHeapEntries > std::size_t(m_timers.size()))
        compactTimerHeap();
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    if (!onOwnThread(this, "unregisterTimers"))
        return false;
    const QList<int> ids = m_timersByObject.values(object);
    for (const int id : ids)
        unregisterTimer(id);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> result;
    for (auto it = m_timersByObject.constFind(object);
         it != m_timersByObject.cend() && it.key() == object; ++it) {
        const auto timer = m_timers.constFind(it.value());
        if (timer == m_timers.cend())
            continue;
        const int interval = int(std::min<qint64>(timer->requestedInterval, INT_MAX));
        result.append(TimerInfo(it.value(), interval, timer->type));
    }
    return result;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    if (!onOwnThread(this, "remainingTime"))
        return -1;
    const auto it = m_timers.constFind(timerId);
    if (it == m_timers.cend())
        return -1;
    return int(std::min<qint64>(msUntil(it->deadline, Clock::now()), INT_MAX));
}

void EpollEventDispatcher::pushTimer(int timerId, Timer &timer)
{
    timer.inHeap = true;
    m_timerHeap.push_back({timer.deadline, timerId, timer.serial});
    std::push_heap(m_timerHeap.begin(), m_timerHeap.end(), heapOrder);
}

bool EpollEventDispatcher::topTimerIsStale()
{
    const HeapEntry &top = m_timerHeap.front();
    const auto it = m_timers.constFind(top.timerId);
    return it == m_timers.cend() || !it->inHeap || it->serial != top.serial;
}

void EpollEventDispatcher::dropStaleTopTimers()
{
    while (!m_timerHeap.empty() && topTimerIsStale()) {
        std::pop_heap(m_timerHeap.begin(), m_timerHeap.end(), heapOrder);
        m_timerHeap.pop_back();
        if (m_staleHeapEntries > 0)
            --m_staleHeapEntries;
    }
}

void EpollEventDispatcher::compactTimerHeap()
{
    m_timerHeap.clear();
    for (auto it = m_timers.cbegin(); it != m_timers.cend(); ++it) {
        if (it->inHeap)
            m_timerHeap.push_back({it->deadline, it.key(), it->serial});
    }
    std::make_heap(m_timerHeap.begin(), m_timerHeap.end(), heapOrder);
    m_staleHeapEntries = 0;
}

int EpollEventDispatcher::waitTimeoutMs(bool includeTimers)
{
    if (!includeTimers)
        return -1;
    dropStaleTopTimers();
    if (m_timerHeap.empty())
        return -1;
    return int(std::min<qint64>(msUntil(m_timerHeap.front().deadline, Clock::now()), INT_MAX));
}

int EpollEventDispatcher::activateTimers()
{
    dropStaleTopTimers();
    if (m_timerHeap.empty())
        return 0;
    const Clock::time_point now = Clock::now();
    if (m_timerHeap.front().deadline > now)
        return 0;

    // Timers are delivered one at a time straight from the heap, so that a nested event
    // loop started by a handler still sees (and fires) the other due timers. Every timer
    // armed during this pass gets a serial of at least passStart: it cannot fire again
    // before the next pass, so a zero-interval timer fires once per iteration and cannot
    // starve anything else.
    const quint64 passStart = m_nextSerial;
    std::vector<HeapEntry> &deferred = m_deferredBuffers[std::size_t(m_depth - 1)];
    deferred.clear();
    int delivered = 0;
    while (!m_timerHeap.empty()) {
        const HeapEntry top = m_timerHeap.front();
        if (top.deadline > now)
            break;
        std::pop_heap(m_timerHeap.begin(), m_timerHeap.end(), heapOrder);
        m_timerHeap.pop_back();
        auto it = m_timers.find(top.timerId);
        if (it == m_timers.end() || !it->inHeap || it->serial != top.serial) {
            if (m_staleHeapEntries > 0)
                --m_staleHeapEntries;
            continue;
        }
        it->inHeap = false;
        if (top.serial >= passStart) {
            // Armed during this pass with a deadline that is already due: next pass.
            deferred.push_back(top);
            continue;
        }

        // Next deadline: one interval after the previous one, or one interval from now if
        // that has already passed (no bursts to catch up).
        const auto interval = std::chrono::milliseconds(it->interval);
        Clock::time_point next = it->deadline + interval;
        if (next <= now)
            next = Clock::now() + interval;
        it->deadline = next;
        // While its event is delivered the timer is off the heap, so a nested event loop
        // started by the handler does not fire it again.
        const quint64 serial = m_nextSerial++;
        it->serial = serial;
        QObject *object = it->object;

        ++delivered;
        ++m_stats.timerActivations;
        QTimerEvent event(top.timerId);
        QCoreApplication::sendEvent(object, &event);

        // Back onto the heap unless the handler killed or restarted it.
        it = m_timers.find(top.timerId);
        if (it != m_timers.end() && it->serial == serial && !it->inHeap)
            pushTimer(top.timerId, *it);
    }

    for (const HeapEntry &entry : deferred) {
        const auto it = m_timers.find(entry.timerId);
        if (it != m_timers.end() && it->serial == entry.serial && !it->inHeap)
            pushTimer(entry.timerId, *it);
    }
    return delivered;
}

QAbstractEventDispatcher *createServerEventDispatcher()
{
    if (qEnvironmentVariable("ROOMKEEPER_EVENT_DISPATCHER") == QLatin1StringView("qt"))
        return nullptr;
    return new EpollEventDispatcher;
}

} // namespace roomkeeper

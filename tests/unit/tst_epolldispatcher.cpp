#include "net/epolldispatcher.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QPointer>
#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using roomkeeper::EpollEventDispatcher;
using namespace std::chrono_literals;

namespace {

EpollEventDispatcher *dispatcher()
{
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

// A connected pair of non-blocking Unix stream sockets, closed on destruction.
struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { open(); }
    ~SocketPair() { close(); }
    Q_DISABLE_COPY_MOVE(SocketPair)

    bool open()
    {
        return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) == 0;
    }
    void close()
    {
        for (int &f : fd) {
            if (f >= 0)
                ::close(f);
            f = -1;
        }
    }
    bool send(char c = 'x') const { return ::send(fd[1], &c, 1, MSG_NOSIGNAL) == 1; }
    int drain() const
    {
        char buf[256];
        int total = 0;
        ssize_t n;
        while ((n = ::read(fd[0], buf, sizeof buf)) > 0)
            total += int(n);
        return total;
    }
};

// Counts the timer events it receives.
class TimerCounter : public QObject
{
public:
    QList<int> ids;
    std::function<void(int)> onTimer;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        ids.append(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

// Runs a local event loop until quit or until the safety timeout; returns exec()'s code.
int runLoop(QEventLoop &loop, int safetyMs)
{
    QTimer safety;
    safety.setSingleShot(true);
    QObject::connect(&safety, &QTimer::timeout, &loop, [&loop] { loop.exit(99); });
    safety.start(safetyMs);
    return loop.exec();
}

} // namespace

class TestEpollDispatcher : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    // timers
    void singleShotTimer();
    void repeatingTimerHasNoCatchUpBurst();
    void zeroTimerFiresOncePerIteration();
    void zeroTimerDoesNotStarveNotifiers();
    void timerKilledDuringAnotherTimersActivation();
    void unregisterTimersAndRegisteredTimers();
    void remainingTime();
    void nestedLoopDoesNotReenterTimer();

    // wake-up, loops, flags
    void queuedCallFromOtherThreadWakesLoop();
    void manyPostsFromOtherThread();
    void eventLoopExecAndQuit();
    void interruptFromOtherThread();
    void interruptBeforeProcessEvents();
    void excludeFlags();
    void aboutToBlockAndAwake();
    void workerThreadWithDispatcher();

    // socket notifiers
    void readAndWriteNotifiersShareFd();
    void interestChangesAreLazy();
    void notifierDeletedDuringOtherActivation();
    void unwatchableDescriptorWarnsOnce();
    void tcpEchoOneMegabyte();
    void manyConnections();
};

void TestEpollDispatcher::initTestCase()
{
    QVERIFY(dispatcher());
    QCOMPARE(dispatcher()->thread(), QThread::currentThread());
}

void TestEpollDispatcher::singleShotTimer()
{
    QElapsedTimer clock;
    clock.start();
    int fired = 0;
    qint64 firedAt = -1;
    QTimer::singleShot(50, Qt::PreciseTimer, this, [&] {
        ++fired;
        firedAt = clock.elapsed();
    });
    QTRY_COMPARE_WITH_TIMEOUT(fired, 1, 10000);
    QVERIFY2(firedAt >= 49, qPrintable(QString::number(firedAt)));
    QTest::qWait(150);
    QCOMPARE(fired, 1);
}

void TestEpollDispatcher::repeatingTimerHasNoCatchUpBurst()
{
    QElapsedTimer clock;
    clock.start();
    QList<qint64> firedAtNs;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(20);
    connect(&timer, &QTimer::timeout, this, [&] {
        firedAtNs.append(clock.nsecsElapsed());
        // Stall the thread for several intervals once: the timer must not then fire a burst
        // of catch-up events, but resume one interval after the stall.
        if (firedAtNs.size() == 1)
            QThread::msleep(150);
    });
    timer.start();
    QEventLoop loop;
    QTimer::singleShot(400, Qt::PreciseTimer, &loop, &QEventLoop::quit);
    QCOMPARE(runLoop(loop, 20000), 0);
    timer.stop();
    const qint64 elapsedMs = clock.elapsed();

    QVERIFY2(firedAtNs.size() >= 4, qPrintable(QString::number(firedAtNs.size())));
    // Bound from above: at most one firing per interval outside the stall.
    QVERIFY(firedAtNs.size() <= (elapsedMs - 150) / 20 + 2);
    // After the stall the second firing is immediate, but the third waits an interval.
    const qint64 gapMs = (firedAtNs[2] - firedAtNs[1]) / 1000000;
    QVERIFY2(gapMs >= 15, qPrintable(QString::number(gapMs)));
    // Firings never come earlier than the interval.
    for (int i = 3; i < firedAtNs.size(); ++i)
        QVERIFY((firedAtNs[i] - firedAtNs[i - 1]) / 1000000 >= 15);
}

void TestEpollDispatcher::zeroTimerFiresOncePerIteration()
{
    int fired = 0;
    QTimer zero;
    zero.setInterval(0);
    connect(&zero, &QTimer::timeout, this, [&] { ++fired; });
    zero.start();
    for (int i = 0; i < 10; ++i)
        dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(fired, 10);

    // A zero timer restarted from its own handler fires in the next iteration, not this one.
    int restarted = 0;
    QTimer again;
    again.setSingleShot(true);
    again.setInterval(0);
    connect(&again, &QTimer::timeout, this, [&] {
        ++restarted;
        again.start();
    });
    again.start();
    for (int i = 0; i < 5; ++i)
        dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(restarted, 5);
}

void TestEpollDispatcher::zeroTimerDoesNotStarveNotifiers()
{
    SocketPair pair;
    QVERIFY(pair.fd[0] >= 0);
    QEventLoop loop;
    int zeroFires = 0;
    int socketHits = 0;
    QTimer zero;
    zero.setInterval(0);
    connect(&zero, &QTimer::timeout, this, [&] { ++zeroFires; });
    QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
    connect(&notifier, &QSocketNotifier::activated, this, [&] {
        pair.drain();
        if (++socketHits == 100)
            loop.quit();
        else
            pair.send();
    });
    zero.start();
    QVERIFY(pair.send());
    QCOMPARE(runLoop(loop, 20000), 0);
    QCOMPARE(socketHits, 100);
    QVERIFY(zeroFires >= 99);
}

void TestEpollDispatcher::timerKilledDuringAnotherTimersActivation()
{
    TimerCounter first;
    TimerCounter second;
    const int firstId = first.startTimer(10, Qt::PreciseTimer);
    int secondId = second.startTimer(10, Qt::PreciseTimer);
    QVERIFY(firstId > 0 && secondId > 0);
    first.onTimer = [&](int) {
        if (first.ids.size() == 1) {
            // Kill the other timer and restart it at once (the id may be reused).
            second.killTimer(secondId);
            secondId = second.startTimer(0);
        }
    };
    std::this_thread::sleep_for(50ms); // both are due now and fire in the same pass
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(first.ids.size(), 1);
    QCOMPARE(second.ids.size(), 0); // killed before its turn; the restarted one waits
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(second.ids.size(), 1);
    QCOMPARE(second.ids.first(), secondId);
    first.killTimer(firstId);
    second.killTimer(secondId);
}

void TestEpollDispatcher::unregisterTimersAndRegisteredTimers()
{
    auto *d = dispatcher();
    TimerCounter obj;
    const int a = obj.startTimer(30, Qt::PreciseTimer);
    const int b = obj.startTimer(250, Qt::CoarseTimer);
    const int c = obj.startTimer(5000, Qt::VeryCoarseTimer);

    const auto infos = d->registeredTimers(&obj);
    QCOMPARE(infos.size(), 3);
    auto find = [&](int id) {
        for (const auto &info : infos) {
            if (info.timerId == id)
                return info;
        }
        return QAbstractEventDispatcher::TimerInfo(0, -1, Qt::PreciseTimer);
    };
    QCOMPARE(find(a).interval, 30);
    QCOMPARE(find(a).timerType, Qt::PreciseTimer);
    QCOMPARE(find(b).interval, 250);
    QCOMPARE(find(b).timerType, Qt::CoarseTimer);
    QCOMPARE(find(c).interval, 5000);
    QCOMPARE(find(c).timerType, Qt::VeryCoarseTimer);

    QObject other;
    QVERIFY(d->registeredTimers(&other).isEmpty());
    QVERIFY(!d->unregisterTimers(&other));

    QVERIFY(d->unregisterTimers(&obj));
    QVERIFY(d->registeredTimers(&obj).isEmpty());
    QVERIFY(!d->unregisterTimers(&obj));
    QCOMPARE(d->remainingTime(a), -1);
    QTest::qWait(150);
    QCOMPARE(obj.ids.size(), 0);

    // unregisterTimer for a single id.
    const int e = obj.startTimer(10, Qt::PreciseTimer);
    QVERIFY(d->unregisterTimer(e));
    QVERIFY(!d->unregisterTimer(e));
    QTest::qWait(60);
    QCOMPARE(obj.ids.size(), 0);
}

void TestEpollDispatcher::remainingTime()
{
    auto *d = dispatcher();
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.start(1000);
    const int first = timer.remainingTime();
    QVERIFY2(first > 500 && first <= 1000, qPrintable(QString::number(first)));
    QVERIFY(d->remainingTime(timer.timerId()) <= first);
    QTest::qWait(200);
    const int later = d->remainingTime(timer.timerId());
    QVERIFY2(later >= 0 && later <= 800, qPrintable(QString::number(later)));
    QCOMPARE(d->remainingTime(987654), -1);
    timer.stop();
    QCOMPARE(timer.remainingTime(), -1);
}

void TestEpollDispatcher::nestedLoopDoesNotReenterTimer()
{
    int depth = 0;
    int maxDepth = 0;
    int outerFires = 0;
    int otherFiresDuringNested = 0;
    bool inNested = false;
    QTimer outer;
    outer.setTimerType(Qt::PreciseTimer);
    outer.setInterval(5);
    QTimer other;
    other.setTimerType(Qt::PreciseTimer);
    other.setInterval(5);
    connect(&other, &QTimer::timeout, this, [&] {
        if (inNested)
            ++otherFiresDuringNested;
    });
    QEventLoop loop;
    connect(&outer, &QTimer::timeout, this, [&] {
        ++depth;
        maxDepth = std::max(maxDepth, depth);
        if (++outerFires == 1) {
            // A nested loop inside a timer handler: other timers keep running, but this
            // timer must not be delivered again until its handler returns.
            QEventLoop nested;
            QTimer::singleShot(100, Qt::PreciseTimer, &nested, &QEventLoop::quit);
            inNested = true;
            nested.exec();
            inNested = false;
        } else if (outerFires == 3) {
            loop.quit();
        }
        --depth;
    });
    outer.start();
    other.start();
    QCOMPARE(runLoop(loop, 20000), 0);
    QCOMPARE(maxDepth, 1);
    QVERIFY2(otherFiresDuringNested >= 3, qPrintable(QString::number(otherFiresDuringNested)));
}

void TestEpollDispatcher::queuedCallFromOtherThreadWakesLoop()
{
    // No timers due for 20 s: only a wake-up from the other thread can end the wait.
    QEventLoop loop;
    bool delivered = false;
    QElapsedTimer clock;
    clock.start();
    std::thread poster([&] {
        std::this_thread::sleep_for(100ms);
        QMetaObject::invokeMethod(
            &loop,
            [&] {
                delivered = true;
                loop.quit();
            },
            Qt::QueuedConnection);
    });
    const int rc = runLoop(loop, 20000);
    poster.join();
    QCOMPARE(rc, 0);
    QVERIFY(delivered);
    QVERIFY(clock.elapsed() < 10000);

    // A single blocking processEvents() call returns once the other thread posts, and has
    // delivered what was posted.
    bool posted = false;
    std::thread second([&] {
        std::this_thread::sleep_for(50ms);
        QMetaObject::invokeMethod(
            this, [&] { posted = true; }, Qt::QueuedConnection);
    });
    QTimer guard; // keeps the call from blocking forever if the wake-up were lost
    guard.setSingleShot(true);
    guard.start(20000);
    clock.restart();
    while (!posted && clock.elapsed() < 20000)
        dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    second.join();
    QVERIFY(posted);
    QVERIFY(clock.elapsed() < 10000);
}

void TestEpollDispatcher::manyPostsFromOtherThread()
{
    constexpr int kPosts = 20000;
    QEventLoop loop;
    int received = 0;
    std::thread poster([&] {
        for (int i = 0; i < kPosts; ++i) {
            QMetaObject::invokeMethod(
                &loop,
                [&] {
                    if (++received == kPosts)
                        loop.quit();
                },
                Qt::QueuedConnection);
            if (i % 1000 == 0)
                std::this_thread::yield();
        }
    });
    const int rc = runLoop(loop, 60000);
    poster.join();
    QCOMPARE(rc, 0);
    QCOMPARE(received, kPosts);
}

void TestEpollDispatcher::eventLoopExecAndQuit()
{
    QEventLoop loop;
    QTimer::singleShot(10, &loop, [&] { loop.exit(42); });
    QCOMPARE(loop.exec(), 42);

    // Nested loops quit in order.
    QStringList order;
    QEventLoop outer;
    QTimer::singleShot(5, &outer, [&] {
        QEventLoop inner;
        QTimer::singleShot(5, &inner, &QEventLoop::quit);
        order << QStringLiteral("inner-start");
        inner.exec();
        order << QStringLiteral("inner-done");
        outer.quit();
    });
    QCOMPARE(runLoop(outer, 20000), 0);
    QCOMPARE(order, (QStringList{QStringLiteral("inner-start"), QStringLiteral("inner-done")}));
}

void TestEpollDispatcher::interruptFromOtherThread()
{
    auto *d = dispatcher();
    for (int i = 0; i < 3; ++i)
        d->processEvents(QEventLoop::AllEvents); // consume any pending wake-up
    std::atomic<bool> returned{false};
    std::thread other([&] {
        std::this_thread::sleep_for(100ms);
        d->interrupt();
        // Safety net: if interrupt() failed, end the wait late so the test fails, not hangs.
        for (int i = 0; i < 200 && !returned.load(); ++i)
            std::this_thread::sleep_for(50ms);
        if (!returned.load())
            d->wakeUp();
    });
    QElapsedTimer clock;
    clock.start();
    d->processEvents(QEventLoop::WaitForMoreEvents);
    returned = true;
    const qint64 elapsed = clock.elapsed();
    other.join();
    QVERIFY2(elapsed >= 50 && elapsed < 5000, qPrintable(QString::number(elapsed)));
}

void TestEpollDispatcher::interruptBeforeProcessEvents()
{
    auto *d = dispatcher();
    QTimer far;
    far.start(20000);

    // Nothing to do for 20 s, but an earlier interrupt() keeps the next call from blocking.
    d->interrupt();
    QElapsedTimer clock;
    clock.start();
    d->processEvents(QEventLoop::WaitForMoreEvents);
    QVERIFY(clock.elapsed() < 5000);

    // QEventLoop::quit() interrupts too; that must not make the call after exec() a no-op.
    QEventLoop loop;
    QTimer::singleShot(0, &loop, &QEventLoop::quit);
    QCOMPARE(runLoop(loop, 20000), 0);
    SocketPair pair;
    int hits = 0;
    QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
    connect(&notifier, &QSocketNotifier::activated, this, [&] { ++hits; });
    QVERIFY(pair.send());
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(hits, 1);
}

void TestEpollDispatcher::excludeFlags()
{
    auto *d = dispatcher();
    SocketPair pair;
    int hits = 0;
    QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
    connect(&notifier, &QSocketNotifier::activated, this, [&] { ++hits; });
    QVERIFY(pair.send());

    d->processEvents(QEventLoop::ExcludeSocketNotifiers);
    QCOMPARE(hits, 0);
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(hits, 1);

    TimerCounter obj;
    const int id = obj.startTimer(0);
    d->processEvents(QEventLoop::X11ExcludeTimers);
    QCOMPARE(obj.ids.size(), 0);
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(obj.ids.size(), 1);
    obj.killTimer(id);

    // Waiting with socket notifiers excluded: the readable socket must neither be
    // delivered nor turn the wait into a busy loop; the timer ends the wait.
    const int hitsBefore = hits;
    QElapsedTimer clock;
    clock.start();
    const int slow = obj.startTimer(100, Qt::PreciseTimer);
    int calls = 0;
    while (obj.ids.size() < 2 && clock.elapsed() < 20000) {
        ++calls;
        d->processEvents(QEventLoop::ExcludeSocketNotifiers | QEventLoop::WaitForMoreEvents);
    }
    obj.killTimer(slow);
    QCOMPARE(obj.ids.size(), 2);
    QCOMPARE(hits, hitsBefore);
    QVERIFY2(calls <= 10, qPrintable(QString::number(calls)));
    QVERIFY(clock.elapsed() >= 90);
}

void TestEpollDispatcher::aboutToBlockAndAwake()
{
    auto *d = dispatcher();
    int blocks = 0;
    int wakes = 0;
    auto c1 = connect(d, &QAbstractEventDispatcher::aboutToBlock, this, [&] { ++blocks; });
    auto c2 = connect(d, &QAbstractEventDispatcher::awake, this, [&] { ++wakes; });
    bool fired = false;
    QTimer::singleShot(30, Qt::PreciseTimer, this, [&] { fired = true; });
    QElapsedTimer clock;
    clock.start();
    while (!fired && clock.elapsed() < 20000)
        d->processEvents(QEventLoop::WaitForMoreEvents);
    disconnect(c1);
    disconnect(c2);
    QVERIFY(fired);
    QVERIFY(blocks >= 1);
    QCOMPARE(wakes, blocks);
}

void TestEpollDispatcher::workerThreadWithDispatcher()
{
    QThread worker;
    worker.setEventDispatcher(new EpollEventDispatcher);
    worker.start();
    QVERIFY(qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance(&worker)));

    auto *context = new QObject;
    context->moveToThread(&worker);
    connect(&worker, &QThread::finished, context, &QObject::deleteLater);
    std::atomic<int> timerFires{0};
    std::atomic<bool> ranOnWorker{false};
    QMetaObject::invokeMethod(
        context,
        [&worker, context, &timerFires, &ranOnWorker] {
            ranOnWorker = QThread::currentThread() == &worker;
            auto *timer = new QTimer(context);
            QObject::connect(timer, &QTimer::timeout, context, [&timerFires] { ++timerFires; });
            timer->start(5);
        },
        Qt::QueuedConnection);
    QTRY_VERIFY_WITH_TIMEOUT(timerFires.load() >= 3, 20000);
    QVERIFY(ranOnWorker.load());

    // QThread::quit() ends the worker's loop through interrupt().
    QPointer<QObject> watch(context);
    worker.quit();
    QVERIFY(worker.wait(10000));
    QVERIFY(!watch); // deleted on the worker thread as it finished
}

void TestEpollDispatcher::readAndWriteNotifiersShareFd()
{
    auto *d = dispatcher();
    SocketPair pair;
    int reads = 0;
    int writes = 0;
    QSocketNotifier reader(pair.fd[0], QSocketNotifier::Read);
    QSocketNotifier writer(pair.fd[0], QSocketNotifier::Write);
    connect(&reader, &QSocketNotifier::activated, this, [&] {
        ++reads;
        pair.drain();
    });
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        ++writes;
        writer.setEnabled(false);
    });
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(writes, 1);
    QCOMPARE(reads, 0);

    QVERIFY(pair.send());
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(reads, 1);
    QCOMPARE(writes, 1);

    writer.setEnabled(true);
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(writes, 2);
    QCOMPARE(reads, 1);

    // Peer closed: the reader sees the hang-up.
    ::close(pair.fd[1]);
    pair.fd[1] = -1;
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(reads, 2);
}

void TestEpollDispatcher::interestChangesAreLazy()
{
    auto *d = dispatcher();
    SocketPair pair;
    int writes = 0;
    QSocketNotifier reader(pair.fd[0], QSocketNotifier::Read);
    QSocketNotifier writer(pair.fd[0], QSocketNotifier::Write);
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        ++writes;
        writer.setEnabled(false);
    });
    writer.setEnabled(false);
    d->processEvents(QEventLoop::AllEvents);
    const quint64 before = d->stats().epollCtlCalls;

    // Enabling and disabling within one iteration costs no system call.
    for (int i = 0; i < 1000; ++i) {
        writer.setEnabled(true);
        writer.setEnabled(false);
    }
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(d->stats().epollCtlCalls, before);
    QCOMPARE(writes, 0);

    // A real change is one epoll_ctl.
    writer.setEnabled(true);
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(d->stats().epollCtlCalls, before + 1);
    QCOMPARE(writes, 1);
}

void TestEpollDispatcher::notifierDeletedDuringOtherActivation()
{
    auto *d = dispatcher();
    // Two readable sockets reported in the same epoll batch. Whichever handler runs first
    // deletes the other notifier, closes that socket and opens a new one that reuses the
    // descriptor number with a fresh notifier. The stale event for the old socket must
    // reach neither the deleted notifier nor the new one.
    SocketPair a;
    SocketPair b;
    SocketPair replacement;
    replacement.close();
    QVERIFY(a.fd[0] >= 0 && b.fd[0] >= 0);
    QPointer<QSocketNotifier> na = new QSocketNotifier(a.fd[0], QSocketNotifier::Read);
    QPointer<QSocketNotifier> nb = new QSocketNotifier(b.fd[0], QSocketNotifier::Read);
    std::unique_ptr<QSocketNotifier> fresh;
    int firstHits = 0;
    int freshHits = 0;
    int reusedFd = -1;
    int oldFd = -1;

    auto onFirst = [&](SocketPair &mine, QPointer<QSocketNotifier> &self, SocketPair &theirs,
                       QPointer<QSocketNotifier> &victim) {
        ++firstHits;
        mine.drain();
        self->setEnabled(false);
        if (!victim)
            return;
        delete victim.data();
        oldFd = theirs.fd[0];
        // Put the new socket on exactly the old descriptor number.
        replacement.open();
        theirs.close();
        if (::dup2(replacement.fd[0], oldFd) == oldFd) {
            ::close(replacement.fd[0]);
            replacement.fd[0] = oldFd;
        }
        reusedFd = replacement.fd[0];
        fresh = std::make_unique<QSocketNotifier>(replacement.fd[0], QSocketNotifier::Read);
        QObject::connect(fresh.get(), &QSocketNotifier::activated, fresh.get(), [&] {
            ++freshHits;
            replacement.drain();
        });
    };
    connect(na, &QSocketNotifier::activated, this, [&] { onFirst(a, na, b, nb); });
    connect(nb, &QSocketNotifier::activated, this, [&] { onFirst(b, nb, a, na); });

    QVERIFY(a.send());
    QVERIFY(b.send());
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(firstHits, 1);
    QVERIFY(!na || !nb);
    QVERIFY(fresh);
    QCOMPARE(reusedFd, oldFd); // the descriptor number really was reused

    for (int i = 0; i < 3; ++i)
        d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(freshHits, 0);
    QCOMPARE(firstHits, 1);

    // The new socket's notifier works.
    QVERIFY(replacement.send());
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(freshHits, 1);

    fresh.reset();
    delete na.data();
    delete nb.data();
}

void TestEpollDispatcher::unwatchableDescriptorWarnsOnce()
{
    // epoll cannot watch a regular file: one warning, no crash, other notifiers unaffected.
    QTemporaryFile file;
    QVERIFY(file.open());
    auto *d = dispatcher();
    SocketPair pair;
    int hits = 0;
    QSocketNotifier good(pair.fd[0], QSocketNotifier::Read);
    connect(&good, &QSocketNotifier::activated, this, [&] {
        ++hits;
        pair.drain();
    });
    const QRegularExpression invalid(QStringLiteral("invalid socket %1").arg(file.handle()));
    QTest::ignoreMessage(QtWarningMsg, invalid);
    QTest::failOnWarning(invalid);
    QSocketNotifier reader(file.handle(), QSocketNotifier::Read);
    QSocketNotifier writer(file.handle(), QSocketNotifier::Write);
    d->processEvents(QEventLoop::AllEvents);
    writer.setEnabled(false);
    d->processEvents(QEventLoop::AllEvents);
    QVERIFY(pair.send());
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(hits, 1);
}

void TestEpollDispatcher::tcpEchoOneMegabyte()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            // Small buffers force many partial writes, toggling the write notifier.
            s->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 8192);
            s->setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 8192);
            connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
        }
    });

    QByteArray payload(1 << 20, Qt::Uninitialized);
    QRandomGenerator gen(12345);
    for (char &c : payload)
        c = char(gen.bounded(256));

    QEventLoop loop;
    QByteArray received;
    QTcpSocket client;
    connect(&client, &QTcpSocket::connected, this, [&] {
        client.setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 8192);
        client.write(payload);
    });
    connect(&client, &QTcpSocket::readyRead, this, [&] {
        received += client.readAll();
        if (received.size() >= payload.size())
            loop.quit();
    });
    const quint64 activationsBefore = dispatcher()->stats().notifierActivations;
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QCOMPARE(runLoop(loop, 60000), 0);
    QCOMPARE(received.size(), payload.size());
    QVERIFY(received == payload);
    QVERIFY(dispatcher()->stats().notifierActivations - activationsBefore > 10);
}

void TestEpollDispatcher::manyConnections()
{
    constexpr int kConnections = 2000;
    rlimit limit{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur < rlim_t(2 * kConnections + 200))
        QSKIP("file descriptor limit too low for this test");

    QTcpServer server;
    server.setListenBacklogSize(4096);
    server.setMaxPendingConnections(kConnections + 10);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int accepted = 0;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            ++accepted;
            connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
        }
    });

    QEventLoop loop;
    int echoed = 0;
    int wrong = 0;
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    clients.reserve(kConnections);
    for (int i = 0; i < kConnections; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        QTcpSocket *c = client.get();
        const QByteArray message = "ping " + QByteArray::number(i) + '\n';
        auto buffer = std::make_shared<QByteArray>();
        connect(c, &QTcpSocket::connected, c, [c, message] { c->write(message); });
        connect(c, &QTcpSocket::readyRead, c, [&, c, message, buffer] {
            *buffer += c->readAll();
            if (buffer->size() < message.size())
                return;
            if (*buffer != message)
                ++wrong;
            if (++echoed == kConnections)
                loop.quit();
        });
        c->connectToHost(QHostAddress::LocalHost, server.serverPort());
        clients.push_back(std::move(client));
    }
    QCOMPARE(runLoop(loop, 120000), 0);
    QCOMPARE(accepted, kConnections);
    QCOMPARE(echoed, kConnections);
    QCOMPARE(wrong, 0);
    clients.clear();
}

int main(int argc, char **argv)
{
    // Room for the many-connections test.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestEpollDispatcher test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolldispatcher.moc"

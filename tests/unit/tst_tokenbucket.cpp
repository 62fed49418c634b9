// TokenBucket: request rates with time given by the caller.

#include "net/tokenbucket.h"

#include <QTest>

using roomkeeper::TokenBucket;

class TokenBucketTest : public QObject
{
    Q_OBJECT

private slots:
    void burstThenRefusal_data();
    void burstThenRefusal();
    void refillsOverTime();
    void refusalDoesNotSpendTokens();
    void rateZeroAdmitsEverything();
    void neverExceedsBurstAfterLongIdle_data();
    void neverExceedsBurstAfterLongIdle();
    void clockGoingBackwardsAddsNothing();
};

namespace {

// Takes at 'nowMs' until refused; returns how many were admitted (capped at 'limit').
int drain(TokenBucket &bucket, qint64 nowMs, int limit = 100000)
{
    int admitted = 0;
    while (admitted < limit && bucket.take(nowMs))
        ++admitted;
    return admitted;
}

} // namespace

void TokenBucketTest::burstThenRefusal_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("burst");
    QTest::addColumn<int>("expected");

    QTest::addRow("5/s burst 5") << 5.0 << 5.0 << 5;
    QTest::addRow("1/s burst 10") << 1.0 << 10.0 << 10;
    QTest::addRow("100/s burst 1") << 100.0 << 1.0 << 1;
    QTest::addRow("half/s burst 3") << 0.5 << 3.0 << 3;
}

void TokenBucketTest::burstThenRefusal()
{
    QFETCH(double, rate);
    QFETCH(double, burst);
    QFETCH(int, expected);

    const qint64 t0 = 1'700'000'000'000;
    TokenBucket bucket(rate, burst, t0);
    QCOMPARE(drain(bucket, t0), expected);
    QVERIFY(!bucket.take(t0));
    QVERIFY(!bucket.take(t0));
}

void TokenBucketTest::refillsOverTime()
{
    // 10 tokens a second: one every 100 ms; 50 ms steps keep the arithmetic exact.
    TokenBucket bucket(10, 3, 0);
    QCOMPARE(drain(bucket, 0), 3);
    QVERIFY(!bucket.take(50)); // half a token
    QVERIFY(bucket.take(100)); // one whole token
    QVERIFY(!bucket.take(100));
    QCOMPARE(drain(bucket, 300), 2); // 200 ms: two tokens
    QCOMPARE(drain(bucket, 400), 1);
    QCOMPARE(drain(bucket, 1000), 3); // 600 ms would be six, the burst caps at three
}

void TokenBucketTest::refusalDoesNotSpendTokens()
{
    TokenBucket bucket(10, 1, 0);
    QVERIFY(bucket.take(0));
    QVERIFY(!bucket.take(50)); // 0.5 token: refused, and the half stays
    QVERIFY(bucket.take(100)); // 0.5 + 0.5
    QVERIFY(!bucket.take(100));
}

void TokenBucketTest::rateZeroAdmitsEverything()
{
    TokenBucket zero(0, 0, 0);
    QCOMPARE(drain(zero, 0, 10000), 10000);
    QCOMPARE(drain(zero, 1, 10000), 10000);

    TokenBucket zeroWithBurst(0, 2, 0);
    QCOMPARE(drain(zeroWithBurst, 0, 10000), 10000);

    TokenBucket defaulted;
    QCOMPARE(drain(defaulted, 0, 10000), 10000);
    QCOMPARE(drain(defaulted, -5, 10000), 10000);
}

void TokenBucketTest::neverExceedsBurstAfterLongIdle_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("burst");
    QTest::addColumn<qint64>("idleMs");
    QTest::addColumn<int>("expected");

    QTest::addRow("a minute") << 10.0 << 5.0 << qint64(60'000) << 5;
    QTest::addRow("a day") << 10.0 << 5.0 << qint64(86'400'000) << 5;
    QTest::addRow("decades") << 1000.0 << 20.0 << qint64(1'000'000'000'000) << 20;
    QTest::addRow("slow rate, a year") << 0.01 << 2.0 << qint64(31'536'000'000) << 2;
}

void TokenBucketTest::neverExceedsBurstAfterLongIdle()
{
    QFETCH(double, rate);
    QFETCH(double, burst);
    QFETCH(qint64, idleMs);
    QFETCH(int, expected);

    const qint64 t0 = 1000;
    TokenBucket bucket(rate, burst, t0);
    QCOMPARE(drain(bucket, t0), expected);
    QCOMPARE(drain(bucket, t0 + idleMs), expected);
    QVERIFY(!bucket.take(t0 + idleMs));

    TokenBucket untouched(rate, burst, t0);
    QCOMPARE(drain(untouched, t0 + idleMs), expected);
}

void TokenBucketTest::clockGoingBackwardsAddsNothing()
{
    TokenBucket bucket(10, 2, 1000);
    QCOMPARE(drain(bucket, 1000), 2);
    QVERIFY(!bucket.take(0));    // earlier than the last take: no tokens
    QVERIFY(!bucket.take(1000)); // and the step back did not reset the clock either
    QVERIFY(!bucket.take(1050));
    QVERIFY(bucket.take(1100));
}

QTEST_APPLESS_MAIN(TokenBucketTest)
#include "tst_tokenbucket.moc"

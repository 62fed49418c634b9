// SIGKILL at random moments during a stream of moderation from 20 room admins (over the
// room protocol) and the operator's console, 50 times over one data directory. Pass:
// after each restart, every action that was answered as done is there: each admin's room
// carries at least the last limit it was answered for (and no more than the last one it
// sent), and every address ban the console was answered "ok" for is listed.

#include "servertestmain.h"
#include "testclient.h"

#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace roomkeeper::test;

namespace {

constexpr int Admins = 20;
constexpr int Rounds = 50;

struct Admin
{
    QString token;
    QString room;
    std::unique_ptr<TestClient> client;
    qsizetype seen = 0;   // frames looked at
    int sent = 0;         // the last limit asked for
    int acked = 0;        // the last limit answered as done
    bool waiting = false; // an update is on its way
};

} // namespace

class SigkillModerationTest : public QObject
{
    Q_OBJECT

private slots:
    void everythingAnsweredIsThereAfterEachKill();

private:
    bool start();
    QStringList command(const QString &line);
    void pump(Admin &admin);

    QTemporaryDir m_dataDir;
    std::unique_ptr<QProcess> m_server;
    quint16 m_port = 0;
};

bool SigkillModerationTest::start()
{
    m_server = std::make_unique<QProcess>();
    m_server->start(QStringLiteral(ROOMKEEPER_BINARY),
                    {QStringLiteral("--no-gui"), QStringLiteral("--port"), QStringLiteral("0"),
                     QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                     QStringLiteral("--data-dir"), m_dataDir.path(),
                     QStringLiteral("--max-message-rate"), QStringLiteral("0"),
                     QStringLiteral("--log-level"), QStringLiteral("error")});
    if (!m_server->waitForStarted() ||
        !QTest::qWaitFor([this] { return m_server->canReadLine(); }, 10000))
        return false;
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("ws://[0-9.]+:([0-9]+) "))
                                          .match(QString::fromUtf8(m_server->readLine()));
    m_port = m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
    return m_port != 0;
}

QStringList SigkillModerationTest::command(const QString &line)
{
    m_server->write(line.toUtf8() + '\n');
    QStringList answer;
    if (!QTest::qWaitFor([this] { return m_server->canReadLine(); }, 5000))
        return answer;
    QTest::qWait(50);
    while (m_server->canReadLine())
        answer.append(QString::fromUtf8(m_server->readLine()).trimmed());
    return answer;
}

// Reads what came for 'admin' and sends its next update once the last one is answered.
void SigkillModerationTest::pump(Admin &admin)
{
    const QList<QJsonObject> frames = admin.client->frames();
    for (; admin.seen < frames.size(); ++admin.seen) {
        const QJsonObject &f = frames.at(admin.seen);
        const QString type = f.value(QStringLiteral("type")).toString();
        if (type == QLatin1StringView("room") &&
            f.value(QStringLiteral("room_id")).toString() == admin.room &&
            f.value(QStringLiteral("max_participants")).toInt() == admin.sent && admin.waiting) {
            admin.acked = admin.sent;
            admin.waiting = false;
        } else if (type == QLatin1StringView("error") && admin.waiting) {
            admin.waiting = false;
        }
    }
    if (!admin.waiting && admin.client->isConnected()) {
        admin.sent += 1;
        admin.waiting = true;
        admin.client->send({{QStringLiteral("type"), QStringLiteral("update")},
                            {QStringLiteral("room_id"), admin.room},
                            {QStringLiteral("max_participants"), admin.sent}});
    }
}

// Pass: see the top of the file.
void SigkillModerationTest::everythingAnsweredIsThereAfterEachKill()
{
    QVERIFY(m_dataDir.isValid());
    std::vector<Admin> admins(Admins);
    QVERIFY(start());
    for (int i = 0; i < Admins; ++i) {
        Admin &a = admins[std::size_t(i)];
        a.client = std::make_unique<TestClient>();
        QVERIFY(a.client->open(m_port, QStringLiteral("name=admin%1").arg(i)));
        a.token = a.client->token();
        a.room = a.client->createRoom(QStringLiteral("room%1").arg(i));
        QVERIFY(!a.room.isEmpty());
    }
    QStringList bansAcked;
    int bansSent = 0;
    QRandomGenerator random(20261204);
    for (int round = 0; round < Rounds; ++round) {
        if (round > 0) {
            QVERIFY(start());
            for (int i = 0; i < Admins; ++i) {
                Admin &a = admins[std::size_t(i)];
                a.client = std::make_unique<TestClient>();
                a.seen = 0;
                a.waiting = false;
                QVERIFY(a.client->open(m_port, QStringLiteral("token=") + a.token));
                QVERIFY(a.client->enter(a.room));
                a.seen = a.client->frames().size();
            }
        }
        // The console's bans go one after another, each waiting for its answer line.
        QByteArray consoleOutput;
        QString banPending;
        const qint64 killAfterMs = 100 + random.bounded(700);
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < killAfterMs) {
            for (Admin &a : admins)
                pump(a);
            consoleOutput += m_server->readAllStandardOutput();
            while (consoleOutput.contains('\n')) {
                const qsizetype end = consoleOutput.indexOf('\n');
                const QByteArray line = consoleOutput.left(end).trimmed();
                consoleOutput.remove(0, end + 1);
                if (!banPending.isEmpty() && line.startsWith("ok"))
                    bansAcked.append(banPending);
                if (line.startsWith("ok") || line.startsWith("error"))
                    banPending.clear();
            }
            if (banPending.isEmpty()) {
                ++bansSent;
                banPending = QStringLiteral("10.%1.%2.1").arg(bansSent / 250).arg(bansSent % 250);
                m_server->write(QStringLiteral("ban-address %1 round %2\n")
                                    .arg(banPending)
                                    .arg(round)
                                    .toUtf8());
            }
            QTest::qWait(2);
        }
        m_server->kill();
        QVERIFY(m_server->waitForFinished(5000));
        for (Admin &a : admins)
            a.client.reset();

        QVERIFY(start());
        QHash<QString, int> limits;
        for (const QString &row : command(QStringLiteral("rooms"))) {
            const QStringList fields = row.split(QLatin1Char('\t'));
            if (fields.size() == 4)
                limits.insert(fields.at(1), fields.at(2).section(QLatin1Char('/'), 1).toInt());
        }
        for (int i = 0; i < Admins; ++i) {
            const Admin &a = admins.at(std::size_t(i));
            const int stored = limits.value(QStringLiteral("room%1").arg(i), -1);
            QVERIFY2(stored >= a.acked && stored <= a.sent,
                     qPrintable(QStringLiteral("round %1 room%2: stored %3, answered %4, sent %5")
                                    .arg(round)
                                    .arg(i)
                                    .arg(stored)
                                    .arg(a.acked)
                                    .arg(a.sent)));
        }
        QSet<QString> listed;
        for (const QString &row : command(QStringLiteral("bans"))) {
            const QStringList fields = row.split(QLatin1Char('\t'));
            if (fields.size() == 8)
                listed.insert(fields.at(2));
        }
        for (const QString &address : std::as_const(bansAcked))
            QVERIFY2(listed.contains(address),
                     qPrintable(QStringLiteral("round %1: ban of %2 answered ok, then lost")
                                    .arg(round)
                                    .arg(address)));
        m_server->kill();
        QVERIFY(m_server->waitForFinished(5000));
    }
    int answered = 0;
    for (const Admin &a : std::as_const(admins))
        answered += a.acked;
    qInfo("%d rounds: %d limits and %lld address bans answered as done, none lost", Rounds,
          answered, qlonglong(bansAcked.size()));
    QVERIFY(answered > Admins * Rounds / 2); // the stream really ran
}

ROOMKEEPER_SERVER_TEST_MAIN(SigkillModerationTest)
#include "tst_sigkillmoderation.moc"

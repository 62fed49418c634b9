// Secrets and logs (issue 9, item 10), against the real server on port 0 with every
// roomkeeper.* logging category on at debug level and the console's watch stream on.
//
// Pass:
// - secrets: session keys are 128 random bits and tokens 256 (22 and 43 URL-safe base64
//   characters); 2,000 of each are distinct and their bits are balanced byte by byte
//   (each byte position averages 127.5 +- 10), so no part of a secret is left unfilled;
//   they come from QRandomGenerator::system() (userdirectory.cpp, by inspection);
// - the key comparison (equalSecrets) is right for equal, unequal and different-length
//   secrets, and takes as long for a first-byte difference as for a last-byte one (within
//   a factor 3 on 1 MiB secrets, where an early exit would differ ~10,000-fold); tokens are
//   looked up by their SHA-256, never compared in clear;
// - after a session on both protocols (messages, reads, a webhook, kicks, a ban, bad keys,
//   reconnects with tokens, console actions), no log line or watch line holds any key,
//   token, offered token, the webhook's URL path or any message content, and no
//   connection ever received another connection's key, another user's token, or (unless
//   it is an admin's) the webhook URL;
// - display names with control characters, ANSI escapes, CR, LF, NEL, U+2028 or U+202E are
//   refused (the server names the user guest-XXXX), and after kicks, bans and closes with
//   such reasons and a close frame with such a reason, every log line and watch line is
//   one line: no CR, LF, NEL, U+2028/U+2029, ESC or other control character but TAB; and
//   the console's 'bans' and 'audit' listings keep one record per line with their fixed
//   number of tab-separated fields (8 and 6).

#include "../gateway/gatewayclient.h"
#include "jsonfields.h"
#include "serverconfigs.h"
#include "servertestmain.h"
#include "testclient.h"

#include "console/consolecommands.h"
#include "domain/textrules.h"
#include "domain/userdirectory.h"
#include "server/chatserver.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

#include <algorithm>
#include <memory>

using namespace roomkeeper;
using namespace roomkeeper::test;
using namespace Qt::StringLiterals;

namespace {

// Every message of this process, as "category: text", with roomkeeper.* on at all levels.
class LogCapture
{
public:
    LogCapture()
    {
        s_lines.clear();
        m_previousFilter = QLoggingCategory::installFilter(&LogCapture::filter);
        s_previousFilter = m_previousFilter;
        s_previousHandler = qInstallMessageHandler(&LogCapture::handler);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(s_previousHandler);
        QLoggingCategory::installFilter(m_previousFilter);
    }
    Q_DISABLE_COPY_MOVE(LogCapture)

    static const QStringList &lines() { return s_lines; }

private:
    static void filter(QLoggingCategory *category)
    {
        if (s_previousFilter)
            s_previousFilter(category);
        if (QByteArrayView(category->categoryName()).startsWith("roomkeeper.")) {
            category->setEnabled(QtDebugMsg, true);
            category->setEnabled(QtInfoMsg, true);
            category->setEnabled(QtWarningMsg, true);
        }
    }
    static void handler(QtMsgType type, const QMessageLogContext &context, const QString &text)
    {
        s_lines.append(QString::fromLatin1(context.category ? context.category : "default") +
                       u": "_s + text);
        if (s_previousHandler)
            s_previousHandler(type, context, text);
    }

    QLoggingCategory::CategoryFilter m_previousFilter = nullptr;
    static inline QStringList s_lines;
    static inline QtMessageHandler s_previousHandler = nullptr;
    static inline QLoggingCategory::CategoryFilter s_previousFilter = nullptr;
};

ServerConfig localConfig()
{
    ServerConfig c = localServerConfig();
    c.maxMessageRate = 0;
    return c;
}

// Turns on the server's traffic view and collects its lines into 'lines'.
void recordWatchLines(ChatServer &server, QStringList &lines)
{
    server.setWatching(true);
    QObject::connect(&server, &ChatServer::watchEvent, &server,
                     [&lines](const QString &line) { lines.append(line); });
}

// One connection and the raw text of every frame it received.
struct Seen
{
    QString label;
    QString user;
    QString key; // room protocol only
    QStringList texts;
    bool admin = false;
};

void record(QWebSocket &socket, Seen &seen)
{
    QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket,
                     [&seen](const QString &text) { seen.texts.append(text); });
}

QJsonObject request(const char *type, const QString &room,
                    std::initializer_list<std::pair<const char *, QJsonValue>> fields = {})
{
    QJsonObject o{{u"type"_s, QLatin1StringView(type)}, {u"room_id"_s, room}};
    for (const auto &[key, value] : fields)
        o.insert(QLatin1StringView(key), value);
    return o;
}

// Characters that must never reach a log line: they end it, start another, or drive the
// terminal. TAB separates fields of watch lines.
QString lineBreaker(const QString &line)
{
    for (const QChar c : line) {
        const char16_t u = c.unicode();
        const bool control = u < 0x20 || (u >= 0x7f && u <= 0x9f);
        if ((control && u != u'\t') || u == 0x2028 || u == 0x2029)
            return u"U+%1"_s.arg(uint(u), 4, 16, QLatin1Char('0'));
    }
    return QString();
}

} // namespace

class SecretsLogsTest : public QObject
{
    Q_OBJECT

private slots:
    void secretsAreLongRandomAndDistinct();
    void keyComparisonLooksAtEveryByte();
    void secretsStayOutOfLogsAndOtherPeoplesFrames();
    void hostileNamesAndReasonsCannotSplitLogLines();
};

void SecretsLogsTest::secretsAreLongRandomAndDistinct()
{
    for (const int bits : {128, 256}) {
        const int length = (bits + 5) / 6;
        const QRegularExpression alphabet(u"^[A-Za-z0-9_-]{%1}$"_s.arg(length));
        QSet<QByteArray> seen;
        QList<qint64> byteSums(bits / 8, 0);
        const int draws = 2000;
        for (int i = 0; i < draws; ++i) {
            const QByteArray secret = randomSecret(bits);
            QVERIFY2(alphabet.match(QString::fromLatin1(secret)).hasMatch(), secret.constData());
            seen.insert(secret);
            const QByteArray raw = QByteArray::fromBase64(secret, QByteArray::Base64UrlEncoding);
            QCOMPARE(raw.size(), bits / 8);
            for (qsizetype b = 0; b < raw.size(); ++b)
                byteSums[b] += quint8(raw.at(b));
        }
        QCOMPARE(seen.size(), draws);
        // Uniform bytes average 127.5 with a standard deviation of 1.65 over 2,000 draws.
        for (qsizetype b = 0; b < byteSums.size(); ++b) {
            const double mean = double(byteSums.at(b)) / draws;
            QVERIFY2(
                mean > 119.5 && mean < 135.5,
                qPrintable(u"byte %1 of %2-bit secrets averages %3"_s.arg(b).arg(bits).arg(mean)));
        }
    }
}

void SecretsLogsTest::keyComparisonLooksAtEveryByte()
{
    const QByteArray key = randomSecret(128);
    QVERIFY(equalSecrets(key, QByteArray(key)));
    QVERIFY(equalSecrets(QByteArray(), QByteArray()));
    QByteArray first = key;
    first[0] = char(first.at(0) ^ 1);
    QByteArray last = key;
    last[last.size() - 1] = char(last.at(last.size() - 1) ^ 0x40);
    QVERIFY(!equalSecrets(key, first));
    QVERIFY(!equalSecrets(key, last));
    QVERIFY(!equalSecrets(key, key.left(key.size() - 1)));
    QVERIFY(!equalSecrets(key, key + 'A'));
    QVERIFY(!equalSecrets(key, QByteArray()));

    // Time: a difference in the first byte costs what one in the last byte costs.
    const QByteArray big(1024 * 1024, 'k');
    QByteArray bigFirst = big;
    bigFirst[0] = 'x';
    QByteArray bigLast = big;
    bigLast[bigLast.size() - 1] = 'x';
    const auto bestOf = [](const QByteArray &a, const QByteArray &b) {
        qint64 best = std::numeric_limits<qint64>::max();
        for (int round = 0; round < 15; ++round) {
            QElapsedTimer timer;
            timer.start();
            bool any = false;
            for (int i = 0; i < 20; ++i)
                any = equalSecrets(a, b) || any;
            best = std::min(best, timer.nsecsElapsed());
            if (any)
                return qint64(-1);
        }
        return best;
    };
    const qint64 firstNs = bestOf(big, bigFirst);
    const qint64 lastNs = bestOf(big, bigLast);
    qInfo("20 comparisons of 1 MiB: first byte differs %lld us, last byte differs %lld us",
          firstNs / 1000, lastNs / 1000);
    QVERIFY(firstNs > 0 && lastNs > 0);
    QVERIFY2(firstNs * 3 > lastNs && lastNs * 3 > firstNs, "the comparison stops early");
}

void SecretsLogsTest::secretsStayOutOfLogsAndOtherPeoplesFrames()
{
    LogCapture logs;
    // A webhook endpoint that hangs up at once: delivery fails and is logged.
    QTcpServer hook;
    QVERIFY(hook.listen(QHostAddress::LocalHost));
    QObject::connect(&hook, &QTcpServer::newConnection, &hook, [&hook] {
        while (QTcpSocket *s = hook.nextPendingConnection()) {
            s->close();
            s->deleteLater();
        }
    });
    const QString hookSecret = QString::fromLatin1(randomSecret(128));
    const QString webhook =
        u"http://127.0.0.1:%1/api/webhooks/%2"_s.arg(hook.serverPort()).arg(hookSecret);

    ChatServer server(localConfig());
    QStringList watch;
    recordWatchLines(server, watch);
    server.start();
    const quint16 port = server.port();

    std::vector<std::unique_ptr<Seen>> seen;
    const auto track = [&seen](QWebSocket &socket, const QString &label) -> Seen & {
        seen.push_back(std::make_unique<Seen>());
        seen.back()->label = label;
        record(socket, *seen.back());
        return *seen.back();
    };

    TestClient alice;
    Seen &aliceSeen = track(alice.socket(), u"alice /ws"_s);
    QVERIFY(alice.open(port, u"name=alice"_s));
    aliceSeen.user = alice.userId();
    aliceSeen.key = alice.key();
    aliceSeen.admin = true;
    const QString room = alice.createRoom(u"vault"_s);
    QVERIFY(!room.isEmpty());
    alice.send(request("update", room, {{"webhook", webhook}}));
    QVERIFY(!alice
                 .waitFor(u"room"_s,
                          [&webhook](const QJsonObject &o) { return str(o, "webhook") == webhook; })
                 .isEmpty());

    TestClient bob;
    Seen &bobSeen = track(bob.socket(), u"bob /ws"_s);
    QVERIFY(bob.open(port, u"name=bob"_s));
    bobSeen.user = bob.userId();
    bobSeen.key = bob.key();
    QVERIFY(bob.enter(room));

    TestClient bobAgain; // bob's second connection, resumed with his token
    Seen &bobAgainSeen = track(bobAgain.socket(), u"bob's second /ws"_s);
    QVERIFY(bobAgain.open(port, u"token="_s + bob.token()));
    QCOMPARE(bobAgain.userId(), bob.userId());
    bobAgainSeen.user = bobAgain.userId();
    bobAgainSeen.key = bobAgain.key();
    QVERIFY(bobAgain.key() != bob.key());
    QVERIFY(bobAgain.enter(room));

    auto carol = std::make_unique<GatewayClient>();
    Seen *carolSeen = &track(carol->socket(), u"carol /gateway"_s);
    QVERIFY(carol->open(port, GatewayClient::query(room, u"carol"_s)));
    const QString carolToken = carol->token();
    carolSeen->user = carol->userId();
    const QString carolUser = carol->userId();
    QVERIFY(!carol->ready().value("room"_L1).toObject().contains("discordWebhookLink"_L1));

    GatewayClient aliceGateway;
    Seen &aliceGatewaySeen = track(aliceGateway.socket(), u"alice /gateway"_s);
    QVERIFY(aliceGateway.open(port, GatewayClient::query(room, QString(), alice.token())));
    aliceGatewaySeen.user = alice.userId();
    aliceGatewaySeen.admin = true;
    QCOMPARE(
        aliceGateway.ready().value("room"_L1).toObject().value("discordWebhookLink"_L1).toString(),
        webhook);

    // Chat, read, and try other people's secrets as keys.
    const QString marker = u"content-marker-"_s + QString::fromLatin1(randomSecret(64));
    alice.send(request("message", room, {{"content", QString(marker + u" 1"_s)}}));
    bob.send(request("message", room, {{"content", QString(marker + u" 2"_s)}}));
    carol->sendOp(3, {{u"content"_s, QString(marker + u" 3"_s)}});
    aliceGateway.sendOp(3, {{u"content"_s, QString(marker + u" 4"_s)}});
    QVERIFY(
        !bobAgain
             .waitFor(u"message"_s,
                      [](const QJsonObject &o) { return o.value("message_id"_L1).toInt() == 4; })
             .isEmpty());
    bob.send(request("read", room, {{"message_id", 4}}), false);
    carol->sendOp(11, {{u"messageId"_s, 3}});
    for (const QString &stolen : {alice.key(), alice.token(), bobAgain.key(), carolToken}) {
        bob.send(request("update", room, {{"key", stolen}, {"chat_locked", true}}));
        QCOMPARE(str(bob.waitForError(), "code"), u"bad_key"_s);
    }
    bob.send(request("message", room, {{"content", u"hi"_s}, {"key", alice.token()}}));
    QCOMPARE(str(bob.waitForError(), "code"), u"bad_key"_s);

    // Moderation: a kick on /gateway and a comeback with the token, a ban and an unban,
    // a console kick; an unknown token offered; settings changed.
    alice.send(request("kick", room, {{"user_id", carolSeen->user}, {"message", u"out"_s}}));
    QVERIFY(carol->waitForDisconnect());
    carol = std::make_unique<GatewayClient>();
    carolSeen = &track(carol->socket(), u"carol's comeback /gateway"_s);
    QVERIFY(carol->open(port, GatewayClient::query(room, QString(), carolToken)));
    carolSeen->user = carol->userId();
    QCOMPARE(carolSeen->user, carolUser);
    alice.send(request("kick", room,
                       {{"user_id", bob.userId()}, {"permanent", true}, {"message", u"bye"_s}}));
    QVERIFY(!bob.waitFor(u"kick"_s).isEmpty());
    alice.send(request("unban", room, {{"user_id", bob.userId()}}));
    QVERIFY(
        !carol
             ->waitForOp(
                 6, [](const QJsonObject &d) { return d.value("banned"_L1) == QJsonValue(false); })
             .isEmpty());
    QVERIFY(bob.enter(room));
    QVERIFY(!server.moderation()
                 .kick(Actor::operatorConsole(), QUuid::fromString(room),
                       QUuid::fromString(carolSeen->user), u"console"_s)
                 .has_value());
    const QString offered = alice.token() + u"x"_s;
    TestClient stranger;
    Seen &strangerSeen = track(stranger.socket(), u"stranger /ws"_s);
    QVERIFY(stranger.open(port, u"token="_s + offered));
    QVERIFY(stranger.userId() != alice.userId());
    strangerSeen.user = stranger.userId();
    strangerSeen.key = stranger.key();
    QVERIFY(stranger.enter(room));
    alice.send(request("update", room, {{"chat_locked", true}, {"max_participants", 10}}));
    QVERIFY(!stranger
                 .waitFor(u"room"_s,
                          [](const QJsonObject &o) { return o.value("chat_locked"_L1).toBool(); })
                 .isEmpty());
    alice.send(request("close", room, {{"message", u"done"_s}}));
    QVERIFY(!stranger.waitFor(u"room_closed"_s).isEmpty());
    QVERIFY(aliceGateway.waitForDisconnect());
    // Let webhook deliveries fail and be logged.
    QTest::qWait(300);

    // The secrets of the session.
    struct Secret
    {
        QString what;
        QString text;
        QString owner;      // user id; empty: the webhook
        QString connection; // the label of the only connection it may reach, if any
    };
    const QList<Secret> secrets{
        {u"alice's key"_s, alice.key(), alice.userId(), aliceSeen.label},
        {u"bob's key"_s, bob.key(), bob.userId(), bobSeen.label},
        {u"bob's second key"_s, bobAgain.key(), bob.userId(), bobAgainSeen.label},
        {u"stranger's key"_s, stranger.key(), stranger.userId(), strangerSeen.label},
        {u"alice's token"_s, alice.token(), alice.userId(), QString()},
        {u"bob's token"_s, bob.token(), bob.userId(), QString()},
        {u"carol's token"_s, carolToken, carolUser, QString()},
        {u"stranger's token"_s, stranger.token(), stranger.userId(), QString()},
        {u"the offered token"_s, offered, stranger.userId(), QString()},
        {u"the webhook"_s, hookSecret, QString(), QString()},
        {u"message content"_s, marker, u"everyone"_s, QString()},
    };
    for (const Secret &s : secrets)
        QVERIFY2(s.text.size() >= 16, qPrintable(s.what));

    const QStringList allLogs = LogCapture::lines() + watch;
    qInfo("%lld log lines and %lld watch lines checked", qint64(LogCapture::lines().size()),
          qint64(watch.size()));
    QVERIFY(LogCapture::lines().size() > 20);
    QVERIFY(watch.size() > 5);
    QVERIFY(std::any_of(allLogs.cbegin(), allLogs.cend(),
                        [](const QString &l) { return l.startsWith("roomkeeper.webhook"_L1); }));
    for (const Secret &s : secrets) {
        for (const QString &line : allLogs)
            QVERIFY2(!line.contains(s.text) && !line.contains(s.text.left(16)),
                     qPrintable(s.what + u" is in the log: "_s + line));
    }

    for (const auto &connection : seen) {
        QVERIFY(!connection->texts.isEmpty());
        const QString all = connection->texts.join(u'\n');
        for (const Secret &s : secrets) {
            bool allowed = false;
            if (s.owner == "everyone"_L1)
                allowed = true;
            else if (s.owner.isEmpty())
                allowed = connection->admin;
            else if (!s.connection.isEmpty())
                allowed = s.connection == connection->label;
            else
                allowed = s.owner == connection->user;
            if (!allowed)
                QVERIFY2(!all.contains(s.text),
                         qPrintable(s.what + u" reached "_s + connection->label));
        }
    }
    // The checks can see a secret where it belongs.
    QVERIFY(aliceSeen.texts.join(u'\n').contains(alice.key()));
    QVERIFY(aliceGatewaySeen.texts.join(u'\n').contains(hookSecret));
    QVERIFY(bobAgainSeen.texts.join(u'\n').contains(bob.token()));
}

void SecretsLogsTest::hostileNamesAndReasonsCannotSplitLogLines()
{
    LogCapture logs;
    ChatServer server(localConfig());
    QStringList watch;
    recordWatchLines(server, watch);
    server.start();
    const quint16 port = server.port();

    const QStringList names{
        u"\x1b[31mred\x1b[0m"_s,
        u"a\rb"_s,
        u"x\nroomkeeper.server: open 10.0.0.1 /ws user forged new"_s,
        u"u\u2028v"_s,
        u"w\u0085z"_s,
        u"\u202Eevil"_s,
        u"tab\tname"_s,
        u"bell\x07"_s,
        u"\x1b]0;title\x07"_s,
    };
    const QRegularExpression guest(u"^guest-[0-9a-f]{4}$"_s);

    TestClient admin;
    QVERIFY(admin.open(port, u"name=admin"_s));
    const QString room = admin.createRoom(u"logs"_s);
    QVERIFY(!room.isEmpty());

    std::vector<std::unique_ptr<TestClient>> people;
    for (const QString &name : names) {
        QUrlQuery query;
        query.addQueryItem(u"name"_s, name);
        people.push_back(std::make_unique<TestClient>());
        TestClient &person = *people.back();
        QVERIFY(person.open(port, query.toString(QUrl::FullyEncoded)));
        QVERIFY2(guest.match(str(person.session(), "name")).hasMatch(),
                 qPrintable(str(person.session(), "name")));
        QVERIFY(person.enter(room));
        // A known token with a hostile name keeps the old name.
        TestClient again;
        QUrlQuery resume = query;
        resume.addQueryItem(u"token"_s, person.token());
        QVERIFY(again.open(port, resume.toString(QUrl::FullyEncoded)));
        QCOMPARE(str(again.session(), "name"), str(person.session(), "name"));
        // Room names are held to the same rules.
        admin.send({{u"type"_s, u"create"_s}, {u"name"_s, name}});
        QCOMPARE(str(admin.waitForError(), "code"), u"bad_field"_s);

        auto gateway = std::make_unique<GatewayClient>();
        QVERIFY(gateway->open(port, GatewayClient::query(room, name)));
        QVERIFY2(guest.match(gateway->name()).hasMatch(), qPrintable(gateway->name()));
    }

    // Reasons are free text (line breaks allowed, control characters not): kicks, a ban, a
    // close frame's reason and a room's closing all carry them.
    const QString forged = u"\nroomkeeper.moderation: by console ban-address 0.0.0.0/0 everyone"_s;
    admin.send({{u"type"_s, u"kick"_s},
                {u"room_id"_s, room},
                {u"user_id"_s, people.at(0)->userId()},
                {u"message"_s, QString(u"bye"_s + forged)}});
    QVERIFY(!people.at(0)->waitFor(u"kick"_s).isEmpty());
    admin.send({{u"type"_s, u"kick"_s},
                {u"room_id"_s, room},
                {u"user_id"_s, people.at(1)->userId()},
                {u"permanent"_s, true},
                {u"message"_s, u"line\u2028separator\r\ncarriage\tfield"_s}});
    QVERIFY(!people.at(1)->waitFor(u"kick"_s).isEmpty());
    admin.send({{u"type"_s, u"kick"_s},
                {u"room_id"_s, room},
                {u"user_id"_s, people.at(2)->userId()},
                {u"message"_s, u"\x1b[2Jwiped"_s}});
    QCOMPARE(str(admin.waitForError(), "code"), u"bad_field"_s);
    people.at(3)->socket().close(QWebSocketProtocol::CloseCodeNormal,
                                 u"bye\nroomkeeper.server: forged\x1b[2J"_s);
    QVERIFY(people.at(3)->waitForDisconnect());
    QStringList broken;
    // The console's data lines are tab-separated fields for scripts: a reason holds neither
    // a line break nor a tab there.
    ConsoleCommands console(server);
    const QList<std::pair<QString, int>> listings{{u"bans"_s, 8}, {u"audit 100"_s, 6}};
    for (const auto &[command, fields] : listings) {
        const QStringList lines = console.execute(command).lines;
        QVERIFY2(lines.size() > 1 && lines.first().startsWith("ok"_L1), qPrintable(command));
        for (const QString &line : lines.mid(1)) {
            const QString bad = lineBreaker(line);
            if (!bad.isEmpty())
                broken << bad + u" in '"_s + command + u"' line: "_s +
                              textrules::printable(line, 400);
            else if (line.count(u'\t') + 1 != fields)
                broken << u"%1 fields, not %2, in '%3' line: %4"_s.arg(line.count(u'\t') + 1)
                              .arg(fields)
                              .arg(command, textrules::printable(line, 400));
        }
    }
    admin.send(
        {{u"type"_s, u"close"_s}, {u"room_id"_s, room}, {u"message"_s, u"closing\r\nforged"_s}});
    QVERIFY(!people.at(4)->waitFor(u"room_closed"_s).isEmpty());
    QTest::qWait(100);

    const QStringList allLogs = LogCapture::lines() + watch;
    qInfo("%lld log lines and %lld watch lines checked", qint64(LogCapture::lines().size()),
          qint64(watch.size()));
    QVERIFY(LogCapture::lines().size() > 20);
    QVERIFY(watch.size() > 10);
    for (const QString &line : allLogs) {
        const QString bad = lineBreaker(line);
        if (!bad.isEmpty())
            broken << bad + u" in log line: "_s + textrules::printable(line, 400);
    }
    QVERIFY2(broken.isEmpty(), qPrintable(broken.join(u"\n    "_s)));
}

ROOMKEEPER_SERVER_TEST_MAIN(SecretsLogsTest)
#include "tst_secretslogs.moc"

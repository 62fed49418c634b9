// WebhookForwarder (PROTOCOL.md §5) against a scripted local HTTP endpoint: the request it
// sends, order, 429 pacing, giving up, bounded queues, independent rooms and forget().

#include "net/httprequesthead.h"
#include "webhook/webhookforwarder.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <functional>
#include <memory>

using namespace roomkeeper;

namespace {

struct Request
{
    QByteArray method;
    QByteArray target;
    HttpRequestHead head;
    QByteArray body;
    qint64 atMs = 0; // when it was read completely, on the endpoint's clock

    QString content() const
    {
        return QJsonDocument::fromJson(body)
            .object()
            .value(QLatin1StringView("content"))
            .toString();
    }
};

struct Answer
{
    int status = 204;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    int delayMs = 0;
    bool hang = false; // never answer, keep the connection open
};

// A tiny HTTP/1.1 endpoint on 127.0.0.1:0 with keep-alive; each request is answered as the
// script says (204 by default).
class Endpoint final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Endpoint)

public:
    using Script = std::function<Answer(const Request &request, int index)>;

    explicit Endpoint(Script script = {}) : m_script(std::move(script))
    {
        m_clock.start();
        connect(&m_tcp, &QTcpServer::newConnection, this, &Endpoint::accept);
        QVERIFY(m_tcp.listen(QHostAddress::LocalHost, 0));
    }

    QUrl url(const QString &pathAndQuery = QStringLiteral("/hook")) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_tcp.serverPort()) + pathAndQuery);
    }
    const QList<Request> &requests() const { return m_requests; }
    QStringList contents() const
    {
        QStringList result;
        for (const Request &r : m_requests)
            result << r.content();
        return result;
    }
    int maxInFlight() const { return m_maxInFlight; }
    int openConnections() const { return m_openConnections; }
    qint64 now() const { return m_clock.elapsed(); }

private:
    void accept()
    {
        while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
            ++m_openConnections;
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                buffer->append(socket->readAll());
                readRequests(socket, *buffer);
            });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                --m_openConnections;
                socket->deleteLater();
            });
        }
    }

    void readRequests(QTcpSocket *socket, QByteArray &buffer)
    {
        while (!socket->property("hung").toBool()) {
            const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return;
            const auto head = HttpRequestHead::parse(buffer.left(headEnd + 4));
            QVERIFY(head.has_value());
            const qsizetype length = head->header("content-length").toLongLong();
            if (buffer.size() < headEnd + 4 + length)
                return;
            Request request{head->method, head->target, *head, buffer.mid(headEnd + 4, length),
                            m_clock.elapsed()};
            buffer.remove(0, headEnd + 4 + length);
            const int index = int(m_requests.size());
            m_requests << request;
            m_maxInFlight = qMax(m_maxInFlight, ++m_inFlight);
            const Answer answer = m_script ? m_script(request, index) : Answer{};
            if (answer.hang) {
                socket->setProperty("hung", true);
                return;
            }
            QTimer::singleShot(answer.delayMs, socket, [this, socket, answer] {
                --m_inFlight;
                QByteArray text = "HTTP/1.1 " + QByteArray::number(answer.status) + " Scripted\r\n";
                for (const auto &[name, value] : answer.headers)
                    text += name + ": " + value + "\r\n";
                text += "Content-Length: " + QByteArray::number(answer.body.size()) + "\r\n\r\n";
                text += answer.body;
                socket->write(text);
            });
        }
    }

    Script m_script;
    QTcpServer m_tcp;
    QElapsedTimer m_clock;
    QList<Request> m_requests;
    int m_inFlight = 0;
    int m_maxInFlight = 0;
    int m_openConnections = 0;
};

Answer status(int code, const QByteArray &body = {})
{
    Answer a;
    a.status = code;
    a.body = body;
    return a;
}

Answer hang()
{
    Answer a;
    a.hang = true;
    return a;
}

// Fast limits for tests; each test loosens what it checks.
void expectGivingUp(int times = 1)
{
    for (int i = 0; i < times; ++i)
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("given up|invalid webhook URL")));
}

void makeFast(WebhookForwarder &forwarder)
{
    forwarder.setRequestTimeoutMs(2000);
    forwarder.setRetryBaseDelayMs(20);
    forwarder.setMaxRetryAfterMs(2000);
}

} // namespace

class WebhookForwarderTest : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void postsDiscordJsonToTheUrlAsGiven();
    void keepsOrderWithOneRequestInFlight();
    void honoursRetryAfter_data();
    void honoursRetryAfter();
    void endlessRateLimitGivesUp();
    void serverErrorGivesUpAndGoesOn();
    void networkErrorsGiveUp_data();
    void networkErrorsGiveUp();
    void fullQueueDropsNewMessages();
    void deadEndpointDoesNotDelayOtherRooms();
    void forgetDropsQueueAndAbortsRequest();
    void forgetCancelsPendingRetry();
    void rejectsNonHttpUrls();
};

void WebhookForwarderTest::defaults()
{
    WebhookForwarder forwarder;
    QCOMPARE(forwarder.maxQueue(), 100);
    QCOMPARE(forwarder.maxAttempts(), 3);
    QCOMPARE(forwarder.requestTimeoutMs(), 10000);
    QCOMPARE(forwarder.maxRetryAfterMs(), 60000);
    const WebhookForwarder::RoomState state = forwarder.state(QUuid::createUuid());
    QCOMPARE(state.queued, 0);
    QCOMPARE(state.delivered, 0u);
    QVERIFY(state.lastError.isEmpty());
}

void WebhookForwarderTest::postsDiscordJsonToTheUrlAsGiven()
{
    Endpoint endpoint([](const Request &, int index) {
        Answer a = status(index == 0 ? 200 : 204, index == 0 ? "{\"id\":\"1\"}" : "");
        if (index == 0)
            a.headers << qMakePair(QByteArray("Set-Cookie"), QByteArray("session=secret; Path=/"));
        return a;
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    QSignalSpy changed(&forwarder, &WebhookForwarder::stateChanged);
    const QUuid room = QUuid::createUuid();
    const QUrl url = endpoint.url(QStringLiteral("/api/webhooks/123/t0ken?wait=true"));
    const QString username = QStringLiteral("Zoë \"the\" admin");
    const QString content = QStringLiteral("héllo {\"x\": 1}\n\\ ✓ @everyone");

    forwarder.enqueue(room, url, username, content);
    QTRY_COMPARE(forwarder.delivered(), 1u);
    forwarder.enqueue(room, url, QStringLiteral("b"), QStringLiteral("second"));
    QTRY_COMPARE(forwarder.delivered(), 2u);

    QCOMPARE(endpoint.requests().size(), 2);
    const Request &first = endpoint.requests().at(0);
    QCOMPARE(first.method, QByteArray("POST"));
    QCOMPARE(first.target, QByteArray("/api/webhooks/123/t0ken?wait=true"));
    QCOMPARE(first.head.header("content-type"), QByteArray("application/json"));
    QCOMPARE(first.head.header("host"), QByteArray("127.0.0.1:") + QByteArray::number(url.port()));
    const QJsonObject json = QJsonDocument::fromJson(first.body).object();
    QCOMPARE(json.size(), 2);
    QCOMPARE(json.value(QLatin1StringView("content")).toString(), content);
    QCOMPARE(json.value(QLatin1StringView("username")).toString(), username);
    for (const Request &r : endpoint.requests()) {
        QVERIFY(r.head.header("authorization").isEmpty());
        QVERIFY(r.head.header("cookie").isEmpty()); // the Set-Cookie was not kept
    }

    const WebhookForwarder::RoomState state = forwarder.state(room);
    QCOMPARE(state.queued, 0);
    QCOMPARE(state.delivered, 2u);
    QCOMPARE(state.failed, 0u);
    QCOMPARE(state.dropped, 0u);
    QVERIFY(state.lastError.isEmpty());
    QVERIFY(changed.size() >= 4); // two enqueued, two delivered
    QCOMPARE(changed.first().first().value<QUuid>(), room);
}

void WebhookForwarderTest::keepsOrderWithOneRequestInFlight()
{
    Endpoint endpoint([](const Request &, int) {
        Answer a;
        a.delayMs = 5; // leaves room for a second request to overlap, were one sent
        return a;
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    const QUuid room = QUuid::createUuid();
    QStringList sent;
    for (int i = 0; i < 20; ++i) {
        sent << QStringLiteral("message %1").arg(i);
        forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), sent.last());
    }
    QCOMPARE(forwarder.state(room).queued, 20);
    QTRY_COMPARE_WITH_TIMEOUT(forwarder.delivered(), 20u, 5000);
    QCOMPARE(endpoint.contents(), sent);
    QCOMPARE(endpoint.maxInFlight(), 1);
    QCOMPARE(forwarder.state(room).queued, 0);
    QCOMPARE(forwarder.failed(), 0u);
}

void WebhookForwarderTest::honoursRetryAfter_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("retryAfterHeader");
    QTest::addColumn<int>("maxRetryAfterMs");
    QTest::addColumn<int>("minWaitMs");
    QTest::addColumn<int>("maxWaitMs");

    QTest::addRow("fractional retry_after in the body")
        << QByteArray(
               R"({"message":"You are being rate limited.","retry_after":0.2,"global":false})")
        << QByteArray() << 60000 << 200 << 1500;
    QTest::addRow("body wins over header")
        << QByteArray(R"({"retry_after":0.25})") << QByteArray("30") << 60000 << 250 << 1500;
    QTest::addRow("Retry-After header") << QByteArray() << QByteArray("1") << 60000 << 1000 << 2500;
    // Made at run time, two seconds ahead: whole seconds leave a wait in (1 s, 2 s].
    QTest::addRow("Retry-After HTTP-date")
        << QByteArray() << QByteArray("HTTP-date in 2 s") << 60000 << 900 << 2500;
    QTest::addRow("capped by maxRetryAfterMs")
        << QByteArray(R"({"retry_after":30})") << QByteArray() << 300 << 300 << 2000;
}

void WebhookForwarderTest::honoursRetryAfter()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, retryAfterHeader);
    QFETCH(int, maxRetryAfterMs);
    QFETCH(int, minWaitMs);
    QFETCH(int, maxWaitMs);

    if (retryAfterHeader == "HTTP-date in 2 s") {
        retryAfterHeader = QLocale::c()
                               .toString(QDateTime::currentDateTimeUtc().addSecs(2),
                                         u"ddd, dd MMM yyyy hh:mm:ss 'GMT'")
                               .toLatin1();
    }
    Endpoint endpoint([&](const Request &, int index) {
        if (index > 0)
            return status(204);
        Answer a = status(429, body);
        if (!retryAfterHeader.isEmpty())
            a.headers << qMakePair(QByteArray("Retry-After"), retryAfterHeader);
        return a;
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    forwarder.setMaxAttempts(1); // a 429 does not use up an attempt
    forwarder.setMaxRetryAfterMs(maxRetryAfterMs);
    const QUuid room = QUuid::createUuid();
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("paced"));

    QTRY_COMPARE_WITH_TIMEOUT(forwarder.delivered(), 1u, 4000);
    QCOMPARE(forwarder.failed(), 0u);
    QCOMPARE(endpoint.requests().size(), 2);
    QCOMPARE(endpoint.contents(), QStringList(2, QStringLiteral("paced")));
    const qint64 waited = endpoint.requests().at(1).atMs - endpoint.requests().at(0).atMs;
    QVERIFY2(waited >= minWaitMs && waited <= maxWaitMs, QByteArray::number(waited).constData());
    QCOMPARE(forwarder.state(room).delivered, 1u);
}

void WebhookForwarderTest::endlessRateLimitGivesUp()
{
    expectGivingUp();
    Endpoint endpoint([](const Request &request, int) {
        return request.content() == QLatin1StringView("next") ? status(204)
                                                              : status(429, R"({"retry_after":0})");
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    const QUuid room = QUuid::createUuid();
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("limited"));
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("next"));

    QTRY_COMPARE(forwarder.delivered(), 1u);
    QCOMPARE(forwarder.failed(), 1u);
    QCOMPARE(endpoint.requests().size(), WebhookForwarder::MaxRateLimitedAnswers + 1);
    QVERIFY2(forwarder.state(room).lastError.startsWith(QLatin1StringView("HTTP 429")),
             qPrintable(forwarder.state(room).lastError));
}

void WebhookForwarderTest::serverErrorGivesUpAndGoesOn()
{
    expectGivingUp();
    Endpoint endpoint([](const Request &request, int) {
        return request.content() == QLatin1StringView("bad") ? status(500) : status(204);
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    forwarder.setRetryBaseDelayMs(50);
    const QUuid room = QUuid::createUuid();
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("bad"));
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("good"));

    QTRY_COMPARE(forwarder.delivered(), 1u);
    QCOMPARE(forwarder.failed(), 1u);
    QCOMPARE(endpoint.contents(), (QStringList{QStringLiteral("bad"), QStringLiteral("bad"),
                                               QStringLiteral("bad"), QStringLiteral("good")}));
    const QList<Request> &r = endpoint.requests();
    QVERIFY(r.at(1).atMs - r.at(0).atMs >= 50);  // backoff 50 ms
    QVERIFY(r.at(2).atMs - r.at(1).atMs >= 100); // then 100 ms
    const WebhookForwarder::RoomState state = forwarder.state(room);
    QCOMPARE(state.failed, 1u);
    QCOMPARE(state.delivered, 1u);
    QCOMPARE(state.lastError, QStringLiteral("HTTP 500"));
}

void WebhookForwarderTest::networkErrorsGiveUp_data()
{
    QTest::addColumn<bool>("refused");
    QTest::addColumn<QString>("errorPart");
    QTest::addRow("connection refused") << true << QStringLiteral("refused");
    QTest::addRow("timeout") << false << QStringLiteral("timed out");
}

void WebhookForwarderTest::networkErrorsGiveUp()
{
    expectGivingUp();
    QFETCH(bool, refused);
    QFETCH(QString, errorPart);

    Endpoint endpoint([](const Request &, int) { return hang(); });
    QUrl url = endpoint.url(QStringLiteral("/api/webhooks/1/s3cret"));
    if (refused) {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        url.setPort(closed.serverPort());
    }
    WebhookForwarder forwarder;
    makeFast(forwarder);
    forwarder.setRequestTimeoutMs(200);
    forwarder.setMaxAttempts(2);
    const QUuid room = QUuid::createUuid();
    forwarder.enqueue(room, url, QStringLiteral("ann"), QStringLiteral("lost"));

    QTRY_COMPARE_WITH_TIMEOUT(forwarder.failed(), 1u, 3000);
    const WebhookForwarder::RoomState state = forwarder.state(room);
    QCOMPARE(state.queued, 0);
    QVERIFY2(state.lastError.contains(errorPart, Qt::CaseInsensitive), qPrintable(state.lastError));
    QVERIFY(!state.lastError.contains(QLatin1StringView("s3cret")));
    QCOMPARE(endpoint.requests().size(), refused ? 0 : 2);
}

void WebhookForwarderTest::fullQueueDropsNewMessages()
{
    Endpoint endpoint([](const Request &, int) {
        Answer a;
        a.delayMs = 100;
        return a;
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    forwarder.setMaxQueue(3);
    const QUuid room = QUuid::createUuid();
    for (int i = 0; i < 5; ++i)
        forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"),
                          QStringLiteral("m%1").arg(i));

    WebhookForwarder::RoomState state = forwarder.state(room);
    QCOMPARE(state.queued, 3);
    QCOMPARE(state.dropped, 2u);
    QCOMPARE(forwarder.dropped(), 2u);
    QTRY_COMPARE_WITH_TIMEOUT(forwarder.delivered(), 3u, 3000);
    QCOMPARE(endpoint.contents(),
             (QStringList{QStringLiteral("m0"), QStringLiteral("m1"), QStringLiteral("m2")}));
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("m5"));
    QTRY_COMPARE(forwarder.delivered(), 4u);
    QCOMPARE(forwarder.state(room).dropped, 2u);
}

void WebhookForwarderTest::deadEndpointDoesNotDelayOtherRooms()
{
    Endpoint dead([](const Request &, int) { return hang(); });
    Endpoint alive;
    WebhookForwarder forwarder;
    makeFast(forwarder);
    forwarder.setRequestTimeoutMs(5000);
    const QUuid roomA = QUuid::createUuid();
    const QUuid roomB = QUuid::createUuid();
    for (int i = 0; i < 3; ++i)
        forwarder.enqueue(roomA, dead.url(), QStringLiteral("a"), QStringLiteral("a%1").arg(i));
    QTRY_COMPARE(dead.requests().size(), 1);

    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < 5; ++i)
        forwarder.enqueue(roomB, alive.url(), QStringLiteral("b"), QStringLiteral("b%1").arg(i));
    QTRY_COMPARE_WITH_TIMEOUT(forwarder.state(roomB).delivered, 5u, 2000);
    QVERIFY2(clock.elapsed() < 2000, QByteArray::number(clock.elapsed()).constData());

    const WebhookForwarder::RoomState a = forwarder.state(roomA);
    QCOMPARE(a.queued, 3);
    QCOMPARE(a.delivered, 0u);
    QCOMPARE(a.failed, 0u);
    QCOMPARE(dead.requests().size(), 1); // still one in flight for room A
    forwarder.forget(roomA);
}

void WebhookForwarderTest::forgetDropsQueueAndAbortsRequest()
{
    Endpoint endpoint([](const Request &request, int) {
        return request.target == "/hang" ? hang() : status(204);
    });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    const QUuid room = QUuid::createUuid();
    for (int i = 0; i < 5; ++i) {
        forwarder.enqueue(room, endpoint.url(QStringLiteral("/hang")), QStringLiteral("ann"),
                          QStringLiteral("m%1").arg(i));
    }
    QTRY_COMPARE(endpoint.requests().size(), 1);
    QCOMPARE(forwarder.state(room).queued, 5);

    QSignalSpy changed(&forwarder, &WebhookForwarder::stateChanged);
    forwarder.forget(room);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(forwarder.state(room).queued, 0);
    QTRY_COMPARE(endpoint.openConnections(), 0); // the request in flight was aborted
    QTest::qWait(100);
    QCOMPARE(endpoint.requests().size(), 1);
    QCOMPARE(forwarder.delivered() + forwarder.failed() + forwarder.dropped(), 0u);

    forwarder.enqueue(room, endpoint.url(QStringLiteral("/ok")), QStringLiteral("ann"),
                      QStringLiteral("again"));
    QTRY_COMPARE(forwarder.state(room).delivered, 1u);
    QCOMPARE(endpoint.requests().size(), 2);
    QCOMPARE(endpoint.requests().last().content(), QStringLiteral("again"));
}

void WebhookForwarderTest::forgetCancelsPendingRetry()
{
    Endpoint endpoint([](const Request &, int) { return status(503); });
    WebhookForwarder forwarder;
    makeFast(forwarder);
    forwarder.setRetryBaseDelayMs(150);
    const QUuid room = QUuid::createUuid();
    forwarder.enqueue(room, endpoint.url(), QStringLiteral("ann"), QStringLiteral("m"));
    QTRY_COMPARE(endpoint.requests().size(), 1);
    QTest::qWait(60); // the 503 is in; the retry timer is pending
    forwarder.forget(room);
    QTest::qWait(300);
    QCOMPARE(endpoint.requests().size(), 1);
    QCOMPARE(forwarder.failed(), 0u);
}

void WebhookForwarderTest::rejectsNonHttpUrls()
{
    expectGivingUp(3);
    WebhookForwarder forwarder;
    const QUuid room = QUuid::createUuid();
    forwarder.enqueue(room, QUrl(QStringLiteral("ftp://127.0.0.1/hook")), QStringLiteral("a"),
                      QStringLiteral("x"));
    forwarder.enqueue(room, QUrl(QStringLiteral("/relative")), QStringLiteral("a"),
                      QStringLiteral("x"));
    forwarder.enqueue(room, QUrl(), QStringLiteral("a"), QStringLiteral("x"));
    const WebhookForwarder::RoomState state = forwarder.state(room);
    QCOMPARE(state.failed, 3u);
    QCOMPARE(state.queued, 0);
    QVERIFY(!state.lastError.isEmpty());
}

QTEST_GUILESS_MAIN(WebhookForwarderTest)
#include "tst_webhookforwarder.moc"

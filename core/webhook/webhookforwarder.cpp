#include "webhookforwarder.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>

#include <cmath>
#include <iterator>
#include <utility>

Q_LOGGING_CATEGORY(lcWebhook, "roomkeeper.webhook")

namespace roomkeeper {

namespace {
// Set on a reply that our deadline aborted, so its error reads as a timeout.
constexpr const char *TimedOutProperty = "roomkeeperTimedOut";
constexpr qint64 MaxBackoffMs = 60 * 1000;

bool isWebhookUrl(const QUrl &url)
{
    const QString scheme = url.scheme();
    return url.isValid() && !url.host().isEmpty() &&
           (scheme == QLatin1StringView("http") || scheme == QLatin1StringView("https"));
}

// Qt's error texts may quote the URL, and a webhook URL is a secret (Discord's holds a token).
QString withoutUrl(QString text, const QUrl &url)
{
    for (const QString &form :
         {url.toString(), url.toString(QUrl::FullyEncoded), url.toDisplayString(), url.path()}) {
        if (form.size() > 1)
            text.replace(form, QStringLiteral("<webhook URL>"));
    }
    return text;
}
// RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"; Qt::RFC2822Date refuses "GMT".
QDateTime httpDate(const QString &text)
{
    QDateTime when =
        QLocale::c().toDateTime(text, QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"));
    if (!when.isValid())
        return QDateTime::fromString(text, Qt::RFC2822Date);
    when.setTimeSpec(Qt::UTC);
    return when;
}
} // namespace

WebhookForwarder::WebhookForwarder(QObject *parent)
    : QObject(parent), m_network(new QNetworkAccessManager(this))
{
    m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

WebhookForwarder::~WebhookForwarder()
{
    // The replies die with m_network, after this body; they must not call back into us.
    for (Room &room : m_rooms) {
        if (room.reply) {
            disconnect(room.reply, nullptr, this, nullptr);
            room.reply->abort();
        }
    }
}

void WebhookForwarder::enqueue(const QUuid &roomId, const QUrl &url, const QString &username,
                               const QString &content)
{
    Q_ASSERT(thread() == QThread::currentThread());
    Room &room = m_rooms[roomId];
    if (!isWebhookUrl(url)) {
        ++room.state.failed;
        ++m_failed;
        room.state.lastError = QStringLiteral("not an http or https URL");
        qCWarning(lcWebhook) << "room" << roomId << "has an invalid webhook URL; message not sent";
        emit stateChanged(roomId);
        return;
    }
    if (std::ssize(room.queue) >= m_maxQueue) {
        ++room.state.dropped;
        ++m_dropped;
        qCDebug(lcWebhook) << "room" << roomId << "webhook queue full; message dropped";
        emit stateChanged(roomId);
        return;
    }
    const QJsonObject json{{QStringLiteral("content"), content},
                           {QStringLiteral("username"), username}};
    room.queue.push_back({url, QJsonDocument(json).toJson(QJsonDocument::Compact)});
    sendNext(roomId);
    emit stateChanged(roomId);
}

void WebhookForwarder::forget(const QUuid &roomId)
{
    Q_ASSERT(thread() == QThread::currentThread());
    const auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return;
    if (QNetworkReply *reply = it->reply) {
        disconnect(reply, nullptr, this, nullptr);
        reply->abort();
        reply->deleteLater();
    }
    m_rooms.erase(it); // a pending retry timer finds no room, or another token, and does nothing
    emit stateChanged(roomId);
}

WebhookForwarder::RoomState WebhookForwarder::state(const QUuid &roomId) const
{
    const auto it = m_rooms.constFind(roomId);
    if (it == m_rooms.cend())
        return {};
    RoomState result = it->state;
    result.queued = static_cast<int>(it->queue.size());
    return result;
}

void WebhookForwarder::setMaxQueue(int messages)
{
    m_maxQueue = qMax(1, messages);
}

void WebhookForwarder::setMaxAttempts(int attempts)
{
    m_maxAttempts = qMax(1, attempts);
}

void WebhookForwarder::setRequestTimeoutMs(int ms)
{
    m_requestTimeoutMs = qMax(1, ms);
}

void WebhookForwarder::setMaxRetryAfterMs(int ms)
{
    m_maxRetryAfterMs = qMax(0, ms);
}

void WebhookForwarder::setRetryBaseDelayMs(int ms)
{
    m_retryBaseDelayMs = qMax(0, ms);
}

void WebhookForwarder::sendNext(const QUuid &roomId)
{
    const auto it = m_rooms.find(roomId);
    if (it == m_rooms.end() || it->reply || it->waitToken != 0 || it->queue.empty())
        return;
    const Message &message = it->queue.front();

    QNetworkRequest request(message.url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setHeader(QNetworkRequest::UserAgentHeader,
                      QByteArrayLiteral("Roomkeeper/" ROOMKEEPER_VERSION));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::AuthenticationReuseAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);

    QNetworkReply *reply = m_network->post(request, message.body);
    it->reply = reply;
    it->answer.clear();
    connect(reply, &QNetworkReply::readyRead, this, [this, roomId, reply] {
        const auto room = m_rooms.find(roomId);
        const QByteArray chunk = reply->readAll();
        if (room != m_rooms.end() && room->reply == reply)
            room->answer.append(chunk.left(MaxAnswerBytes - room->answer.size()));
    });
    connect(reply, &QNetworkReply::finished, this,
            [this, roomId, reply] { finished(roomId, reply); });
    // A whole-request deadline: a server trickling bytes must not hold the room either.
    QTimer::singleShot(m_requestTimeoutMs, Qt::PreciseTimer, reply, [reply] {
        reply->setProperty(TimedOutProperty, true);
        reply->abort();
    });
}

void WebhookForwarder::finished(const QUuid &roomId, QNetworkReply *reply)
{
    disconnect(reply, nullptr, this, nullptr);
    reply->deleteLater();
    const auto it = m_rooms.find(roomId);
    if (it == m_rooms.end() || it->reply != reply)
        return;
    Room &room = *it;
    room.reply = nullptr;
    if (reply->isOpen()) // not after abort()
        room.answer.append(reply->readAll().left(MaxAnswerBytes - room.answer.size()));
    const QByteArray answer = std::exchange(room.answer, {});

    // A status means the server read the request, whatever happened to the answer's body.
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 200 && status < 300) {
        room.queue.pop_front();
        room.failedAttempts = 0;
        room.rateLimited = 0;
        ++room.state.delivered;
        ++m_delivered;
        qCDebug(lcWebhook) << "room" << roomId << "message delivered, HTTP" << status;
        sendNext(roomId);
        emit stateChanged(roomId);
        return;
    }

    if (status == 429) {
        if (++room.rateLimited >= MaxRateLimitedAnswers) {
            giveUp(roomId, room,
                   QStringLiteral("HTTP 429 (rate limited %1 times)").arg(room.rateLimited));
            return;
        }
        const int delay = retryAfterMs(reply, answer);
        qCDebug(lcWebhook) << "room" << roomId << "rate limited; retrying in" << delay << "ms";
        retryLater(roomId, room, delay);
        return;
    }

    QString error;
    if (status > 0)
        error = QStringLiteral("HTTP %1").arg(status);
    else if (reply->property(TimedOutProperty).toBool())
        error = QStringLiteral("timed out after %1 ms").arg(m_requestTimeoutMs);
    else
        error = withoutUrl(reply->errorString(), room.queue.front().url);

    if (++room.failedAttempts >= m_maxAttempts) {
        giveUp(roomId, room, error);
        return;
    }
    const qint64 backoff =
        qMin(qint64(m_retryBaseDelayMs) << qMin(room.failedAttempts - 1, 20), MaxBackoffMs);
    qCDebug(lcWebhook) << "room" << roomId << "attempt" << room.failedAttempts << "failed:" << error
                       << "; retrying in" << backoff << "ms";
    retryLater(roomId, room, static_cast<int>(backoff));
}

void WebhookForwarder::retryLater(const QUuid &roomId, Room &room, int delayMs)
{
    const quint64 token = ++m_lastToken;
    room.waitToken = token;
    QTimer::singleShot(delayMs, Qt::PreciseTimer, this, [this, roomId, token] {
        const auto it = m_rooms.find(roomId);
        if (it == m_rooms.end() || it->waitToken != token)
            return;
        it->waitToken = 0;
        sendNext(roomId);
    });
}

void WebhookForwarder::giveUp(const QUuid &roomId, Room &room, const QString &error)
{
    room.queue.pop_front();
    room.failedAttempts = 0;
    room.rateLimited = 0;
    ++room.state.failed;
    ++m_failed;
    room.state.lastError = error;
    qCWarning(lcWebhook) << "room" << roomId << "webhook message given up:" << error;
    sendNext(roomId);
    emit stateChanged(roomId); // last: a receiver may enqueue or forget, rehashing m_rooms
}

int WebhookForwarder::retryAfterMs(QNetworkReply *reply, const QByteArray &answer) const
{
    double seconds = qQNaN();
    const QJsonValue fromBody =
        QJsonDocument::fromJson(answer).object().value(QLatin1StringView("retry_after"));
    if (fromBody.isDouble()) {
        seconds = fromBody.toDouble();
    } else {
        const QByteArray header = reply->rawHeader(QByteArrayLiteral("Retry-After")).trimmed();
        bool isNumber = false;
        const double value = header.toDouble(&isNumber);
        if (isNumber) {
            seconds = value;
        } else if (!header.isEmpty()) {
            const QDateTime when = httpDate(QString::fromLatin1(header));
            if (when.isValid())
                seconds = qMax(0.0, QDateTime::currentDateTimeUtc().msecsTo(when) / 1000.0);
        }
    }
    if (!(seconds >= 0)) // no usable hint (or NaN, or negative): wait like after a failure
        return qMin(m_retryBaseDelayMs, m_maxRetryAfterMs);
    return static_cast<int>(qMin(std::ceil(seconds * 1000.0), double(m_maxRetryAfterMs)));
}

} // namespace roomkeeper

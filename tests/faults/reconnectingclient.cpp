#include "reconnectingclient.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>

namespace roomkeeper::test {

qint64 monotonicMs()
{
    QElapsedTimer clock;
    clock.start();
    return clock.msecsSinceReference();
}

ReconnectingClient::ReconnectingClient(Door door, const QString &name, const QString &roomId,
                                       QObject *parent)
    : QObject(parent), m_door(door), m_name(name), m_roomId(roomId), m_retryTimer(this),
      m_heartbeatTimer(this)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ReconnectingClient::connectNow);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &ReconnectingClient::sendHeartbeat);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &ReconnectingClient::textReceived);
    // A refused connect reports an error and may or may not report disconnected as well;
    // ended() runs once per attempt either way.
    connect(&m_socket, &QWebSocket::disconnected, this, &ReconnectingClient::ended);
    // (Qt 6.4 names the signal error(); errorOccurred() came in 6.5.)
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this] {
        if (m_socket.state() == QAbstractSocket::UnconnectedState)
            ended();
    });
}

ReconnectingClient::~ReconnectingClient()
{
    m_running = false;
    m_socket.abort();
}

void ReconnectingClient::start(const QUrl &server)
{
    m_server = server;
    m_running = true;
    connectNow();
}

void ReconnectingClient::stop()
{
    m_running = false;
    m_retryTimer.stop();
    m_heartbeatTimer.stop();
    m_socket.abort();
}

void ReconnectingClient::resetCounters()
{
    m_attempts = 0;
    m_joinedSinceReset = false;
    m_messagesSinceReset = 0;
    m_lowestIdSinceReset = 0;
    m_failures.clear();
}

void ReconnectingClient::connectNow()
{
    if (!m_running)
        return;
    m_retryTimer.stop();
    QUrl url = m_server;
    QUrlQuery query;
    if (m_door == Door::Gateway) {
        url.setPath(QStringLiteral("/gateway"));
        query.addQueryItem(QStringLiteral("room"), m_roomId);
    } else {
        url.setPath(QStringLiteral("/ws"));
    }
    query.addQueryItem(QStringLiteral("name"), m_name);
    if (!m_token.isEmpty())
        query.addQueryItem(QStringLiteral("token"), m_token);
    url.setQuery(query);
    ++m_attempts;
    m_connecting = true;
    m_identifiedThisAttempt = false;
    m_socket.open(url);
}

void ReconnectingClient::ended()
{
    if (!m_connecting)
        return; // this attempt has been handled already
    m_connecting = false;
    m_joined = false;
    m_key.clear();
    m_heartbeatTimer.stop();
    m_lastCloseCode = int(m_socket.closeCode());
    if (!m_identifiedThisAttempt) {
        const QString why = m_socket.error() == QAbstractSocket::UnknownSocketError
                                ? QStringLiteral("close %1").arg(m_lastCloseCode)
                                : m_socket.errorString();
        ++m_failures[why];
    }
    if (!m_running)
        return;
    // resources/web/app.js dropped(): the same formula, the same cap.
    const double base = std::min(15000.0, 500.0 * std::pow(2.0, m_attempt++));
    const double delay = base / 2 + QRandomGenerator::global()->generateDouble() * base / 2;
    m_retryTimer.start(int(std::lround(delay)));
}

void ReconnectingClient::textReceived(const QString &text)
{
    const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
    if (m_door == Door::Room)
        roomFrame(frame);
    else
        gatewayFrame(frame);
}

void ReconnectingClient::roomFrame(const QJsonObject &frame)
{
    const QString type = str(frame, "type");
    if (type == QLatin1StringView("ping")) {
        sendJson({{QStringLiteral("type"), QStringLiteral("pong")},
                  {QStringLiteral("time"), frame.value(QLatin1StringView("time"))}});
        emit heartbeatSent();
    } else if (type == QLatin1StringView("message")) {
        if (str(frame, "room_id") == m_roomId)
            messageReceived(qint64(frame.value(QLatin1StringView("message_id")).toDouble()));
    } else if (type == QLatin1StringView("session")) {
        m_key = str(frame, "key");
        identified(str(frame, "user_id"), str(frame, "token"));
        sendJson({{QStringLiteral("type"), QStringLiteral("enter")},
                  {QStringLiteral("key"), m_key},
                  {QStringLiteral("room_id"), m_roomId}});
    } else if (type == QLatin1StringView("room")) {
        if (!m_joined && str(frame, "room_id") == m_roomId)
            becameJoined();
    } else if (type == QLatin1StringView("error")) {
        ++m_errors;
        m_lastError = str(frame, "code");
    }
}

void ReconnectingClient::gatewayFrame(const QJsonObject &frame)
{
    const QJsonObject d = frame.value(QLatin1StringView("d")).toObject();
    switch (frame.value(QLatin1StringView("op")).toInt(-1)) {
    case 0: // hello
        m_heartbeatTimer.start(
            std::max(100, d.value(QLatin1StringView("heartbeatInterval")).toInt()));
        break;
    case 2: // the server asks for an op 1 at once
        sendHeartbeat();
        break;
    case 3:
        messageReceived(qint64(d.value(QLatin1StringView("messageId")).toDouble()));
        break;
    case 8: // ready
        identified(str(d, "userId"), str(d, "token"));
        becameJoined();
        break;
    case 12:
        ++m_errors;
        m_lastError = str(d, "code");
        break;
    default:
        break;
    }
}

void ReconnectingClient::identified(const QString &userId, const QString &token)
{
    m_attempt = 0; // app.js: S.attempt = 0 on session
    m_identifiedThisAttempt = true;
    if (m_userId.isEmpty())
        m_userId = userId;
    else if (userId != m_userId)
        m_identityChanged = true;
    m_lastUserId = userId;
    if (!token.isEmpty())
        m_token = token;
}

void ReconnectingClient::becameJoined()
{
    m_joined = true;
    m_joinedSinceReset = true;
    m_joinedAtMs = monotonicMs();
    emit joined();
}

void ReconnectingClient::messageReceived(qint64 id)
{
    m_highestMessageId = std::max(m_highestMessageId, id);
    m_lowestIdSinceReset = m_messagesSinceReset++ ? std::min(m_lowestIdSinceReset, id) : id;
}

bool ReconnectingClient::sendMessage(const QString &content)
{
    if (!m_joined)
        return false;
    if (m_door == Door::Gateway)
        sendJson({{QStringLiteral("op"), 3},
                  {QStringLiteral("d"), QJsonObject{{QStringLiteral("content"), content}}}});
    else
        sendJson({{QStringLiteral("type"), QStringLiteral("message")},
                  {QStringLiteral("key"), m_key},
                  {QStringLiteral("room_id"), m_roomId},
                  {QStringLiteral("content"), content}});
    return true;
}

void ReconnectingClient::sendHeartbeat()
{
    sendJson({{QStringLiteral("op"), 1}, {QStringLiteral("d"), QJsonObject()}});
    emit heartbeatSent();
}

void ReconnectingClient::sendJson(const QJsonObject &object)
{
    if (m_socket.state() == QAbstractSocket::ConnectedState)
        m_socket.sendTextMessage(
            QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)));
}

} // namespace roomkeeper::test

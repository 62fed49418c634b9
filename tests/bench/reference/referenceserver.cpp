// roomkeeper-reference: the plain QWebSocketServer chat server a Qt developer would write
// first, as a yardstick for run-benchmarks.sh. Not a product: one thread, Qt's event loop,
// a QWebSocket per connection, QJsonDocument in and out, sendTextMessage to each member.
//
// It speaks only what roomkeeper-load uses of docs/PROTOCOL.md:
//   /ws        session on connect; ping/pong both ways; create, enter, message.
//   /gateway   ?room=ID&name=N: op 0 hello, op 8 ready (or close 4004), op 1 heartbeats,
//              op 2 answered with op 1, op 3 message create; op 12 errors.
// Both doors share the rooms and the per-room message ids. No persistence, moderation,
// tokens that resume a user, colours, read receipts, enter/exit events, HTTP or TLS.
// Roomkeeper's flags that run-benchmarks.sh passes are accepted; only --listen, --port and
// --heartbeat-interval mean anything here.
//
// Left as a plain developer gets them: Qt's default event dispatcher (glib on Debian; holding
// 10,000 idle connections it used ~60 % of a core, ~5 % with QT_NO_GLIB=1) and QTcpServer's
// listen backlog of 50 (connect bursts overflow it; SYNs are retried, none failed).

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QTimer>
#include <QUrlQuery>
#include <QUuid>
#include <QWebSocket>
#include <QWebSocketServer>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 MaxIncomingBytes = 64 * 1024;
constexpr int MaxContentLength = 4000;

struct Client
{
    bool gateway = false;
    QString userId;
    QString name;
    QString key;          // /ws: the session key every request must carry
    QStringList rooms;    // /ws: rooms entered; /gateway: the one room
    qint64 lastHeardMs{}; // last pong (/ws) or op 1 (/gateway)
};

struct Room
{
    QString id;
    QString name;
    QString creator;
    qint64 lastMessageId = 0;
    QList<QWebSocket *> wsMembers;
    QList<QWebSocket *> gatewayMembers;
};

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString toText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString randomKey()
{
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(words), sizeof words)
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString displayName(const QString &asked)
{
    const QString name = asked.trimmed();
    if (!name.isEmpty() && name.size() <= 32)
        return name;
    return u"guest-"_s + QString::number(QRandomGenerator::global()->bounded(0x10000), 16);
}

class ReferenceServer final : public QObject
{
public:
    explicit ReferenceServer(int heartbeatMs)
        : m_server(u"roomkeeper-reference"_s, QWebSocketServer::NonSecureMode),
          m_heartbeatMs(heartbeatMs)
    {
        connect(&m_server, &QWebSocketServer::newConnection, this, &ReferenceServer::accept);
        m_heartbeat.setInterval(heartbeatMs);
        connect(&m_heartbeat, &QTimer::timeout, this, &ReferenceServer::sweep);
    }

    ~ReferenceServer() override
    {
        // The sockets go before the tables their signals would update.
        const QList<QWebSocket *> sockets = m_clients.keys();
        for (QWebSocket *socket : sockets)
            socket->disconnect(this);
        qDeleteAll(sockets);
    }

    Q_DISABLE_COPY_MOVE(ReferenceServer)

    bool listen(const QHostAddress &address, quint16 port)
    {
        if (!m_server.listen(address, port))
            return false;
        m_heartbeat.start();
        return true;
    }
    QString errorString() const { return m_server.errorString(); }
    QHostAddress address() const { return m_server.serverAddress(); }
    quint16 port() const { return m_server.serverPort(); }

private:
    void accept()
    {
        while (QWebSocket *socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            socket->setMaxAllowedIncomingFrameSize(MaxIncomingBytes);
            socket->setMaxAllowedIncomingMessageSize(MaxIncomingBytes);
            connect(socket, &QWebSocket::textMessageReceived, this,
                    [this, socket](const QString &text) { received(socket, text); });
            connect(socket, &QWebSocket::disconnected, this, [this, socket] { gone(socket); });

            const QUrl url = socket->requestUrl();
            const QUrlQuery query(url);
            Client &c = m_clients[socket];
            c.userId = QUuid::createUuid().toString(QUuid::WithoutBraces);
            c.name = displayName(query.queryItemValue(u"name"_s, QUrl::FullyDecoded));
            c.lastHeardMs = nowMs();
            if (url.path() == "/ws"_L1) {
                c.key = randomKey();
                socket->sendTextMessage(toText({{u"type"_s, u"session"_s},
                                                {u"user_id"_s, c.userId},
                                                {u"name"_s, c.name},
                                                {u"key"_s, c.key},
                                                {u"token"_s, randomKey()},
                                                {u"heartbeat_interval"_s, m_heartbeatMs}}));
            } else if (url.path() == "/gateway"_L1) {
                c.gateway = true;
                socket->sendTextMessage(
                    toText({{u"op"_s, 0},
                            {u"d"_s, QJsonObject{{u"heartbeatInterval"_s, m_heartbeatMs}}}}));
                const auto room = m_rooms.find(query.queryItemValue(u"room"_s));
                if (room == m_rooms.end()) {
                    socket->close(QWebSocketProtocol::CloseCode(4004), u"no such room"_s);
                    continue;
                }
                c.rooms.append(room->id);
                room->gatewayMembers.append(socket);
                socket->sendTextMessage(readyFrame(c, *room));
            } else {
                socket->close(QWebSocketProtocol::CloseCodePolicyViolated, u"unknown path"_s);
            }
        }
    }

    void gone(QWebSocket *socket)
    {
        const auto it = m_clients.constFind(socket);
        if (it != m_clients.cend()) {
            for (const QString &id : it->rooms) {
                const auto room = m_rooms.find(id);
                if (room != m_rooms.end())
                    (it->gateway ? room->gatewayMembers : room->wsMembers).removeOne(socket);
            }
            m_clients.erase(it);
        }
        socket->deleteLater();
    }

    void received(QWebSocket *socket, const QString &text)
    {
        const auto it = m_clients.find(socket);
        if (it == m_clients.end())
            return;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
        if (it->gateway) {
            if (error.error != QJsonParseError::NoError || !doc.isObject())
                return gatewayError(socket, u"bad_json"_s, u"not a JSON object"_s);
            gatewayRequest(socket, *it, doc.object());
        } else {
            if (error.error != QJsonParseError::NoError || !doc.isObject())
                return roomError(socket, u"bad_json"_s, u"not a JSON object"_s, QString());
            roomRequest(socket, *it, doc.object());
        }
    }

    void roomRequest(QWebSocket *socket, Client &c, const QJsonObject &request)
    {
        const QString type = request.value("type"_L1).toString();
        if (type == "ping"_L1) {
            socket->sendTextMessage(
                toText({{u"type"_s, u"pong"_s}, {u"time"_s, request.value("time"_L1)}}));
            return;
        }
        if (type == "pong"_L1) {
            c.lastHeardMs = nowMs();
            return;
        }
        if (type != "create"_L1 && type != "enter"_L1 && type != "message"_L1)
            return roomError(socket, u"bad_type"_s, u"unknown type"_s, type);
        if (request.value("key"_L1).toString() != c.key)
            return roomError(socket, u"bad_key"_s, u"wrong session key"_s, type);

        if (type == "create"_L1) {
            const QString name = request.value("name"_L1).toString().trimmed();
            if (name.isEmpty() || name.size() > 64)
                return roomError(socket, u"bad_field"_s, u"a room name has 1-64 characters"_s,
                                 type);
            const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            Room &room = m_rooms[id];
            room.id = id;
            room.name = name;
            room.creator = c.userId;
            room.wsMembers.append(socket);
            c.rooms.append(id);
            socket->sendTextMessage(roomFrame(room));
            return;
        }

        const auto room = m_rooms.find(request.value("room_id"_L1).toString());
        if (room == m_rooms.end())
            return roomError(socket, u"no_such_room"_s, u"no such room"_s, type);
        if (type == "enter"_L1) {
            if (!c.rooms.contains(room->id)) {
                c.rooms.append(room->id);
                room->wsMembers.append(socket);
            }
            socket->sendTextMessage(roomFrame(*room));
            return;
        }
        if (!c.rooms.contains(room->id))
            return roomError(socket, u"not_member"_s, u"enter the room first"_s, type);
        const QString content = request.value("content"_L1).toString();
        if (content.isEmpty())
            return roomError(socket, u"bad_field"_s, u"empty content"_s, type);
        if (content.size() > MaxContentLength)
            return roomError(socket, u"too_long"_s, u"content too long"_s, type);
        post(c, *room, content);
    }

    void gatewayRequest(QWebSocket *socket, Client &c, const QJsonObject &request)
    {
        switch (request.value("op"_L1).toInt(-1)) {
        case 1:
            c.lastHeardMs = nowMs();
            return;
        case 2:
            socket->sendTextMessage(toText({{u"op"_s, 1}, {u"d"_s, QJsonObject()}}));
            return;
        case 3: {
            const QString content = request.value("d"_L1).toObject().value("content"_L1).toString();
            if (content.isEmpty())
                return gatewayError(socket, u"bad_field"_s, u"empty content"_s);
            if (content.size() > MaxContentLength)
                return gatewayError(socket, u"too_long"_s, u"content too long"_s);
            const auto room = m_rooms.find(c.rooms.value(0));
            if (room != m_rooms.end())
                post(c, *room, content);
            return;
        }
        default:
            gatewayError(socket, u"bad_type"_s, u"unknown op"_s);
        }
    }

    // Each protocol's frame is serialised once, then sent to every member that speaks it.
    void post(const Client &author, Room &room, const QString &content)
    {
        const qint64 id = ++room.lastMessageId;
        const qint64 time = nowMs();
        if (!room.wsMembers.isEmpty()) {
            const QString frame = toText({{u"type"_s, u"message"_s},
                                          {u"time"_s, time},
                                          {u"content"_s, content},
                                          {u"user_id"_s, author.userId},
                                          {u"name"_s, author.name},
                                          {u"message_id"_s, id},
                                          {u"room_id"_s, room.id}});
            for (QWebSocket *member : std::as_const(room.wsMembers))
                member->sendTextMessage(frame);
        }
        if (!room.gatewayMembers.isEmpty()) {
            const QString frame = toText({{u"op"_s, 3},
                                          {u"d"_s, QJsonObject{{u"authorId"_s, author.userId},
                                                               {u"authorName"_s, author.name},
                                                               {u"content"_s, content},
                                                               {u"sentAt"_s, time},
                                                               {u"messageId"_s, id}}}});
            for (QWebSocket *member : std::as_const(room.gatewayMembers))
                member->sendTextMessage(frame);
        }
    }

    QJsonArray participants(const Room &room, const QString &idKey) const
    {
        QJsonArray list;
        for (const auto *members : {&room.wsMembers, &room.gatewayMembers}) {
            for (QWebSocket *member : *members) {
                const auto p = m_clients.constFind(member);
                list.append(QJsonObject{{idKey, p->userId},
                                        {u"name"_s, p->name},
                                        {u"admin"_s, p->userId == room.creator}});
            }
        }
        return list;
    }

    QString roomFrame(const Room &room) const
    {
        return toText({{u"type"_s, u"room"_s},
                       {u"room_id"_s, room.id},
                       {u"name"_s, room.name},
                       {u"closed"_s, false},
                       {u"chat_locked"_s, false},
                       {u"max_participants"_s, 0},
                       {u"last_message_id"_s, room.lastMessageId},
                       {u"participants"_s, participants(room, u"user_id"_s)}});
    }

    QString readyFrame(const Client &c, const Room &room) const
    {
        const QJsonObject roomObject{
            {u"id"_s, room.id},        {u"name"_s, room.name},
            {u"chatLocked"_s, false},  {u"roomLocked"_s, false},
            {u"maxParticipants"_s, 0}, {u"lastMessageId"_s, room.lastMessageId}};
        const QJsonObject d{{u"userId"_s, c.userId},
                            {u"name"_s, c.name},
                            {u"admin"_s, c.userId == room.creator},
                            {u"room"_s, roomObject},
                            {u"participants"_s, participants(room, u"userId"_s)}};
        return toText({{u"op"_s, 8}, {u"d"_s, d}});
    }

    static void roomError(QWebSocket *socket, const QString &code, const QString &message,
                          const QString &ref)
    {
        socket->sendTextMessage(toText({{u"type"_s, u"error"_s},
                                        {u"code"_s, code},
                                        {u"message"_s, message},
                                        {u"ref"_s, ref}}));
    }

    static void gatewayError(QWebSocket *socket, const QString &code, const QString &message)
    {
        socket->sendTextMessage(toText(
            {{u"op"_s, 12}, {u"d"_s, QJsonObject{{u"code"_s, code}, {u"message"_s, message}}}}));
    }

    // One timer for everyone: /ws members get a ping and are dropped after two intervals
    // without a pong; /gateway members after one and a half without an op 1.
    void sweep()
    {
        const qint64 now = nowMs();
        const QString ping = toText({{u"type"_s, u"ping"_s}, {u"time"_s, now}});
        QList<QWebSocket *> dead;
        for (auto it = m_clients.cbegin(); it != m_clients.cend(); ++it) {
            const qint64 silentMs = now - it->lastHeardMs;
            if (it->gateway ? 2 * silentMs > 3 * qint64(m_heartbeatMs)
                            : silentMs > 2 * qint64(m_heartbeatMs))
                dead.append(it.key());
            else if (!it->gateway)
                it.key()->sendTextMessage(ping);
        }
        for (QWebSocket *socket : std::as_const(dead))
            socket->close(QWebSocketProtocol::CloseCode(4009), u"heartbeat timeout"_s);
    }

    QWebSocketServer m_server;
    QTimer m_heartbeat;
    int m_heartbeatMs;
    QHash<QWebSocket *, Client> m_clients;
    QHash<QString, Room> m_rooms;
};

int signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(signalFds[0], &byte, 1);
}

void raiseFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"roomkeeper-reference"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"A plain QWebSocketServer chat server speaking the part of Roomkeeper's protocols "
        "that roomkeeper-load uses: the yardstick of run-benchmarks.sh."_s);
    parser.addHelpOption();
    const QCommandLineOption listen(u"listen"_s, u"Address to listen on."_s, u"address"_s,
                                    u"0.0.0.0"_s);
    const QCommandLineOption port(u"port"_s, u"Port; 0 picks one."_s, u"port"_s, u"8765"_s);
    const QCommandLineOption heartbeat(u"heartbeat-interval"_s, u"Heartbeat interval (ms)."_s,
                                       u"ms"_s, u"15000"_s);
    parser.addOptions({listen, port, heartbeat});
    parser.addOption(QCommandLineOption(u"no-gui"_s, u"Ignored (there is no window)."_s));
    for (const QString &ignored :
         {u"data-dir"_s, u"max-message-rate"_s, u"max-connections"_s,
          u"max-connections-per-address"_s, u"max-handshakes"_s, u"max-outbound-queue"_s})
        parser.addOption(QCommandLineOption(ignored, u"Ignored (roomkeeper's flag)."_s, u"x"_s));
    parser.process(app);

    const QHostAddress address(parser.value(listen));
    bool portOk = false;
    const uint portNumber = parser.value(port).toUInt(&portOk);
    bool heartbeatOk = false;
    const int heartbeatMs = parser.value(heartbeat).toInt(&heartbeatOk);
    if (address.isNull() || !portOk || portNumber > 65535 || !heartbeatOk || heartbeatMs < 50) {
        std::fprintf(stderr, "roomkeeper-reference: bad --listen, --port or "
                             "--heartbeat-interval\n");
        return 1;
    }

    raiseFileLimit();
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalFds) != 0)
        qFatal("cannot create the signal socketpair");
    QSocketNotifier signalNotifier(signalFds[1], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app,
                     [] { QCoreApplication::quit(); });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    ReferenceServer server(heartbeatMs);
    if (!server.listen(address, quint16(portNumber))) {
        std::fprintf(stderr, "roomkeeper-reference: cannot listen: %s\n",
                     qUtf8Printable(server.errorString()));
        return 1;
    }
    // The same line as roomkeeper's, so run-benchmarks.sh finds the port the same way.
    std::printf("roomkeeper: listening on ws://%s:%u (room protocol /ws, gateway /gateway, "
                "web client /)\n",
                qUtf8Printable(server.address().toString()), unsigned(server.port()));
    std::fflush(stdout);
    return QCoreApplication::exec();
}

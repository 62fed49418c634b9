#include "listener.h"

#include "httprequesthead.h"
#include "httpresponder.h"

#include <QFile>
#include <QLoggingCategory>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcNet, "roomkeeper.net")

namespace roomkeeper {

Listener::Listener(const ServerConfig &config, QList<QByteArray> upgradePaths, QObject *parent)
    : QObject(parent), m_config(config), m_upgradePaths(std::move(upgradePaths)),
      m_tcp(config.tlsCertFile.isEmpty() ? std::make_unique<QTcpServer>()
                                         : std::make_unique<QSslServer>()),
      m_ws(QStringLiteral("roomkeeper"), QWebSocketServer::NonSecureMode), m_deadlines(this)
{
    m_clock.start();
    // One timer for every socket in the head stage, running only while there is one.
    m_deadlines.setInterval(std::clamp(config.handshakeTimeoutMs / 8, 10, 500));
    connect(&m_deadlines, &QTimer::timeout, this, &Listener::dropOverdue);
    m_tcp->setListenBacklogSize(config.listenBacklog);
    m_tcp->setMaxPendingConnections(config.listenBacklog);
    m_ws.setMaxPendingConnections(config.listenBacklog);
    m_ws.setHandshakeTimeout(config.handshakeTimeoutMs);
    // A QSslServer announces a connection when TCP accepts it but hands it out only after
    // the TLS handshake, with pendingConnectionAvailable.
    connect(m_tcp.get(), &QTcpServer::pendingConnectionAvailable, this, &Listener::acceptPending);
    connect(&m_ws, &QWebSocketServer::newConnection, this, &Listener::takeUpgraded);
}

Listener::~Listener()
{
    // Sockets still in the request-head stage or the handshake talk to us and m_ws: they
    // must go while both are alive. Upgraded ones belong to their QWebSocket.
    QList<QTcpSocket *> sockets = m_heads.keys();
    for (const QPointer<QTcpSocket> &socket : std::as_const(m_upgrading)) {
        if (socket)
            sockets.append(socket);
    }
    for (QTcpSocket *socket : std::as_const(sockets)) {
        socket->disconnect();
        socket->abort();
        delete socket;
    }
    m_ws.close();
    m_tcp->close();
}

bool Listener::listen()
{
    if (auto *tls = qobject_cast<QSslServer *>(m_tcp.get())) {
        // wss:// and https:// on the same port: TLS first, then the same routing.
        QFile certFile(m_config.tlsCertFile);
        QFile keyFile(m_config.tlsKeyFile);
        if (!certFile.open(QIODevice::ReadOnly)) {
            m_error = QStringLiteral("cannot read TLS certificate %1").arg(m_config.tlsCertFile);
            return false;
        }
        if (!keyFile.open(QIODevice::ReadOnly)) {
            m_error = QStringLiteral("cannot read TLS key %1").arg(m_config.tlsKeyFile);
            return false;
        }
        const QList<QSslCertificate> chain = QSslCertificate::fromDevice(&certFile, QSsl::Pem);
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
        if (chain.isEmpty()) {
            m_error = QStringLiteral("no PEM certificate in %1").arg(m_config.tlsCertFile);
            return false;
        }
        if (key.isNull()) {
            m_error = QStringLiteral("no PEM RSA or EC private key in %1").arg(m_config.tlsKeyFile);
            return false;
        }
        QSslConfiguration tlsConfig = QSslConfiguration::defaultConfiguration();
        tlsConfig.setLocalCertificateChain(chain);
        tlsConfig.setPrivateKey(key);
        tlsConfig.setPeerVerifyMode(QSslSocket::VerifyNone);
        tls->setSslConfiguration(tlsConfig);
        tls->setHandshakeTimeout(m_config.handshakeTimeoutMs);
    }
    return m_tcp->listen(m_config.listenAddress, m_config.port);
}

void Listener::close()
{
    m_tcp->close();
    m_ws.close();
}

void Listener::acceptPending()
{
    while (QTcpSocket *socket = m_tcp->nextPendingConnection()) {
        // Chat frames are small and latency matters more than packet count.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            forget(socket);
            m_heads.remove(socket);
            socket->deleteLater();
        });
        // The head must be read, and any HTTP answer taken, within the handshake timeout
        // (a slowloris defence).
        HeadStage &stage = m_heads[socket];
        stage.deadlineMs = m_clock.elapsed() + m_config.handshakeTimeoutMs;
        if (!m_deadlines.isActive())
            m_deadlines.start();
        if (m_sniffing >= m_config.maxConcurrentHandshakes) {
            // Past the cap, a socket whose whole request head is already here (a burst of
            // reconnects after a restart) is served at once; only one that would have to
            // wait for its head is refused.
            socket->waitForReadyRead(0);
            if (!readHead(socket)) {
                ++m_handshakesRefused;
                qCDebug(lcNet) << "too many handshakes in progress; refusing"
                               << socket->peerAddress();
                m_heads.remove(socket);
                socket->disconnect(this);
                socket->abort();
                socket->deleteLater();
                continue;
            }
        } else {
            ++m_sniffing;
            stage.counted = true;
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readHead(socket); });
            // Through TLS, the request may have arrived with the handshake: read it now.
            if (socket->bytesAvailable() > 0)
                QMetaObject::invokeMethod(
                    socket, [this, socket] { readHead(socket); }, Qt::QueuedConnection);
        }
    }
}

void Listener::forget(QTcpSocket *socket)
{
    const auto it = m_heads.find(socket);
    if (it != m_heads.end() && it->counted) {
        it->counted = false;
        --m_sniffing;
    }
}

void Listener::dropOverdue()
{
    const qint64 now = m_clock.elapsed();
    QList<QTcpSocket *> overdue;
    for (auto it = m_heads.cbegin(); it != m_heads.cend(); ++it) {
        if (it->deadlineMs <= now)
            overdue.append(it.key());
    }
    for (QTcpSocket *socket : std::as_const(overdue)) {
        forget(socket);
        m_heads.remove(socket);
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
    if (m_heads.isEmpty())
        m_deadlines.stop();
}

bool Listener::readHead(QTcpSocket *socket)
{
    const QByteArray peeked = socket->peek(MaxHeadBytes + 1);
    const qsizetype end = peeked.indexOf("\r\n\r\n");
    if (end < 0) {
        if (peeked.size() <= MaxHeadBytes)
            return false;
        finish(socket, HttpResponder::response(431, "text/plain; charset=utf-8",
                                               "request head too large\n"));
        return true;
    }
    const std::optional<HttpRequestHead> head = HttpRequestHead::parse(peeked.left(end + 2));
    if (!head) {
        finish(socket, HttpResponder::response(400, "text/plain; charset=utf-8", "bad request\n"));
        return true;
    }
    route(socket, *head);
    return true;
}

void Listener::route(QTcpSocket *socket, const HttpRequestHead &head)
{
    if (!head.isWebSocketUpgrade()) {
        if (head.path == "/metrics" && m_metrics &&
            (head.method == "GET" || head.method == "HEAD")) {
            finish(socket, HttpResponder::response(200, "text/plain; version=0.0.4; charset=utf-8",
                                                   m_metrics(), head.method == "HEAD"));
            return;
        }
        if (head.path == "/healthz" && m_health &&
            (head.method == "GET" || head.method == "HEAD")) {
            if (const QString problem = m_health(); !problem.isEmpty()) {
                finish(socket,
                       HttpResponder::response(503, "text/plain; charset=utf-8",
                                               problem.toUtf8() + '\n', head.method == "HEAD"));
                return;
            }
        }
        finish(socket, HttpResponder::respond(head));
        return;
    }
    if (!m_acceptingUpgrades) {
        finish(socket, HttpResponder::response(503, "text/plain; charset=utf-8",
                                               "not accepting new connections right now\n"));
        return;
    }
    if (!m_upgradePaths.contains(head.path)) {
        finish(socket, HttpResponder::response(404, "text/plain; charset=utf-8", "not found\n"));
        return;
    }
    if (!originAllowed(head.header("origin"), head.header("host"), m_config.allowedOrigins)) {
        qCInfo(lcNet) << "refused an upgrade from a foreign origin from" << socket->peerAddress();
        finish(socket,
               HttpResponder::response(403, "text/plain; charset=utf-8", "origin not allowed\n"));
        return;
    }
    if (const QByteArray refusal = HttpResponder::upgradeRefusal(head); !refusal.isEmpty()) {
        finish(socket, refusal);
        return;
    }
    forget(socket);
    m_heads.remove(socket); // Qt owns the handshake from here
    socket->disconnect(this);
    // A handshake Qt refuses never comes back through takeUpgraded(): its entry is left
    // with a null guard, and such entries are dropped now and then.
    if (m_upgrading.size() > 2 * m_config.maxConcurrentHandshakes)
        m_upgrading.removeIf([](const auto &entry) { return entry.value().isNull(); });
    m_upgrading.insert(endsOf(*socket), socket);
    m_ws.handleConnection(socket);
}

void Listener::finish(QTcpSocket *socket, const QByteArray &response)
{
    forget(socket);
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    socket->write(response);
    socket->disconnectFromHost();
}

void Listener::takeUpgraded()
{
    while (QWebSocket *socket = m_ws.nextPendingConnection()) {
        // Qt's defaults are 2 GiB (QT-PITFALLS #1): set the caps before returning to the
        // event loop, for a socket that will be served and one that will be turned away.
        socket->setMaxAllowedIncomingFrameSize(quint64(m_config.maxMessageSize));
        socket->setMaxAllowedIncomingMessageSize(quint64(m_config.maxMessageSize));
        QTcpSocket *transport = m_upgrading.take(endsOf(*socket));
        if (transport)
            transport->disconnect(this);
        emit webSocketReady(socket, transport, socket->requestUrl().path().toUtf8());
    }
}

bool Listener::originAllowed(const QByteArray &origin, const QByteArray &host,
                             const QStringList &allowed)
{
    if (origin.isEmpty())
        return true; // native clients send no Origin
    const QString o = QString::fromLatin1(origin).toLower();
    const QString h = QString::fromLatin1(host).toLower();
    if (!h.isEmpty() &&
        (o == QLatin1StringView("http://") + h || o == QLatin1StringView("https://") + h))
        return true;
    for (const QString &extra : allowed) {
        if (extra == QLatin1StringView("*") || o == extra.toLower())
            return true;
    }
    return false;
}

} // namespace roomkeeper

#pragma once

#include "../server/serverconfig.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTimer>
#include <QWebSocketServer>

#include <functional>
#include <memory>

class QTcpSocket;
class QWebSocket;

namespace roomkeeper {

struct HttpRequestHead;

// The one TCP port: accepts with a large backlog, reads each request head under a
// deadline and a size cap, answers plain HTTP itself and hands WebSocket upgrades on
// /ws and /gateway to a non-listening QWebSocketServer (PROTOCOL.md §1). Upgrades with a
// foreign Origin, or malformed ones, are refused before Qt sees them.
class Listener final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Listener)

public:
    static constexpr int MaxHeadBytes = 16 * 1024;

    // 'upgradePaths' are the doors WebSocket upgrades are served at ("/ws", ...).
    Listener(const ServerConfig &config, QList<QByteArray> upgradePaths, QObject *parent = nullptr);
    ~Listener() override;

    bool listen();
    QString errorString() const { return m_error.isEmpty() ? m_tcp->errorString() : m_error; }
    QHostAddress address() const { return m_tcp->serverAddress(); }
    quint16 port() const { return m_tcp->serverPort(); }
    bool isTls() const { return !m_config.tlsCertFile.isEmpty(); }
    void close();
    int handshakesInProgress() const { return m_sniffing; }
    // Connections refused because too many handshakes were in progress.
    quint64 handshakesRefused() const { return m_handshakesRefused; }
    // While paused, upgrades are answered 503; plain HTTP (/healthz, /metrics) still works.
    void setAcceptingUpgrades(bool accepting) { m_acceptingUpgrades = accepting; }
    // Produces the body of GET /metrics.
    void setMetricsSource(std::function<QByteArray()> source) { m_metrics = std::move(source); }
    // Says why the server is degraded (GET /healthz answers 503 with it), or nothing.
    void setHealthSource(std::function<QString()> source) { m_health = std::move(source); }

    // Whether an upgrade with this Origin header may proceed; 'host' is its Host header.
    static bool originAllowed(const QByteArray &origin, const QByteArray &host,
                              const QStringList &allowed);

signals:
    // An upgraded socket and the TCP (or TLS) socket under it (null if it could not be
    // matched), its size limits set. The receiver owns the QWebSocket.
    void webSocketReady(QWebSocket *socket, QTcpSocket *transport, const QByteArray &path);

private:
    void acceptPending();
    // Answers or routes the request once its head is complete; false while it is not.
    bool readHead(QTcpSocket *socket);
    void route(QTcpSocket *socket, const HttpRequestHead &head);
    void finish(QTcpSocket *socket, const QByteArray &response);
    void forget(QTcpSocket *socket);
    void takeUpgraded();
    // Drops the sockets whose head (or HTTP answer) is past its deadline.
    void dropOverdue();

    // A TCP connection's two ends: QWebSocket does not expose the socket it was upgraded
    // from, so the listener finds it by them.
    struct Ends
    {
        QHostAddress peer;
        quint16 peerPort = 0;
        quint16 localPort = 0;
        QHostAddress local;
        bool operator==(const Ends &) const = default;
    };
    friend size_t qHash(const Ends &ends, size_t seed)
    {
        return qHashMulti(seed, ends.peer, ends.peerPort, ends.localPort, ends.local);
    }
    template <typename Socket> static Ends endsOf(const Socket &socket)
    {
        return {socket.peerAddress(), socket.peerPort(), socket.localPort(), socket.localAddress()};
    }

    const ServerConfig &m_config;
    QList<QByteArray> m_upgradePaths;
    std::unique_ptr<QTcpServer> m_tcp; // a QSslServer with --tls-cert
    QString m_error;
    QWebSocketServer m_ws;
    // Sockets in the request-head stage, or taking an HTTP answer: their deadline, and
    // whether they count against the handshake cap.
    struct HeadStage
    {
        qint64 deadlineMs = 0;
        bool counted = false;
    };
    QHash<QTcpSocket *, HeadStage> m_heads;
    QElapsedTimer m_clock;
    QTimer m_deadlines;
    int m_sniffing = 0;
    quint64 m_handshakesRefused = 0;
    bool m_acceptingUpgrades = true;
    std::function<QByteArray()> m_metrics;
    std::function<QString()> m_health;
    // Sockets handed to m_ws and not yet upgraded.
    QHash<Ends, QPointer<QTcpSocket>> m_upgrading;
};

} // namespace roomkeeper

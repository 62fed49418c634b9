#pragma once

#include "connection.h"
#include "wschannel.h"

#include "../server/serverconfig.h"

#include <QObject>
#include <QTcpServer>

#include <functional>
#include <memory>

class QTcpSocket;

namespace roomkeeper {

struct HttpRequestHead;

// The one TCP port: accepts with a large backlog, reads each request head under a
// deadline and a size cap, answers plain HTTP itself, and answers WebSocket upgrades on
// /ws and /gateway (RFC 6455) and hands each on as a WsChannel (PROTOCOL.md §1).
// Upgrades with a foreign Origin are refused.
class Listener final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Listener)

public:
    static constexpr int MaxHeadBytes = 16 * 1024;

    explicit Listener(const ServerConfig &config, QObject *parent = nullptr);
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

    // Whether an upgrade with this Origin header may proceed; 'host' is its Host header.
    static bool originAllowed(const QByteArray &origin, const QByteArray &host,
                              const QStringList &allowed);

signals:
    // An upgraded connection, its 101 answer queued and its size limit set; it reads
    // nothing until started. The receiver owns it.
    void webSocketReady(roomkeeper::WsChannel *channel, roomkeeper::WireProtocol protocol);

private:
    void acceptPending();
    // Answers or routes the request once its head is complete; false while it is not.
    bool readHead(QTcpSocket *socket);
    void route(QTcpSocket *socket, const HttpRequestHead &head, qsizetype headBytes);
    void finish(QTcpSocket *socket, const QByteArray &response);
    void forget(QTcpSocket *socket);

    const ServerConfig &m_config;
    std::unique_ptr<QTcpServer> m_tcp; // a QSslServer with --tls-cert
    QString m_error;
    WsFlusher m_flusher;
    int m_sniffing = 0;
    quint64 m_handshakesRefused = 0;
    bool m_acceptingUpgrades = true;
    std::function<QByteArray()> m_metrics;
};

} // namespace roomkeeper

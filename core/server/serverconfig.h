#pragma once

#include <QHostAddress>
#include <QString>
#include <QStringList>

namespace roomkeeper {

// Everything the core needs to run. Defaults are the product's defaults (DESIGN.md
// "Limits and faults"); app/ fills this from the command line.
struct ServerConfig
{
    static constexpr quint16 DefaultPort = 8765;

    QHostAddress listenAddress = QHostAddress(QHostAddress::AnyIPv4);
    quint16 port = DefaultPort;
    QString dataDir;

    int heartbeatIntervalMs = 15000;
    int maxMessageRate = 20;    // requests per second per connection; 0 = no limit
    int maxMessageBurst = 0;    // 0 = twice the rate
    int maxConnections = 20000; // in all
    int maxConnectionsPerAddress = 64;
    qint64 maxMessageSize = 64 * 1024; // bytes of one incoming frame or message
    int maxContent = 4000;             // characters of one chat message
    int roomIdleExpiryHours = 24;
    qint64 maxOutboundQueue = 4 * 1024 * 1024; // bytes waiting for one client
    int handshakeTimeoutMs = 10000;
    int maxConcurrentHandshakes = 256;
    int listenBacklog = 1024;
    int slowClientGraceMs = 1000; // after a close frame, abort() after this long
    QStringList allowedOrigins;
    QString tlsCertFile; // PEM; with tlsKeyFile, serve wss:// and https://
    QString tlsKeyFile;
    int sweepIntervalMs = 30000;         // expired bans, idle rooms, idle outbound buffers
    qint64 roomIdleExpiryMsOverride = 0; // tests: idle expiry in ms instead of hours

    qint64 roomIdleMs() const
    {
        return roomIdleExpiryMsOverride > 0 ? roomIdleExpiryMsOverride
                                            : qint64(roomIdleExpiryHours) * 3600 * 1000;
    }

    int burst() const { return maxMessageBurst > 0 ? maxMessageBurst : 2 * maxMessageRate; }
};

} // namespace roomkeeper

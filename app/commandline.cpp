#include "commandline.h"

#include <QCommandLineParser>
#include <QDir>
#include <QStandardPaths>

#include <type_traits>

namespace roomkeeper {

namespace {

template <auto Member> qint64 getField(const ServerConfig &c)
{
    return qint64(c.*Member);
}

template <auto Member> void setField(ServerConfig &c, qint64 v)
{
    c.*Member = static_cast<std::remove_reference_t<decltype(c.*Member)>>(v);
}

struct IntFlag
{
    const char *name;
    const char *valueName;
    const char *help;
    qint64 min;
    qint64 max;
    qint64 (*get)(const ServerConfig &);
    void (*set)(ServerConfig &, qint64);
};

#define RK_FIELD(member) &getField<&ServerConfig::member>, &setField<&ServerConfig::member>

// Numeric limits: name, value name, help, allowed range, the setting.
const IntFlag intFlags[] = {
    {"port", "N", "TCP port to listen on (default 8765; 0 picks a free port).", 0, 65535,
     RK_FIELD(port)},
    {"heartbeat-interval", "MS", "Heartbeat interval in milliseconds (default 15000).", 50, 3600000,
     RK_FIELD(heartbeatIntervalMs)},
    {"max-message-rate", "N",
     "Requests per second per connection, burst twice that (default 20; 0 = off).", 0, 1000000,
     RK_FIELD(maxMessageRate)},
    {"max-connections", "N", "Most connections in all (default 20000).", 1, 1000000,
     RK_FIELD(maxConnections)},
    {"max-connections-per-address", "N", "Most connections from one address (default 64).", 1,
     1000000, RK_FIELD(maxConnectionsPerAddress)},
    {"max-message-size", "BYTES",
     "Largest incoming frame or message (default 65536); larger closes with 1009.", 256,
     64 * 1024 * 1024, RK_FIELD(maxMessageSize)},
    {"max-content", "CHARS", "Longest chat message in characters (default 4000).", 1, 1000000,
     RK_FIELD(maxContent)},
    {"room-idle-expiry", "HOURS", "Close rooms left empty this long, unless pinned (default 24).",
     1, 24 * 365 * 10, RK_FIELD(roomIdleExpiryHours)},
    {"max-outbound-queue", "BYTES",
     "Bytes waiting for one client before it is dropped as too slow, 4008 (default 4194304).", 4096,
     qint64(1) << 32, RK_FIELD(maxOutboundQueue)},
    {"handshake-timeout", "MS",
     "Time allowed for a request head and WebSocket handshake (default 10000).", 100, 600000,
     RK_FIELD(handshakeTimeoutMs)},
    {"max-handshakes", "N", "Most handshakes in progress at once (default 256).", 1, 100000,
     RK_FIELD(maxConcurrentHandshakes)},
    {"listen-backlog", "N", "TCP listen backlog (default 1024).", 16, 65535,
     RK_FIELD(listenBacklog)},
};

#undef RK_FIELD

} // namespace

bool displayAvailable()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") ||
           !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
           !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

CommandLineResult parseCommandLine(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Host a chat on your local network: WebSocket rooms (/ws), a browser client (/) and "
        "an operator console (a window, or stdin with --no-gui)."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help and exit."));
    const QCommandLineOption version(QStringLiteral("version"),
                                     QStringLiteral("Print the version and exit."));
    const QCommandLineOption noGui(QStringLiteral("no-gui"),
                                   QStringLiteral("Run headless, moderated from stdin."));
    const QCommandLineOption listen(QStringLiteral("listen"),
                                    QStringLiteral("Address to listen on (default 0.0.0.0)."),
                                    QStringLiteral("ADDR"));
    const QCommandLineOption dataDir(
        QStringLiteral("data-dir"),
        QStringLiteral("Where lasting state is kept (default: the app data location)."),
        QStringLiteral("DIR"));
    const QCommandLineOption configFile(
        QStringLiteral("config"),
        QStringLiteral("INI file with settings (not read by this version yet)."),
        QStringLiteral("FILE"));
    const QCommandLineOption tlsCert(
        QStringLiteral("tls-cert"),
        QStringLiteral(
            "PEM certificate for wss:// and https:// (not available in this version yet)."),
        QStringLiteral("F"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"),
                                    QStringLiteral("PEM private key for --tls-cert."),
                                    QStringLiteral("F"));
    const QCommandLineOption allowOrigin(
        QStringLiteral("allow-origin"),
        QStringLiteral(
            "Also accept WebSocket upgrades from this page origin (repeatable; * = any)."),
        QStringLiteral("ORIGIN"));
    const QCommandLineOption logLevel(
        QStringLiteral("log-level"),
        QStringLiteral("debug, info, warning or error (default info)."), QStringLiteral("LEVEL"));
    parser.addOptions({help, version, noGui, listen, dataDir, configFile, tlsCert, tlsKey,
                       allowOrigin, logLevel});
    for (const IntFlag &flag : intFlags) {
        parser.addOption(QCommandLineOption(QString::fromLatin1(flag.name),
                                            QString::fromLatin1(flag.help),
                                            QString::fromLatin1(flag.valueName)));
    }

    CommandLineResult result;
    if (!parser.parse(arguments)) {
        result.error = parser.errorText();
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        result.error =
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first());
        return result;
    }
    if (parser.isSet(help)) {
        result.exitNow = true;
        result.output = parser.helpText();
        return result;
    }
    if (parser.isSet(version)) {
        result.exitNow = true;
        result.output = QStringLiteral("roomkeeper %1\n").arg(QStringLiteral(ROOMKEEPER_VERSION));
        return result;
    }

    CommandLine options;
    options.noGui = parser.isSet(noGui);
    for (const IntFlag &flag : intFlags) {
        const QString name = QString::fromLatin1(flag.name);
        if (!parser.isSet(name))
            continue;
        bool ok = false;
        const qint64 v = parser.value(name).toLongLong(&ok);
        if (!ok || v < flag.min || v > flag.max) {
            result.error = QStringLiteral("--%1 must be a whole number from %2 to %3 (default %4)")
                               .arg(name)
                               .arg(flag.min)
                               .arg(flag.max)
                               .arg(flag.get(ServerConfig()));
            return result;
        }
        flag.set(options.config, v);
    }
    if (parser.isSet(listen)) {
        const QHostAddress address(parser.value(listen));
        if (address.isNull()) {
            result.error = QStringLiteral("--listen must be an IPv4 or IPv6 address, not '%1'")
                               .arg(parser.value(listen));
            return result;
        }
        options.config.listenAddress = address;
    }
    options.config.dataDir =
        parser.isSet(dataDir) ? parser.value(dataDir)
                              : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    options.config.allowedOrigins = parser.values(allowOrigin);
    options.configFile = parser.value(configFile);
    options.tlsCert = parser.value(tlsCert);
    options.tlsKey = parser.value(tlsKey);
    if (parser.isSet(logLevel)) {
        options.logLevel = parser.value(logLevel).toLower();
        static const QStringList levels = {QStringLiteral("debug"), QStringLiteral("info"),
                                           QStringLiteral("warning"), QStringLiteral("error")};
        if (!levels.contains(options.logLevel)) {
            result.error = QStringLiteral("--log-level must be debug, info, warning or error");
            return result;
        }
    }
    if (!options.tlsCert.isEmpty() || !options.tlsKey.isEmpty()) {
        result.error =
            QStringLiteral("--tls-cert/--tls-key: TLS is not available in this version yet");
        return result;
    }
    if (!options.configFile.isEmpty()) {
        result.error = QStringLiteral("--config: config files are not read by this version yet");
        return result;
    }
    result.options = options;
    return result;
}

} // namespace roomkeeper

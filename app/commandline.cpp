#include "commandline.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QSettings>
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

namespace {

// The keys a config file (or the saved settings) may hold: the flags' names.
QStringList knownSettings()
{
    QStringList known = {QStringLiteral("no-gui"),   QStringLiteral("listen"),
                         QStringLiteral("data-dir"), QStringLiteral("tls-cert"),
                         QStringLiteral("tls-key"),  QStringLiteral("allow-origin"),
                         QStringLiteral("log-level")};
    for (const IntFlag &flag : intFlags)
        known.append(QString::fromLatin1(flag.name));
    return known;
}

QStringList settingValues(const QVariant &value)
{
    return value.metaType().id() == QMetaType::QStringList ? value.toStringList()
                                                           : QStringList{value.toString()};
}

// Reads an INI file whose keys are the flag names. Unknown keys and unreadable files are
// errors: a typo in a config file must not be silently ignored.
QHash<QString, QStringList> readConfigFile(const QString &path, QString *problem)
{
    QHash<QString, QStringList> values;
    if (!QFileInfo(path).isFile()) {
        *problem = QStringLiteral("config file %1 does not exist").arg(path);
        return values;
    }
    QSettings ini(path, QSettings::IniFormat);
    if (ini.status() != QSettings::NoError) {
        *problem = QStringLiteral("config file %1 cannot be read (not valid INI)").arg(path);
        return values;
    }
    const QStringList known = knownSettings();
    for (const QString &key : ini.allKeys()) {
        const QString name = key.startsWith(QLatin1StringView("General/")) ? key.mid(8) : key;
        if (!known.contains(name)) {
            *problem = QStringLiteral("config file %1: unknown setting '%2'").arg(path, name);
            return values;
        }
        values.insert(name, settingValues(ini.value(key)));
    }
    return values;
}

} // namespace

QHash<QString, QStringList> readSavedSettings()
{
    QHash<QString, QStringList> values;
    QSettings settings(QStringLiteral("roomkeeper"), QStringLiteral("roomkeeper"));
    settings.beginGroup(QStringLiteral("server"));
    const QStringList known = knownSettings();
    for (const QString &key : settings.childKeys()) {
        if (known.contains(key))
            values.insert(key, settingValues(settings.value(key)));
    }
    return values;
}

CommandLineResult parseCommandLine(const QStringList &arguments,
                                   const QHash<QString, QStringList> &saved)
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
        QStringLiteral("INI file with settings, one key per flag (e.g. port=8765); flags win."),
        QStringLiteral("FILE"));
    const QCommandLineOption tlsCert(
        QStringLiteral("tls-cert"),
        QStringLiteral(
            "PEM certificate: serve wss:// and https:// on the same port (with --tls-key)."),
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
        // Parsed before the application object exists: name the program ourselves.
        result.output = parser.helpText().replace(QStringLiteral("<executable_name>"),
                                                  QStringLiteral("roomkeeper"));
        return result;
    }
    if (parser.isSet(version)) {
        result.exitNow = true;
        result.output = QStringLiteral("roomkeeper %1\n").arg(QStringLiteral(ROOMKEEPER_VERSION));
        return result;
    }

    // Settings come from the saved settings, then the config file, key by key named as
    // the flags; each overrides the one before, and flags win.
    QHash<QString, QStringList> values = saved;
    const QString configPath = parser.value(configFile);
    if (!configPath.isEmpty()) {
        QString problem;
        const QHash<QString, QStringList> fromFile = readConfigFile(configPath, &problem);
        if (!problem.isEmpty()) {
            result.error = problem;
            return result;
        }
        for (auto it = fromFile.cbegin(); it != fromFile.cend(); ++it)
            values.insert(it.key(), it.value());
    }
    for (const QString &name : parser.optionNames()) {
        if (name != QLatin1StringView("config"))
            values.insert(name, parser.values(name));
    }
    const auto has = [&values](const char *name) {
        return values.contains(QLatin1StringView(name));
    };
    const auto last = [&values](const char *name) {
        return values.value(QLatin1StringView(name)).value(0).trimmed();
    };

    CommandLine options;
    options.configFile = configPath;
    if (has("no-gui")) {
        const QString v = last("no-gui").toLower();
        options.noGui =
            v.isEmpty() || v == QLatin1StringView("true") || v == QLatin1StringView("1");
    }
    for (const IntFlag &flag : intFlags) {
        if (!has(flag.name))
            continue;
        bool ok = false;
        const qint64 v = last(flag.name).toLongLong(&ok);
        if (!ok || v < flag.min || v > flag.max) {
            result.error = QStringLiteral("--%1 must be a whole number from %2 to %3 (default %4)")
                               .arg(QLatin1StringView(flag.name))
                               .arg(flag.min)
                               .arg(flag.max)
                               .arg(flag.get(ServerConfig()));
            return result;
        }
        flag.set(options.config, v);
    }
    if (has("listen")) {
        const QHostAddress address(last("listen"));
        if (address.isNull()) {
            result.error = QStringLiteral("--listen must be an IPv4 or IPv6 address, not '%1'")
                               .arg(last("listen"));
            return result;
        }
        options.config.listenAddress = address;
    }
    options.config.dataDir =
        has("data-dir") ? last("data-dir")
                        : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    for (const QString &origin : values.value(QStringLiteral("allow-origin"))) {
        if (!origin.trimmed().isEmpty())
            options.config.allowedOrigins.append(origin.trimmed());
    }
    options.tlsCert = last("tls-cert");
    options.tlsKey = last("tls-key");
    if (has("log-level")) {
        options.logLevel = last("log-level").toLower();
        static const QStringList levels = {QStringLiteral("debug"), QStringLiteral("info"),
                                           QStringLiteral("warning"), QStringLiteral("error")};
        if (!levels.contains(options.logLevel)) {
            result.error = QStringLiteral("--log-level must be debug, info, warning or error");
            return result;
        }
    }
    if (options.tlsCert.isEmpty() != options.tlsKey.isEmpty()) {
        result.error = QStringLiteral("--tls-cert and --tls-key go together");
        return result;
    }
    options.config.tlsCertFile = options.tlsCert;
    options.config.tlsKeyFile = options.tlsKey;
    result.options = options;
    return result;
}

} // namespace roomkeeper

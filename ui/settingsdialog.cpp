#include "settingsdialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace roomkeeper {

namespace {

// Marks a setting that takes effect only when Roomkeeper starts again.
QString restartLabel(const QString &label)
{
    return QStringLiteral("%1 (restart)").arg(label);
}

QStringList splitOrigins(const QString &text)
{
    QStringList origins;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (!part.trimmed().isEmpty())
            origins.append(part.trimmed());
    }
    return origins;
}

} // namespace

SettingsDialog::SettingsDialog(const ServerConfig &config, QWidget *parent)
    : QDialog(parent), m_config(config)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(QStringLiteral("Server settings"));

    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(QStringLiteral("Limits apply at once. Settings marked (restart) are "
                                            "saved and take effect when Roomkeeper starts again. "
                                            "Command-line flags and a --config file win over "
                                            "what is saved here."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_form = new QFormLayout;
    layout->addLayout(m_form);

    m_listen = new QLineEdit(config.listenAddress.toString(), this);
    m_listen->setObjectName(QStringLiteral("listen"));
    m_listen->setPlaceholderText(QStringLiteral("0.0.0.0"));
    m_listen->setToolTip(QStringLiteral("IPv4 or IPv6 address to listen on (--listen)."));
    m_fields.insert(QStringLiteral("listen"), m_listen);
    m_form->addRow(restartLabel(QStringLiteral("&Listen address")), m_listen);

    // 0 picks a free port (the command line allows it too).
    m_port = addSpin(QStringLiteral("port"), restartLabel(QStringLiteral("&Port")), 0, 65535,
                     config.port);
    m_port->setSpecialValueText(QStringLiteral("any free port"));

    m_dataDir = new QLineEdit(config.dataDir, this);
    m_dataDir->setObjectName(QStringLiteral("data-dir"));
    m_dataDir->setPlaceholderText(QStringLiteral("the default location"));
    m_dataDir->setToolTip(QStringLiteral("Where lasting state is kept (--data-dir)."));
    m_fields.insert(QStringLiteral("data-dir"), m_dataDir);
    m_form->addRow(restartLabel(QStringLiteral("&Data directory")), m_dataDir);

    m_heartbeat =
        addSpin(QStringLiteral("heartbeat-interval"), QStringLiteral("&Heartbeat interval"), 50,
                3600000, config.heartbeatIntervalMs, QStringLiteral(" ms"));
    m_rate = addSpin(QStringLiteral("max-message-rate"), QStringLiteral("Max message &rate"), 0,
                     1000000, config.maxMessageRate, QStringLiteral(" /s"));
    m_rate->setSpecialValueText(QStringLiteral("no limit"));
    m_connections = addSpin(QStringLiteral("max-connections"), QStringLiteral("Max &connections"),
                            1, 1000000, config.maxConnections);
    m_perAddress = addSpin(QStringLiteral("max-connections-per-address"),
                           QStringLiteral("Max connections per &address"), 1, 1000000,
                           config.maxConnectionsPerAddress);
    m_messageSize =
        addSpin(QStringLiteral("max-message-size"), QStringLiteral("Max message &size"), 256,
                64 * 1024 * 1024, int(config.maxMessageSize), QStringLiteral(" bytes"));
    m_content = addSpin(QStringLiteral("max-content"), QStringLiteral("Max message &length"), 1,
                        1000000, config.maxContent, QStringLiteral(" characters"));
    // Up to 4 GiB in bytes does not fit a QSpinBox: edit it in KiB (4 KiB to 4 GiB).
    m_queueKiB =
        addSpin(QStringLiteral("max-outbound-queue"), QStringLiteral("Max &outbound queue"), 4,
                4 * 1024 * 1024, int(config.maxOutboundQueue / 1024), QStringLiteral(" KiB"));
    m_idleHours = addSpin(QStringLiteral("room-idle-expiry"), QStringLiteral("Room &idle expiry"),
                          1, 24 * 365 * 10, config.roomIdleExpiryHours, QStringLiteral(" h"));

    m_origins = new QLineEdit(config.allowedOrigins.join(QStringLiteral(", ")), this);
    m_origins->setObjectName(QStringLiteral("allow-origin"));
    m_origins->setPlaceholderText(QStringLiteral("e.g. http://intranet.example, * = any"));
    m_origins->setToolTip(
        QStringLiteral("Other page origins allowed to open WebSockets, comma-separated."));
    m_fields.insert(QStringLiteral("allow-origin"), m_origins);
    m_form->addRow(QStringLiteral("Allowed &origins"), m_origins);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("settingsProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: palette(highlight)"));
    m_problem->hide();
    layout->addWidget(m_problem);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    layout->addWidget(buttons);
}

SettingsDialog::~SettingsDialog() = default;

QSpinBox *SettingsDialog::addSpin(const QString &flag, const QString &label, int minimum,
                                  int maximum, int value, const QString &suffix)
{
    auto *spin = new QSpinBox(this);
    spin->setObjectName(flag);
    spin->setRange(minimum, maximum);
    spin->setValue(value);
    spin->setSuffix(suffix);
    spin->setToolTip(QStringLiteral("--%1, from %2 to %3").arg(flag).arg(minimum).arg(maximum));
    m_fields.insert(flag, spin);
    m_form->addRow(label, spin);
    return spin;
}

QWidget *SettingsDialog::field(const QString &flag) const
{
    return m_fields.value(flag);
}

bool SettingsDialog::listenAddressValid() const
{
    return !QHostAddress(m_listen->text().trimmed()).isNull();
}

ServerConfig SettingsDialog::config() const
{
    ServerConfig c = m_config;
    if (listenAddressValid())
        c.listenAddress = QHostAddress(m_listen->text().trimmed());
    c.port = quint16(m_port->value());
    c.dataDir = m_dataDir->text().trimmed();
    c.heartbeatIntervalMs = m_heartbeat->value();
    c.maxMessageRate = m_rate->value();
    c.maxConnections = m_connections->value();
    c.maxConnectionsPerAddress = m_perAddress->value();
    c.maxMessageSize = m_messageSize->value();
    c.maxContent = m_content->value();
    // Untouched, the queue keeps its exact byte count (which need not be whole KiB).
    if (m_queueKiB->value() != int(m_config.maxOutboundQueue / 1024))
        c.maxOutboundQueue = qint64(m_queueKiB->value()) * 1024;
    c.roomIdleExpiryHours = m_idleHours->value();
    c.allowedOrigins = splitOrigins(m_origins->text());
    return c;
}

void SettingsDialog::accept()
{
    if (!listenAddressValid()) {
        m_problem->setText(QStringLiteral("The listen address must be an IPv4 or IPv6 address."));
        m_problem->show();
        m_listen->setFocus();
        return;
    }
    QDialog::accept();
}

void saveServerSettings(const ServerConfig &config)
{
    QSettings settings(QStringLiteral("roomkeeper"), QStringLiteral("roomkeeper"));
    settings.beginGroup(QStringLiteral("server"));
    settings.setValue(QStringLiteral("listen"), config.listenAddress.toString());
    settings.setValue(QStringLiteral("port"), int(config.port));
    // Empty: no key, so that the next start uses the default location.
    if (config.dataDir.isEmpty())
        settings.remove(QStringLiteral("data-dir"));
    else
        settings.setValue(QStringLiteral("data-dir"), config.dataDir);
    settings.setValue(QStringLiteral("heartbeat-interval"), config.heartbeatIntervalMs);
    settings.setValue(QStringLiteral("max-message-rate"), config.maxMessageRate);
    settings.setValue(QStringLiteral("max-connections"), config.maxConnections);
    settings.setValue(QStringLiteral("max-connections-per-address"),
                      config.maxConnectionsPerAddress);
    settings.setValue(QStringLiteral("max-message-size"), config.maxMessageSize);
    settings.setValue(QStringLiteral("max-content"), config.maxContent);
    settings.setValue(QStringLiteral("max-outbound-queue"), config.maxOutboundQueue);
    settings.setValue(QStringLiteral("room-idle-expiry"), config.roomIdleExpiryHours);
    // Empty: no key, so that "no extra origins" does not read back as one empty origin.
    if (config.allowedOrigins.isEmpty())
        settings.remove(QStringLiteral("allow-origin"));
    else
        settings.setValue(QStringLiteral("allow-origin"), config.allowedOrigins);
    settings.endGroup();
    settings.sync();
}

} // namespace roomkeeper

#pragma once

#include "server/serverconfig.h"

#include <QDialog>
#include <QHash>

class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace roomkeeper {

// Server settings the operator may change from the window (Server → Settings…): filled
// from a ServerConfig, returns one. Fields the dialog does not show (TLS, handshakes,
// backlog…) come back as they went in. Listen address, port and data dir take effect
// after a restart; the rest are applied live by ChatServer::reconfigure().
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    explicit SettingsDialog(const ServerConfig &config, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    // What the dialog shows now (the listen address is kept when the text is not one).
    ServerConfig config() const;
    // Whether the listen address field holds an IPv4 or IPv6 address.
    bool listenAddressValid() const;

    // The spin box or line edit for a setting, by its flag name ("port", "listen",
    // "max-message-rate", "allow-origin"…); for tests.
    QWidget *field(const QString &flag) const;

    void accept() override;

private:
    QSpinBox *addSpin(const QString &flag, const QString &label, int minimum, int maximum,
                      int value, const QString &suffix = QString());

    ServerConfig m_config;
    QFormLayout *m_form = nullptr;
    QLabel *m_problem = nullptr;
    QHash<QString, QWidget *> m_fields;
    QLineEdit *m_listen = nullptr;
    QLineEdit *m_dataDir = nullptr;
    QLineEdit *m_origins = nullptr;
    QSpinBox *m_port = nullptr;
    QSpinBox *m_heartbeat = nullptr;
    QSpinBox *m_rate = nullptr;
    QSpinBox *m_connections = nullptr;
    QSpinBox *m_perAddress = nullptr;
    QSpinBox *m_messageSize = nullptr;
    QSpinBox *m_content = nullptr;
    QSpinBox *m_queueKiB = nullptr;
    QSpinBox *m_idleHours = nullptr;
};

// The window's saved server settings: QSettings "roomkeeper"/"roomkeeper", group "server",
// keys named as the command-line flags. app/main.cpp reads them as defaults under the
// --config file and the flags. Writes every setting the dialog edits.
void saveServerSettings(const ServerConfig &config);

} // namespace roomkeeper

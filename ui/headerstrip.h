#pragma once

#include <QHostAddress>
#include <QStringList>
#include <QWidget>

class QGridLayout;
class QLabel;

namespace roomkeeper {

class QrCodeWidget;
class TrafficChart;

// The strip across the top of the window: version, uptime, where people join (each LAN
// address as a browser link and a WebSocket URL, with Copy buttons), a QR code of the
// browser link, and the live traffic chart.
class HeaderStrip final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeaderStrip)

public:
    explicit HeaderStrip(QWidget *parent = nullptr);
    ~HeaderStrip() override;

    // The hosts people can reach for a listen address: a wildcard listener is reachable
    // on every non-loopback IPv4 address of the interfaces that are up; a specific
    // address only on itself. Never empty once an address is known (loopback at worst).
    static QStringList joinHosts(const QHostAddress &listenAddress);

    QString listeningText() const;
    // "http://ADDR:PORT/" and "ws://ADDR:PORT/ws" for every join host, in that order.
    QStringList joinUrls() const { return m_urls; }
    QrCodeWidget *qrCode() const { return m_qr; }
    TrafficChart *chart() const { return m_chart; }

public slots:
    void setListening(const QString &address, quint16 port);
    void setUptime(qint64 ms);
    // Shows which browser link the QR code holds.
    void showQrFor(const QString &url);

signals:
    // A Copy button put this text on the clipboard.
    void copied(const QString &text);

private:
    void addUrlRow(int row, const QString &host, quint16 port, bool localOnly);

    QLabel *m_title = nullptr;
    QLabel *m_uptime = nullptr;
    QLabel *m_listening = nullptr;
    QWidget *m_addresses = nullptr;
    QGridLayout *m_grid = nullptr;
    QrCodeWidget *m_qr = nullptr;
    QLabel *m_qrCaption = nullptr;
    TrafficChart *m_chart = nullptr;
    QStringList m_urls;
};

} // namespace roomkeeper

#include "headerstrip.h"

#include "icons.h"
#include "qrcodewidget.h"
#include "trafficchart.h"

#include <QApplication>
#include <QClipboard>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QNetworkInterface>
#include <QToolButton>
#include <QVBoxLayout>

namespace roomkeeper {

HeaderStrip::HeaderStrip(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("headerStrip"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->setSpacing(12);

    auto *qrColumn = new QVBoxLayout;
    qrColumn->setSpacing(2);
    m_qr = new QrCodeWidget(this);
    m_qr->setObjectName(QStringLiteral("qrCode"));
    m_qrCaption = new QLabel(this);
    m_qrCaption->setAlignment(Qt::AlignHCenter);
    QFont caption = m_qrCaption->font();
    caption.setPointSizeF(caption.pointSizeF() * 0.8);
    m_qrCaption->setFont(caption);
    qrColumn->addWidget(m_qr, 0, Qt::AlignHCenter);
    qrColumn->addWidget(m_qrCaption);
    layout->addLayout(qrColumn);

    auto *info = new QVBoxLayout;
    info->setSpacing(4);
    auto *titleRow = new QHBoxLayout;
    m_title =
        new QLabel(QStringLiteral("Roomkeeper %1").arg(QApplication::applicationVersion()), this);
    QFont big = m_title->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    m_title->setFont(big);
    m_uptime = new QLabel(this);
    m_uptime->setObjectName(QStringLiteral("uptime"));
    titleRow->addWidget(m_title);
    titleRow->addSpacing(12);
    titleRow->addWidget(m_uptime);
    titleRow->addStretch();
    info->addLayout(titleRow);

    m_listening = new QLabel(QStringLiteral("Starting…"), this);
    m_listening->setObjectName(QStringLiteral("listening"));
    m_listening->setTextInteractionFlags(Qt::TextSelectableByMouse);
    info->addWidget(m_listening);

    m_addresses = new QWidget(this);
    m_grid = new QGridLayout(m_addresses);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setHorizontalSpacing(6);
    m_grid->setVerticalSpacing(2);
    info->addWidget(m_addresses);
    info->addStretch();
    layout->addLayout(info, 1);

    m_chart = new TrafficChart(this);
    m_chart->setObjectName(QStringLiteral("trafficChart"));
    layout->addWidget(m_chart, 1);
}

HeaderStrip::~HeaderStrip() = default;

QStringList HeaderStrip::joinHosts(const QHostAddress &listenAddress)
{
    QStringList hosts;
    const bool wildcard = listenAddress == QHostAddress(QHostAddress::AnyIPv4) ||
                          listenAddress == QHostAddress(QHostAddress::AnyIPv6) ||
                          listenAddress == QHostAddress(QHostAddress::Any);
    if (!wildcard) {
        if (!listenAddress.isNull())
            hosts << (listenAddress.protocol() == QHostAddress::IPv6Protocol
                          ? QStringLiteral("[%1]").arg(listenAddress.toString())
                          : listenAddress.toString());
        return hosts;
    }
    const auto interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &interface : interfaces) {
        const auto flags = interface.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) ||
            !flags.testFlag(QNetworkInterface::IsRunning) ||
            flags.testFlag(QNetworkInterface::IsLoopBack))
            continue;
        for (const QNetworkAddressEntry &entry : interface.addressEntries()) {
            const QHostAddress ip = entry.ip();
            if (ip.protocol() == QHostAddress::IPv4Protocol && !ip.isLoopback() &&
                !hosts.contains(ip.toString()))
                hosts << ip.toString();
        }
    }
    if (hosts.isEmpty())
        hosts << QStringLiteral("127.0.0.1");
    return hosts;
}

QString HeaderStrip::listeningText() const
{
    return m_listening->text();
}

void HeaderStrip::setListening(const QString &address, quint16 port)
{
    m_listening->setText(QStringLiteral("Hosting on ws://%1:%2/ws").arg(address).arg(port));
    while (QLayoutItem *item = m_grid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_urls.clear();
    const QStringList hosts = joinHosts(QHostAddress(address));
    for (qsizetype i = 0; i < hosts.size(); ++i) {
        const bool localOnly = QHostAddress(hosts.at(i)).isLoopback();
        addUrlRow(int(i), hosts.at(i), port, localOnly);
    }
    showQrFor(m_urls.value(0));
}

void HeaderStrip::addUrlRow(int row, const QString &host, quint16 port, bool localOnly)
{
    const QString browser = QStringLiteral("http://%1:%2/").arg(host).arg(port);
    const QString socket = QStringLiteral("ws://%1:%2/ws").arg(host).arg(port);
    m_urls << browser << socket;
    int column = 0;
    const auto addUrl = [&](const QString &url, const QString &what) {
        auto *label = new QLabel(QStringLiteral("<a href=\"%1\">%1</a>").arg(url.toHtmlEscaped()),
                                 m_addresses);
        label->setTextInteractionFlags(Qt::TextBrowserInteraction);
        label->setOpenExternalLinks(url.startsWith(QLatin1StringView("http")));
        label->setToolTip(what);
        auto *copy = new QToolButton(m_addresses);
        copy->setObjectName(QStringLiteral("copy:%1").arg(url));
        copy->setIcon(icons::glyph(icons::Glyph::Copy));
        copy->setText(QStringLiteral("Copy"));
        copy->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        copy->setAutoRaise(true);
        copy->setToolTip(QStringLiteral("Copy %1").arg(url));
        connect(copy, &QToolButton::clicked, this, [this, url] {
            QApplication::clipboard()->setText(url);
            emit copied(url);
        });
        m_grid->addWidget(label, row, column++);
        m_grid->addWidget(copy, row, column++);
    };
    addUrl(browser, QStringLiteral("Open in a browser: the web client"));
    addUrl(socket, QStringLiteral("For apps: the room protocol over WebSocket"));
    auto *qr = new QToolButton(m_addresses);
    qr->setText(QStringLiteral("QR"));
    qr->setAutoRaise(true);
    qr->setToolTip(QStringLiteral("Show the QR code of %1").arg(browser));
    connect(qr, &QToolButton::clicked, this, [this, browser] { showQrFor(browser); });
    m_grid->addWidget(qr, row, column++);
    if (localOnly) {
        auto *note = new QLabel(QStringLiteral("(this computer only)"), m_addresses);
        note->setEnabled(false);
        m_grid->addWidget(note, row, column++);
    }
    m_grid->setColumnStretch(column, 1);
}

void HeaderStrip::showQrFor(const QString &url)
{
    m_qr->setText(url);
    m_qrCaption->setText(url.isEmpty() ? QString() : QStringLiteral("scan to join"));
}

void HeaderStrip::setUptime(qint64 ms)
{
    if (ms < 0) {
        m_uptime->clear();
        return;
    }
    const qint64 s = ms / 1000;
    const QString clock = QStringLiteral("%1:%2:%3")
                              .arg((s / 3600) % 24)
                              .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
                              .arg(s % 60, 2, 10, QLatin1Char('0'));
    m_uptime->setText(s >= 86400 ? QStringLiteral("up %1 d %2").arg(s / 86400).arg(clock)
                                 : QStringLiteral("up %1").arg(clock));
}

} // namespace roomkeeper

#include "mainwindow.h"

#include <QCloseEvent>
#include <QLabel>
#include <QStatusBar>
#include <QVBoxLayout>

namespace roomkeeper {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Roomkeeper"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    m_listening = new QLabel(QStringLiteral("Starting…"), central);
    m_listening->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont big = m_listening->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    m_listening->setFont(big);
    m_stats = new QLabel(central);
    auto *note =
        new QLabel(QStringLiteral("The full operator console (rooms, participants, traffic, "
                                  "moderation) is not available in this version yet."),
                   central);
    note->setWordWrap(true);
    layout->addWidget(m_listening);
    layout->addWidget(m_stats);
    layout->addStretch();
    layout->addWidget(note);
    setCentralWidget(central);
    resize(640, 360);
    showStats(ServerStats());
}

MainWindow::~MainWindow() = default;

QString MainWindow::listeningText() const
{
    return m_listening->text();
}

QString MainWindow::statsText() const
{
    return m_stats->text();
}

void MainWindow::setListening(const QString &address, quint16 port)
{
    m_listening->setText(QStringLiteral("Hosting on ws://%1:%2/ws").arg(address).arg(port));
}

void MainWindow::showStats(const ServerStats &stats)
{
    m_stats->setText(QStringLiteral("%1 connections · %2 rooms · %3 messages · %4 deliveries")
                         .arg(stats.connections)
                         .arg(stats.rooms)
                         .arg(stats.messagesPosted)
                         .arg(stats.framesOut));
    statusBar()->showMessage(QStringLiteral("%1 connected").arg(stats.connections));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    emit stopRequested();
    event->accept();
}

} // namespace roomkeeper

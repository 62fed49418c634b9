#pragma once

#include "server/serverstats.h"

#include <QMainWindow>

class QLabel;

namespace roomkeeper {

// The operator window. It never calls into the core: it is fed by queued signals
// (listening address, batched counters) and asks for things by its own signals.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    QString listeningText() const;
    QString statsText() const;

public slots:
    void setListening(const QString &address, quint16 port);
    void showStats(const roomkeeper::ServerStats &stats);

signals:
    // The operator closed the window: stop hosting.
    void stopRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QLabel *m_listening = nullptr;
    QLabel *m_stats = nullptr;
};

} // namespace roomkeeper

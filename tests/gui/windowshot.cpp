// Renders the operator window with sample data into a PNG (QWidget::grab), for the docs:
// tests/gui/screenshot.sh runs it offscreen and writes docs/window.png.

#include "sampledata.h"

#include "ui/headerstrip.h"
#include "ui/mainwindow.h"
#include "ui/trafficchart.h"

#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QSettings>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QWindow>

#include <cstdio>

using namespace roomkeeper;
using namespace roomkeeper::test;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("roomkeeper"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ROOMKEEPER_VERSION));
    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2 || args.size() > 3) {
        std::fputs("usage: roomkeeper_windowshot OUTPUT.png [TAB]   (TAB: traffic, bans, audit)\n",
                   stderr);
        return 2;
    }
    // The operator's own window layout must not leak into the picture.
    QTemporaryDir settings;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings.path());

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const ServerSnapshot snapshot = sampleSnapshot(now);

    MainWindow window;
    window.resize(1360, 860);
    window.show(); // laid out first, so the traffic view follows its newest rows
    QElapsedTimer waited;
    waited.start();
    while (!(window.windowHandle() && window.windowHandle()->isExposed()) &&
           waited.elapsed() < 3000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    window.setListening(QStringLiteral("192.168.1.20"), 8765);
    window.header()->setUptime(((1 * 60 + 12) * 60 + 5) * 1000);
    // Five minutes of counters, one sample a second, on the chart's own clock.
    const QList<ServerStats> series = sampleStatsSeries(300);
    TrafficChart *chart = window.header()->chart();
    chart->clear();
    for (qsizetype i = 0; i < series.size(); ++i)
        chart->addStats(series.at(i), 3'600'000 + qint64(i) * 1000);
    window.showStats(series.last()); // status bar; older than the chart's clock, so not charted
    window.applySnapshot(snapshot);
    window.appendTraffic(sampleTraffic(snapshot, now, 60));
    window.applyBans(sampleBans(snapshot, now));
    window.applyAudit(sampleAudit(snapshot, now));
    window.selectRoom(snapshot.rooms.first().id);
    window.selectParticipant(snapshot.rooms.first().participants.at(4).user);
    if (args.size() == 3) {
        auto *tabs = window.findChild<QTabWidget *>(QStringLiteral("tabs"));
        for (int i = 0; i < tabs->count(); ++i) {
            if (tabs->tabText(i).startsWith(args.at(2), Qt::CaseInsensitive))
                tabs->setCurrentIndex(i);
        }
    }
    QCoreApplication::processEvents();

    const QPixmap picture = window.grab();
    if (picture.isNull() || !picture.save(args.at(1))) {
        std::fprintf(stderr, "roomkeeper_windowshot: cannot write %s\n", qPrintable(args.at(1)));
        return 1;
    }
    std::printf("%s (%dx%d)\n", qPrintable(args.at(1)), picture.width(), picture.height());
    return 0;
}

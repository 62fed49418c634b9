// The TSan stage's self-check (tests/stages/tsan.sh): with the stage's options and
// suppressions, a value handed over through a queued call must pass unreported, and a
// plain race between two threads must still be reported. Exits through quit().
#include <QCoreApplication>
#include <QString>
#include <QThread>

namespace {
int g_racy = 0; // written by both threads, no lock: the race to report
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QThread worker;
    QObject inWorker;
    inWorker.moveToThread(&worker);
    worker.start();

    QMetaObject::invokeMethod(&inWorker, [&app] {
        ++g_racy;
        // Hand-over: built here, read and destroyed on the main thread.
        const QString payload = QString::number(42).repeated(100);
        QMetaObject::invokeMethod(&app, [payload] {
            if (payload.size() != 200)
                qFatal("bad payload");
            QCoreApplication::quit();
        });
    });
    ++g_racy;

    const int code = app.exec();
    worker.quit();
    worker.wait();
    return code;
}

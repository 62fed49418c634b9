// The minimal operator window, driven offscreen: it shows where the server listens and
// the live counters it is fed, and closing it asks the core to stop.

#include "testclient.h"

#include "server/chatserver.h"
#include "ui/mainwindow.h"

#include <QSignalSpy>
#include <QTest>

using namespace roomkeeper;
using namespace roomkeeper::test;

class MainWindowTest : public QObject
{
    Q_OBJECT

private slots:
    void showsListeningAddressAndLiveCounters();
    void closingAsksToStop();
};

void MainWindowTest::showsListeningAddressAndLiveCounters()
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.port = 0;
    ChatServer server(c);
    MainWindow window;
    connect(&server, &ChatServer::started, &window, &MainWindow::setListening);
    connect(&server, &ChatServer::statsUpdated, &window, &MainWindow::showStats);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    server.start();
    QCOMPARE(window.listeningText(),
             QStringLiteral("Hosting on ws://127.0.0.1:%1/ws").arg(server.port()));
    QVERIFY(window.statsText().startsWith(QStringLiteral("0 connections")));

    TestClient a;
    TestClient b;
    QVERIFY(a.open(server.port()));
    QVERIFY(b.open(server.port()));
    QVERIFY(!a.createRoom(QStringLiteral("lobby")).isEmpty());
    QTRY_VERIFY2(window.statsText().startsWith(QStringLiteral("2 connections · 1 rooms")),
                 qPrintable(window.statsText()));
}

void MainWindowTest::closingAsksToStop()
{
    MainWindow window;
    QSignalSpy stop(&window, &MainWindow::stopRequested);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.close();
    QCOMPARE(stop.count(), 1);
}

QTEST_MAIN(MainWindowTest)
#include "tst_mainwindow.moc"

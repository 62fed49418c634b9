#pragma once

#include "net/epolldispatcher.h"

#include <QCoreApplication>
#include <QtTest>

// QTEST_GUILESS_MAIN, with the event dispatcher the server's thread gets in the product
// (main.cpp), so the tests drive the server over the same event loop it ships with.
#define ROOMKEEPER_SERVER_TEST_MAIN(TestObject)                                                    \
    int main(int argc, char *argv[])                                                               \
    {                                                                                              \
        if (QAbstractEventDispatcher *dispatcher = roomkeeper::createServerEventDispatcher())      \
            QCoreApplication::setEventDispatcher(dispatcher);                                      \
        QCoreApplication app(argc, argv);                                                          \
        TestObject tc;                                                                             \
        QTEST_SET_MAIN_SOURCE_PATH                                                                 \
        return QTest::qExec(&tc, argc, argv);                                                      \
    }

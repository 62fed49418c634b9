#pragma once

#include <QCoreApplication>
#include <QtTest>

// The main of the tests that drive an in-process server: QTEST_GUILESS_MAIN. Kept as one
// macro so that every such test starts the same way.
#define ROOMKEEPER_SERVER_TEST_MAIN(TestObject) QTEST_GUILESS_MAIN(TestObject)

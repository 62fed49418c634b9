// wireframe: server text frames built once per broadcast, checked against RFC 6455 §5.2
// by a reader written from the RFC, at each length-encoding boundary.

#include "net/wireframe.h"

#include <QTest>

namespace wireframe = roomkeeper::wireframe;

class WireFrameTest : public QObject
{
    Q_OBJECT

private slots:
    void lengthEncodings_data();
    void lengthEncodings();
    void payloadOfShortInput();
};

namespace {

struct Parsed
{
    bool fin = false;
    int opcode = -1;
    bool masked = true;
    quint64 length = 0;
    int headerSize = 0;
};

Parsed parse(const QByteArray &frame)
{
    Parsed p;
    const auto byte = [&frame](int i) {
        return quint8(frame.at(i));
    };
    p.fin = byte(0) & 0x80;
    p.opcode = byte(0) & 0x0f;
    p.masked = byte(1) & 0x80;
    const quint8 marker = byte(1) & 0x7f;
    if (marker < 126) {
        p.length = marker;
        p.headerSize = 2;
    } else if (marker == 126) {
        p.length = (quint64(byte(2)) << 8) | byte(3);
        p.headerSize = 4;
    } else {
        for (int i = 0; i < 8; ++i)
            p.length = (p.length << 8) | byte(2 + i);
        p.headerSize = 10;
    }
    return p;
}

} // namespace

void WireFrameTest::lengthEncodings_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("headerSize");
    QTest::newRow("empty") << 0 << 2;
    QTest::newRow("125, the last one-byte length") << 125 << 2;
    QTest::newRow("126, the first 16-bit length") << 126 << 4;
    QTest::newRow("65535, the last 16-bit length") << 65535 << 4;
    QTest::newRow("65536, the first 64-bit length") << 65536 << 10;
    QTest::newRow("1 MiB") << 1024 * 1024 << 10;
}

void WireFrameTest::lengthEncodings()
{
    QFETCH(int, size);
    QFETCH(int, headerSize);
    QByteArray payload(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        payload[i] = char('a' + i % 26);

    const QByteArray frame = wireframe::text(payload);
    const Parsed p = parse(frame);
    QVERIFY(p.fin);
    QCOMPARE(p.opcode, 1);
    QVERIFY(!p.masked); // server frames are never masked
    QCOMPARE(p.headerSize, headerSize);
    QCOMPARE(p.length, quint64(size));
    QCOMPARE(frame.size(), headerSize + size);
    QCOMPARE(frame.mid(headerSize), payload);
    QCOMPARE(wireframe::payload(frame).toByteArray(), payload);
}

void WireFrameTest::payloadOfShortInput()
{
    QVERIFY(wireframe::payload(QByteArray()).isEmpty());
    QVERIFY(wireframe::payload(QByteArray("\x81", 1)).isEmpty());
    // A header that claims more than is there yields what is there, never past the end.
    QCOMPARE(wireframe::payload(QByteArray("\x81\x7e\x00", 3)).size(), 0);
}

QTEST_APPLESS_MAIN(WireFrameTest)
#include "tst_wireframe.moc"

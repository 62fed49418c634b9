// wsprotocol: the server side of RFC 6455 without sockets. The opening handshake's answer,
// the UTF-8 validator against a decoder written from the code-point rules, and the frame
// reader fed with masked frames built here, whole and one byte at a time.

#include "net/httprequesthead.h"
#include "net/wsprotocol.h"

#include <QElapsedTimer>
#include <QTest>

#include <functional>

using namespace roomkeeper;
using ws::FrameReader;
using ws::Message;

class WsProtocolTest : public QObject
{
    Q_OBJECT

private slots:
    void acceptKeyRfcExample();
    void upgradeAccepted_data();
    void upgradeAccepted();
    void upgradeRefused_data();
    void upgradeRefused();

    void utf8Valid_data();
    void utf8Valid();
    void utf8Invalid_data();
    void utf8Invalid();
    void utf8InvalidAtEveryOffset();
    void utf8CutInsideACharacter();
    void utf8AgainstReferenceDecoder();

    void lengthForms_data();
    void lengthForms();
    void masking_data();
    void masking();
    void emptyMessages();
    void multipleFramesInOneAppend();
    void fragmentedTextWithPing();
    void utf8SplitAcrossFragments();
    void failures_data();
    void failures();
    void oversizeRefusedOnHeaderAlone_data();
    void oversizeRefusedOnHeaderAlone();
    void limitAcrossFragments();
    void controlFramesNotCounted();
    void limitChangedBetweenMessages();
    void closeCodes_data();
    void closeCodes();
    void closeWithReason();
    void finishedState();
    void bufferedBytes();
    void oneByteAppendsStayLinear();
};

namespace {

constexpr int Cont = 0x0;
constexpr int Text = 0x1;
constexpr int Binary = 0x2;
constexpr int Close = 0x8;
constexpr int Ping = 0x9;
constexpr int Pong = 0xa;

const QByteArray DefaultMask = QByteArray::fromHex("37fa213d");

struct FrameSpec
{
    int opcode = Text;
    QByteArray payload;
    bool fin = true;
    QByteArray mask = DefaultMask; // empty: an unmasked frame
    int rsv = 0;                   // the three RSV bits, 0..7
    int lengthForm = 0;            // 0: smallest; 126 or 127: that form whatever the size
};

// A client frame as RFC 6455 §5.2 lays it out.
QByteArray frame(const FrameSpec &spec)
{
    QByteArray out;
    out += char((spec.fin ? 0x80 : 0) | (spec.rsv << 4) | spec.opcode);
    const quint64 size = quint64(spec.payload.size());
    const char maskBit = spec.mask.isEmpty() ? 0 : char(0x80);
    int form = spec.lengthForm;
    if (form == 0)
        form = size < 126 ? 0 : size <= 0xffff ? 126 : 127;
    if (form == 0) {
        out += char(maskBit | char(size));
    } else if (form == 126) {
        out += char(maskBit | 126);
        out += char(size >> 8);
        out += char(size & 0xff);
    } else {
        out += char(maskBit | 127);
        for (int i = 7; i >= 0; --i)
            out += char((size >> (8 * i)) & 0xff);
    }
    out += spec.mask;
    for (qsizetype i = 0; i < spec.payload.size(); ++i) {
        const char key = spec.mask.isEmpty() ? 0 : spec.mask.at(i % 4);
        out += char(spec.payload.at(i) ^ key);
    }
    return out;
}

QByteArray frame(int opcode, const QByteArray &payload, bool fin = true)
{
    FrameSpec spec;
    spec.opcode = opcode;
    spec.payload = payload;
    spec.fin = fin;
    return frame(spec);
}

// A frame header alone, declaring 'length' bytes of payload.
QByteArray header(int opcode, quint64 length, int form)
{
    QByteArray out;
    out += char(0x80 | opcode);
    if (form == 126) {
        out += char(0x80 | 126);
        out += char(length >> 8);
        out += char(length & 0xff);
    } else {
        out += char(0x80 | 127);
        for (int i = 7; i >= 0; --i)
            out += char((length >> (8 * i)) & 0xff);
    }
    return out + DefaultMask;
}

QByteArray closePayload(int code, const QByteArray &reason = QByteArray())
{
    QByteArray out;
    out += char(code >> 8);
    out += char(code & 0xff);
    return out + reason;
}

QList<Message> drain(FrameReader &reader)
{
    QList<Message> out;
    while (auto message = reader.next())
        out.append(*message);
    return out;
}

QList<Message> readWhole(const QByteArray &bytes, qint64 limit)
{
    FrameReader reader(limit);
    reader.append(bytes);
    return drain(reader);
}

QList<Message> readByteByByte(const QByteArray &bytes, qint64 limit)
{
    FrameReader reader(limit);
    QList<Message> out;
    for (char c : bytes) {
        reader.append(QByteArrayView(&c, 1));
        out += drain(reader);
    }
    return out;
}

bool isAscii(const QString &text)
{
    for (QChar c : text) {
        if (c.unicode() > 0x7f)
            return false;
    }
    return true;
}

std::optional<HttpRequestHead> parseHead(const QByteArray &raw)
{
    return HttpRequestHead::parse(raw);
}

const QByteArray GoodUpgrade = "GET /ws HTTP/1.1\r\n"
                               "Host: chat.lan\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n";

} // namespace

void WsProtocolTest::acceptKeyRfcExample()
{
    // RFC 6455 §1.3.
    QCOMPARE(ws::acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    // The example in Wikipedia's WebSocket article.
    QCOMPARE(ws::acceptKey("x3JJHMbDL1EzLkh9GBhXDw=="), QByteArray("HSmrc0sMlYUkAGmm5OPpG2HaGWk="));
}

void WsProtocolTest::upgradeAccepted_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("plain") << GoodUpgrade;
    QByteArray r = GoodUpgrade;
    QTest::newRow("keep-alive, Upgrade")
        << r.replace("Connection: Upgrade", "Connection: keep-alive, Upgrade");
    r = GoodUpgrade;
    QTest::newRow("mixed case") << r.replace("Upgrade: websocket", "Upgrade: WebSocket")
                                       .replace("Connection: Upgrade", "Connection: UPGRADE");
    r = GoodUpgrade;
    QTest::newRow("tokens with spaces")
        << r.replace("Connection: Upgrade", "Connection: keep-alive ,  upgrade ,te");
    r = GoodUpgrade;
    QTest::newRow("upgrade in a second Connection header")
        << r.replace("Connection: Upgrade", "Connection: keep-alive\r\nConnection: Upgrade");
}

void WsProtocolTest::upgradeAccepted()
{
    QFETCH(QByteArray, request);
    const auto head = parseHead(request);
    QVERIFY(head);
    const ws::HandshakeAnswer answer = ws::answerUpgrade(*head);
    QVERIFY(answer.accepted);
    QCOMPARE(answer.response, QByteArray("HTTP/1.1 101 Switching Protocols\r\n"
                                         "Upgrade: websocket\r\n"
                                         "Connection: Upgrade\r\n"
                                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                         "\r\n"));
}

void WsProtocolTest::upgradeRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("bodyMentions");

    const auto with = [](const char *from, const char *to) {
        QByteArray r = GoodUpgrade;
        return r.replace(from, to);
    };
    QTest::newRow("POST") << with("GET /ws", "POST /ws") << 400 << QByteArray("GET");
    QTest::newRow("HEAD") << with("GET /ws", "HEAD /ws") << 400 << QByteArray("GET");
    QTest::newRow("no Upgrade") << with("Upgrade: websocket\r\n", "") << 400
                                << QByteArray("Upgrade");
    QTest::newRow("Upgrade: h2c") << with("Upgrade: websocket", "Upgrade: h2c") << 400
                                  << QByteArray("Upgrade");
    QTest::newRow("Upgrade: websocketx")
        << with("Upgrade: websocket", "Upgrade: websocketx") << 400 << QByteArray("Upgrade");
    QTest::newRow("no Connection")
        << with("Connection: Upgrade\r\n", "") << 400 << QByteArray("Connection");
    QTest::newRow("Connection: keep-alive")
        << with("Connection: Upgrade", "Connection: keep-alive") << 400 << QByteArray("Connection");
    QTest::newRow("Connection: upgraded")
        << with("Connection: Upgrade", "Connection: upgraded") << 400 << QByteArray("Connection");
    QTest::newRow("no version") << with("Sec-WebSocket-Version: 13\r\n", "") << 426
                                << QByteArray("13");
    QTest::newRow("version 8") << with("Version: 13", "Version: 8") << 426 << QByteArray("13");
    QTest::newRow("version 013") << with("Version: 13", "Version: 013") << 426 << QByteArray("13");
    QTest::newRow("version 13, 8")
        << with("Version: 13", "Version: 13, 8") << 426 << QByteArray("13");
    QTest::newRow("no key") << with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "") << 400
                            << QByteArray("Key");
    QTest::newRow("key of 15 bytes")
        << with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j") << 400 << QByteArray("Key");
    QTest::newRow("key of 18 bytes")
        << with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQAA") << 400 << QByteArray("Key");
    QTest::newRow("key without padding")
        << with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ") << 400 << QByteArray("Key");
    QTest::newRow("key with a bad character")
        << with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j*Q==") << 400 << QByteArray("Key");
    QTest::newRow("key in base64url")
        << with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j_Q==") << 400 << QByteArray("Key");
    QTest::newRow("key with padding inside")
        << with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBs=SBub25jZQ==") << 400 << QByteArray("Key");
}

void WsProtocolTest::upgradeRefused()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArray, bodyMentions);
    const auto head = parseHead(request);
    QVERIFY(head);
    const ws::HandshakeAnswer answer = ws::answerUpgrade(*head);
    QVERIFY(!answer.accepted);

    const QByteArray &response = answer.response;
    const qsizetype end = response.indexOf("\r\n\r\n");
    QVERIFY(end > 0);
    const QByteArray head2 = response.left(end + 2);
    const QByteArray body = response.mid(end + 4);
    const QByteArray statusLine = "HTTP/1.1 " + QByteArray::number(status) + ' ';
    QVERIFY2(head2.startsWith(statusLine), head2.constData());
    QVERIFY(head2.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    const QByteArray contentLength =
        "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    QVERIFY(head2.contains(contentLength));
    QVERIFY(head2.contains(status == 426 ? "\r\nConnection: upgrade, close\r\n"
                                         : "\r\nConnection: close\r\n"));
    QCOMPARE(head2.contains("\r\nSec-WebSocket-Version: 13\r\n"), status == 426);
    QCOMPARE(head2.contains("\r\nUpgrade: websocket\r\n"), status == 426);
    QVERIFY(!head2.contains("Sec-WebSocket-Accept"));
    QVERIFY(body.endsWith('\n'));
    QCOMPARE(body.count('\n'), 1);
    QVERIFY2(body.contains(bodyMentions), body.constData());
    if (status == 426)
        QVERIFY(head2.startsWith("HTTP/1.1 426 Upgrade Required\r\n"));
    else
        QVERIFY(head2.startsWith("HTTP/1.1 400 Bad Request\r\n"));
}

void WsProtocolTest::utf8Valid_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("ascii") << QByteArray("hello, world");
    QTest::newRow("NUL and DEL") << QByteArray("a\0b\x7f", 4);
    QTest::newRow("U+0080") << QByteArray("\xc2\x80");
    QTest::newRow("U+07FF") << QByteArray("\xdf\xbf");
    QTest::newRow("U+0800") << QByteArray("\xe0\xa0\x80");
    QTest::newRow("U+D7FF") << QByteArray("\xed\x9f\xbf");
    QTest::newRow("U+E000") << QByteArray("\xee\x80\x80");
    QTest::newRow("U+FFFD") << QByteArray("\xef\xbf\xbd");
    QTest::newRow("U+FFFF") << QByteArray("\xef\xbf\xbf");
    QTest::newRow("U+10000") << QByteArray("\xf0\x90\x80\x80");
    QTest::newRow("U+FFFFF") << QByteArray("\xf3\xbf\xbf\xbf");
    QTest::newRow("U+100000") << QByteArray("\xf4\x80\x80\x80");
    QTest::newRow("U+10FFFF") << QByteArray("\xf4\x8f\xbf\xbf");
    QTest::newRow("mixed") << QByteArray("Gr\xc3\xbc\xc3\x9f"
                                         "e \xe2\x82\xac \xf0\x9f\x98\x80 ok");
    QTest::newRow("long ascii then emoji")
        << QByteArray(37, 'x') + "\xf0\x9f\x98\x80" + QByteArray(19, 'y');
}

void WsProtocolTest::utf8Valid()
{
    QFETCH(QByteArray, bytes);
    QVERIFY(ws::isValidUtf8(bytes));
    QCOMPARE(QString::fromUtf8(bytes).toUtf8(), bytes);
}

void WsProtocolTest::utf8Invalid_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("lone continuation 80") << QByteArray("\x80");
    QTest::newRow("lone continuation BF") << QByteArray("a\xbf");
    QTest::newRow("overlong C0 80") << QByteArray("\xc0\x80");
    QTest::newRow("overlong C1 BF") << QByteArray("\xc1\xbf");
    QTest::newRow("overlong E0 80 80") << QByteArray("\xe0\x80\x80");
    QTest::newRow("overlong E0 9F BF") << QByteArray("\xe0\x9f\xbf");
    QTest::newRow("overlong F0 80 80 80") << QByteArray("\xf0\x80\x80\x80");
    QTest::newRow("overlong F0 8F BF BF") << QByteArray("\xf0\x8f\xbf\xbf");
    QTest::newRow("surrogate U+D800") << QByteArray("\xed\xa0\x80");
    QTest::newRow("surrogate U+DBFF U+DC00") << QByteArray("\xed\xaf\xbf\xed\xb0\x80");
    QTest::newRow("surrogate U+DFFF") << QByteArray("\xed\xbf\xbf");
    QTest::newRow("U+110000") << QByteArray("\xf4\x90\x80\x80");
    QTest::newRow("F5") << QByteArray("\xf5\x80\x80\x80");
    QTest::newRow("F8 five-byte form") << QByteArray("\xf8\x88\x80\x80\x80");
    QTest::newRow("FE") << QByteArray("\xfe");
    QTest::newRow("FF") << QByteArray("\xff");
    QTest::newRow("truncated C2") << QByteArray("ab\xc2");
    QTest::newRow("truncated E0 A0") << QByteArray("\xe0\xa0");
    QTest::newRow("truncated E2 82") << QByteArray("\xe2\x82 ");
    QTest::newRow("truncated F0 9F 98") << QByteArray("\xf0\x9f\x98");
    QTest::newRow("bad second byte C2 41") << QByteArray("\xc2\x41");
    QTest::newRow("bad third byte E1 80 41") << QByteArray("\xe1\x80\x41");
    QTest::newRow("bad fourth byte F1 80 80 C0") << QByteArray("\xf1\x80\x80\xc0");
    QTest::newRow("after a long ascii run") << QByteArray(64, 'a') + "\xc0\xaf";
}

void WsProtocolTest::utf8Invalid()
{
    QFETCH(QByteArray, bytes);
    QVERIFY(!ws::isValidUtf8(bytes));
}

void WsProtocolTest::utf8InvalidAtEveryOffset()
{
    // The ASCII fast path reads eight bytes at a time: a bad byte anywhere must still be seen.
    for (int at = 0; at < 24; ++at) {
        for (int size = at + 1; size <= 24; ++size) {
            QByteArray bytes(size, 'a');
            QVERIFY(ws::isValidUtf8(bytes));
            bytes[at] = char(0xff);
            const QByteArray where = QByteArray::number(at) + '/' + QByteArray::number(size);
            QVERIFY2(!ws::isValidUtf8(bytes), where.constData());
            bytes[at] = char(0x80);
            QVERIFY(!ws::isValidUtf8(bytes));
            if (at + 1 < size) {
                bytes[at] = char(0xc3);
                bytes[at + 1] = char(0xa9);
                QVERIFY(ws::isValidUtf8(bytes));
            }
        }
    }
}

void WsProtocolTest::utf8CutInsideACharacter()
{
    // A view that stops inside a character, with the rest of it right after in memory.
    const QByteArray bytes = "price \xe2\x82\xac \xf0\x9f\x98\x80";
    QVERIFY(ws::isValidUtf8(bytes));
    for (qsizetype cut : {7, 8, 11, 12, 13}) {
        QVERIFY2(!ws::isValidUtf8(QByteArrayView(bytes).first(cut)),
                 QByteArray::number(cut).constData());
    }
    QVERIFY(ws::isValidUtf8(QByteArrayView(bytes).first(10)));
}

namespace {

// A reference: decodes by the bit patterns alone, then applies the RFC 3629 limits.
bool referenceValid(const QByteArray &bytes)
{
    qsizetype i = 0;
    while (i < bytes.size()) {
        const uchar b = uchar(bytes[i]);
        int extra;
        char32_t cp;
        if (b < 0x80) {
            extra = 0;
            cp = b;
        } else if ((b & 0xe0) == 0xc0) {
            extra = 1;
            cp = b & 0x1f;
        } else if ((b & 0xf0) == 0xe0) {
            extra = 2;
            cp = b & 0x0f;
        } else if ((b & 0xf8) == 0xf0) {
            extra = 3;
            cp = b & 0x07;
        } else {
            return false;
        }
        if (i + extra >= bytes.size() && extra > 0)
            return false;
        for (int k = 1; k <= extra; ++k) {
            const uchar c = uchar(bytes[i + k]);
            if ((c & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (c & 0x3f);
        }
        const char32_t minimum[] = {0, 0x80, 0x800, 0x10000};
        if (cp < minimum[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

} // namespace

void WsProtocolTest::utf8AgainstReferenceDecoder()
{
    // Every sequence of one and two bytes, every three-byte one with a lead of E0..EF or a
    // continuation byte, and four-byte ones over the interesting lead and second bytes.
    int checked = 0;
    int valid = 0;
    const auto check = [&](const QByteArray &bytes) {
        const bool expected = referenceValid(bytes);
        if (ws::isValidUtf8(bytes) != expected) {
            const QByteArray what = "disagrees on " + bytes.toHex(' ');
            QTest::qFail(what.constData(), __FILE__, __LINE__);
            return false;
        }
        ++checked;
        valid += expected;
        return true;
    };
    QByteArray bytes;
    for (int a = 0; a < 256; ++a) {
        if (!check(QByteArray(1, char(a))))
            return;
        for (int b = 0; b < 256; ++b) {
            bytes = QByteArray(1, char(a)) + char(b);
            if (!check(bytes))
                return;
        }
    }
    for (int a = 0x80; a < 0xf0; ++a) {
        if (a >= 0xc0 && a < 0xe0)
            continue;
        for (int b = 0; b < 256; ++b) {
            for (int c = 0; c < 256; ++c) {
                bytes = QByteArray(1, char(a)) + char(b) + char(c);
                if (!check(bytes))
                    return;
            }
        }
    }
    const int samples[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    for (int a = 0xf0; a < 0x100; ++a) {
        for (int b = 0; b < 256; ++b) {
            for (int c : samples) {
                for (int d : samples) {
                    bytes = QByteArray(1, char(a)) + char(b) + char(c) + char(d);
                    if (!check(bytes))
                        return;
                }
            }
        }
    }
    QVERIFY(checked > 1000000);
    QVERIFY(valid > 60000);
}

void WsProtocolTest::lengthForms_data()
{
    QTest::addColumn<int>("opcode");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("form");
    QTest::addColumn<int>("headerSize");
    for (int opcode : {Text, Binary}) {
        const char *name = opcode == Text ? "text " : "binary ";
        QTest::addRow("%s0", name) << opcode << 0 << 0 << 6;
        QTest::addRow("%s125", name) << opcode << 125 << 0 << 6;
        QTest::addRow("%s126", name) << opcode << 126 << 0 << 8;
        QTest::addRow("%s65535", name) << opcode << 65535 << 0 << 8;
        QTest::addRow("%s65536", name) << opcode << 65536 << 0 << 14;
        QTest::addRow("%s1 MiB", name) << opcode << 1024 * 1024 << 0 << 14;
        QTest::addRow("%s5 in the 16-bit form", name) << opcode << 5 << 126 << 8;
        QTest::addRow("%s5 in the 64-bit form", name) << opcode << 5 << 127 << 14;
        QTest::addRow("%s300 in the 64-bit form", name) << opcode << 300 << 127 << 14;
    }
}

void WsProtocolTest::lengthForms()
{
    QFETCH(int, opcode);
    QFETCH(int, size);
    QFETCH(int, form);
    QFETCH(int, headerSize);
    FrameSpec spec;
    spec.opcode = opcode;
    spec.payload = QByteArray(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        spec.payload[i] = char('a' + i % 26);
    spec.lengthForm = form;
    const QByteArray bytes = frame(spec);
    QCOMPARE(bytes.size(), headerSize + size);

    FrameReader reader(2 * 1024 * 1024);
    // Everything but the last byte: nothing yet.
    reader.append(QByteArrayView(bytes).first(bytes.size() - 1));
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), bytes.size() - 1);
    reader.append(QByteArrayView(bytes).last(1));
    const auto message = reader.next();
    QVERIFY(message);
    QCOMPARE(message->kind, opcode == Text ? Message::Kind::Text : Message::Kind::Binary);
    QCOMPARE(message->payload.size(), size);
    QVERIFY(message->payload == spec.payload);
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 0);
    QVERIFY(!reader.isFinished());
}

void WsProtocolTest::masking_data()
{
    QTest::addColumn<QByteArray>("mask");
    QTest::newRow("zero mask") << QByteArray::fromHex("00000000");
    QTest::newRow("all ones") << QByteArray::fromHex("ffffffff");
    QTest::newRow("distinct bytes") << QByteArray::fromHex("01234567");
    QTest::newRow("high bits") << QByteArray::fromHex("80c0e0f0");
}

void WsProtocolTest::masking()
{
    QFETCH(QByteArray, mask);
    // Every size up to 40 covers the eight-byte words and each length of tail, and frames
    // following one another put the payloads at every alignment in the input.
    QByteArray stream;
    QList<QByteArray> payloads;
    for (int size = 0; size <= 40; ++size) {
        QByteArray payload(size, Qt::Uninitialized);
        for (int i = 0; i < size; ++i)
            payload[i] = char((i * 37 + size) & 0xff);
        FrameSpec spec;
        spec.opcode = Binary;
        spec.payload = payload;
        spec.mask = mask;
        stream += frame(spec);
        payloads.append(payload);
    }
    const QList<Message> messages = readWhole(stream, 1000);
    QCOMPARE(messages.size(), payloads.size());
    for (qsizetype i = 0; i < messages.size(); ++i) {
        QCOMPARE(messages[i].kind, Message::Kind::Binary);
        QCOMPARE(messages[i].payload, payloads[i]);
    }
    QVERIFY(readByteByByte(stream, 1000) == messages);
}

void WsProtocolTest::emptyMessages()
{
    const QByteArray stream = frame(Text, QByteArray()) + frame(Binary, QByteArray()) +
                              frame(Text, QByteArray(), false) + frame(Cont, QByteArray(), false) +
                              frame(Cont, QByteArray()) + frame(Ping, QByteArray()) +
                              frame(Pong, QByteArray());
    const QList<Message> messages = readWhole(stream, 0);
    QCOMPARE(messages.size(), 5);
    QCOMPARE(messages[0].kind, Message::Kind::Text);
    QVERIFY(messages[0].payload.isEmpty());
    QCOMPARE(messages[1].kind, Message::Kind::Binary);
    QVERIFY(messages[1].payload.isEmpty());
    QCOMPARE(messages[2].kind, Message::Kind::Text);
    QVERIFY(messages[2].payload.isEmpty());
    QCOMPARE(messages[3].kind, Message::Kind::Ping);
    QCOMPARE(messages[4].kind, Message::Kind::Pong);
    QVERIFY(readByteByByte(stream, 0) == messages);
}

void WsProtocolTest::multipleFramesInOneAppend()
{
    const QByteArray stream = frame(Text, "one") + frame(Binary, QByteArray("\x00\x01\x02", 3)) +
                              frame(Ping, "are you there") + frame(Text, "two") +
                              frame(Pong, "pong") + frame(Text, "three");
    FrameReader reader(100);
    reader.append(stream);
    QCOMPARE(reader.bufferedBytes(), stream.size());
    const QList<Message> messages = drain(reader);
    QCOMPARE(messages.size(), 6);
    QCOMPARE(messages[0].payload, QByteArray("one"));
    QCOMPARE(messages[1].kind, Message::Kind::Binary);
    QCOMPARE(messages[1].payload, QByteArray("\x00\x01\x02", 3));
    QCOMPARE(messages[2].kind, Message::Kind::Ping);
    QCOMPARE(messages[2].payload, QByteArray("are you there"));
    QCOMPARE(messages[3].payload, QByteArray("two"));
    QCOMPARE(messages[4].kind, Message::Kind::Pong);
    QCOMPARE(messages[4].payload, QByteArray("pong"));
    QCOMPARE(messages[5].kind, Message::Kind::Text);
    QCOMPARE(messages[5].payload, QByteArray("three"));
    QCOMPARE(reader.bufferedBytes(), 0);

    // The same with the last frame cut in two between appends.
    FrameReader cut(100);
    cut.append(QByteArrayView(stream).first(stream.size() - 3));
    QCOMPARE(drain(cut).size(), 5);
    QCOMPARE(cut.bufferedBytes(), frame(Text, "three").size() - 3);
    cut.append(QByteArrayView(stream).last(3));
    const auto last = cut.next();
    QVERIFY(last);
    QCOMPARE(last->payload, QByteArray("three"));
}

void WsProtocolTest::fragmentedTextWithPing()
{
    const QByteArray stream = frame(Text, "Hello, ", false) + frame(Ping, "p1") +
                              frame(Cont, "fragmented ", false) + frame(Pong, "p2") +
                              frame(Cont, "world") + frame(Text, "after");
    const QList<Message> whole = readWhole(stream, 1000);
    QCOMPARE(whole.size(), 4);
    QCOMPARE(whole[0].kind, Message::Kind::Ping);
    QCOMPARE(whole[0].payload, QByteArray("p1"));
    QCOMPARE(whole[1].kind, Message::Kind::Pong);
    QCOMPARE(whole[1].payload, QByteArray("p2"));
    QCOMPARE(whole[2].kind, Message::Kind::Text);
    QCOMPARE(whole[2].payload, QByteArray("Hello, fragmented world"));
    QCOMPARE(whole[3].payload, QByteArray("after"));

    const QList<Message> byteByByte = readByteByByte(stream, 1000);
    QVERIFY((byteByByte == whole));

    // Binary the same way.
    const QList<Message> binary =
        readWhole(frame(Binary, "ab", false) + frame(Ping, "") + frame(Cont, "cd"), 1000);
    QCOMPARE(binary.size(), 2);
    QCOMPARE(binary[1].kind, Message::Kind::Binary);
    QCOMPARE(binary[1].payload, QByteArray("abcd"));
}

void WsProtocolTest::utf8SplitAcrossFragments()
{
    // "€" (E2 82 AC) cut inside the character: each fragment alone is not UTF-8, the whole is.
    const QByteArray stream =
        frame(Text, "price \xe2", false) + frame(Cont, "\x82", false) + frame(Cont, "\xac 5");
    const QList<Message> messages = readWhole(stream, 1000);
    QCOMPARE(messages.size(), 1);
    QCOMPARE(messages[0].kind, Message::Kind::Text);
    QCOMPARE(QString::fromUtf8(messages[0].payload), QStringLiteral("price \u20ac 5"));

    // Cut short at the end: the whole is not UTF-8.
    const QList<Message> broken =
        readWhole(frame(Text, "price \xe2", false) + frame(Cont, "\x82"), 1000);
    QCOMPARE(broken.size(), 1);
    QCOMPARE(broken[0].kind, Message::Kind::Failure);
    QCOMPARE(broken[0].code, 1007);
}

void WsProtocolTest::failures_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("before"); // messages before the failure

    FrameSpec unmasked;
    unmasked.payload = "hi";
    unmasked.mask.clear();
    QTest::newRow("unmasked") << frame(unmasked) << 1002 << 0;
    for (int rsv = 1; rsv < 8; ++rsv) {
        FrameSpec spec;
        spec.payload = "hi";
        spec.rsv = rsv;
        QTest::addRow("rsv %d", rsv) << frame(spec) << 1002 << 0;
    }
    for (int opcode : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf})
        QTest::addRow("opcode %x", opcode) << frame(opcode, "x") << 1002 << 0;
    QTest::newRow("ping without FIN") << frame(Ping, "x", false) << 1002 << 0;
    QTest::newRow("pong without FIN") << frame(Pong, "x", false) << 1002 << 0;
    QTest::newRow("close without FIN") << frame(Close, closePayload(1000), false) << 1002 << 0;
    QTest::newRow("ping of 126 bytes") << frame(Ping, QByteArray(126, 'p')) << 1002 << 0;
    QTest::newRow("close of 126 bytes")
        << frame(Close, closePayload(1000, QByteArray(124, 'r'))) << 1002 << 0;
    FrameSpec pingLongForm;
    pingLongForm.opcode = Ping;
    pingLongForm.payload = "x";
    pingLongForm.lengthForm = 126;
    QTest::newRow("ping in the 16-bit form") << frame(pingLongForm) << 1002 << 0;
    QTest::newRow("continuation first") << frame(Cont, "x") << 1002 << 0;
    QTest::newRow("continuation after a whole message")
        << frame(Text, "a") + frame(Cont, "b") << 1002 << 1;
    QTest::newRow("text inside a text message")
        << frame(Text, "a", false) + frame(Text, "b") << 1002 << 0;
    QTest::newRow("binary inside a text message")
        << frame(Text, "a", false) + frame(Binary, "b") << 1002 << 0;
    QTest::newRow("text inside a binary message after a ping")
        << frame(Binary, "a", false) + frame(Ping, "") + frame(Text, "b") << 1002 << 1;
    QTest::newRow("64-bit length with the top bit")
        << header(Binary, quint64(1) << 63, 127) << 1002 << 0;
    QTest::newRow("64-bit length all ones") << header(Binary, ~quint64(0), 127) << 1002 << 0;
    QTest::newRow("invalid UTF-8 text") << frame(Text, "bad \xc0\xaf") << 1007 << 0;
    QTest::newRow("invalid UTF-8 fragmented text")
        << frame(Text, "ok", false) + frame(Cont, "\xed\xa0\x80") << 1007 << 0;
    QTest::newRow("too big") << frame(Binary, QByteArray(101, 'b')) << 1009 << 0;
    QTest::newRow("too big across fragments")
        << frame(Binary, QByteArray(60, 'b'), false) + frame(Cont, QByteArray(41, 'b')) << 1009
        << 0;
    QTest::newRow("close with one byte") << frame(Close, "\x03") << 1002 << 0;
    QTest::newRow("close code 1005") << frame(Close, closePayload(1005)) << 1002 << 0;
    QTest::newRow("close reason not UTF-8")
        << frame(Close, closePayload(1000, "\xff")) << 1007 << 0;
}

void WsProtocolTest::failures()
{
    QFETCH(QByteArray, stream);
    QFETCH(int, code);
    QFETCH(int, before);
    // Frames after the bad one are never read.
    const QByteArray after = frame(Text, "after");
    for (bool oneByOne : {false, true}) {
        const QList<Message> messages =
            oneByOne ? readByteByByte(stream + after, 100) : readWhole(stream + after, 100);
        QCOMPARE(messages.size(), before + 1);
        const Message &failure = messages.last();
        QCOMPARE(failure.kind, Message::Kind::Failure);
        QCOMPARE(failure.code, code);
        QVERIFY(!failure.reason.isEmpty());
        QVERIFY(failure.reason.size() <= 123);
        QVERIFY2(isAscii(failure.reason), qPrintable(failure.reason));
    }
    FrameReader reader(100);
    reader.append(stream);
    drain(reader);
    QVERIFY(reader.isFinished());
    QCOMPARE(reader.bufferedBytes(), 0);
    reader.append(after);
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 0);
}

void WsProtocolTest::oversizeRefusedOnHeaderAlone_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<qint64>("limit");
    QTest::newRow("1 GiB in the 64-bit form") << header(Binary, 1ull << 30, 127) << qint64(65536);
    QTest::newRow("1 GiB of text") << header(Text, 1ull << 30, 127) << qint64(1 << 20);
    QTest::newRow("2000 in the 16-bit form") << header(Text, 2000, 126) << qint64(1000);
    QTest::newRow("2^62") << header(Binary, 1ull << 62, 127) << qint64(1 << 20);
}

void WsProtocolTest::oversizeRefusedOnHeaderAlone()
{
    QFETCH(QByteArray, head);
    QFETCH(qint64, limit);
    FrameReader reader(limit);
    reader.append(head);
    const auto message = reader.next();
    QVERIFY(message);
    QCOMPARE(message->kind, Message::Kind::Failure);
    QCOMPARE(message->code, 1009);
    QVERIFY(message->reason.contains(QString::number(limit)));
    QVERIFY(isAscii(message->reason));
    QVERIFY(reader.isFinished());
    QCOMPARE(reader.bufferedBytes(), 0);
    // The payload that follows is dropped, not held.
    reader.append(QByteArray(4096, 'x'));
    QCOMPARE(reader.bufferedBytes(), 0);
    QVERIFY(!reader.next());

    // The length alone is enough: the mask key has not come yet.
    FrameReader early(limit);
    early.append(QByteArrayView(head).first(head.size() - 4));
    const auto earlyMessage = early.next();
    QVERIFY(earlyMessage);
    QCOMPARE(earlyMessage->code, 1009);
}

void WsProtocolTest::limitAcrossFragments()
{
    // Exactly the limit, in three fragments: fine.
    const QByteArray fits = frame(Text, QByteArray(4, 'a'), false) +
                            frame(Cont, QByteArray(4, 'b'), false) + frame(Cont, "cc");
    const QList<Message> ok = readWhole(fits, 10);
    QCOMPARE(ok.size(), 1);
    QCOMPARE(ok[0].payload, QByteArray("aaaabbbbcc"));

    // One byte over: refused on the header of the last fragment, before its payload.
    FrameReader reader(10);
    reader.append(QByteArray(frame(Text, QByteArray(4, 'a'), false) +
                             frame(Cont, QByteArray(4, 'b'), false)));
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 8);
    reader.append(frame(Cont, "ccc").first(2));
    const auto message = reader.next();
    QVERIFY(message);
    QCOMPARE(message->kind, Message::Kind::Failure);
    QCOMPARE(message->code, 1009);
    QCOMPARE(reader.bufferedBytes(), 0);

    // A single frame at the limit is fine, one over is not.
    QCOMPARE(readWhole(frame(Binary, QByteArray(10, 'x')), 10).value(0).kind,
             Message::Kind::Binary);
    QCOMPARE(readWhole(frame(Binary, QByteArray(11, 'x')), 10).value(0).code, 1009);
}

void WsProtocolTest::controlFramesNotCounted()
{
    const QByteArray stream = frame(Binary, QByteArray(10, 'a'), false) +
                              frame(Ping, QByteArray(125, 'p')) +
                              frame(Close, closePayload(1000, QByteArray(100, 'r')));
    const QList<Message> messages = readWhole(stream, 10);
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages[0].kind, Message::Kind::Ping);
    QCOMPARE(messages[0].payload.size(), 125);
    QCOMPARE(messages[1].kind, Message::Kind::Close);
    QCOMPARE(messages[1].reason.size(), 100);

    // A limit of 0 still lets control frames and empty messages through.
    const QList<Message> zero = readWhole(frame(Ping, "x") + frame(Text, "") + frame(Text, "y"), 0);
    QCOMPARE(zero.size(), 3);
    QCOMPARE(zero[0].kind, Message::Kind::Ping);
    QCOMPARE(zero[1].kind, Message::Kind::Text);
    QCOMPARE(zero[2].code, 1009);
}

void WsProtocolTest::limitChangedBetweenMessages()
{
    FrameReader reader(5);
    reader.append(frame(Text, "12345"));
    QCOMPARE(reader.next()->kind, Message::Kind::Text);
    reader.setMaxMessageSize(3);
    QCOMPARE(reader.maxMessageSize(), qint64(3));
    reader.append(frame(Text, "1234"));
    const auto message = reader.next();
    QVERIFY(message);
    QCOMPARE(message->code, 1009);
}

void WsProtocolTest::closeCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("allowed");
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999})
        QTest::addRow("%d", code) << code << true;
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        QTest::addRow("%d", code) << code << false;
}

void WsProtocolTest::closeCodes()
{
    QFETCH(int, code);
    QFETCH(bool, allowed);
    FrameReader reader(100);
    reader.append(frame(Close, closePayload(code)));
    const auto message = reader.next();
    QVERIFY(message);
    QVERIFY(reader.isFinished());
    if (allowed) {
        QCOMPARE(message->kind, Message::Kind::Close);
        QCOMPARE(message->code, code);
        QVERIFY(message->reason.isEmpty());
    } else {
        QCOMPARE(message->kind, Message::Kind::Failure);
        QCOMPARE(message->code, 1002);
    }
}

void WsProtocolTest::closeWithReason()
{
    const QList<Message> empty = readWhole(frame(Close, QByteArray()), 100);
    QCOMPARE(empty.size(), 1);
    QCOMPARE(empty[0].kind, Message::Kind::Close);
    QCOMPARE(empty[0].code, 1005);
    QVERIFY(empty[0].reason.isEmpty());

    const QList<Message> withReason =
        readWhole(frame(Close, closePayload(1001, "au revoir, \xc3\xa0 bient\xc3\xb4t")), 100);
    QCOMPARE(withReason.size(), 1);
    QCOMPARE(withReason[0].kind, Message::Kind::Close);
    QCOMPARE(withReason[0].code, 1001);
    QCOMPARE(withReason[0].reason, QStringLiteral("au revoir, \u00e0 bient\u00f4t"));

    // The longest reason that fits in a control frame.
    const QList<Message> longest =
        readWhole(frame(Close, closePayload(4000, QByteArray(123, 'z'))), 10);
    QCOMPARE(longest.value(0).kind, Message::Kind::Close);
    QCOMPARE(longest.value(0).reason.size(), 123);

    // In the middle of a fragmented message.
    const QList<Message> midMessage =
        readWhole(frame(Text, "half", false) + frame(Close, closePayload(1000)), 100);
    QCOMPARE(midMessage.size(), 1);
    QCOMPARE(midMessage[0].kind, Message::Kind::Close);
    QCOMPARE(midMessage[0].code, 1000);
}

void WsProtocolTest::finishedState()
{
    FrameReader reader(100);
    QVERIFY(!reader.isFinished());
    const QByteArray stream =
        frame(Text, "before") + frame(Close, closePayload(1000, "bye")) + frame(Text, "after");
    reader.append(stream);
    QCOMPARE(reader.next()->payload, QByteArray("before"));
    QVERIFY(!reader.isFinished());
    const auto close = reader.next();
    QVERIFY(close);
    QCOMPARE(close->kind, Message::Kind::Close);
    QCOMPARE(close->reason, QStringLiteral("bye"));
    QVERIFY(reader.isFinished());
    QCOMPARE(reader.bufferedBytes(), 0); // "after" was dropped with the rest
    for (int i = 0; i < 3; ++i) {
        reader.append(frame(Text, "more"));
        QCOMPARE(reader.bufferedBytes(), 0);
        QVERIFY(!reader.next());
    }
    QVERIFY(reader.isFinished());
}

void WsProtocolTest::bufferedBytes()
{
    FrameReader reader(1000);
    QCOMPARE(reader.bufferedBytes(), 0);
    QVERIFY(!reader.next());

    const QByteArray first = frame(Text, "part one ", false);
    reader.append(first.first(3));
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 3);
    reader.append(first.sliced(3));
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 9); // the fragment so far, unmasked

    reader.append(frame(Ping, "ping"));
    QCOMPARE(reader.next()->kind, Message::Kind::Ping);
    QCOMPARE(reader.bufferedBytes(), 9);

    reader.append(frame(Cont, "part two"));
    QCOMPARE(reader.next()->payload, QByteArray("part one part two"));
    QCOMPARE(reader.bufferedBytes(), 0);
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 0);

    // A complete message followed by part of the next.
    const QByteArray next = frame(Binary, "next");
    reader.append(QByteArray(frame(Text, "done") + next.first(5)));
    QCOMPARE(reader.next()->payload, QByteArray("done"));
    QVERIFY(!reader.next());
    QCOMPARE(reader.bufferedBytes(), 5);
    reader.append(next.sliced(5));
    QCOMPARE(reader.next()->payload, QByteArray("next"));
    QCOMPARE(reader.bufferedBytes(), 0);
}

void WsProtocolTest::oneByteAppendsStayLinear()
{
    // 4 MiB in 1-byte appends with a next() after each: quick only if no step copies what is
    // already buffered.
    constexpr int Size = 4 * 1024 * 1024;
    QByteArray payload(Size, Qt::Uninitialized);
    for (int i = 0; i < Size; ++i)
        payload[i] = char('a' + i % 23);
    const QByteArray stream = frame(Text, "x") + frame(Binary, payload.first(Size / 2), false) +
                              frame(Cont, payload.sliced(Size / 2)) + frame(Text, "y");
    QElapsedTimer timer;
    timer.start();
    FrameReader reader(Size);
    QList<Message> messages;
    for (char c : stream) {
        reader.append(QByteArrayView(&c, 1));
        while (auto message = reader.next())
            messages.append(*message);
    }
    QCOMPARE(messages.size(), 3);
    QVERIFY(messages[1].payload == payload);
    QCOMPARE(messages[2].payload, QByteArray("y"));
    QCOMPARE(reader.bufferedBytes(), 0);
    const QByteArray elapsed = QByteArray::number(timer.elapsed()) + " ms";
    QVERIFY2(timer.elapsed() < 20000, elapsed.constData());
}

QTEST_APPLESS_MAIN(WsProtocolTest)
#include "tst_wsprotocol.moc"

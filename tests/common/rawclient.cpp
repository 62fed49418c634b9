#include "rawclient.h"

#include <QRandomGenerator>
#include <QTest>

namespace roomkeeper::test {

bool RawClient::connectTo(quint16 port, int timeoutMs)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; },
                           timeoutMs);
}

void RawClient::write(const QByteArray &bytes)
{
    m_socket.write(bytes);
    m_socket.flush();
}

int RawClient::upgrade(const QByteArray &path, const QList<QPair<QByteArray, QByteArray>> &headers,
                       int timeoutMs)
{
    QByteArray request =
        "GET " + path +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (const auto &[name, value] : headers)
        request += name + ": " + value + "\r\n";
    write(request + "\r\n");
    qsizetype end = -1;
    [[maybe_unused]] const bool answered = QTest::qWaitFor(
        [&] {
            m_buffer += m_socket.readAll();
            end = m_buffer.indexOf("\r\n\r\n");
            return end >= 0 || m_socket.state() != QAbstractSocket::ConnectedState;
        },
        timeoutMs);
    if (end < 0)
        return 0;
    const QByteArray statusLine = m_buffer.left(m_buffer.indexOf("\r\n"));
    m_buffer.remove(0, end + 4);
    const QList<QByteArray> parts = statusLine.split(' ');
    return parts.size() >= 2 ? parts.at(1).toInt() : 0;
}

QByteArray RawClient::maskedFrame(quint8 opcode, const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    const qsizetype n = payload.size();
    if (n < 126) {
        frame.append(char(0x80 | n));
    } else if (n < 65536) {
        frame.append(char(0x80 | 126));
        frame.append(char((n >> 8) & 0xff));
        frame.append(char(n & 0xff));
    } else {
        frame.append(char(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((quint64(n) >> shift) & 0xff));
    }
    const quint32 mask = QRandomGenerator::global()->generate();
    const char maskBytes[4] = {char(mask >> 24), char(mask >> 16), char(mask >> 8), char(mask)};
    frame.append(maskBytes, 4);
    for (qsizetype i = 0; i < n; ++i)
        frame.append(char(payload.at(i) ^ maskBytes[i % 4]));
    return frame;
}

void RawClient::sendText(const QByteArray &payload)
{
    write(maskedFrame(0x1, payload));
}

bool RawClient::takeFrame(QByteArray &buffer, quint8 &opcode, QByteArray &payload)
{
    if (buffer.size() < 2)
        return false;
    const auto b0 = quint8(buffer.at(0));
    const auto b1 = quint8(buffer.at(1));
    qsizetype header = 2;
    quint64 length = b1 & 0x7f;
    if (length == 126) {
        if (buffer.size() < 4)
            return false;
        length = (quint64(quint8(buffer.at(2))) << 8) | quint8(buffer.at(3));
        header = 4;
    } else if (length == 127) {
        if (buffer.size() < 10)
            return false;
        length = 0;
        for (int i = 2; i < 10; ++i)
            length = (length << 8) | quint8(buffer.at(i));
        header = 10;
    }
    if (b1 & 0x80)
        header += 4; // servers do not mask, but do not trip over it
    if (quint64(buffer.size()) < quint64(header) + length)
        return false;
    opcode = b0 & 0x0f;
    payload = buffer.mid(header, qsizetype(length));
    buffer.remove(0, header + qsizetype(length));
    return true;
}

bool RawClient::readAnyFrame(quint8 &opcode, QByteArray &payload, int timeoutMs)
{
    return QTest::qWaitFor(
        [&] {
            m_buffer += m_socket.readAll();
            return takeFrame(m_buffer, opcode, payload);
        },
        timeoutMs);
}

QByteArray RawClient::readFrame(int timeoutMs)
{
    quint8 opcode = 0;
    QByteArray payload;
    if (!readAnyFrame(opcode, payload, timeoutMs))
        return QByteArray();
    return payload;
}

bool RawClient::waitForDisconnected(int timeoutMs)
{
    return QTest::qWaitFor(
        [this] {
            m_buffer += m_socket.readAll();
            return m_socket.state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
}

} // namespace roomkeeper::test

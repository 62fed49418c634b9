#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QTcpSocket>

namespace roomkeeper::test {

// A hand-driven WebSocket client over a plain QTcpSocket, for what QWebSocket will not
// do: stop reading, send half a request head, send odd frames.
class RawClient
{
public:
    bool connectTo(quint16 port, int timeoutMs = 5000);
    void write(const QByteArray &bytes);
    // Sends an upgrade request for 'path'; returns the HTTP status of the answer (0 if none).
    int upgrade(const QByteArray &path, const QList<QPair<QByteArray, QByteArray>> &headers = {},
                int timeoutMs = 5000);
    // Sends one masked text frame, as a client must.
    void sendText(const QByteArray &payload);
    // Reads the next whole server frame and gives its payload (the frames a test expects
    // here are text); empty on timeout.
    QByteArray readFrame(int timeoutMs = 5000);
    // Reads the next whole server frame of any kind; false on timeout.
    bool readAnyFrame(quint8 &opcode, QByteArray &payload, int timeoutMs = 5000);
    bool waitForDisconnected(int timeoutMs);
    QTcpSocket &socket() { return m_socket; }
    // What was read but not yet taken as a frame or a response head.
    const QByteArray &buffered() const { return m_buffer; }

    static QByteArray maskedFrame(quint8 opcode, const QByteArray &payload);
    // Takes one whole server frame off the front of 'buffer': its opcode and payload.
    static bool takeFrame(QByteArray &buffer, quint8 &opcode, QByteArray &payload);

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

} // namespace roomkeeper::test

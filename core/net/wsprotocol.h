#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>

namespace roomkeeper {

struct HttpRequestHead;

// The server side of RFC 6455, without sockets: the opening handshake's answer and an
// incremental reader of the frames a client sends. The server writes its own frames with
// wireframe.h.
namespace ws {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2):
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
QByteArray acceptKey(QByteArrayView clientKey);

struct HandshakeAnswer
{
    bool accepted = false;
    // The whole HTTP response to write: "101 Switching Protocols" with Sec-WebSocket-Accept,
    // or a refusal (400 for a malformed upgrade, 426 with "Sec-WebSocket-Version: 13" for
    // another version) with a short text/plain body and "Connection: close".
    QByteArray response;
};

// Answers an upgrade request (RFC 6455 §4.2.1): GET, "Upgrade: websocket", a "Connection"
// header with the "upgrade" token, "Sec-WebSocket-Version: 13" and a Sec-WebSocket-Key that
// is base64 of 16 bytes. No extension or subprotocol is agreed to.
HandshakeAnswer answerUpgrade(const HttpRequestHead &head);

// Whether 'bytes' is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool isValidUtf8(QByteArrayView bytes);

// One complete thing a client sent, or the reason to close on it.
struct Message
{
    enum class Kind
    {
        Text,   // payload: the whole message, valid UTF-8
        Binary, // payload: the whole message
        Ping,   // payload: application data (≤ 125 bytes), to echo in a pong
        Pong,
        Close,  // code: the peer's (1005 when it gave none); reason: its UTF-8 reason
        Failure // code: ours to close with (1002 protocol, 1007 bad UTF-8, 1009 too big)
    };
    Kind kind = Kind::Text;
    QByteArray payload;
    int code = 0;
    QString reason; // Close: the peer's; Failure: why, ASCII, at most 123 bytes

    friend bool operator==(const Message &, const Message &) = default;
};

// Reads client frames as they arrive in any pieces. Frames must be masked; fragmented
// messages are put together (control frames may come between the fragments); a text
// message must be valid UTF-8 as a whole. A frame or message longer than the limit is
// refused as soon as its header says so, without waiting for or holding its payload.
// After a Close or a Failure the reader is finished: next() gives nothing more and
// further input is dropped.
class FrameReader
{
public:
    explicit FrameReader(qint64 maxMessageSize);

    void setMaxMessageSize(qint64 bytes) { m_maxMessageSize = bytes; }
    qint64 maxMessageSize() const { return m_maxMessageSize; }

    // Takes bytes as read from the socket.
    void append(QByteArrayView bytes);
    // The next complete message, or nothing until more bytes come.
    std::optional<Message> next();
    // Bytes held for a frame or message not yet complete. When nothing is held, no heap
    // memory is kept either (an idle connection costs nothing here).
    qsizetype bufferedBytes() const;
    bool isFinished() const { return m_finished; }

private:
    std::optional<Message> fail(int code, const QByteArray &why);
    std::optional<Message> closeMessage(const QByteArray &payload);
    std::optional<Message> dataMessage(int opcode, QByteArray payload);
    void finish();
    void releaseConsumedInput();

    qint64 m_maxMessageSize;
    QByteArray m_input;      // unparsed bytes
    qsizetype m_offset = 0;  // first unparsed byte in m_input
    QByteArray m_message;    // fragments of a message in progress
    int m_messageOpcode = 0; // 0 = no fragmented message in progress
    bool m_finished = false;
};

} // namespace ws
} // namespace roomkeeper

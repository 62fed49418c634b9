#include "wsprotocol.h"

#include "httprequesthead.h"

#include <QCryptographicHash>

#include <cstring>
#include <utility>

namespace roomkeeper::ws {

namespace {

enum Opcode
{
    Continuation = 0x0,
    TextFrame = 0x1,
    BinaryFrame = 0x2,
    CloseFrame = 0x8,
    PingFrame = 0x9,
    PongFrame = 0xa
};

constexpr qint64 MaxControlPayload = 125;
constexpr qsizetype MaxFailureReason = 123; // what fits in a close frame after the code
constexpr int MaskSize = 4;

// Whether the comma-separated list 'value' holds 'token', ignoring case.
bool hasToken(const QByteArray &value, QByteArrayView token)
{
    const QList<QByteArray> items = value.split(',');
    for (const QByteArray &item : items) {
        if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

// The same over every header called 'name' (a repeated header is one comma-separated list).
bool headerHasToken(const HttpRequestHead &head, const QByteArray &name, QByteArrayView token)
{
    for (const auto &[headerName, value] : head.headers) {
        if (headerName == name && hasToken(value, token))
            return true;
    }
    return false;
}

// A Sec-WebSocket-Key: 16 bytes in padded base64 (24 characters), nothing else.
bool isValidKey(const QByteArray &key)
{
    if (key.size() != 24)
        return false;
    const QByteArray::FromBase64Result decoded =
        QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    return decoded.decodingStatus == QByteArray::Base64DecodingStatus::Ok &&
           decoded.decoded.size() == 16;
}

QByteArray refusal(int status, const QByteArray &reasonPhrase, const QByteArray &body,
                   const QByteArray &extraHeaders = QByteArray())
{
    QByteArray out;
    out += "HTTP/1.1 ";
    out += QByteArray::number(status);
    out += ' ';
    out += reasonPhrase;
    out += "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
    out += QByteArray::number(body.size());
    out += "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
    out += extraHeaders;
    // A 426 names the protocol to upgrade to, and then Connection must carry "upgrade".
    out += extraHeaders.contains("Upgrade:") ? "Connection: upgrade, close\r\n\r\n"
                                             : "Connection: close\r\n\r\n";
    out += body;
    return out;
}

HandshakeAnswer badRequest(const QByteArray &why)
{
    return {false, refusal(400, "Bad Request", "websocket upgrade refused: " + why + '\n')};
}

// Unmasks 'size' bytes from 'in' into 'out' (which may be the same place), eight at a time.
// The mask repeats every four bytes, so one 64-bit word holds it twice.
void unmask(char *out, const char *in, qint64 size, const uchar *maskKey)
{
    uchar twice[2 * MaskSize];
    memcpy(twice, maskKey, MaskSize);
    memcpy(twice + MaskSize, maskKey, MaskSize);
    quint64 mask;
    memcpy(&mask, twice, sizeof mask);
    qint64 i = 0;
    for (; size - i >= 8; i += 8) {
        quint64 word;
        memcpy(&word, in + i, sizeof word);
        word ^= mask;
        memcpy(out + i, &word, sizeof word);
    }
    for (; i < size; ++i)
        out[i] = char(uchar(in[i]) ^ maskKey[i % MaskSize]);
}

bool isAllowedCloseCode(int code)
{
    // 1000-1003 and 1007-1014 are the registered codes a peer may send (1004-1006 and 1015
    // are reserved or never sent); 3000-4999 are for libraries and applications.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

Message makeMessage(Message::Kind kind, QByteArray payload = QByteArray())
{
    Message message;
    message.kind = kind;
    message.payload = std::move(payload);
    return message;
}

} // namespace

QByteArray acceptKey(QByteArrayView clientKey)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(clientKey);
    sha1.addData(QByteArrayView("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    return sha1.result().toBase64();
}

HandshakeAnswer answerUpgrade(const HttpRequestHead &head)
{
    if (head.method != "GET")
        return badRequest("the method must be GET");
    if (!headerHasToken(head, "upgrade", "websocket"))
        return badRequest("no \"Upgrade: websocket\" header");
    if (!headerHasToken(head, "connection", "upgrade"))
        return badRequest("no \"upgrade\" in the Connection header");
    if (head.header("sec-websocket-version") != "13") {
        return {false,
                refusal(426, "Upgrade Required",
                        "websocket upgrade refused: only Sec-WebSocket-Version 13 is supported\n",
                        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n")};
    }
    const QByteArray key = head.header("sec-websocket-key");
    if (!isValidKey(key))
        return badRequest("Sec-WebSocket-Key must be base64 of 16 bytes");

    QByteArray response = "HTTP/1.1 101 Switching Protocols\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: ";
    response += acceptKey(key);
    response += "\r\n\r\n";
    return {true, response};
}

bool isValidUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.data());
    const uchar *const end = p + bytes.size();
    while (p < end) {
        // Runs of ASCII, eight bytes at a time.
        while (end - p >= 8) {
            quint64 word;
            memcpy(&word, p, sizeof word);
            if (word & 0x8080808080808080ull)
                break;
            p += 8;
        }
        if (p == end)
            break;
        const uchar lead = *p;
        if (lead < 0x80) {
            ++p;
            continue;
        }
        // RFC 3629 §4: the lead byte gives the length and the range of the second byte.
        int trail;
        uchar low = 0x80;
        uchar high = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            trail = 1;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            trail = 2;
            if (lead == 0xe0)
                low = 0xa0; // overlong below U+0800
            else if (lead == 0xed)
                high = 0x9f; // surrogates U+D800..U+DFFF
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            trail = 3;
            if (lead == 0xf0)
                low = 0x90; // overlong below U+10000
            else if (lead == 0xf4)
                high = 0x8f; // above U+10FFFF
        } else {
            return false; // a continuation byte, C0/C1 (overlong), or F5..FF
        }
        if (end - p <= trail)
            return false;
        if (p[1] < low || p[1] > high)
            return false;
        for (int i = 2; i <= trail; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
        }
        p += trail + 1;
    }
    return true;
}

FrameReader::FrameReader(qint64 maxMessageSize) : m_maxMessageSize(maxMessageSize) {}

void FrameReader::append(QByteArrayView bytes)
{
    if (m_finished || bytes.isEmpty())
        return;
    m_input.append(bytes);
}

std::optional<Message> FrameReader::next()
{
    while (!m_finished) {
        const auto *in = reinterpret_cast<const uchar *>(m_input.constData()) + m_offset;
        const qsizetype available = m_input.size() - m_offset;
        if (available < 2)
            break;

        // RFC 6455 §5.2. Each check needs only the bytes before it, so the outcome does not
        // depend on how the input was cut into pieces.
        const bool fin = in[0] & 0x80;
        const int opcode = in[0] & 0x0f;
        if (in[0] & 0x70)
            return fail(1002, "reserved bits set without an extension");
        const bool control = opcode & 0x08;
        if (opcode != Continuation && opcode != TextFrame && opcode != BinaryFrame &&
            opcode != CloseFrame && opcode != PingFrame && opcode != PongFrame)
            return fail(1002, "unknown opcode " + QByteArray::number(opcode));
        if (!(in[1] & 0x80))
            return fail(1002, "client frames must be masked");
        const int marker = in[1] & 0x7f;
        if (control) {
            if (!fin)
                return fail(1002, "fragmented control frame");
            if (marker > MaxControlPayload)
                return fail(1002, "control frame longer than 125 bytes");
        } else if (opcode == Continuation) {
            if (m_messageOpcode == 0)
                return fail(1002, "continuation frame without a message to continue");
        } else if (m_messageOpcode != 0) {
            return fail(1002, "new data frame before the fragmented message ended");
        }

        const qsizetype lengthSize = marker == 126 ? 2 : marker == 127 ? 8 : 0;
        if (available < 2 + lengthSize)
            break;
        quint64 length = quint64(marker);
        if (lengthSize) {
            length = 0;
            for (qsizetype i = 0; i < lengthSize; ++i)
                length = (length << 8) | in[2 + i];
        }
        if (length >> 63)
            return fail(1002, "frame length with the top bit set");
        if (!control && qint64(length) > m_maxMessageSize - m_message.size()) {
            return fail(1009,
                        "message larger than " + QByteArray::number(m_maxMessageSize) + " bytes");
        }

        const qsizetype headerSize = 2 + lengthSize + MaskSize;
        if (available < headerSize || available - headerSize < qint64(length))
            break;
        const uchar *maskKey = in + 2 + lengthSize;
        const char *payload = reinterpret_cast<const char *>(in + headerSize);
        const qsizetype size = qsizetype(length);
        m_offset += headerSize + size;

        if (control || (fin && opcode != Continuation)) {
            // A whole message in one frame: straight out, never through m_message.
            QByteArray data(size, Qt::Uninitialized);
            unmask(data.data(), payload, size, maskKey);
            releaseConsumedInput();
            switch (opcode) {
            case PingFrame:
                return makeMessage(Message::Kind::Ping, std::move(data));
            case PongFrame:
                return makeMessage(Message::Kind::Pong, std::move(data));
            case CloseFrame:
                return closeMessage(data);
            default:
                return dataMessage(opcode, std::move(data));
            }
        }

        // A fragment: added to the message in progress.
        if (opcode != Continuation)
            m_messageOpcode = opcode;
        const qsizetype before = m_message.size();
        m_message.resize(before + size);
        unmask(m_message.data() + before, payload, size, maskKey);
        releaseConsumedInput();
        if (fin) {
            const int messageOpcode = std::exchange(m_messageOpcode, 0);
            return dataMessage(messageOpcode, std::exchange(m_message, QByteArray()));
        }
    }

    // Waiting for more: drop what was read, so that m_input holds only the frame in progress.
    // Each byte is moved at most once this way (the next move needs this frame consumed).
    if (m_offset > 0) {
        m_input.remove(0, m_offset);
        m_offset = 0;
    }
    return std::nullopt;
}

qsizetype FrameReader::bufferedBytes() const
{
    return m_input.size() - m_offset + m_message.size();
}

std::optional<Message> FrameReader::fail(int code, const QByteArray &why)
{
    finish();
    Message message = makeMessage(Message::Kind::Failure);
    message.code = code;
    message.reason = QString::fromLatin1(why.left(MaxFailureReason));
    return message;
}

std::optional<Message> FrameReader::closeMessage(const QByteArray &payload)
{
    // RFC 6455 §5.5.1 and §7.4: no body, or a code and a UTF-8 reason.
    int code = 1005;
    QByteArrayView reason;
    if (!payload.isEmpty()) {
        if (payload.size() < 2)
            return fail(1002, "close frame with a 1-byte payload");
        code = (uchar(payload.at(0)) << 8) | uchar(payload.at(1));
        if (!isAllowedCloseCode(code))
            return fail(1002, "close code " + QByteArray::number(code) + " is not allowed");
        reason = QByteArrayView(payload).sliced(2);
        if (!isValidUtf8(reason))
            return fail(1007, "close reason is not valid UTF-8");
    }
    finish();
    Message message = makeMessage(Message::Kind::Close);
    message.code = code;
    message.reason = QString::fromUtf8(reason);
    return message;
}

std::optional<Message> FrameReader::dataMessage(int opcode, QByteArray payload)
{
    if (opcode == TextFrame) {
        if (!isValidUtf8(payload))
            return fail(1007, "text frame is not valid UTF-8");
        return makeMessage(Message::Kind::Text, std::move(payload));
    }
    return makeMessage(Message::Kind::Binary, std::move(payload));
}

void FrameReader::finish()
{
    m_finished = true;
    m_input = QByteArray();
    m_offset = 0;
    m_message = QByteArray();
    m_messageOpcode = 0;
}

void FrameReader::releaseConsumedInput()
{
    if (m_offset == m_input.size()) {
        m_input = QByteArray();
        m_offset = 0;
    }
}

} // namespace roomkeeper::ws

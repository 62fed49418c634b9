// libFuzzer target: client WebSocket frames (ws::FrameReader) and the UTF-8 check.
// Input: one byte N, then N+1 piece sizes, then the bytes a client sends. The bytes go to
// one reader in pieces of those sizes (in turn) and to another in one piece; both must
// give the same messages, and every message must keep the reader's promises.
#include "net/wsprotocol.h"

#include <QList>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace roomkeeper;
using ws::Message;

namespace {

constexpr qint64 Limit = 4096;

void check(bool condition)
{
    if (!condition)
        abort();
}

bool isAscii(const QString &text)
{
    for (QChar c : text) {
        if (c.unicode() > 0x7f)
            return false;
    }
    return true;
}

bool isAllowedCloseCode(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

void checkMessage(const Message &message)
{
    switch (message.kind) {
    case Message::Kind::Text:
        check(ws::isValidUtf8(message.payload));
        check(QString::fromUtf8(message.payload).toUtf8() == message.payload);
        check(message.payload.size() <= Limit);
        break;
    case Message::Kind::Binary:
        check(message.payload.size() <= Limit);
        break;
    case Message::Kind::Ping:
    case Message::Kind::Pong:
        check(message.payload.size() <= 125);
        break;
    case Message::Kind::Close:
        check(message.code == 1005 ? message.reason.isEmpty() : isAllowedCloseCode(message.code));
        check(message.reason.toUtf8().size() <= 123);
        break;
    case Message::Kind::Failure:
        check(message.code == 1002 || message.code == 1007 || message.code == 1009);
        check(!message.reason.isEmpty() && message.reason.size() <= 123);
        check(isAscii(message.reason));
        break;
    }
}

// Takes what the reader has, checking each message and the finished state.
void drain(ws::FrameReader &reader, QList<Message> &out)
{
    while (auto message = reader.next()) {
        check(out.isEmpty() || (out.last().kind != Message::Kind::Close &&
                                out.last().kind != Message::Kind::Failure));
        checkMessage(*message);
        const bool last =
            message->kind == Message::Kind::Close || message->kind == Message::Kind::Failure;
        check(reader.isFinished() == last);
        out.append(*message);
    }
    if (reader.isFinished())
        check(reader.bufferedBytes() == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t sizeCount = size_t(data[0] & 0x07) + 1;
    if (size < 1 + sizeCount)
        return 0;
    const uint8_t *sizes = data + 1;
    const QByteArrayView stream(reinterpret_cast<const char *>(data + 1 + sizeCount),
                                qsizetype(size - 1 - sizeCount));

    // The validator agrees with Qt's decoder on the raw bytes.
    check(ws::isValidUtf8(stream) == (QString::fromUtf8(stream).toUtf8() == stream));

    ws::FrameReader pieces(Limit);
    QList<Message> fromPieces;
    qsizetype at = 0;
    for (size_t i = 0; at < stream.size(); ++i) {
        const qsizetype piece = qMin(qsizetype(sizes[i % sizeCount]) + 1, stream.size() - at);
        const bool wasFinished = pieces.isFinished();
        pieces.append(stream.sliced(at, piece));
        at += piece;
        if (wasFinished) {
            check(pieces.bufferedBytes() == 0);
            check(!pieces.next());
        }
        drain(pieces, fromPieces);
        check(pieces.bufferedBytes() <= at);
    }

    ws::FrameReader whole(Limit);
    QList<Message> fromWhole;
    whole.append(stream);
    drain(whole, fromWhole);
    check(!whole.next());

    check(fromPieces == fromWhole);
    check(pieces.isFinished() == whole.isFinished());
    check(pieces.bufferedBytes() == whole.bufferedBytes());
    return 0;
}

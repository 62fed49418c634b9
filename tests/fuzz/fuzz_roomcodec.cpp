// libFuzzer target: room protocol frame -> RoomRequest (roomcodec::parse).
#include "protocol/roomcodec.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <variant>

using namespace roomkeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray frame(reinterpret_cast<const char *>(data), qsizetype(size));
    const ParsedRoomFrame parsed = roomcodec::parse(frame);
    if (const auto *request = std::get_if<RoomRequest>(&parsed)) {
        // Answer the request with an error, as the server does when a command is refused.
        const QByteArray out =
            roomcodec::error(refuse(ErrorCode::Forbidden, QStringLiteral("fuzz")),
                             request->typeName, request->roomId);
        if (!QJsonDocument::fromJson(out).isObject())
            __builtin_trap(); // every answer is one JSON object
    } else {
        const auto &error = std::get<RoomFrameError>(parsed);
        const QByteArray out = roomcodec::error(error.refusal, error.ref, error.roomId);
        if (!QJsonDocument::fromJson(out).isObject())
            __builtin_trap(); // every answer is one JSON object
    }
    return 0;
}

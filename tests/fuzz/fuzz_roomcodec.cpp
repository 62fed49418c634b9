// libFuzzer target: room protocol frame -> RoomRequest (roomcodec::parse).
#include "protocol/roomcodec.h"

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
        const QString out = roomcodec::error(refuse(ErrorCode::Forbidden, QStringLiteral("fuzz")),
                                             request->typeName, request->roomId);
        (void)out;
    } else {
        const auto &error = std::get<RoomFrameError>(parsed);
        const QString out = roomcodec::error(error.refusal, error.ref, error.roomId);
        (void)out;
    }
    return 0;
}

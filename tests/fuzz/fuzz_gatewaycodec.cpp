// libFuzzer target: gateway protocol frame -> GatewayRequest (gatewaycodec::parse).
#include "protocol/gatewaycodec.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <variant>

using namespace roomkeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray frame(reinterpret_cast<const char *>(data), qsizetype(size));
    const ParsedGatewayFrame parsed = gatewaycodec::parse(frame);
    if (const auto *refusal = std::get_if<Refusal>(&parsed)) {
        const QByteArray out = gatewaycodec::error(*refusal);
        if (!QJsonDocument::fromJson(out).isObject())
            __builtin_trap(); // every answer is one JSON object
    }
    return 0;
}

// libFuzzer target: gateway protocol frame -> GatewayRequest (gatewaycodec::parse).
#include "protocol/gatewaycodec.h"

#include <cstddef>
#include <cstdint>
#include <variant>

using namespace roomkeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray frame(reinterpret_cast<const char *>(data), qsizetype(size));
    const ParsedGatewayFrame parsed = gatewaycodec::parse(frame);
    if (const auto *refusal = std::get_if<Refusal>(&parsed)) {
        const QString out = gatewaycodec::error(*refusal);
        (void)out;
    }
    return 0;
}

// libFuzzer target: HTTP/1.1 request head parsing (HttpRequestHead::parse).
#include "net/httprequesthead.h"

#include <cstddef>
#include <cstdint>

using namespace roomkeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto head = HttpRequestHead::parse(bytes);
    if (head) {
        (void)head->isWebSocketUpgrade();
        (void)head->header(QByteArrayLiteral("host"));
        (void)head->header(QByteArrayLiteral("sec-websocket-key"));
    }
    return 0;
}

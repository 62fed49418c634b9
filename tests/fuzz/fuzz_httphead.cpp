// libFuzzer target: HTTP/1.1 request head parsing (HttpRequestHead::parse) and the check
// that decides whether an upgrade may go on to QWebSocketServer.
#include "net/httprequesthead.h"
#include "net/httpresponder.h"

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
        const QByteArray refusal = HttpResponder::upgradeRefusal(*head);
        if (!refusal.isEmpty() && !refusal.startsWith("HTTP/1.1 400 ") &&
            !refusal.startsWith("HTTP/1.1 426 "))
            __builtin_trap(); // a refusal is a 400 or a 426, nothing else
    }
    return 0;
}

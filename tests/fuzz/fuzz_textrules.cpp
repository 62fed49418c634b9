// libFuzzer target: the text rules on arbitrary (possibly broken) UTF-8.
#include "domain/textrules.h"

#include <cstddef>
#include <cstdint>

using namespace roomkeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString trimmed = text.trimmed();
    (void)textrules::checkName(trimmed, textrules::MaxDisplayName);
    (void)textrules::checkName(trimmed, textrules::MaxRoomName);
    (void)textrules::checkContent(text, textrules::DefaultMaxContent);
    (void)textrules::checkContent(text, 1);
    (void)textrules::codePoints(text);
    (void)textrules::printable(text);
    (void)textrules::printable(text, 5);
    (void)textrules::printable(text, 0);
    return 0;
}

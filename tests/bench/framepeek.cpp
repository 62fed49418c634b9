#include "framepeek.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace roomkeeper::bench::framepeek {

namespace {

// Keys may come in any order. A quote inside a string value is always escaped, so a
// needle that starts and ends with a quote matches keys and literal values only.
constexpr std::string_view RoomMessageType = R"("type":"message")";
constexpr std::string_view ContentKey = R"("content":")";

std::string needle(std::string_view key)
{
    std::string n;
    n.reserve(key.size() + 3);
    n += '"';
    n += key;
    n += "\":";
    return n;
}

std::size_t findKey(std::string_view frame, std::string_view key, bool last)
{
    const std::string n = needle(key);
    const std::size_t at = last ? frame.rfind(n) : frame.find(n);
    return at == std::string_view::npos ? at : at + n.size();
}

// Reads "A.B.C." from the start of 'content' into the stamp of 'delivery'.
void readStamp(std::string_view content, Delivery &delivery)
{
    const char *p = content.data();
    const char *end = p + content.size();
    int sender = 0;
    std::uint64_t seq = 0;
    std::int64_t ns = 0;
    auto r = std::from_chars(p, end, sender);
    if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.')
        return;
    r = std::from_chars(r.ptr + 1, end, seq);
    if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.')
        return;
    r = std::from_chars(r.ptr + 1, end, ns);
    if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.')
        return;
    delivery.stamped = true;
    delivery.sender = sender;
    delivery.seq = seq;
    delivery.sentNs = ns;
}

std::optional<std::int64_t> integerAt(std::string_view frame, std::size_t at)
{
    if (at >= frame.size())
        return std::nullopt;
    const char *begin = frame.data() + at;
    const char *end = frame.data() + frame.size();
    std::int64_t value = 0;
    const auto r = std::from_chars(begin, end, value);
    if (r.ec != std::errc())
        return std::nullopt;
    if (r.ptr == end || (*r.ptr != '.' && *r.ptr != 'e' && *r.ptr != 'E'))
        return value;
    // QJsonDocument may write a large integral double as 1.7e+12.
    double number = 0;
    const auto d = std::from_chars(begin, end, number);
    if (d.ec != std::errc() || number != std::floor(number) || std::fabs(number) > 9.0e15)
        return std::nullopt;
    return std::int64_t(number);
}

// Reads the stamp from the "content" string and the integer field 'idKey'.
std::optional<Delivery> stampAndId(std::string_view frame, std::string_view idKey)
{
    const std::size_t key = frame.find(ContentKey);
    if (key == std::string_view::npos)
        return std::nullopt;
    const std::size_t at = key + ContentKey.size();
    const std::size_t end = stringEnd(frame, at);
    if (end == std::string_view::npos)
        return std::nullopt;
    Delivery delivery;
    readStamp(frame.substr(at, end - at), delivery);
    const std::optional<std::int64_t> id = integerField(frame, idKey);
    if (!id)
        return std::nullopt;
    delivery.messageId = *id;
    return delivery;
}

} // namespace

std::size_t stringEnd(std::string_view text, std::size_t from)
{
    std::size_t pos = from;
    while (pos < text.size()) {
        const void *hit = std::memchr(text.data() + pos, '"', text.size() - pos);
        if (!hit)
            return std::string_view::npos;
        const auto quote = std::size_t(static_cast<const char *>(hit) - text.data());
        std::size_t slashes = 0;
        while (quote > from + slashes && text[quote - 1 - slashes] == '\\')
            ++slashes;
        if (slashes % 2 == 0)
            return quote;
        pos = quote + 1;
    }
    return std::string_view::npos;
}

std::optional<Delivery> roomMessage(std::string_view frame)
{
    if (frame.find(RoomMessageType) == std::string_view::npos)
        return std::nullopt;
    return stampAndId(frame, "message_id");
}

std::optional<Delivery> gatewayMessage(std::string_view frame)
{
    // Only op 3 message_create has an "authorId".
    if (frame.find(R"("authorId":")") == std::string_view::npos)
        return std::nullopt;
    return stampAndId(frame, "messageId");
}

std::string stampedContent(int sender, std::uint64_t seq, std::int64_t sentNs, std::size_t bytes)
{
    char stamp[80];
    const int length =
        std::snprintf(stamp, sizeof stamp, "%d.%llu.%lld.", sender,
                      static_cast<unsigned long long>(seq), static_cast<long long>(sentNs));
    std::string content(stamp, std::size_t(std::clamp(length, 0, int(sizeof stamp) - 1)));
    if (content.size() < bytes)
        content.append(bytes - content.size(), 'x');
    return content;
}

std::optional<std::string_view> stringField(std::string_view frame, std::string_view key, bool last)
{
    const std::size_t at = findKey(frame, key, last);
    if (at == std::string_view::npos || at >= frame.size() || frame[at] != '"')
        return std::nullopt;
    const std::size_t end = stringEnd(frame, at + 1);
    if (end == std::string_view::npos)
        return std::nullopt;
    return frame.substr(at + 1, end - at - 1);
}

std::optional<std::string_view> numberField(std::string_view frame, std::string_view key, bool last)
{
    const std::size_t at = findKey(frame, key, last);
    if (at == std::string_view::npos)
        return std::nullopt;
    std::size_t end = at;
    while (end < frame.size() && std::strchr("+-.0123456789eE", frame[end]) && frame[end] != 0)
        ++end;
    if (end == at)
        return std::nullopt;
    return frame.substr(at, end - at);
}

std::optional<std::int64_t> integerField(std::string_view frame, std::string_view key, bool last)
{
    const std::size_t at = findKey(frame, key, last);
    if (at == std::string_view::npos)
        return std::nullopt;
    return integerAt(frame, at);
}

} // namespace roomkeeper::bench::framepeek

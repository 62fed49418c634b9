#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomkeeper::bench {

// Reads the few fields the load generator needs straight from the server's compact JSON
// (QJsonDocument writes keys sorted, no spaces), without building a document: at a
// million frames a second a parser would cost more than the server being measured.
namespace framepeek {

// What a chat message frame says: its id, and the stamp the load generator put in its
// content ("SENDER.SEQ.NANOSECONDS." then padding), if it is one of ours.
struct Delivery
{
    std::int64_t messageId = 0;
    bool stamped = false;
    int sender = -1;
    std::uint64_t seq = 0;
    std::int64_t sentNs = 0;
};

// A room-protocol "message" frame, or nothing for any other frame.
std::optional<Delivery> roomMessage(std::string_view frame);
// A gateway op 3 message_create frame, or nothing for any other frame.
std::optional<Delivery> gatewayMessage(std::string_view frame);

// Content of exactly 'bytes' characters (or just the stamp, if longer) carrying the stamp.
std::string stampedContent(int sender, std::uint64_t seq, std::int64_t sentNs, std::size_t bytes);

// The raw text of a string field's value (escapes left as they are). With 'last', the last
// occurrence of the key, e.g. the top-level "userId" after a participants list.
std::optional<std::string_view> stringField(std::string_view frame, std::string_view key,
                                            bool last = false);
// The raw text of a number field's value.
std::optional<std::string_view> numberField(std::string_view frame, std::string_view key,
                                            bool last = false);
std::optional<std::int64_t> integerField(std::string_view frame, std::string_view key,
                                         bool last = false);

// Position of the quote that ends a JSON string whose text starts at 'from'.
std::size_t stringEnd(std::string_view text, std::size_t from);

} // namespace framepeek

} // namespace roomkeeper::bench

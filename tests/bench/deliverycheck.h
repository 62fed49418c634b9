#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace roomkeeper::bench {

// What one member received, checked against the rule that every message reaches every
// member exactly once and in message_id order. Ids are counted from the first one the
// member should see (the room's last id when it joined, plus one).
class DeliveryCheck
{
public:
    void start(std::int64_t firstExpected)
    {
        m_first = firstExpected;
        m_highest = firstExpected - 1;
    }

    void record(std::int64_t id)
    {
        ++m_received;
        if (id < m_first) {
            ++m_early;
            return;
        }
        const auto offset = std::uint64_t(id - m_first);
        const std::size_t word = offset / 64;
        if (word >= m_seen.size())
            m_seen.resize(std::max(word + 1, m_seen.size() * 2), 0);
        const std::uint64_t bit = std::uint64_t(1) << (offset % 64);
        if (m_seen[word] & bit) {
            ++m_duplicates;
            return;
        }
        m_seen[word] |= bit;
        if (id < m_highest)
            ++m_outOfOrder;
        else
            m_highest = id;
    }

    // Ids in [first, last] this member never received.
    std::uint64_t missingThrough(std::int64_t last) const;

    std::int64_t first() const { return m_first; }
    std::int64_t highest() const { return m_highest; }
    std::uint64_t received() const { return m_received; }
    std::uint64_t duplicates() const { return m_duplicates; }
    std::uint64_t outOfOrder() const { return m_outOfOrder; }
    // Messages with ids from before the member joined.
    std::uint64_t early() const { return m_early; }

private:
    std::int64_t m_first = 1;
    std::int64_t m_highest = 0;
    std::uint64_t m_received = 0;
    std::uint64_t m_duplicates = 0;
    std::uint64_t m_outOfOrder = 0;
    std::uint64_t m_early = 0;
    std::vector<std::uint64_t> m_seen;
};

} // namespace roomkeeper::bench

#include "deliverycheck.h"

#include <bit>

namespace roomkeeper::bench {

std::uint64_t DeliveryCheck::missingThrough(std::int64_t last) const
{
    if (last < m_first)
        return 0;
    const auto span = std::uint64_t(last - m_first + 1);
    std::uint64_t present = 0;
    const std::size_t fullWords = span / 64;
    for (std::size_t w = 0; w < fullWords && w < m_seen.size(); ++w)
        present += std::uint64_t(std::popcount(m_seen[w]));
    const std::uint64_t rest = span % 64;
    if (rest && fullWords < m_seen.size())
        present +=
            std::uint64_t(std::popcount(m_seen[fullWords] & ((std::uint64_t(1) << rest) - 1)));
    return span - present;
}

} // namespace roomkeeper::bench

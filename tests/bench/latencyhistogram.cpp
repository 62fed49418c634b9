#include "latencyhistogram.h"

#include <algorithm>
#include <cmath>

namespace roomkeeper::bench {

void LatencyHistogram::merge(const LatencyHistogram &other)
{
    for (int i = 0; i < Buckets; ++i)
        m_counts[i] += other.m_counts[i];
    m_total += other.m_total;
    m_max = std::max(m_max, other.m_max);
}

std::uint64_t LatencyHistogram::upperEdge(int index)
{
    if (index < (1 << SubBits))
        return std::uint64_t(index);
    const int shift = index / Half - 1;
    const std::uint64_t top = std::uint64_t(index - shift * Half);
    return ((top + 1) << shift) - 1;
}

std::uint64_t LatencyHistogram::quantileMicros(double q) const
{
    if (m_total == 0)
        return 0;
    const auto rank = std::max<std::uint64_t>(1, std::uint64_t(std::ceil(q * double(m_total))));
    std::uint64_t seen = 0;
    for (int i = 0; i < Buckets; ++i) {
        seen += m_counts[i];
        if (seen >= rank)
            return std::min(upperEdge(i), m_max);
    }
    return m_max;
}

} // namespace roomkeeper::bench

#pragma once

#include <array>
#include <cstdint>

namespace roomkeeper::bench {

// Log-linear histogram of microseconds: exact below 128 µs, then 64 steps per power of
// two (under 1.6 % error). Constant memory however many samples arrive.
class LatencyHistogram
{
public:
    void add(std::uint64_t micros)
    {
        ++m_counts[indexOf(micros)];
        ++m_total;
        if (micros > m_max)
            m_max = micros;
    }
    void merge(const LatencyHistogram &other);

    std::uint64_t count() const { return m_total; }
    std::uint64_t maxMicros() const { return m_max; }
    // The smallest recorded value v such that a fraction 'q' of samples are <= v (upper
    // edge of its bucket, never above the maximum).
    std::uint64_t quantileMicros(double q) const;

private:
    static constexpr int SubBits = 7;
    static constexpr int Half = 1 << (SubBits - 1);
    static constexpr int Buckets = 64 * Half + 2 * Half;

    static int indexOf(std::uint64_t v)
    {
        if (v < (1u << SubBits))
            return int(v);
        const int bits = 64 - __builtin_clzll(v);
        const int shift = bits - SubBits;
        return shift * Half + int(v >> shift);
    }
    static std::uint64_t upperEdge(int index);

    std::array<std::uint64_t, Buckets> m_counts{};
    std::uint64_t m_total = 0;
    std::uint64_t m_max = 0;
};

} // namespace roomkeeper::bench

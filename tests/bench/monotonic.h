#pragma once

#include <cstdint>
#include <ctime>

namespace roomkeeper::bench {

// Monotonic nanoseconds. The load generator both stamps and receives every message, so
// one clock on one machine gives end-to-end latency without any clock skew.
inline std::int64_t monotonicNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

} // namespace roomkeeper::bench

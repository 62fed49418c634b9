#pragma once

#include <cstdint>
#include <optional>

namespace roomkeeper::bench {

// Reads another process's CPU time and resident memory from /proc (Linux).
class ProcessProbe
{
public:
    explicit ProcessProbe(int pid) : m_pid(pid) {}

    bool valid() const { return m_pid > 0; }
    // utime + stime, in seconds.
    std::optional<double> cpuSeconds() const;
    // Time its threads were ready to run but waiting for a CPU (schedstat), in seconds:
    // how much other load on the machine held it back.
    std::optional<double> runQueueWaitSeconds() const;
    // VmRSS, in KiB.
    std::optional<std::int64_t> rssKib() const;

    // This process's own CPU time (user + system), in seconds.
    static double selfCpuSeconds();

private:
    int m_pid;
};

} // namespace roomkeeper::bench

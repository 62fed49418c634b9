#include "processprobe.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace roomkeeper::bench {

std::optional<double> ProcessProbe::cpuSeconds() const
{
    if (!valid())
        return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(m_pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return std::nullopt;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const std::size_t paren = line.rfind(')');
    if (paren == std::string::npos)
        return std::nullopt;
    std::istringstream fields(line.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    // After the name: field 3 (state) ... field 14 (utime), 15 (stime).
    for (int number = 3; number <= 15 && fields >> field; ++number) {
        if (number == 14)
            utime = std::stoull(field);
        else if (number == 15)
            stime = std::stoull(field);
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

std::optional<double> ProcessProbe::runQueueWaitSeconds() const
{
    if (!valid())
        return std::nullopt;
    std::error_code error;
    const std::filesystem::path tasks = "/proc/" + std::to_string(m_pid) + "/task";
    unsigned long long waitedNs = 0;
    bool any = false;
    for (const auto &task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream in(task.path() / "schedstat");
        unsigned long long runNs = 0;
        unsigned long long waitNs = 0;
        if (in >> runNs >> waitNs) {
            waitedNs += waitNs;
            any = true;
        }
    }
    if (!any)
        return std::nullopt;
    return double(waitedNs) / 1e9;
}

std::optional<std::int64_t> ProcessProbe::rssKib() const
{
    if (!valid())
        return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(m_pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoll(line.substr(6));
    }
    return std::nullopt;
}

double ProcessProbe::selfCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

} // namespace roomkeeper::bench

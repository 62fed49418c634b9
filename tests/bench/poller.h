#pragma once

#include <sys/epoll.h>

#include <cstdint>

namespace roomkeeper::bench {

// A thin level-triggered epoll wrapper for one thread. Each registered descriptor carries
// one pointer, handed back with its events.
class Poller
{
public:
    Poller();
    ~Poller();
    Poller(const Poller &) = delete;
    Poller &operator=(const Poller &) = delete;

    bool add(int fd, void *owner, std::uint32_t events);
    bool modify(int fd, void *owner, std::uint32_t events);
    void remove(int fd);

    // Waits at most 'timeoutMs' (0: just look) and calls visit(owner, events) for each
    // ready descriptor. Returns the number of events.
    template <typename Visit> int wait(int timeoutMs, Visit &&visit)
    {
        const int n = epoll_wait(m_fd, m_events, MaxEvents, timeoutMs);
        for (int i = 0; i < n; ++i)
            visit(m_events[i].data.ptr, m_events[i].events);
        return n < 0 ? 0 : n;
    }

private:
    static constexpr int MaxEvents = 512;
    int m_fd = -1;
    epoll_event m_events[MaxEvents];
};

} // namespace roomkeeper::bench

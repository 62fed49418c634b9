#include "poller.h"

#include <unistd.h>

namespace roomkeeper::bench {

Poller::Poller() : m_fd(epoll_create1(EPOLL_CLOEXEC)) {}

Poller::~Poller()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool Poller::add(int fd, void *owner, std::uint32_t events)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = owner;
    return epoll_ctl(m_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool Poller::modify(int fd, void *owner, std::uint32_t events)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = owner;
    return epoll_ctl(m_fd, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void Poller::remove(int fd)
{
    epoll_ctl(m_fd, EPOLL_CTL_DEL, fd, nullptr);
}

} // namespace roomkeeper::bench

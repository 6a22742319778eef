#include "libcommon/container/event_loop.h"

#include <sys/epoll.h>

#include <cerrno>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::container {

EventLoop::EventLoop() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epfd_) throw_errno("epoll_create1");
}

void EventLoop::add(int fd, uint32_t events, Handler h) {
    struct epoll_event ev = {};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl add");
    handlers_[fd] = std::make_shared<Handler>(std::move(h));
}

void EventLoop::modify(int fd, uint32_t events) {
    struct epoll_event ev = {};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::remove(int fd) {
    if (handlers_.erase(fd)) ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::run_once(int timeout_ms) {
    struct epoll_event evs[64];
    int n = ::epoll_wait(epfd_.get(), evs, 64, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return;
        throw_errno("epoll_wait");
    }
    // Handlers are looked up one by one: an earlier one may have removed a later fd.
    for (int i = 0; i < n; i++) {
        auto it = handlers_.find(evs[i].data.fd);
        if (it == handlers_.end()) continue;
        auto h = it->second;
        (*h)(evs[i].events);
    }
}

}  // namespace ctr::container

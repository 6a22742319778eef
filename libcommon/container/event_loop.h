// A small epoll loop: the monitor's one thread waits here for the container's
// output, attach clients, proxied connections, signals and timers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "libcommon/sys/fd.h"

namespace ctr::container {

class EventLoop {
public:
    using Handler = std::function<void(uint32_t events)>;

    EventLoop();
    // Watches fd for `events` (EPOLLIN, EPOLLOUT, ...); the loop does not own fd.
    void add(int fd, uint32_t events, Handler h);
    void modify(int fd, uint32_t events);
    // Stops watching fd (safe from inside a handler, also for fd's own).
    void remove(int fd);
    bool watching(int fd) const { return handlers_.count(fd) != 0; }
    // Waits up to timeout_ms (-1: forever) and runs the handlers of what is ready.
    void run_once(int timeout_ms);

private:
    UniqueFd epfd_;
    std::map<int, std::shared_ptr<Handler>> handlers_;
};

}  // namespace ctr::container

#include "libcommon/bundle/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>

#include <functional>
#include <string>

#include "libcommon/sys/error.h"
#include "libcommon/sys/loopback.h"

namespace ctr::bundle {

namespace {

// Runs `f` with the calling thread inside the network namespace.
void in_netns(int netns_fd, const std::function<void()>& f) {
    UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!self) throw_errno("open /proc/thread-self/ns/net");
    if (::setns(netns_fd, CLONE_NEWNET) < 0) throw_errno("enter the container's network namespace");
    try {
        f();
    } catch (...) {
        (void)::setns(self.get(), CLONE_NEWNET);
        throw;
    }
    if (::setns(self.get(), CLONE_NEWNET) < 0) throw_errno("return to the host's network namespace");
}

}  // namespace

UniqueFd open_netns(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    return fd;
}

void bring_up_loopback(int netns_fd) { in_netns(netns_fd, set_loopback_up); }

UniqueFd socket_in_netns(int netns_fd, int domain, int type) {
    UniqueFd out;
    in_netns(netns_fd, [&] {
        out.reset(::socket(domain, type | SOCK_CLOEXEC, 0));
        if (!out) throw_errno("socket in the container's network namespace");
    });
    return out;
}

}  // namespace ctr::bundle

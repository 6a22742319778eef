// Network namespaces seen from the host: what a caller needs to make a
// container's private netns usable (loopback up) and to reach into it (a
// socket created inside it, for the port proxy).
#pragma once

#include <sys/types.h>

#include "libcommon/sys/fd.h"

namespace ctr::bundle {

// /proc/PID/ns/net, opened.
UniqueFd open_netns(pid_t pid);
// Sets the "lo" interface up inside the network namespace.
void bring_up_loopback(int netns_fd);
// socket(2) created inside the network namespace (the calling thread enters it
// and comes back before returning).
UniqueFd socket_in_netns(int netns_fd, int domain, int type);

}  // namespace ctr::bundle

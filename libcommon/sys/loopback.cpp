#include "libcommon/sys/loopback.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr {

void set_loopback_up() {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket for loopback setup");
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) throw_errno("get flags of lo");
    if ((ifr.ifr_flags & IFF_UP) != 0) return;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) throw_errno("set lo up");
}

}  // namespace ctr

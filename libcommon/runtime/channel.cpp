#include "libcommon/runtime/channel.h"

#include <sys/socket.h>

#include <cerrno>

#include "libcommon/sys/error.h"

namespace ctr::runtime {

std::pair<Channel, Channel> Channel::pair() {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    return {Channel(UniqueFd(sv[0])), Channel(UniqueFd(sv[1]))};
}

void Channel::send(const std::string& verb, const std::string& text) const {
    std::string msg = verb + '\0' + text;
    for (;;) {
        if (::send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return;
        if (errno != EINTR) throw_errno("send " + verb + " to the container's init");
    }
}

void Channel::send_noexcept(const std::string& verb, const std::string& text) const noexcept {
    std::string msg = verb + '\0' + text;
    while (::send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

Message Channel::receive() const {
    char buf[8192];
    ssize_t n;
    // A peer that died with our message unread leaves ECONNRESET, reported
    // once and before what it sent earlier (its last words): read on.
    for (bool reset = false;;) {
        n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n >= 0) break;
        if (errno == EINTR) continue;
        if (errno != ECONNRESET) throw_errno("receive from the container's init");
        if (reset) return {"eof", ""};
        reset = true;
    }
    if (n == 0) return {"eof", ""};
    std::string all(buf, static_cast<size_t>(n));
    auto nul = all.find('\0');
    if (nul == std::string::npos) return {all, ""};
    return {all.substr(0, nul), all.substr(nul + 1)};
}

Message Channel::expect(const std::string& want, const std::string& doing) const {
    Message m = receive();
    if (m.verb == want) return m;
    if (m.verb == "error") throw Error(m.text);
    if (m.verb == "eof") throw Error(doing + ": the container's init exited");
    throw Error(doing + ": unexpected message \"" + m.verb + "\"");
}

}  // namespace ctr::runtime

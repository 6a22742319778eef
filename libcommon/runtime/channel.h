// The runtime's private line to a container's init while it is being set up.
//
// A SOCK_SEQPACKET socketpair: each send is one message, a short verb and an
// optional text ("ready", "error" + message, "pid" + number). A closed peer
// reads as the verb "eof", which is how either side learns the other died.
#pragma once

#include <string>
#include <utility>

#include "libcommon/sys/fd.h"

namespace ctr::runtime {

struct Message {
    std::string verb;
    std::string text;
};

class Channel {
public:
    Channel() = default;
    explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}
    // A connected pair: first for the runtime, second for the init.
    static std::pair<Channel, Channel> pair();

    void send(const std::string& verb, const std::string& text = "") const;
    // Like send, but never throws (for the init's last words).
    void send_noexcept(const std::string& verb, const std::string& text = "") const noexcept;
    Message receive() const;
    // Receives and throws ctr::Error unless the verb is `want`. An "error"
    // message becomes the Error's text.
    Message expect(const std::string& want, const std::string& doing) const;

    int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }
    UniqueFd& handle() { return fd_; }

private:
    UniqueFd fd_;
};

}  // namespace ctr::runtime

#include "libcommon/container/attach_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "libcommon/sys/error.h"

namespace ctr::container::attach {

std::string encode(Frame type, std::string_view payload) {
    std::string out;
    out.reserve(5 + payload.size());
    out.push_back(static_cast<char>(type));
    uint32_t n = static_cast<uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
    out.append(payload);
    return out;
}

std::optional<std::pair<Frame, std::string>> Decoder::next() {
    if (buf_.size() < 5) return std::nullopt;
    uint32_t n = 0;
    for (int i = 1; i <= 4; i++) n = (n << 8) | static_cast<uint8_t>(buf_[i]);
    if (n > (1u << 20)) throw Error("attach socket: frame of " + std::to_string(n) + " bytes");
    if (buf_.size() < 5 + n) return std::nullopt;
    auto type = static_cast<Frame>(buf_[0]);
    std::string payload = buf_.substr(5, n);
    buf_.erase(0, 5 + n);
    return std::make_pair(type, payload);
}

bool send_frame(int fd, Frame type, std::string_view payload) {
    std::string f = encode(type, payload);
    size_t off = 0;
    while (off < f.size()) {
        ssize_t n = ::send(fd, f.data() + off, f.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace ctr::container::attach

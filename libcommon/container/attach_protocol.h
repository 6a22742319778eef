// The attach socket's framing, between a container's monitor and the
// programs attached to it (ctr-start -a, ctr-attach). A unix stream socket
// carrying frames: 1 byte type, 4 bytes big-endian length, payload.
//
//   client → monitor: Hello ("stdin,stdout,stderr": the streams wanted),
//                     Stdin (bytes), StdinEof, Resize ("ROWS COLS"), Signal ("15")
//   monitor → client: Stdout, Stderr (bytes), Exit ("137": the container ended),
//                     Error (a message; the attach failed)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctr::container::attach {

enum class Frame : uint8_t {
    Hello = 'H',
    Stdin = 'I',
    StdinEof = 'E',
    Resize = 'R',
    Signal = 'S',
    Stdout = 'O',
    Stderr = 'e',
    Exit = 'X',
    Error = '!',
};

// The bytes of one frame.
std::string encode(Frame type, std::string_view payload);

// Accumulates bytes read from the socket and yields whole frames.
class Decoder {
public:
    void feed(const char* data, size_t n) { buf_.append(data, n); }
    // The next whole frame, if one has arrived. Throws ctr::Error on a frame
    // longer than 1 MiB (a broken peer).
    std::optional<std::pair<Frame, std::string>> next();

private:
    std::string buf_;
};

// Writes a whole frame to a blocking fd; false if the peer is gone.
bool send_frame(int fd, Frame type, std::string_view payload);

}  // namespace ctr::container::attach

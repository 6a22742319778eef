#include "libcommon/container/attach_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "libcommon/container/attach_protocol.h"
#include "libcommon/container/record.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::container {

namespace {

// Our terminal in raw mode for as long as it lives.
class RawMode {
public:
    explicit RawMode(int fd) : fd_(fd) {
        if (::tcgetattr(fd, &saved_) < 0) return;
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        if (::tcsetattr(fd, TCSADRAIN, &raw) == 0) active_ = true;
    }
    ~RawMode() {
        if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
    }

private:
    int fd_;
    struct termios saved_ = {};
    bool active_ = false;
};

void write_out(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd p = {fd, POLLOUT, 0};
                ::poll(&p, 1, -1);
                continue;
            }
            return;
        }
        off += static_cast<size_t>(n);
    }
}

// "ROWS COLS" of the terminal on fd (each plus `more`), or "" without one.
std::string window_size(int fd, int more = 0) {
    struct winsize ws = {};
    if (::ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0) return {};
    return std::to_string(ws.ws_row + more) + " " + std::to_string(ws.ws_col + more);
}

}  // namespace

std::vector<unsigned char> parse_detach_keys(const std::string& spec) {
    std::vector<unsigned char> keys;
    size_t start = 0;
    while (start <= spec.size()) {
        size_t comma = spec.find(',', start);
        std::string k = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        std::string lower = k;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.size() == 6 && lower.rfind("ctrl-", 0) == 0) {
            char c = lower[5];
            if (c >= 'a' && c <= 'z')
                keys.push_back(static_cast<unsigned char>(c - 'a' + 1));
            else if (c == '@')
                keys.push_back(0);
            else if (c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
                keys.push_back(static_cast<unsigned char>(c - '@'));
            else
                throw Error("invalid detach key \"" + k + "\"");
        } else if (k.size() == 1) {
            keys.push_back(static_cast<unsigned char>(k[0]));
        } else {
            throw Error("invalid detach key \"" + k + "\": want ctrl-X or a single character");
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return keys;
}

std::string DetachMatcher::feed(const char* data, size_t n) {
    std::string out;
    if (keys_.empty()) return std::string(data, n);
    for (size_t i = 0; i < n && !detached_; i++) {
        auto c = static_cast<unsigned char>(data[i]);
        if (c == keys_[matched_]) {
            if (++matched_ == keys_.size()) detached_ = true;
            continue;
        }
        // The held-back prefix was not the sequence after all.
        out.append(keys_.begin(), keys_.begin() + static_cast<long>(matched_));
        matched_ = 0;
        if (c == keys_[0]) {
            if (++matched_ == keys_.size()) detached_ = true;
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

int connect_attach(const std::string& dir) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    // The socket's full path can exceed sun_path: reach it through the directory.
    UniqueFd d(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!d) throw_errno("open " + dir);
    std::string path = "/proc/self/fd/" + std::to_string(d.get()) + "/" + Paths::attach_socket;
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno("connect to " + dir + "/" + Paths::attach_socket);
    return fd.release();
}

AttachResult attach_session(int sock, const AttachOptions& o) {
    AttachResult res;
    std::string hello;
    if (o.stdin) hello += "stdin,";
    if (o.stdout) hello += "stdout,";
    if (o.stderr) hello += "stderr";
    // A container that has already ended may have closed the socket: what it
    // wrote before that is still there to read.
    attach::send_frame(sock, attach::Frame::Hello, hello);

    bool interactive_tty = o.tty && o.stdin && ::isatty(STDIN_FILENO);
    std::unique_ptr<RawMode> raw;
    if (interactive_tty) raw = std::make_unique<RawMode>(STDIN_FILENO);

    sigset_t set;
    sigemptyset(&set);
    if (o.tty) sigaddset(&set, SIGWINCH);
    if (!o.tty && o.sig_proxy)
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
    sigset_t old;
    ::sigprocmask(SIG_BLOCK, &set, &old);
    UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (o.tty) {
        int fd = interactive_tty ? STDIN_FILENO : STDOUT_FILENO;
        auto ws = window_size(fd);
        // A size the terminal already has changes nothing; one row and
        // column more first make it change (twice), and the shell at its
        // prompt redraws it, as with docker attach.
        if (!ws.empty() && o.redraw) attach::send_frame(sock, attach::Frame::Resize, window_size(fd, 1));
        if (!ws.empty()) attach::send_frame(sock, attach::Frame::Resize, ws);
    }

    DetachMatcher detach(interactive_tty ? o.detach_keys : std::vector<unsigned char>{});
    attach::Decoder dec;
    bool stdin_open = o.stdin;
    char buf[65536];
    while (true) {
        struct pollfd fds[3] = {{sock, POLLIN, 0}, {sigfd.get(), POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) {
                    auto ws = window_size(interactive_tty ? STDIN_FILENO : STDOUT_FILENO);
                    if (!ws.empty()) attach::send_frame(sock, attach::Frame::Resize, ws);
                } else {
                    attach::send_frame(sock, attach::Frame::Signal, std::to_string(si.ssi_signo));
                }
            }
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n > 0) {
                std::string send = detach.feed(buf, static_cast<size_t>(n));
                if (!send.empty()) attach::send_frame(sock, attach::Frame::Stdin, send);
                if (detach.detached()) {
                    res.detached = true;
                    break;
                }
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                stdin_open = false;
                attach::send_frame(sock, attach::Frame::StdinEof, "");
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(sock, buf, sizeof buf);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                break;
            }
            dec.feed(buf, static_cast<size_t>(n));
            bool done = false;
            while (auto f = dec.next()) {
                auto& [type, payload] = *f;
                if (type == attach::Frame::Stdout)
                    write_out(STDOUT_FILENO, payload);
                else if (type == attach::Frame::Stderr)
                    write_out(STDERR_FILENO, payload);
                else if (type == attach::Frame::Exit) {
                    res.ended = true;
                    res.exit_code = std::atoi(payload.c_str());
                    done = true;
                } else if (type == attach::Frame::Error) {
                    raw.reset();
                    throw Error(payload);
                }
            }
            if (done) break;
        }
    }
    raw.reset();
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return res;
}

}  // namespace ctr::container

#include "libcommon/runtime/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libcommon/sys/error.h"

namespace ctr::runtime {

void send_fd(int sock, int fd, const std::string& name) {
    std::string data = name.empty() ? std::string("x") : name;
    struct iovec iov = {data.data(), data.size()};
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        if (errno != EINTR) throw_errno("send the terminal to the console socket");
}

UniqueFd receive_fd(int sock) {
    char data[4096];
    struct iovec iov = {data, sizeof data};
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("receive the terminal");
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    if (n == 0 || !cm || cm->cmsg_type != SCM_RIGHTS) throw Error("receive the terminal: no descriptor sent");
    int fd;
    std::memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return UniqueFd(fd);
}

UniqueFd connect_unix(const std::string& path) {
    UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    // Long paths go through an O_PATH descriptor of their directory.
    UniqueFd dir;
    std::string name = path;
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        auto slash = path.rfind('/');
        std::string d = slash == std::string::npos ? "." : path.substr(0, slash + 1);
        dir.reset(open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir) throw_errno("open " + d);
        name = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + path.substr(slash + 1);
    }
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (name.size() >= sizeof addr.sun_path) throw Error("socket path too long: " + path);
    std::memcpy(addr.sun_path, name.c_str(), name.size());
    while (connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        if (errno != EINTR) throw_errno("connect to " + path);
    return s;
}

UniqueFd open_pty(unsigned rows, unsigned cols, std::string& slave_path) {
    UniqueFd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("open /dev/ptmx in the container");
    int unlock = 0;
    if (ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) throw_errno("unlock the pty");
    int n = 0;
    if (ioctl(master.get(), TIOCGPTN, &n) < 0) throw_errno("get the pty number");
    slave_path = "/dev/pts/" + std::to_string(n);
    if (rows || cols) {
        struct winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(rows);
        ws.ws_col = static_cast<unsigned short>(cols);
        ioctl(master.get(), TIOCSWINSZ, &ws);
    }
    return master;
}

void become_tty_session(int slave) {
    if (setsid() < 0) throw_errno("setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0) throw_errno("make the pty the controlling terminal");
    for (int i = 0; i < 3; ++i)
        if (dup2(slave, i) < 0) throw_errno("dup2 the pty");
}

namespace {

// The caller's terminal in raw mode for as long as this lives.
class RawMode {
public:
    explicit RawMode(int fd) : fd_(fd) {
        if (!isatty(fd) || tcgetattr(fd, &saved_) < 0) return;
        struct termios raw = saved_;
        cfmakeraw(&raw);
        raw.c_oflag = saved_.c_oflag;  // keep output processing, as runc does
        if (tcsetattr(fd, TCSANOW, &raw) == 0) active_ = true;
    }
    ~RawMode() {
        if (active_) tcsetattr(fd_, TCSANOW, &saved_);
    }

private:
    int fd_;
    bool active_ = false;
    struct termios saved_ = {};
};


bool pump(int from, int to, bool draining = false) {
    char buf[16384];
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || (errno == EAGAIN && !draining))) return true;
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return false;
        }
        off += w;
    }
    return true;
}

}  // namespace

void copy_size(int from, int to) {
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

std::optional<std::pair<unsigned, unsigned>> terminal_size(int fd) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0) return std::nullopt;
    return std::make_pair(unsigned{ws.ws_row}, unsigned{ws.ws_col});
}

void relay_pty(int master, int stop_fd, int sigfd, int init_pid) {
    RawMode raw(STDIN_FILENO);
    if (isatty(STDIN_FILENO)) copy_size(STDIN_FILENO, master);
    bool in_open = true;
    for (;;) {
        struct pollfd p[4] = {{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0},
                              {stop_fd, POLLIN, 0}, {sigfd, POLLIN, 0}};
        if (poll(p, 4, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll the terminal");
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(master, STDOUT_FILENO)) break;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(STDIN_FILENO, master)) in_open = false;
        }
        if (p[3].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) copy_size(STDIN_FILENO, master);
                else if (si.ssi_signo != SIGCHLD) kill(init_pid, static_cast<int>(si.ssi_signo));
            }
        }
        if (p[2].revents & POLLIN) {
            // The init is gone: drain what is left in the pty, then stop.
            int fl = fcntl(master, F_GETFL);
            fcntl(master, F_SETFL, fl | O_NONBLOCK);
            while (pump(master, STDOUT_FILENO, true)) {
            }
            break;
        }
    }
}

}  // namespace ctr::runtime

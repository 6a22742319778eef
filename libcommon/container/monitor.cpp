#include "libcommon/container/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "libcommon/bundle/netns.h"
#include "libcommon/bundle/rootfs.h"
#include "libcommon/container/attach_protocol.h"
#include "libcommon/container/event_loop.h"
#include "libcommon/container/log.h"
#include "libcommon/container/options.h"
#include "libcommon/container/proxy.h"
#include "libcommon/container/record.h"
#include "libcommon/container/runtime.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/lock.h"
#include "libcommon/sys/error.h"

namespace ctr::container {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

UniqueFd listen_unix(const std::string& name) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) throw_errno("socket");
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, name.c_str(), sizeof addr.sun_path - 1);
    ::unlink(name.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw_errno("bind " + name);
    ::chmod(name.c_str(), 0600);
    if (::listen(fd.get(), 16) < 0) throw_errno("listen " + name);
    return fd;
}

// The pty master the runtime sends over the console socket.
UniqueFd receive_pty(int listener) {
    struct pollfd pfd = {listener, POLLIN, 0};
    if (::poll(&pfd, 1, 10000) <= 0) throw Error("the runtime sent no terminal on the console socket");
    UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) throw_errno("accept on the console socket");
    char buf[4096];
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) < 0) throw_errno("receive the terminal");
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return UniqueFd(fd);
        }
    throw Error("the runtime sent no file descriptor on the console socket");
}

void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool write_all_fd(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {fd, POLLOUT, 0};
                if (::poll(&pfd, 1, 1000) <= 0) return false;
                continue;
            }
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// The docker exit code for a failed start: 127 command not found, 126 not runnable.
int start_failure_code(const std::string& msg) {
    if (msg.find("no such file") != std::string::npos || msg.find("not found") != std::string::npos ||
        msg.find("No such file") != std::string::npos)
        return 127;
    if (msg.find("permission denied") != std::string::npos || msg.find("Permission denied") != std::string::npos)
        return 126;
    return 125;
}

class Monitor {
public:
    explicit Monitor(const MonitorArgs& a)
        : args_(a), p_{a.dir}, ready_(a.ready_fd), log_(Paths{a.dir}.log()) {}

    int run();

private:
    struct Client {
        UniqueFd fd;
        attach::Decoder dec;
        bool out = true, err = true, in = true;
    };

    void report_ready(const std::string& line) {
        if (!ready_) return;
        write_all_fd(ready_.get(), line.data(), line.size());
        ready_.reset();
    }
    void setup_signals();
    void add_client(UniqueFd fd);
    void client_input(Client* c);
    void drop_client(Client* c);
    void broadcast(attach::Frame f, std::string_view data);
    void on_output(int fd, const std::string& stream);
    void on_signal();
    void start_container();
    void adopt_container();
    void wait_for_exit();
    void cleanup_run();
    bool should_restart();
    void finish();
    void ensure_rootfs();

    MonitorArgs args_;
    Paths p_;
    UniqueFd ready_;
    json rec_;
    std::string id_;
    std::unique_ptr<Runtime> rt_;
    EventLoop loop_;
    JsonLog log_;
    UniqueFd sigfd_, attach_listener_;
    std::map<Client*, std::unique_ptr<Client>> clients_;
    std::unique_ptr<PortProxy> proxy_;
    bool tty_ = false, stdin_once_ = false;

    // The current run.
    UniqueFd stdin_w_, stdout_r_, stderr_r_, pty_, netns_, pidfd_;
    pid_t init_ = 0;
    bool exited_ = false;
    int exit_code_ = 0;
    Clock::time_point started_;
};

void Monitor::setup_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    sigfd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd_) throw_errno("signalfd");
    loop_.add(sigfd_.get(), EPOLLIN, [this](uint32_t) { on_signal(); });
}

void Monitor::on_signal() {
    struct signalfd_siginfo si;
    while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
    }
    // Reap every child: the container's init, and whatever the runtime orphaned.
    while (true) {
        int status;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (pid == init_ && !exited_) {
            exited_ = true;
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
}

void Monitor::add_client(UniqueFd fd) {
    auto c = std::make_unique<Client>();
    c->fd = std::move(fd);
    Client* raw = c.get();
    clients_[raw] = std::move(c);
    loop_.add(raw->fd.get(), EPOLLIN, [this, raw](uint32_t) { client_input(raw); });
}

void Monitor::drop_client(Client* c) {
    loop_.remove(c->fd.get());
    clients_.erase(c);
}

void Monitor::client_input(Client* c) {
    char buf[65536];
    ssize_t n = ::read(c->fd.get(), buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        return drop_client(c);
    }
    c->dec.feed(buf, static_cast<size_t>(n));
    try {
        while (auto f = c->dec.next()) {
            auto& [type, payload] = *f;
            switch (type) {
                case attach::Frame::Hello:
                    c->in = payload.find("stdin") != std::string::npos;
                    c->out = payload.find("stdout") != std::string::npos;
                    c->err = payload.find("stderr") != std::string::npos;
                    break;
                case attach::Frame::Stdin:
                    if (!c->in) break;
                    if (pty_)
                        write_all_fd(pty_.get(), payload.data(), payload.size());
                    else if (stdin_w_)
                        write_all_fd(stdin_w_.get(), payload.data(), payload.size());
                    break;
                case attach::Frame::StdinEof:
                    if (c->in && stdin_once_ && stdin_w_) stdin_w_.reset();
                    break;
                case attach::Frame::Resize:
                    if (pty_) {
                        struct winsize ws = {};
                        std::istringstream in(payload);
                        in >> ws.ws_row >> ws.ws_col;
                        ::ioctl(pty_.get(), TIOCSWINSZ, &ws);
                    }
                    break;
                case attach::Frame::Signal:
                    if (init_ > 0 && !exited_) ::kill(init_, std::atoi(payload.c_str()));
                    break;
                default:
                    break;
            }
        }
    } catch (const std::exception&) {
        drop_client(c);
    }
}

void Monitor::broadcast(attach::Frame f, std::string_view data) {
    std::vector<Client*> gone;
    for (auto& [raw, c] : clients_) {
        bool wants = f == attach::Frame::Stdout ? c->out : f == attach::Frame::Stderr ? c->err : true;
        if (wants && !attach::send_frame(c->fd.get(), f, data)) gone.push_back(raw);
    }
    for (auto* c : gone) drop_client(c);
}

void Monitor::on_output(int fd, const std::string& stream) {
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            log_.write(stream, std::string_view(buf, static_cast<size_t>(n)));
            broadcast(stream == "stderr" ? attach::Frame::Stderr : attach::Frame::Stdout,
                      std::string_view(buf, static_cast<size_t>(n)));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        // End of the stream (EIO on a pty whose other side is closed).
        log_.flush(stream);
        loop_.remove(fd);
        if (pty_ && fd == pty_.get()) pty_.reset();
        if (stdout_r_ && fd == stdout_r_.get()) stdout_r_.reset();
        if (stderr_r_ && fd == stderr_r_.get()) stderr_r_.reset();
        return;
    }
}

void Monitor::ensure_rootfs() {
    if (bundle::is_mount_point(p_.rootfs())) return;
    auto& d = rec_["GraphDriver"]["Data"];
    bundle::OverlayLayout l;
    std::string lower = d.value("LowerDir", "");
    size_t start = 0;
    while (start <= lower.size()) {
        size_t colon = lower.find(':', start);
        l.lowers.push_back(lower.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    l.upper = d.value("UpperDir", p_.upper());
    l.work = d.value("WorkDir", p_.work());
    l.target = d.value("MergedDir", p_.rootfs());
    bundle::OverlayMount m(l);
    m.release();
}

void Monitor::start_container() {
    // A previous run's state is deleted after each exit; only a monitor that
    // was killed leaves one behind (its record then says so).
    if (rec_["State"].value("Status", "") != "created" && rec_["State"].value("MonitorPid", 0) != 0) rt_->remove(id_);
    ensure_rootfs();
    ::unlink(Paths::pid_file);
    exited_ = false;
    exit_code_ = 0;
    init_ = 0;

    bool open_stdin = rec_["Config"].value("OpenStdin", false);
    if (tty_) {
        UniqueFd console = listen_unix(Paths::console_socket);
        try {
            rt_->create(id_, ".", Paths::pid_file, Paths::console_socket, -1, -1, -1, p_.dir);
        } catch (...) {
            ::unlink(Paths::console_socket);
            throw;
        }
        pty_ = receive_pty(console.get());
        ::unlink(Paths::console_socket);
        set_nonblock(pty_.get());
        loop_.add(pty_.get(), EPOLLIN, [this](uint32_t) { on_output(pty_.get(), "stdout"); });
    } else {
        int in[2] = {-1, -1}, out[2], err[2];
        if (open_stdin && ::pipe2(in, O_CLOEXEC) < 0) throw_errno("pipe");
        if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) throw_errno("pipe");
        UniqueFd in_r(in[0]), out_w(out[1]), err_w(err[1]);
        stdin_w_.reset(in[1]);
        stdout_r_.reset(out[0]);
        stderr_r_.reset(err[0]);
        rt_->create(id_, ".", Paths::pid_file, "", in_r.get(), out_w.get(), err_w.get(), p_.dir);
        set_nonblock(stdout_r_.get());
        set_nonblock(stderr_r_.get());
        loop_.add(stdout_r_.get(), EPOLLIN, [this](uint32_t) { on_output(stdout_r_.get(), "stdout"); });
        loop_.add(stderr_r_.get(), EPOLLIN, [this](uint32_t) { on_output(stderr_r_.get(), "stderr"); });
    }
    std::string pid_text;
    try {
        pid_text = store::read_file(p_.dir + "/" + Paths::pid_file);
    } catch (const std::exception&) {
    }
    init_ = static_cast<pid_t>(std::atol(pid_text.c_str()));
    if (init_ <= 0) throw Error("the runtime wrote no pid to " + p_.dir + "/" + Paths::pid_file);
    auto start_time = process_start_time(init_);

    std::string net = rec_["HostConfig"].value("NetworkMode", "private");
    if (net == "private" || net == "none") {
        netns_ = bundle::open_netns(init_);
        if (net == "private") bundle::bring_up_loopback(netns_.get());
    }
    if (proxy_) proxy_->set_target(net == "private" ? netns_.get() : -1);

    rt_->start(id_);
    started_ = Clock::now();
    rec_ = update_record(p_, [&](json& r) {
        auto& s = r["State"];
        s["Status"] = "running";
        s["Running"] = true;
        s["Paused"] = false;
        s["Restarting"] = false;
        s["Dead"] = false;
        s["Pid"] = init_;
        s["PidStartTime"] = start_time.value_or(0);
        s["ExitCode"] = 0;
        s["Error"] = "";
        s["StartedAt"] = now_rfc3339nano();
        s["MonitorPid"] = ::getpid();
        s["MonitorStartTime"] = process_start_time(::getpid()).value_or(0);
        r["NetworkSettings"]["Ports"] = proxy_ ? proxy_->bound_ports() : json::object();
        r["NetworkSettings"]["SandboxKey"] = netns_ ? "/proc/" + std::to_string(init_) + "/ns/net" : "";
    });
}

void Monitor::adopt_container() {
    auto& s = rec_["State"];
    init_ = s.value("Pid", 0);
    if (!process_alive(init_, s.value("PidStartTime", uint64_t(0))))
        throw Error("container " + id_ + " is not running");
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, init_, 0)));
    if (!pidfd_) throw_errno("pidfd_open " + std::to_string(init_));
    loop_.add(pidfd_.get(), EPOLLIN, [this](uint32_t) {
        // Not our child: the exit status cannot be known.
        exited_ = true;
        exit_code_ = -1;
        loop_.remove(pidfd_.get());
    });
    std::string net = rec_["HostConfig"].value("NetworkMode", "private");
    if (net == "private" || net == "none") netns_ = bundle::open_netns(init_);
    if (proxy_) proxy_->set_target(net == "private" ? netns_.get() : -1);
    started_ = Clock::now();
    rec_ = update_record(p_, [&](json& r) {
        r["State"]["MonitorPid"] = ::getpid();
        r["State"]["MonitorStartTime"] = process_start_time(::getpid()).value_or(0);
        r["NetworkSettings"]["Ports"] = proxy_ ? proxy_->bound_ports() : json::object();
    });
}

void Monitor::wait_for_exit() {
    Clock::time_point exit_seen;
    while (true) {
        bool streams_open = stdout_r_ || stderr_r_ || pty_;
        if (exited_) {
            if (!streams_open) break;
            if (exit_seen == Clock::time_point()) exit_seen = Clock::now();
            // Whatever still holds the streams open (an escaped process) does
            // not keep the exit from being recorded for long.
            if (Clock::now() - exit_seen > std::chrono::seconds(2)) break;
        }
        loop_.run_once(exited_ ? 100 : -1);
    }
}

void Monitor::cleanup_run() {
    for (auto* fd : {&stdout_r_, &stderr_r_, &pty_}) {
        if (*fd) {
            on_output(fd->get(), fd == &stderr_r_ ? "stderr" : "stdout");
            if (*fd) loop_.remove(fd->get());
            fd->reset();
        }
    }
    log_.flush_all();
    stdin_w_.reset();
    if (proxy_) proxy_->set_target(-1);
    netns_.reset();
    pidfd_.reset();
    rt_->remove(id_);
    init_ = 0;
}

bool Monitor::should_restart() {
    auto& pol = rec_["HostConfig"]["RestartPolicy"];
    std::string name = pol.value("Name", "no");
    if (name == "no" || name.empty()) return false;
    if (store::path_exists(p_.stop_marker())) return false;
    if (name == "always" || name == "unless-stopped") return true;
    if (name == "on-failure") {
        int max = pol.value("MaximumRetryCount", 0);
        return exit_code_ != 0 && (max == 0 || rec_.value("RestartCount", 0) < max);
    }
    return false;
}

void Monitor::finish() {
    proxy_.reset();
    ::unlink(Paths::attach_socket);
    if (attach_listener_) loop_.remove(attach_listener_.get());
    attach_listener_.reset();
    if (rec_["HostConfig"].value("AutoRemove", false)) {
        bundle::unmount_rootfs(p_.rootfs());
        auto root = p_.dir.substr(0, p_.dir.rfind("/containers/"));
        if (rec_.contains("AnonymousVolumes"))
            for (auto& v : rec_["AnonymousVolumes"]) store::remove_tree(root + "/volumes/" + v.get<std::string>());
        store::remove_tree(p_.dir);
        return;
    }
    bundle::unmount_rootfs(p_.rootfs());
}

int Monitor::run() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("become the child subreaper");
    if (::chdir(p_.dir.c_str()) < 0) throw_errno("chdir " + p_.dir);
    // A reader may hold the lock for an instant to test it: wait, briefly.
    std::optional<store::FileLock> lock;
    for (int i = 0; i < 200 && !lock; i++) {
        lock = store::FileLock::try_acquire(p_.monitor_lock(), store::FileLock::Mode::Exclusive);
        if (!lock) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!lock) {
        report_ready("ERR 125 the container already has a monitor\n");
        return 1;
    }
    rec_ = read_record(p_);
    id_ = rec_.value("Id", "");
    auto& hc = rec_["HostConfig"];
    rt_ = std::make_unique<Runtime>(hc.value("Runtime", "runc"), hc.value("RuntimeRoot", ""), p_.dir + "/runtime.log");
    tty_ = rec_["Config"].value("Tty", false);
    if (hc.contains("LogConfig") && hc["LogConfig"].contains("Config")) {
        std::vector<std::string> given;
        for (auto& [k, v] : hc["LogConfig"]["Config"].items()) given.push_back(k + "=" + v.get<std::string>());
        try {
            LogOptions lo = parse_log_opts(given);
            log_.set_rotation(lo.max_size, lo.max_file);
        } catch (const Error&) {
            // a record ctr-create did not write: log without rotation
        }
    }
    stdin_once_ = rec_["Config"].value("StdinOnce", false) || !args_.adopt;
    setup_signals();

    attach_listener_ = listen_unix(Paths::attach_socket);
    loop_.add(attach_listener_.get(), EPOLLIN, [this](uint32_t) {
        while (true) {
            UniqueFd c(::accept4(attach_listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!c) return;
            add_client(std::move(c));
        }
    });
    if (args_.attach_fd >= 0) add_client(UniqueFd(args_.attach_fd));

    try {
        std::vector<PortBinding> ports;
        if (hc.value("NetworkMode", "private") == "private" && hc.contains("PortBindings"))
            for (auto& [key, list] : hc["PortBindings"].items())
                for (auto& b : list) {
                    PortBinding pb = parse_exposed(key);
                    pb.host_ip = b.value("HostIp", "");
                    std::string hp = b.value("HostPort", "");
                    pb.host_port = hp.empty() ? 0 : static_cast<uint16_t>(std::stoi(hp));
                    ports.push_back(pb);
                }
        proxy_ = std::make_unique<PortProxy>(loop_, ports);
        if (args_.adopt)
            adopt_container();
        else
            start_container();
    } catch (const std::exception& e) {
        std::string msg = e.what();
        int code = start_failure_code(msg);
        try {
            cleanup_run();
            update_record(p_, [&](json& r) {
                auto& s = r["State"];
                if (s.value("Status", "") != "created") s["Status"] = "exited";
                s["Running"] = false;
                s["Pid"] = 0;
                s["ExitCode"] = code;
                s["Error"] = msg;
                s["MonitorPid"] = 0;
            });
            finish();
        } catch (const std::exception&) {
        }
        std::string one_line = msg;
        for (auto& ch : one_line)
            if (ch == '\n') ch = ' ';
        report_ready("ERR " + std::to_string(code) + " " + one_line + "\n");
        return 1;
    }
    report_ready("OK\n");

    auto backoff = std::chrono::milliseconds(100);
    while (true) {
        wait_for_exit();
        cleanup_run();
        bool restart = should_restart();
        std::string finished = now_rfc3339nano();
        rec_ = update_record(p_, [&](json& r) {
            auto& s = r["State"];
            s["Status"] = restart ? "restarting" : "exited";
            s["Running"] = false;
            s["Restarting"] = restart;
            s["Pid"] = 0;
            s["ExitCode"] = exit_code_;
            s["FinishedAt"] = finished;
            if (exit_code_ == -1) s["Error"] = "exit status unknown: the container ended while its first monitor was gone";
            if (!restart) s["MonitorPid"] = 0;
        });
        if (!restart) break;
        // docker's back-off: 100 ms doubling, reset after a run of 10 s or more.
        if (Clock::now() - started_ >= std::chrono::seconds(10)) backoff = std::chrono::milliseconds(100);
        auto until = Clock::now() + backoff;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(60000));
        while (Clock::now() < until) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
            loop_.run_once(static_cast<int>(std::max<int64_t>(left, 1)));
        }
        if (store::path_exists(p_.stop_marker())) {
            rec_ = update_record(p_, [&](json& r) {
                r["State"]["Status"] = "exited";
                r["State"]["Restarting"] = false;
                r["State"]["MonitorPid"] = 0;
            });
            break;
        }
        try {
            rec_ = update_record(p_, [&](json& r) { r["RestartCount"] = r.value("RestartCount", 0) + 1; });
            args_.adopt = false;
            start_container();
        } catch (const std::exception& e) {
            std::cerr << "restart " << id_ << ": " << e.what() << "\n";
            cleanup_run();
            exit_code_ = start_failure_code(e.what());
            rec_ = update_record(p_, [&](json& r) {
                auto& s = r["State"];
                s["Status"] = "exited";
                s["Restarting"] = false;
                s["ExitCode"] = exit_code_;
                s["Error"] = e.what();
                s["MonitorPid"] = 0;
            });
            break;
        }
    }
    // Clients hear of the exit only once the container is fully cleaned up
    // (removed, with --rm), so what they run next sees the final state.
    finish();
    broadcast(attach::Frame::Exit, std::to_string(exit_code_));
    return 0;
}

}  // namespace

int run_monitor(const MonitorArgs& args) {
    Monitor m(args);
    return m.run();
}

}  // namespace ctr::container

#include "libcommon/sys/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

extern char** environ;

namespace ctr {

namespace {

// posix_spawn's attributes and file actions, destroyed on every path.
struct Attr {
    posix_spawnattr_t a;
    Attr() { posix_spawnattr_init(&a); }
    ~Attr() { posix_spawnattr_destroy(&a); }
};
struct Actions {
    posix_spawn_file_actions_t a;
    Actions() { posix_spawn_file_actions_init(&a); }
    ~Actions() { posix_spawn_file_actions_destroy(&a); }
};

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& opts) {
    if (argv.empty()) throw Error("spawn: no program");
    std::vector<char*> cargv;
    for (auto& s : argv) cargv.push_back(const_cast<char*>(s.c_str()));
    cargv.push_back(nullptr);

    std::vector<char*> envp;
    if (opts.env) {
        for (auto& e : *opts.env) envp.push_back(const_cast<char*>(e.c_str()));
    } else {
        for (char** e = environ; *e; e++) {
            bool drop = false;
            for (auto& name : opts.env_drop)
                drop = drop || (std::strncmp(*e, name.c_str(), name.size()) == 0 && (*e)[name.size()] == '=');
            if (!drop) envp.push_back(*e);
        }
    }
    envp.push_back(nullptr);
    const std::string& program = opts.path.empty() ? argv[0] : opts.path;

    Attr attr;
    sigset_t none, all;
    sigemptyset(&none);
    // Every bit set, not sigfillset(): that leaves out glibc's two internal
    // signals (32, 33), which posix_spawn then leaves ignored in the child,
    // and an ignored signal stays ignored across exec (into a container).
    std::memset(&all, 0xff, sizeof all);
    posix_spawnattr_setsigmask(&attr.a, &none);
    posix_spawnattr_setsigdefault(&attr.a, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (opts.new_session) flags |= POSIX_SPAWN_SETSID;
    posix_spawnattr_setflags(&attr.a, flags);

    // Every descriptor to pass is first copied above the ones it goes to, so
    // that placing one (dup2 onto 0, 1, 2 or a given number) cannot overwrite
    // another before it has been placed. The copies are close-on-exec.
    Actions act;
    std::vector<UniqueFd> copies;
    int lowest_free = 3;
    for (auto& [child, ours] : opts.fds) lowest_free = std::max(lowest_free, child + 1);
    auto place = [&](int ours, int child) {
        if (ours < 0) {
            posix_spawn_file_actions_addopen(&act.a, child, "/dev/null", O_RDWR, 0);
            return;
        }
        UniqueFd copy(::fcntl(ours, F_DUPFD_CLOEXEC, lowest_free));
        if (!copy) throw_errno("spawn " + program + ": copy a descriptor");
        posix_spawn_file_actions_adddup2(&act.a, copy.get(), child);
        copies.push_back(std::move(copy));
    };
    place(opts.in, 0);
    place(opts.out, 1);
    place(opts.err, 2);
    for (auto& [child, ours] : opts.fds) place(ours, child);
    if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&act.a, opts.cwd.c_str());

    pid_t pid;
    int rc = (opts.search_path ? ::posix_spawnp : ::posix_spawn)(&pid, program.c_str(), &act.a, &attr.a,
                                                                  cargv.data(), envp.data());
    if (rc != 0) throw SpawnError("exec " + program + ": " + std::strerror(rc), rc);
    return pid;
}

int wait_exit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for process " + std::to_string(pid));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string exe_dir() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    std::string p(buf, static_cast<size_t>(n));
    return p.substr(0, p.rfind('/'));
}

PipedChild spawn_piped(const std::vector<std::string>& argv, int in) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd out_r(out[0]), out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd err_r(err[0]), err_w(err[1]);
    SpawnOptions so;
    so.in = in;
    so.out = out_w.get();
    so.err = err_w.get();
    PipedChild c;
    c.pid = spawn(argv, so);
    c.out = std::move(out_r);
    c.err = std::move(err_r);
    return c;
}

std::string drain(PipedChild& child, const std::function<void(const char*, size_t)>& on_err) {
    std::string printed;
    struct pollfd fds[2] = {{child.out.get(), POLLIN, 0}, {child.err.get(), POLLIN, 0}};
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll a child's output");
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                fds[i].fd = -1;
                open_fds--;
            } else if (i == 0) {
                printed.append(buf, static_cast<size_t>(n));
            } else {
                on_err(buf, static_cast<size_t>(n));
            }
        }
    }
    return printed;
}

std::string read_until_eof(int fd, size_t keep) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (out.size() < keep) out.append(buf, std::min(static_cast<size_t>(n), keep - out.size()));
    }
    return out;
}

}  // namespace ctr

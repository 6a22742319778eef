// ctr-runtime-probe: a test-only driver for libcommon/runtime's Cgroup and
// SeccompFilter, so the integration tests exercise them for real before (and
// independently of) ctr-run. Not installed; built into build/tests/tools/.
//
//   ctr-runtime-probe cgroup run [HOST] [--systemd] [--detach] CONFIG ID STATE -- CMD...
//       (--systemd runs the build tree's build/libexec/ctr/ctr-run-systemd)
//       for_container(CONFIG, ID); fork CMD blocked; create(child); write
//       describe() to STATE; let CMD run. Waits and exits with CMD's status,
//       or with --detach prints the child's pid and leaves it running.
//       HOST: --fake-v1 DIR | --fake-v2 DIR (a plain tree) | --v2-root DIR (a
//       real cgroup2 directory used as the top of the hierarchy).
//   ctr-runtime-probe cgroup OP STATE [ARG]
//       OP: enter PID | update RESOURCES.json | freeze | thaw | frozen | kill SIG
//           | pids | stats | paths | destroy
//   ctr-runtime-probe seccomp run [--no-nnp] [--agent ERRNO] [--cache DIR] PROFILE -- CMD...
//       compile linux.seccomp from PROFILE; fork; no_new_privs; load; exec CMD.
//       --agent: answer every SCMP_ACT_NOTIFY request with -ERRNO, as a
//       seccomp agent would (the notify fd is taken with pidfd_getfd).
//       --cache: compile through SeccompFilter::compile_cached(DIR).
//   ctr-runtime-probe seccomp compile PROFILE        (exit 0 or the error)
//   ctr-runtime-probe seccomp profile PROFILE [CAP...] (Docker format -> linux.seccomp)
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "libcommon/cli/main.h"
#include "libcommon/runtime/cgroup.h"
#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/runtime/seccomp.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

using nlohmann::json;
using namespace ctr;
using namespace ctr::runtime;

namespace {

json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw_errno("open " + path);
    try {
        return json::parse(in);
    } catch (const json::exception& e) {
        throw Error(path + ": " + e.what());
    }
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out) throw_errno("write " + path);
}

int exit_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for " + std::to_string(pid));
    return exit_status(status);
}

// A child that runs argv once the parent writes a byte to its pipe (or
// exits 127 if the pipe closes first).
struct BlockedChild {
    pid_t pid = -1;
    UniqueFd go;

    BlockedChild(const std::vector<std::string>& argv, bool detach) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
        pid = ::fork();
        if (pid < 0) throw_errno("fork");
        if (pid == 0) {
            ::close(p[1]);
            char c;
            if (::read(p[0], &c, 1) != 1) ::_exit(127);
            if (detach) {
                int null = ::open("/dev/null", O_RDWR);
                ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
                ::setsid();
            }
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execvp(args[0], args.data());
            std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
            ::_exit(127);
        }
        ::close(p[0]);
        go.reset(p[1]);
    }
    void release() {
        char c = 'g';
        if (::write(go.get(), &c, 1) != 1) throw_errno("release the child");
        go.reset();
    }
};

int cgroup_run(std::vector<std::string> args) {
    std::optional<CgroupHost> host;
    bool systemd = false, detach = false;
    std::vector<std::string> pos, cmd;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            cmd.assign(args.begin() + long(i) + 1, args.end());
            break;
        }
        if (a == "--fake-v1" || a == "--fake-v2") host = CgroupHost::fake_tree(args.at(++i), a == "--fake-v2");
        else if (a == "--v2-root") host = CgroupHost::v2_at(args.at(++i));
        else if (a == "--systemd") systemd = true;
        else if (a == "--detach") detach = true;
        else pos.push_back(a);
    }
    if (pos.size() != 3 || cmd.empty()) throw Error("usage: cgroup run [HOST] CONFIG ID STATE -- CMD...");
    json config = read_json(pos[0]);
    auto cg = host ? Cgroup::for_container(config, pos[1], systemd, *host)
                   : Cgroup::for_container(config, pos[1], systemd);
    BlockedChild child(cmd, detach);
    try {
        cg->create(child.pid);
        write_file(pos[2], cg->describe().dump(2) + "\n");
    } catch (...) {
        ::kill(child.pid, SIGKILL);
        wait_child(child.pid);
        throw;
    }
    child.release();
    if (detach) {
        std::cout << child.pid << "\n";
        return 0;
    }
    return wait_child(child.pid);
}

int cgroup_op(const std::vector<std::string>& args) {
    if (args.size() < 2) throw Error("usage: cgroup OP STATE [ARG]");
    const std::string& op = args[0];
    auto cg = Cgroup::from_state(read_json(args[1]));
    auto arg = [&]() -> const std::string& {
        if (args.size() < 3) throw Error(op + ": missing argument");
        return args[2];
    };
    if (op == "enter") cg->enter(pid_t(std::stol(arg())));
    else if (op == "update") cg->update(read_json(arg()));
    else if (op == "freeze") cg->freeze();
    else if (op == "thaw") cg->thaw();
    else if (op == "frozen") std::cout << (cg->frozen() ? "frozen" : "thawed") << "\n";
    else if (op == "kill") cg->kill(std::stoi(arg()));
    else if (op == "pids") {
        for (pid_t p : cg->pids()) std::cout << p << "\n";
    } else if (op == "stats") std::cout << cg->stats().dump() << "\n";
    else if (op == "paths") std::cout << json(cg->paths()).dump() << "\n";
    else if (op == "destroy") cg->destroy();
    else throw Error("unknown cgroup operation " + op);
    return 0;
}

json seccomp_of(const json& doc) {
    // A whole config.json or just its linux.seccomp.
    if (doc.contains("linux")) return doc["linux"].value("seccomp", json());
    return doc;
}

// Answers every notification on fd with -err until the child exits; returns
// the child's exit status.
int run_agent(int fd, int err, pid_t child) {
    for (;;) {
        int status;
        if (::waitpid(child, &status, WNOHANG) == child) return exit_status(status);
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        if (!(p.revents & POLLIN)) return wait_child(child);  // the filter is gone
        seccomp_notif req{};
        if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;  // the caller went away
        seccomp_notif_resp resp{};
        resp.id = req.id;
        resp.error = -err;
        ::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

int seccomp_run(std::vector<std::string> args) {
    bool nnp = true;
    int agent_errno = 0;
    std::string cache;
    std::vector<std::string> pos, cmd;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") {
            cmd.assign(args.begin() + long(i) + 1, args.end());
            break;
        }
        if (args[i] == "--no-nnp") nnp = false;
        else if (args[i] == "--agent") agent_errno = std::stoi(args.at(++i));
        else if (args[i] == "--cache") cache = args.at(++i);
        else pos.push_back(args[i]);
    }
    if (pos.size() != 1 || cmd.empty()) throw Error("usage: seccomp run [--no-nnp] [--agent ERRNO] PROFILE -- CMD...");
    json profile = seccomp_of(read_json(pos[0]));
    SeccompFilter filter = cache.empty() ? SeccompFilter::compile(profile) : SeccompFilter::compile_cached(profile, cache);
    int p[2], ack[2];
    if (::pipe2(p, O_CLOEXEC) < 0 || ::pipe2(ack, O_CLOEXEC) < 0) throw_errno("pipe");
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        ::close(p[0]);
        ::close(ack[1]);
        try {
            if (nnp && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("set no_new_privs");
            if (!nnp) {
                // Without no_new_privs only CAP_SYS_ADMIN may load: drop it to
                // show the kernel's refusal.
                struct {
                    uint32_t version = 0x20080522, pid = 0;
                } hdr;
                uint32_t data[6] = {};
                ::syscall(SYS_capget, &hdr, data);
                data[0] &= ~(1u << 21), data[1] &= ~(1u << 21);
                if (::syscall(SYS_capset, &hdr, data) < 0) throw_errno("drop CAP_SYS_ADMIN");
            }
            int fd = filter.load();
            // Tell the parent the notify fd's number (or -1), then wait until
            // it has taken the fd: the listener is close-on-exec.
            if (::write(p[1], &fd, sizeof fd) != sizeof fd) ::_exit(126);
            ::close(p[1]);
            char c;
            if (fd >= 0 && ::read(ack[0], &c, 1) < 0) ::_exit(126);  // EOF: go on
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ctr-runtime-probe: %s\n", e.what());
            ::_exit(125);
        }
        std::vector<char*> argv;
        for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(p[1]);
    ::close(ack[0]);
    UniqueFd release(ack[1]);
    int child_fd = -1;
    ssize_t n = ::read(p[0], &child_fd, sizeof child_fd);
    ::close(p[0]);
    if (n == sizeof child_fd && child_fd >= 0) {
        UniqueFd pidfd(int(::syscall(SYS_pidfd_open, pid, 0)));
        if (!pidfd) throw_errno("pidfd_open");
        UniqueFd notify(int(::syscall(SYS_pidfd_getfd, pidfd.get(), child_fd, 0)));
        if (!notify) throw_errno("pidfd_getfd");
        release.reset();  // the child may exec now
        std::cerr << "ctr-runtime-probe: got the notify fd\n";
        return run_agent(notify.get(), agent_errno ? agent_errno : EPERM, pid);
    }
    return wait_child(pid);
}

int probe_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() >= 1 && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << "Usage: ctr-runtime-probe cgroup|seccomp ... (see the source's header)\n";
        return 0;
    }
    if (args.size() < 2) throw Error("usage: ctr-runtime-probe cgroup|seccomp ...");
    std::string what = args[0], op = args[1];
    std::vector<std::string> rest(args.begin() + 2, args.end());
    // --systemd: the build tree's helper, seen from build/tests/tools/.
    set_systemd_helper(exe_dir() + "/../../libexec/ctr/ctr-run-systemd");
    if (what == "cgroup" && op == "run") return cgroup_run(rest);
    if (what == "cgroup") {
        rest.insert(rest.begin(), op);
        return cgroup_op(rest);
    }
    if (what == "seccomp" && op == "run") return seccomp_run(rest);
    if (what == "seccomp" && op == "compile") {
        if (rest.size() != 1) throw Error("usage: seccomp compile PROFILE");
        SeccompFilter f = SeccompFilter::compile(seccomp_of(read_json(rest[0])));
        std::cout << "ok flags=" << f.flags() << (f.uses_notify() ? " notify" : "") << "\n";
        return 0;
    }
    if (what == "seccomp" && op == "profile") {
        if (rest.empty()) throw Error("usage: seccomp profile PROFILE [CAP...]");
        std::vector<std::string> caps(rest.begin() + 1, rest.end());
        std::cout << seccomp_profile_for(read_json(rest[0]), caps).dump(2) << "\n";
        return 0;
    }
    throw Error("unknown command " + what + " " + op);
}

}  // namespace

int main(int argc, char** argv) {
    return ctr::run_main("ctr-runtime-probe", [&] { return probe_main(argc, argv); });
}

#include "libcommon/runtime/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "libcommon/runtime/cgroup.h"
#include "libcommon/runtime/channel.h"
#include "libcommon/runtime/config.h"
#include "libcommon/runtime/foreground.h"
#include "libcommon/runtime/hooks.h"
#include "libcommon/runtime/init.h"
#include "libcommon/runtime/log.h"
#include "libcommon/runtime/proc.h"
#include "libcommon/runtime/seccomp.h"
#include "libcommon/runtime/state.h"
#include "libcommon/runtime/terminal.h"
#include "libcommon/runtime/userns.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/text.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

using nlohmann::json;

namespace ctr::runtime {

namespace {

// Queues a just-cloned child on another CPU than ours, then gives it back our
// CPU mask. A new task is queued on its parent's CPU, and we go on working
// there (making the container's cgroup), so the init would wait for a load
// balancer tick (up to several ms) before it starts its own set-up in
// parallel. The mask it ends with is the one it inherited, so nothing
// changes for the container; any error just leaves it where it was.
void start_elsewhere(pid_t pid) {
    cpu_set_t all, other;
    if (sched_getaffinity(0, sizeof all, &all) < 0) return;
    int here = sched_getcpu();
    CPU_ZERO(&other);
    for (int i = 0; i < CPU_SETSIZE; ++i)
        if (i != here && CPU_ISSET(i, &all)) {
            CPU_SET(i, &other);
            break;
        }
    if (CPU_COUNT(&other) == 0) return;
    sched_setaffinity(pid, sizeof other, &other);
    sched_setaffinity(pid, sizeof all, &all);
}

pid_t raw_clone(unsigned long flags) {
    return static_cast<pid_t>(syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
}

// Checks what can be checked before anything is started.
void validate(const Config& c, const CreateOptions& o, bool foreground) {
    if (!c.ns(CLONE_NEWNS)) throw Error("config.json: linux.namespaces: a mount namespace is required");
    if ((c.hostname || c.domainname) && !c.ns(CLONE_NEWUTS))
        throw Error("config.json: hostname: setting it needs a new UTS namespace");
    if (c.process.terminal && o.console_socket.empty() && !foreground)
        throw Error("cannot allocate tty if ctr-run will detach without setting console socket");
    if (!c.process.terminal && !o.console_socket.empty())
        throw Error("cannot use console socket if ctr-run will not detach or allocate tty");
    for (const auto& [key, value] : c.sysctl) {
        auto starts = [&](const char* p) { return key.rfind(p, 0) == 0; };
        const Namespace* need = nullptr;
        if (starts("kernel.msg") || starts("kernel.sem") || starts("kernel.shm") || starts("fs.mqueue."))
            need = c.ns(CLONE_NEWIPC);
        else if (starts("net."))
            need = c.ns(CLONE_NEWNET);
        else if (key == "kernel.hostname" || key == "kernel.domainname")
            need = c.ns(CLONE_NEWUTS);
        else
            throw Error("config.json: linux.sysctl: " + key + " is not in a separate kernel namespace");
        if (!need) throw Error("config.json: linux.sysctl: " + key + " needs its own namespace in the container");
    }
}

// The container's init, started in its namespaces. The fast path (nothing
// joined, no time namespace) is one clone(2) with every CLONE_NEW* flag; the
// general path goes through a short-lived middle process that joins the
// namespaces given by path, makes the rest, and clones the init with
// CLONE_PARENT, so the init is still our child.
pid_t spawn_init(const Config& c, const InitContext& ctx, Channel& mine, Channel& theirs) {
    const Namespace* userns = c.ns(CLONE_NEWUSER);
    unsigned long flags = static_cast<unsigned long>(c.new_ns_flags()) & ~static_cast<unsigned long>(CLONE_NEWCGROUP | CLONE_NEWTIME);
    if (!c.joins_namespaces() && !c.ns(CLONE_NEWTIME)) {
        pid_t pid = raw_clone(flags | SIGCHLD);
        if (pid < 0) throw_errno("clone the container's init");
        if (pid == 0) {
            mine.close();
            container_init(ctx);
        }
        start_elsewhere(pid);  // while we make its cgroup
        if (userns) write_id_mappings(pid, c.uid_mappings, c.gid_mappings);
        return pid;
    }

    pid_t mid = raw_clone(SIGCHLD);
    if (mid < 0) throw_errno("clone");
    if (mid == 0) {
        mine.close();
        try {
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            std::vector<std::pair<int, UniqueFd>> fds;
            for (const auto& n : c.namespaces) {
                if (n.path.empty()) continue;
                UniqueFd f(open(n.path.c_str(), O_RDONLY | O_CLOEXEC));
                if (!f) throw_errno("open namespace " + n.path);
                fds.emplace_back(n.flag, std::move(f));
            }
            // Others first, while we are still privileged on the host; the user namespace last.
            for (int pass = 0; pass < 2; ++pass)
                for (auto& [flag, f] : fds)
                    if ((flag == CLONE_NEWUSER) == (pass == 1) && setns(f.get(), flag) < 0)
                        throw_errno("join namespace " + std::to_string(flag));
            if (userns && userns->path.empty()) {
                if (unshare(CLONE_NEWUSER) < 0) throw_errno("unshare the user namespace");
                theirs.send("maps");
                theirs.expect("maps-done", "wait for the id mappings");
            }
            if (unshare(static_cast<int>(flags & ~static_cast<unsigned long>(CLONE_NEWUSER | CLONE_NEWPID))) < 0)
                throw_errno("unshare the namespaces");
            const Namespace* timens = c.ns(CLONE_NEWTIME);
            if (timens && timens->path.empty()) {
                if (unshare(CLONE_NEWTIME) < 0) throw_errno("unshare the time namespace");
                std::string offs;
                for (const auto& [clock, v] : c.time_offsets)
                    offs += clock + " " + std::to_string(v.first) + " " + std::to_string(v.second) + "\n";
                if (!offs.empty()) {
                    UniqueFd f(open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
                    if (!f || write(f.get(), offs.data(), offs.size()) < 0) throw_errno("write timens_offsets");
                }
            }
            pid_t pid = raw_clone(CLONE_PARENT | (flags & CLONE_NEWPID) | SIGCHLD);
            if (pid < 0) throw_errno("clone the container's init");
            if (pid == 0) container_init(ctx);
            theirs.send("pid", std::to_string(pid));
        } catch (const std::exception& e) {
            theirs.send_noexcept("error", e.what());
        }
        _exit(0);
    }
    pid_t pid = 0;
    try {
        while (!pid) {
            Message m = mine.receive();
            if (m.verb == "maps") {
                write_id_mappings(mid, c.uid_mappings, c.gid_mappings);
                mine.send("maps-done");
            } else if (m.verb == "pid") {
                pid = static_cast<pid_t>(std::stol(m.text));
            } else if (m.verb == "error") {
                throw Error(m.text);
            } else {
                throw Error("set up the namespaces: the helper process exited");
            }
        }
    } catch (...) {
        ::kill(mid, SIGKILL);
        waitpid(mid, nullptr, 0);
        throw;
    }
    waitpid(mid, nullptr, 0);
    return pid;
}

void write_pid_file(const std::string& path, pid_t pid) {
    auto slash = path.rfind('/');
    std::string dir = path.substr(0, slash), base = path.substr(slash + 1);
    std::string tmp = dir + "/." + base;
    UniqueFd f(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (!f) throw_errno("write the pid file " + tmp);
    std::string text = std::to_string(pid);
    if (write(f.get(), text.data(), text.size()) < 0) throw_errno("write the pid file " + tmp);
    f.reset();
    if (rename(tmp.c_str(), path.c_str()) < 0) {
        unlink(tmp.c_str());
        throw_errno("rename the pid file to " + path);
    }
}

UniqueFd listen_start_socket(const ContainerDir& dir) {
    UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::string name = "/proc/self/fd/" + std::to_string(dir.fd()) + "/start.sock";
    std::memcpy(addr.sun_path, name.c_str(), name.size());
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw_errno("bind " + dir.path() + "/start.sock");
    if (listen(s.get(), 4) < 0) throw_errno("listen on " + dir.path() + "/start.sock");
    return s;
}

// The container's cgroup, or nullptr when ctr-run runs rootless and may
// not write the cgroup: then, as runc, the container stays in the caller's
// cgroup if it asks for no limits (device rules don't count: in its user
// namespace it can't make device nodes anyway), and create fails naming the
// cgroup and the limits if it does.
std::unique_ptr<Cgroup> container_cgroup(const Globals& g, const Config& c, const std::string& id,
                                         const CgroupHost& host) {
    auto cg = Cgroup::for_container(c.raw, id, g.systemd_cgroup, host);
    if (!is_rootless(g.rootless) || g.systemd_cgroup) return cg;
    std::string where = unwritable_cgroup(cg->paths());
    if (where.empty()) return cg;
    std::string limits;
    if (c.raw.contains("linux") && c.raw["linux"].is_object() && c.raw["linux"].contains("resources") &&
        c.raw["linux"]["resources"].is_object())
        for (const auto& [key, value] : c.raw["linux"]["resources"].items())
            if (key != "devices" && !value.is_null() && !value.empty()) limits += (limits.empty() ? "" : ", ") + key;
    if (limits.empty()) {
        log::debug("rootless: no cgroup (" + where + " is not writable), no limits asked");
        return nullptr;
    }
    throw Error("config.json: linux.resources: ctr-run runs rootless (uid " + std::to_string(geteuid()) +
                ") and may not write the cgroup " + where + ", so it can't apply these limits: " + limits +
                " (remove them, or give the user a delegated cgroup)");
}

// linux.seccomp compiled in the runtime (cached under the state root), or nothing.
std::optional<SeccompFilter> container_seccomp(const Globals& g, const Config& c) {
    if (!c.raw.contains("linux") || !c.raw["linux"].contains("seccomp") || c.raw["linux"]["seccomp"].is_null())
        return std::nullopt;
    // '@' can't appear in a container id, so the cache never shadows a container.
    return SeccompFilter::compile_cached(c.raw["linux"]["seccomp"], g.root + "/@seccomp-cache");
}

// The state's owner: uid's name in /etc/passwd, read with fgetpwent (no NSS:
// this static binary must load no shared object), else runc's "#UID".
std::string owner_name(uid_t uid) {
    std::string name = "#" + std::to_string(uid);
    FILE* f = std::fopen("/etc/passwd", "re");
    if (!f) return name;
    while (struct passwd* pw = ::fgetpwent(f)) {
        if (pw->pw_uid == uid) {
            name = pw->pw_name;
            break;
        }
    }
    std::fclose(f);
    return name;
}

// Kills what is left in a container's cgroup and removes it; never throws.
void destroy_cgroup(Cgroup& cg) noexcept {
    try {
        if (!cg.pids().empty()) cg.kill(SIGKILL);
        cg.destroy();
    } catch (const std::exception& e) {
        log::warn(std::string("remove the cgroup: ") + e.what());
    }
}

// SCMP_ACT_NOTIFY: takes the listener fd (number fd_text in the process behind
// pidfd) and sends it, with the container process state, to listenerPath.
void hand_over_seccomp_listener(int pidfd, const std::string& fd_text, const SeccompFilter& filter,
                                const std::string& state) {
    int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, std::stoi(fd_text), 0));
    if (fd < 0) throw_errno("take the seccomp listener from the container");
    UniqueFd listener(fd);
    if (filter.listener_path().empty()) return;
    json st = json::parse(state);
    json msg = {{"ociVersion", "1.0.2"}, {"fds", {"seccompFd"}}, {"pid", st["pid"]}, {"state", st}};
    UniqueFd sock = connect_unix(filter.listener_path());
    send_fd(sock.get(), listener.get(), msg.dump());
}

// A container being created: everything up to "created", shared by create and run.
struct Launch {
    Config config;
    ContainerDir dir;
    ContainerState st;
    Channel chan;
    pid_t pid = 0;
    UniqueFd pidfd;
    UniqueFd console_peer;  // run in the foreground with a terminal: our end
    UniqueFd master;        // ... and the pty master received on it
    std::unique_ptr<Cgroup> cgroup;
    std::optional<SeccompFilter> seccomp;
};

void launch(const Globals& g, const CreateOptions& o, bool run_mode, Launch& L) {
    std::string text = read_text(o.bundle + "/config.json");
    L.config = parse_config(text, o.bundle);
    const Config& c = L.config;
    for (const auto& w : c.warnings) log::warn(w);
    log::debug("config " + o.bundle + "/config.json: rootfs " + c.root_path + ", " +
               std::to_string(c.mounts.size()) + " mounts, " + std::to_string(c.namespaces.size()) + " namespaces");
    bool foreground = run_mode && !o.detach;
    validate(c, o, foreground);
    // Both check their part of the config before anything exists.
    CgroupHost host = CgroupHost::detect();
    L.cgroup = container_cgroup(g, c, o.id, host);
    L.seccomp = container_seccomp(g, c);

    StateRoot root(g.root);
    L.dir = ContainerDir::create(root, o.id);
    try {
        InitContext ctx;
        ctx.config = &c;
        ctx.id = o.id;
        ctx.bundle = o.bundle;
        ctx.preserve_fds = o.preserve_fds;
        ctx.no_pivot = o.no_pivot;
        ctx.no_new_keyring = o.no_new_keyring;
        if (L.seccomp) ctx.seccomp = &*L.seccomp;
        ctx.cgroup_mounts = &host.mounts;
        if (const char* lf = getenv("LISTEN_FDS")) {
            int n = atoi(lf);
            if (n > 0) {
                ctx.preserve_fds += n;
                ctx.extra_env = {"LISTEN_FDS=" + std::to_string(n), "LISTEN_PID=1"};
            }
        }
        UniqueFd console, listen, dmz(make_dmz_memfd());
        ctx.dmz_fd = dmz.get();
        if (c.process.terminal) {
            if (!o.console_socket.empty()) {
                console = connect_unix(o.console_socket);
            } else {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
                L.console_peer.reset(sv[0]);
                console.reset(sv[1]);
            }
            ctx.console_fd = console.get();
        }
        if (!run_mode) {
            listen = listen_start_socket(L.dir);
            ctx.start_listen_fd = listen.get();
        }
        auto [mine, theirs] = Channel::pair();
        ctx.channel = &theirs;
        L.pid = spawn_init(c, ctx, mine, theirs);
        log::debug("init started: host pid " + std::to_string(L.pid));
        L.chan = std::move(mine);
        L.pidfd.reset(open_pidfd(L.pid));
        theirs.close();
        console.reset();
        listen.reset();

        // The init sets up its mounts while we make its cgroup.
        L.chan.send("go", std::to_string(L.pid));
        if (L.cgroup) {
            // Recorded before it exists: a create killed now leaves a record
            // delete can act on (removing a cgroup that isn't there is fine).
            L.st.cgroup = L.cgroup->describe();
            log::debug("cgroup: " + L.st.cgroup.dump());
            L.dir.save_json("cgroup.json", L.st.cgroup);
            L.cgroup->create(L.pid);
        }
        L.chan.send("cgroup-done");

        L.st.id = o.id;
        L.st.pid = L.pid;
        L.st.bundle = o.bundle;
        L.st.rootfs = c.root_path;
        L.st.created = rfc3339_now();
        L.st.annotations = c.annotations;
        L.st.config = c.raw;
        L.st.systemd_cgroup = g.systemd_cgroup;
        L.st.rootless = g.rootless;
        L.st.owner = owner_name(geteuid());
        auto ps = read_proc_stat(L.pid);
        if (!ps) throw Error("the container's init exited during setup");
        L.st.start_time = ps->start_time;
        struct stat exe;
        if (stat("/proc/self/exe", &exe) < 0) throw_errno("stat /proc/self/exe");
        L.st.exe_dev = exe.st_dev;
        L.st.exe_ino = exe.st_ino;
        // Written while the init sets up; committed (renamed) once it is ready.
        L.dir.stage(L.st);
        for (;;) {
            Message m = L.chan.receive();
            if (m.verb != "error") log::debug("init: " + m.verb);
            if (m.verb == "ready") break;
            if (m.verb == "hooks") {
                std::string s = hook_state(o.id, "creating", L.pid, o.bundle, c.annotations);
                run_hooks(c.hooks.prestart, "prestart", s);
                run_hooks(c.hooks.create_runtime, "createRuntime", s);
                L.chan.send("hooks-done");
            } else if (m.verb == "seccomp") {
                hand_over_seccomp_listener(L.pidfd.get(), m.text, *L.seccomp,
                                           hook_state(o.id, "creating", L.pid, o.bundle, c.annotations));
                L.chan.send("seccomp-done");
            } else if (m.verb == "error") {
                throw Error(m.text);
            } else {
                throw Error("the container's init exited during setup");
            }
        }
        if (L.console_peer) {
            L.master = receive_fd(L.console_peer.get());
            // Our terminal's size before the program starts, as runc does.
            copy_size(STDIN_FILENO, L.master.get());
        }
        L.dir.commit_staged();
        L.chan.send("commit");
        // `run` stays until the init has exec'd: it goes on at once and
        // passes "committed" by on its way (see run()).
        if (!run_mode) L.chan.expect("committed", "commit the container");
    } catch (...) {
        if (L.pid > 0) {
            ::kill(L.pid, SIGKILL);
            waitpid(L.pid, nullptr, 0);
        }
        if (L.cgroup) destroy_cgroup(*L.cgroup);
        L.dir.remove();
        throw;
    }
}

void wait_dead(int pidfd, pid_t pid, uint64_t start_time) {
    for (int i = 0; i < 100 && process_matches(pid, start_time); ++i) {
        struct pollfd p = {pidfd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) break;
    }
}

// Sends sig to pid only if it is still the process that started at start_time.
bool signal_init(pid_t pid, uint64_t start_time, int sig, UniqueFd* keep = nullptr) {
    UniqueFd pidfd(open_pidfd(pid));
    if (!pidfd || !process_matches(pid, start_time)) return false;
    if (syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) < 0) {
        if (errno == ESRCH) return false;
        throw_errno("signal the container's init");
    }
    if (keep) *keep = std::move(pidfd);
    return true;
}

// A task frozen by the v1 freezer dies of SIGKILL only once thawed: after
// killing a paused container, thaw its cgroup (runc does the same).
void thaw_if_frozen(const ContainerState& st) noexcept {
    if (st.cgroup.is_null()) return;
    try {
        auto cg = Cgroup::from_state(st.cgroup);
        if (cg->frozen()) cg->thaw();
    } catch (const std::exception& e) {
        log::warn(std::string("thaw the killed container: ") + e.what());
    }
}

// Every process sharing the init's pid namespace (when it isn't ours).
std::vector<pid_t> namespace_members(pid_t init) {
    std::vector<pid_t> out;
    struct stat mine, theirs;
    std::string ns = "/proc/" + std::to_string(init) + "/ns/pid";
    if (stat("/proc/self/ns/pid", &mine) < 0 || stat(ns.c_str(), &theirs) < 0 || mine.st_ino == theirs.st_ino)
        return out;
    DIR* d = opendir("/proc");
    if (!d) return out;
    while (struct dirent* e = readdir(d)) {
        pid_t p = atoi(e->d_name);
        if (p <= 0) continue;
        struct stat s;
        std::string path = std::string("/proc/") + e->d_name + "/ns/pid";
        if (stat(path.c_str(), &s) == 0 && s.st_ino == theirs.st_ino && s.st_dev == theirs.st_dev) out.push_back(p);
    }
    closedir(d);
    return out;
}

// True when the saved config has hooks of this kind: most have none, and
// then its config need not be parsed again.
bool has_hooks(const json& config, const char* kind) {
    if (!config.is_object()) return false;
    auto h = config.find("hooks");
    if (h == config.end() || !h->is_object()) return false;
    auto k = h->find(kind);
    return k != h->end() && !(k->is_array() && k->empty()) && !k->is_null();
}

void destroy(ContainerDir& dir, const std::optional<ContainerState>& st) {
    if (st && has_hooks(st->config, "poststop")) {
        try {
            Config c = parse_config(st->config.dump(), st->bundle);
            if (!c.hooks.poststop.empty()) {
                try {
                    run_hooks(c.hooks.poststop, "poststop",
                              hook_state(st->id, "stopped", st->pid, st->bundle, st->annotations));
                } catch (const std::exception& e) {
                    log::warn(e.what());
                }
            }
        } catch (const std::exception& e) {
            log::warn(std::string("reading the saved config: ") + e.what());
        }
    }
    json cgroup = st ? st->cgroup : dir.load_json("cgroup.json");
    if (!cgroup.is_null()) {
        try {
            destroy_cgroup(*Cgroup::from_state(cgroup));
        } catch (const std::exception& e) {
            log::warn(std::string("reopen the cgroup: ") + e.what());
        }
    }
    dir.remove();
}

void run_poststart(const ContainerState& st) {
    if (!has_hooks(st.config, "poststart")) return;
    try {
        Config c = parse_config(st.config.dump(), st.bundle);
        if (c.hooks.poststart.empty()) return;
        run_hooks(c.hooks.poststart, "poststart", hook_state(st.id, "running", st.pid, st.bundle, st.annotations));
    } catch (const std::exception& e) {
        log::warn(e.what());
    }
}


}  // namespace

void create(const Globals& g, const CreateOptions& o) {
    Launch L;
    launch(g, o, false, L);
    if (!o.pid_file.empty()) write_pid_file(o.pid_file, L.pid);
}

void start(const Globals& g, const std::string& id) {
    ContainerDir dir = ContainerDir::open(StateRoot(g.root), id);
    dir.lock();
    std::optional<ContainerState> st;
    if (dir.has_state()) st = dir.load();
    Status s = dir.status(st);
    if (s == Status::Stopped) throw Error("cannot start a container that has stopped");
    if (s == Status::Running) throw Error("cannot start an already running container");
    if (s != Status::Created) throw Error("cannot start a container in the " + status_name(s) + " state");
    UniqueFd conn;
    try {
        conn = connect_unix(dir.path() + "/start.sock");
    } catch (const Error&) {
        throw Error("cannot start container " + id + ": its init is not waiting any more");
    }
    unlinkat(dir.fd(), "start.sock", 0);
    // The init closes the connection when it execs (CLOEXEC); anything
    // written before that is why it could not.
    std::string why;
    char buf[4096];
    ssize_t n;
    while ((n = read(conn.get(), buf, sizeof buf)) > 0) why.append(buf, static_cast<size_t>(n));
    if (!why.empty()) throw Error(why);
    run_poststart(*st);
}

int run(const Globals& g, const CreateOptions& o) {
    std::optional<Foreground> fg;
    if (!o.detach) fg.emplace();
    Launch L;
    launch(g, o, true, L);
    L.chan.send("start");
    Message m = L.chan.receive();
    if (m.verb == "committed") m = L.chan.receive();
    if (m.verb == "error") {
        waitpid(L.pid, nullptr, 0);
        if (L.cgroup) destroy_cgroup(*L.cgroup);
        L.dir.remove();
        throw Error(m.text);
    }
    L.chan.close();
    L.dir.unlock();
    run_poststart(L.st);
    if (!o.pid_file.empty()) write_pid_file(o.pid_file, L.pid);
    if (!fg) return 0;
    int code = fg->wait(L.pid, L.pidfd.get(), L.master ? L.master.get() : -1);
    if (!o.keep) {
        L.dir.lock();
        destroy(L.dir, L.st);
    }
    return code;
}

namespace {

// The exec'd process as a config.json "process" object.
json exec_process_json(const json& config, const ExecOptions& o) {
    if (!o.process_file.empty()) {
        std::string text = read_text(o.process_file);
        try {
            return json::parse(text);
        } catch (const json::exception& e) {
            throw Error(o.process_file + ": not JSON: " + e.what());
        }
    }
    // The container's process with the command line over it; its consoleSize
    // stays, as runc keeps it.
    json p = config.value("process", json::object());
    if (o.args.empty()) throw Error("exec: a command is needed (or --process)");
    p["args"] = o.args;
    p["terminal"] = o.tty;
    for (const auto& e : o.env) p["env"].push_back(e);
    if (!o.cwd.empty()) p["cwd"] = o.cwd;
    if (!o.user.empty()) {
        auto colon = o.user.find(':');
        auto number = [&](const std::string& s) {
            if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
                throw Error("--user: \"" + o.user + "\" is not UID[:GID] (numbers)");
            return std::stoul(s);
        };
        p["user"]["uid"] = number(o.user.substr(0, colon));
        p["user"]["gid"] = colon == std::string::npos ? 0 : number(o.user.substr(colon + 1));
    }
    for (uint32_t gid : o.additional_gids) p["user"]["additionalGids"].push_back(gid);
    for (const auto& cap : o.caps)
        for (const char* set : {"bounding", "effective", "permitted", "ambient"}) p["capabilities"][set].push_back(cap);
    if (o.no_new_privs) p["noNewPrivileges"] = true;
    return p;
}

}  // namespace

int exec(const Globals& g, const ExecOptions& o) {
    ContainerDir dir = ContainerDir::open(StateRoot(g.root), o.id);
    std::optional<ContainerState> st;
    if (dir.has_state()) st = dir.load();
    Status s = dir.status(st);
    if (s == Status::Stopped) throw Error("cannot exec in a stopped container");
    if (s == Status::Paused) throw Error("cannot exec in a paused container");
    if (s == Status::Creating) throw Error("cannot exec in a container that is being created");
    json raw = st->config;
    raw["process"] = exec_process_json(st->config, o);
    Config c = parse_config(raw.dump(), st->bundle);
    if (c.process.terminal && o.console_socket.empty() && o.detach)
        throw Error("cannot allocate tty if ctr-run will detach without setting console socket");
    if (!c.process.terminal && !o.console_socket.empty())
        throw Error("cannot use console socket if ctr-run will not detach or allocate tty");
    // Relaying the pty ourselves: it is opened with our terminal's size, so
    // the program never sees 0x0 (a resize after it started would be late).
    if (c.process.terminal && o.console_socket.empty())
        if (auto size = terminal_size(STDIN_FILENO)) c.process.console_size = size;
    std::optional<SeccompFilter> seccomp = container_seccomp(g, c);
    std::unique_ptr<Cgroup> cgroup;
    if (!st->cgroup.is_null()) cgroup = Cgroup::from_state(st->cgroup);

    // The init's namespaces, opened while we know it is the init.
    std::vector<UniqueFd> ns_fds;
    ExecContext ctx;
    struct stat own_user;
    if (stat("/proc/self/ns/user", &own_user) < 0) throw_errno("stat /proc/self/ns/user");
    static const std::pair<int, const char*> kinds[] = {
        {CLONE_NEWUSER, "user"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"},       {CLONE_NEWNET, "net"},
        {CLONE_NEWPID, "pid"},   {CLONE_NEWNS, "mnt"},  {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"}};
    for (const auto& [flag, name] : kinds) {
        if (!c.ns(flag)) continue;
        std::string path = "/proc/" + std::to_string(st->pid) + "/ns/" + name;
        UniqueFd f(open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!f) throw_errno("open " + path);
        struct stat fs;
        if (flag == CLONE_NEWUSER && fstat(f.get(), &fs) == 0 && fs.st_ino == own_user.st_ino &&
            fs.st_dev == own_user.st_dev)
            continue;  // our own user namespace: setns would refuse it
        ctx.namespaces.emplace_back(flag, f.get());
        ns_fds.push_back(std::move(f));
    }
    if (!process_matches(st->pid, st->start_time)) throw Error("cannot exec in a stopped container");

    std::optional<Foreground> fg;
    if (!o.detach) fg.emplace();
    UniqueFd console, console_peer, dmz(make_dmz_memfd());
    if (c.process.terminal) {
        if (!o.console_socket.empty()) {
            console = connect_unix(o.console_socket);
        } else {
            int sv[2];
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
            console_peer.reset(sv[0]);
            console.reset(sv[1]);
        }
    }
    ctx.config = &c;
    ctx.console_fd = console ? console.get() : -1;
    ctx.dmz_fd = dmz.get();
    ctx.preserve_fds = o.preserve_fds;
    if (seccomp) ctx.seccomp = &*seccomp;
    auto [mine, theirs] = Channel::pair();
    ctx.channel = &theirs;
    pid_t joiner = raw_clone(SIGCHLD);
    if (joiner < 0) throw_errno("clone");
    if (joiner == 0) {
        mine.close();
        exec_joiner(ctx);
    }
    theirs.close();
    console.reset();
    ns_fds.clear();
    pid_t pid = 0;
    try {
        Message m = mine.receive();
        if (m.verb == "error") throw Error(m.text);
        if (m.verb != "pid") throw Error("exec: the process that joins the container's namespaces died");
        pid = static_cast<pid_t>(std::stol(m.text));
    } catch (...) {
        ::kill(joiner, SIGKILL);
        waitpid(joiner, nullptr, 0);
        throw;
    }
    waitpid(joiner, nullptr, 0);
    UniqueFd pidfd(open_pidfd(pid));
    UniqueFd master;
    try {
        if (cgroup) cgroup->enter(pid);
        mine.send("go");
        for (;;) {
            Message m = mine.receive();
            if (m.verb == "eof") break;  // the channel closed on exec
            if (m.verb == "seccomp") {
                hand_over_seccomp_listener(pidfd.get(), m.text, *seccomp,
                                           hook_state(o.id, "running", st->pid, st->bundle, st->annotations));
                mine.send("seccomp-done");
            } else if (m.verb == "error") {
                throw Error(m.text);
            }
        }
        if (console_peer) master = receive_fd(console_peer.get());
    } catch (...) {
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        throw;
    }
    if (!o.pid_file.empty()) write_pid_file(o.pid_file, pid);
    if (!fg) return 0;
    return fg->wait(pid, pidfd.get(), master ? master.get() : -1);
}

void kill(const Globals& g, const std::string& id, int sig, bool all) {
    ContainerDir dir = ContainerDir::open(StateRoot(g.root), id);
    std::optional<ContainerState> st;
    if (dir.has_state()) st = dir.load();
    Status s = dir.status(st);
    if (s == Status::Stopped || s == Status::Creating) throw Error("container not running");
    if (all && !st->cgroup.is_null() && process_matches(st->pid, st->start_time)) {
        Cgroup::from_state(st->cgroup)->kill(sig);
    } else {
        if (all)
            for (pid_t p : namespace_members(st->pid))
                if (p != st->pid) ::kill(p, sig);
        if (!signal_init(st->pid, st->start_time, sig)) throw Error("container not running");
    }
    if (sig == SIGKILL && s == Status::Paused) thaw_if_frozen(*st);
}

void remove(const Globals& g, const std::string& id, bool force) {
    std::optional<ContainerDir> dir;
    try {
        dir = ContainerDir::open(StateRoot(g.root), id);
    } catch (const Error&) {
        if (force) return;
        throw;
    }
    dir->lock();
    std::optional<ContainerState> st;
    if (dir->has_state()) st = dir->load();
    Status s = dir->status(st);
    if (s == Status::Running || s == Status::Paused) {
        if (!force) throw Error("cannot delete container " + id + " that is not stopped: " + status_name(s));
    }
    if (s != Status::Stopped && st) {
        for (pid_t p : namespace_members(st->pid))
            if (p != st->pid) ::kill(p, SIGKILL);
        UniqueFd pidfd;
        bool signalled = signal_init(st->pid, st->start_time, SIGKILL, &pidfd);
        if (s == Status::Paused) thaw_if_frozen(*st);
        if (signalled) wait_dead(pidfd.get(), st->pid, st->start_time);
    }
    destroy(*dir, st);
}

json state(const Globals& g, const std::string& id) {
    ContainerDir dir = ContainerDir::open(StateRoot(g.root), id);
    std::optional<ContainerState> st;
    if (dir.has_state()) st = dir.load();
    ContainerState empty;
    return oci_state(st ? *st : empty, dir.status(st), id);
}

std::vector<json> list(const Globals& g) {
    std::vector<json> out;
    StateRoot root(g.root);
    for (const auto& id : root.ids()) {
        try {
            out.push_back(state(g, id));
        } catch (const Error& e) {
            log::warn("list: " + id + ": " + e.what());
        }
    }
    return out;
}

}  // namespace ctr::runtime

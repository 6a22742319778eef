#include "libcommon/container/start.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/container/create.h"
#include "libcommon/container/record.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr::container {

using json = nlohmann::json;

namespace {

// Starts `ctr-start --monitor DIR` in a new session (posix_spawn, no fork:
// see sys/spawn.h): the monitor belongs to no shell and no terminal, and is
// left to init when this command exits. Returns the read end of the pipe it
// reports on.
UniqueFd launch_monitor(const std::string& dir, int attach_fd, bool adopt) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd ready_r(ready[0]), ready_w(ready[1]);
    UniqueFd log(::open((dir + "/monitor.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    std::string self = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "/proc/self/exe";
    // Fixed descriptors 3 and 4 for the report pipe and the attach client.
    std::vector<std::string> args = {self, "--monitor", dir, "--ready-fd", "3"};
    SpawnOptions so;
    so.err = log.get();
    so.new_session = true;
    so.fds.push_back({3, ready_w.get()});
    if (attach_fd >= 0) {
        args.push_back("--attach-fd");
        args.push_back("4");
        so.fds.push_back({4, attach_fd});
    }
    if (adopt) args.push_back("--adopt");
    spawn(args, so);
    return ready_r;
}

// "OK" or "ERR CODE message" from the monitor.
void wait_ready(int fd, const std::string& id) {
    std::string line;
    char buf[4096];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
    }
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (line == "OK") return;
    if (line.rfind("ERR ", 0) == 0) {
        auto sp = line.find(' ', 4);
        int code = std::atoi(line.substr(4, sp - 4).c_str());
        throw ExitError(code ? code : 125, "failed to start container " + id + ": " + line.substr(sp + 1));
    }
    throw ExitError(125, "failed to start container " + id + ": its monitor ended without a word (see monitor.log)");
}

AttachOptions attach_options(const json& rec, const StartOptions& o) {
    AttachOptions a;
    a.stdin = o.stdin && rec["Config"].value("OpenStdin", false);
    a.tty = rec["Config"].value("Tty", false);
    a.sig_proxy = o.sig_proxy;
    a.detach_keys = parse_detach_keys(o.detach_keys);
    return a;
}

int finish_attach(const AttachResult& r) {
    if (r.detached) return 0;
    if (r.ended) return r.exit_code < 0 ? 255 : r.exit_code;
    throw ExitError(125, "lost the connection to the container's monitor");
}

}  // namespace

int start_container(const std::string& dir, const StartOptions& o) {
    Paths p{dir};
    json rec = read_record(p);
    std::string id = rec.value("Id", "");
    json state = live_state(rec);
    bool attach = o.attach || o.stdin;

    if (state.value("MonitorAlive", false)) {
        // Already running under its monitor: docker start is then a no-op, or an attach.
        if (!attach) return 0;
        UniqueFd sock(connect_attach(dir));
        auto a = attach_options(rec, o);
        a.redraw = true;
        return finish_attach(attach_session(sock.get(), a));
    }

    if (o.no_start)
        throw ExitError(1, "You cannot attach to a stopped container, start it first");
    if (!o.runtime.empty())
        rec = update_record(p, [&, bin = runtime_binary(o.runtime, "--runtime")](json& r) {
            r["HostConfig"]["Runtime"] = bin;
        });

    std::string status = state.value("Status", "created");
    if (status == "running" || status == "paused") {
        // Running without a monitor (it was killed): adopt it with a new one.
        UniqueFd ready = launch_monitor(dir, -1, true);
        wait_ready(ready.get(), id);
        if (attach)
            throw ExitError(125, "container " + id.substr(0, 12) +
                                     " kept running while its monitor was gone; its output streams are lost, "
                                     "so it cannot be attached (ctr-exec still works)");
        return 0;
    }
    if (status != "created" && status != "exited")
        throw ExitError(125, "container " + id.substr(0, 12) + " is " + status + ": it cannot be started");
    if (status == "exited" || rec["State"].value("Status", "") != status)
        update_record(p, [&](json& r) { r["State"] = live_state(r); r["State"].erase("MonitorAlive"); });

    ::unlink(p.stop_marker().c_str());
    UniqueFd mine, theirs;
    if (attach) {
        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
        mine.reset(sp[0]);
        theirs.reset(sp[1]);
    }
    UniqueFd ready = launch_monitor(dir, theirs.get(), false);
    theirs.reset();
    wait_ready(ready.get(), id);
    if (!attach) return 0;
    return finish_attach(attach_session(mine.get(), attach_options(rec, o)));
}

}  // namespace ctr::container

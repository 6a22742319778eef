#include "libcommon/runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr::runtime {

namespace {

long now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void run_hook(const Hook& hook, const std::string& label, const std::string& state_json) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe for " + label);
    UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);

    // The hook gets its own environment only, the state on standard input,
    // and one pipe for its standard output and error (kept for the error).
    SpawnOptions so;
    so.path = hook.path;
    so.env = hook.env;
    so.in = in_r.get();
    so.out = out_w.get();
    so.err = out_w.get();
    pid_t pid;
    try {
        pid = spawn(hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args, so);
    } catch (const SpawnError& e) {
        throw Error(label + ": " + e.what());
    }
    in_r.reset();
    out_w.reset();
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));

    // The state goes in (a hook that doesn't read it must not block us).
    auto old_pipe = signal(SIGPIPE, SIG_IGN);
    fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
    (void)!write(in_w.get(), state_json.data(), state_json.size());
    in_w.reset();
    signal(SIGPIPE, old_pipe);

    std::string output;
    long deadline = hook.timeout > 0 ? now_ms() + hook.timeout * 1000L : -1;
    bool exited = false, timed_out = false;
    while (!exited) {
        int wait_ms = deadline < 0 ? -1 : static_cast<int>(std::max(0L, deadline - now_ms()));
        struct pollfd p[2] = {{out_r ? out_r.get() : -1, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        int n = poll(p, 2, wait_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (p[0].revents) {
            char buf[4096];
            ssize_t r = read(out_r.get(), buf, sizeof buf);
            if (r > 0 && output.size() < 65536) output.append(buf, static_cast<size_t>(r));
            if (r <= 0) out_r.reset();
        }
        if (p[1].revents) exited = true;
    }
    if (out_r) {
        fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
        char buf[4096];
        ssize_t r;
        while ((r = read(out_r.get(), buf, sizeof buf)) > 0 && output.size() < 65536)
            output.append(buf, static_cast<size_t>(r));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
    std::string tail = output.empty() ? "" : ": " + output;
    if (timed_out)
        throw Error(label + ": timed out after " + std::to_string(hook.timeout) + "s" + tail);
    if (WIFSIGNALED(status))
        throw Error(label + ": killed by signal " + std::to_string(WTERMSIG(status)) + tail);
    if (WEXITSTATUS(status) != 0)
        throw Error(label + ": exit status " + std::to_string(WEXITSTATUS(status)) + tail);
}

}  // namespace

void run_hooks(const std::vector<Hook>& hooks, const std::string& kind, const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i)
        run_hook(hooks[i], kind + " hook #" + std::to_string(i) + " (" + hooks[i].path + ")", state_json);
}

}  // namespace ctr::runtime

#include "libcommon/build/run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::build {

namespace {

std::atomic<bool> g_interrupted{false};
struct sigaction g_old_int, g_old_term;

void on_signal(int) { g_interrupted = true; }

// fork + exec with stdin from /dev/null; returns the child's pid.
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) throw_errno("open /dev/null");
    int pipefd[2];  // reports an exec failure back to the parent
    if (::pipe2(pipefd, O_CLOEXEC) < 0) {
        ::close(null_fd);
        throw_errno("pipe");
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(null_fd);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        throw_errno("fork");
    }
    if (pid == 0) {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGINT, &dfl, nullptr);
        ::sigaction(SIGTERM, &dfl, nullptr);
        ::dup2(null_fd, 0);
        if (out_fd != 1) ::dup2(out_fd, 1);
        if (err_fd != 2) ::dup2(err_fd, 2);
        ::execvp(args[0], args.data());
        int err = errno;
        (void)!::write(pipefd[1], &err, sizeof err);
        ::_exit(127);
    }
    ::close(null_fd);
    ::close(pipefd[1]);
    int err = 0;
    ssize_t n;
    do n = ::read(pipefd[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    ::close(pipefd[0]);
    if (n == sizeof err) {
        int st;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        throw_errno("run the runtime " + argv[0], err);
    }
    return pid;
}

int wait_for(pid_t pid) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for the runtime");
    }
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 1;
}

}  // namespace

bool interrupted() { return g_interrupted; }

InterruptGuard::InterruptGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &g_old_int);
    ::sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
}

int run_in_runtime(const RuntimeRun& r) {
    pid_t pid = spawn({r.runtime, "--root", r.root, "run", "--bundle", r.bundle, r.id}, r.out_fd, r.err_fd);
    int code = wait_for(pid);
    struct stat st;
    if (::stat((r.root + "/" + r.id).c_str(), &st) == 0) {
        // The runtime left state behind (killed, or it failed half way): remove the container.
        int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        try {
            pid_t d = spawn({r.runtime, "--root", r.root, "delete", "--force", r.id}, null_fd, null_fd);
            wait_for(d);
        } catch (const Error&) {
        }
        if (null_fd >= 0) ::close(null_fd);
    }
    return code;
}

}  // namespace ctr::build

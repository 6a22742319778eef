#include "libcommon/runtime/foreground.h"

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "libcommon/runtime/terminal.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::runtime {

Foreground::Foreground() {
    sigfillset(&all_);
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) sigdelset(&all_, s);
    sigprocmask(SIG_BLOCK, &all_, &old_);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

Foreground::~Foreground() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

int Foreground::wait(pid_t pid, int pidfd, int master) {
    UniqueFd sigfd(signalfd(-1, &all_, SFD_CLOEXEC));
    if (!sigfd) throw_errno("signalfd");
    int status = 0;
    bool done = false;
    if (master >= 0) {
        relay_pty(master, pidfd, sigfd.get(), pid);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        done = true;
    }
    while (!done) {
        struct signalfd_siginfo si;
        ssize_t n = read(sigfd.get(), &si, sizeof si);
        if (n != sizeof si) {
            if (errno == EINTR) continue;
            throw_errno("read signals");
        }
        if (si.ssi_signo == SIGCHLD) {
            pid_t w;
            int st;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                if (w == pid) {
                    status = st;
                    done = true;
                }
        } else if (si.ssi_signo != SIGWINCH) {
            ::kill(pid, static_cast<int>(si.ssi_signo));
        }
    }
    // Orphans the subreaper inherited.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    return exit_code(status);
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

}  // namespace ctr::runtime

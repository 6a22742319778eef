// The runtime waiting in the foreground for the program it started (`run`
// without --detach, `exec` without --detach): signals sent to the runtime go
// to the program, the terminal is relayed when the runtime holds the pty
// master, and the runtime's exit status is the program's.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace ctr::runtime {

class Foreground {
public:
    // Blocks every signal but the fatal ones (so none is lost between the
    // fork and the wait) and makes the caller a child subreaper.
    Foreground();
    ~Foreground();
    Foreground(const Foreground&) = delete;
    Foreground& operator=(const Foreground&) = delete;

    // Waits for pid (our child; pidfd refers to it). master: the pty master
    // to relay, or -1. Returns the exit status as a shell reports it
    // (128+N when killed by signal N).
    int wait(pid_t pid, int pidfd, int master);

private:
    sigset_t all_, old_;
};

// The status of waitpid() as a shell reports it.
int exit_code(int status);

}  // namespace ctr::runtime

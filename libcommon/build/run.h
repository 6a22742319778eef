// Running one RUN step's container through an OCI runtime's command line,
// in the foreground: `RUNTIME --root ROOT run --bundle DIR ID`, stdin from
// /dev/null, stdout and stderr to the given descriptors (so the step's output
// streams as it comes).
#pragma once

#include <string>

namespace ctr::build {

struct RuntimeRun {
    std::string runtime;  // binary (path or name on PATH)
    std::string root;     // the runtime's --root (its state directory)
    std::string bundle;   // the bundle directory (config.json, rootfs/)
    std::string id;       // the container id
    int out_fd = 1;
    int err_fd = 2;
};

// The process's exit code, or 128+N when the runtime was killed by signal N.
// Afterwards the container is deleted (`delete --force`) if the runtime left
// its state behind. Throws ctr::Error if the runtime cannot be started.
int run_in_runtime(const RuntimeRun& r);

// Set by SIGINT/SIGTERM while a build runs (see InterruptGuard).
bool interrupted();

// While alive, SIGINT and SIGTERM only set interrupted(), so the build can
// stop between steps and clean up (a runtime child still gets the terminal's
// Ctrl-C, ending the step).
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
};

}  // namespace ctr::build

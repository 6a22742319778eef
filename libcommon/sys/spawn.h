// spawn(): start a program without fork.
//
// posix_spawn (a vfork in glibc) lends the caller's memory to the child until
// its exec, so neither side takes the copy-on-write faults a fork costs: the
// page tables are not copied, and the caller's pages are not left
// write-protected. On this project's virtual machines a page fault costs tens
// of microseconds, so a fork of a C++ program costs a millisecond or more
// before the exec has even started.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr {

struct SpawnOptions {
    // The child's standard input, output and error: descriptors of ours,
    // or -1 for /dev/null.
    int in = -1, out = -1, err = -1;
    // More descriptors to pass: {descriptor in the child (>= 3), ours}.
    std::vector<std::pair<int, int>> fds;
    std::string cwd;           // "" = ours
    // The program, when it is not argv[0] (OCI hooks: "path" and "args").
    std::string path;
    // The child's whole environment ("NAME=value"), instead of ours.
    std::optional<std::vector<std::string>> env;
    // Variables of our environment the child does not get ("NAME").
    std::vector<std::string> env_drop;
    bool new_session = false;  // setsid() in the child
    bool search_path = false;  // argv[0] is a name looked up on PATH
};

// The program could not be started; err is why (ENOENT: not there).
class SpawnError : public Error {
public:
    SpawnError(const std::string& message, int err) : Error(message), err(err) {}
    int err;
};

// Starts opts.path or argv[0] (a path, or with opts.search_path a name on
// PATH) with argv, opts.env or our environment (less opts.env_drop), an
// empty signal mask and
// default signal dispositions, and only the descriptors named in opts (every
// other descriptor of ours is close-on-exec). Returns the child's pid;
// throws SpawnError("exec PATH: …") when it could not be started.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& opts = {});

// Waits for a child; returns its exit status, or 128 + the signal that ended it.
int wait_exit(pid_t pid);

// The directory of the running program (from /proc/self/exe, symlinks
// resolved), "" if it can't be read: where a program finds its companions.
std::string exe_dir();

// A child whose standard output and error come to us through pipes.
struct PipedChild {
    pid_t pid = -1;
    UniqueFd out, err;  // the read ends
};

// spawn() with standard input `in` (ours, or -1 for /dev/null) and standard
// output and error to pipes.
PipedChild spawn_piped(const std::vector<std::string>& argv, int in = -1);

// Reads both of the child's pipes until both end, never waiting on one while
// the child is blocked writing the other. Returns what it printed on
// standard output; each piece of its standard error goes to on_err as it
// comes. Does not wait for the child.
std::string drain(PipedChild& child, const std::function<void(const char*, size_t)>& on_err);

// Reads fd (a child's output pipe) until its end, keeping the first `keep` bytes.
std::string read_until_eof(int fd, size_t keep = std::string::npos);

}  // namespace ctr

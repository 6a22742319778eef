// The OCI runtime, driven through its command line (runc's): ctr-run by
// default, or runc, crun, … — whatever container.json's HostConfig.Runtime
// names. Every call is a child process; nothing here links the runtime.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr::container {

class Runtime {
public:
    // `root` is passed as --root when not empty; when empty the runtime runs
    // without CTR_RUNTIME_ROOT in its environment, so it uses its own
    // default. Runtime errors are asked to go to `log_file` (--log, JSON)
    // when it is not empty.
    Runtime(std::string path, std::string root, std::string log_file = "")
        : path_(std::move(path)), root_(std::move(root)), log_(std::move(log_file)) {}

    const std::string& path() const { return path_; }
    const std::string& root() const { return root_; }

    // `create --bundle DIR --pid-file PIDFILE [--console-socket SOCK] ID`, run
    // with `cwd` and the given stdio (the container inherits it when it has
    // no terminal). Throws ctr::Error with the runtime's message on failure.
    void create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                const std::string& console_socket, int in, int out, int err, const std::string& cwd) const;
    void start(const std::string& id) const;
    // kill ID SIGNAL (with --all when `all`). Returns false if the runtime failed.
    bool kill(const std::string& id, int signal, bool all = false) const;
    // delete --force ID; errors ignored (the container may be gone already).
    void remove(const std::string& id) const;
    // The argv that runs `args` under this runtime (for exec, which the caller runs itself).
    std::vector<std::string> argv(const std::vector<std::string>& args) const;

private:
    // Runs the runtime with `args`; returns its exit status, stderr and log in `msg`.
    int run(const std::vector<std::string>& args, int in, int out, int err, const std::string& cwd,
            std::string* msg) const;

    std::string path_;
    std::string root_;
    std::string log_;
};

}  // namespace ctr::container

// The lifecycle operations of the runtime (runtime-spec runtime.md), one
// function per runc subcommand. cmd/ctr-run/*.cpp parse flags and call these.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ctr::runtime {

// What runc's global flags say, for every operation.
struct Globals {
    std::string root = "/run/ctr-run";
    bool systemd_cgroup = false;
    std::string rootless = "auto";
};

struct CreateOptions {
    std::string id;
    std::string bundle;          // absolute
    std::string pid_file;        // absolute, or empty
    std::string console_socket;  // or empty
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    // run only
    bool detach = false;
    bool keep = false;
};

// `create`: sets the container up and returns with its init waiting before
// the user's program (status "created").
void create(const Globals& g, const CreateOptions& o);
// `start`: lets a created container's init exec the user's program.
void start(const Globals& g, const std::string& id);
// `run`: create + start; in the foreground waits and returns the exit status
// (128+N when killed by signal N), relaying the terminal and signals.
int run(const Globals& g, const CreateOptions& o);
// `kill`: sends sig to the init (with all, to every process of the container).
void kill(const Globals& g, const std::string& id, int sig, bool all);
// `delete`: removes a stopped (or created) container; force kills a running one.
void remove(const Globals& g, const std::string& id, bool force);
// `state`: the OCI state JSON.
nlohmann::json state(const Globals& g, const std::string& id);
// `list`: the state of every container under the root.
std::vector<nlohmann::json> list(const Globals& g);

// What `exec` runs: a process.json (runc's --process), or the container's own
// process with the command and runc's exec flags over it.
struct ExecOptions {
    std::string id;
    std::string process_file;          // --process; then the fields below are ignored
    std::vector<std::string> args;     // the command
    bool tty = false;
    std::vector<std::string> env;      // KEY=VALUE, added
    std::string cwd;                   // "" keeps the config's
    std::string user;                  // "UID[:GID]", "" keeps the config's
    std::vector<uint32_t> additional_gids;
    std::vector<std::string> caps;     // added to the bounding, effective, permitted and ambient sets
    bool no_new_privs = false;
    std::string console_socket, pid_file;
    bool detach = false;
    int preserve_fds = 0;
};

// `exec`: runs another process in a running container (all its namespaces,
// its cgroup, the process's capabilities, rlimits, seccomp and
// noNewPrivileges). In the foreground returns the process's exit status.
int exec(const Globals& g, const ExecOptions& o);

// "KILL", "SIGKILL", "kill", "9" -> 9; throws on anything else.
int parse_signal(const std::string& s);

}  // namespace ctr::runtime

// What the runtime remembers about a container between invocations.
//
// Under --root (default /run/ctr-run) each container has a directory named by
// its id holding state.json (written to a temporary file and renamed, so a
// reader sees the old or the new whole file) and, while create runs, an
// exclusive flock on the directory. The status is never stored: it is worked
// out each time from the init's pid *and* its start time, so a crashed
// runtime or a reused pid can't make the state lie:
//   no state.json:   creating while the lock is held, else stopped (a create died)
//   init gone, a zombie, or another process on its pid: stopped
//   init still runs the runtime's own binary (before exec): created
//   otherwise: running
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/sys/fd.h"

namespace ctr::runtime {

enum class Status { Creating, Created, Running, Paused, Stopped };
std::string status_name(Status s);

// The record in state.json. Rich enough for the operations that join a
// running container later (exec, pause, update, events): the whole config,
// the init's identity, the cgroup's description.
struct ContainerState {
    std::string id;
    pid_t pid = 0;
    uint64_t start_time = 0;           // the init's /proc/PID/stat starttime
    uint64_t exe_dev = 0, exe_ino = 0;  // the binary the init runs until it execs
    std::string bundle, rootfs, created, owner;
    nlohmann::json annotations = nlohmann::json::object();
    nlohmann::json config;              // config.json as given at create
    nlohmann::json cgroup;              // Cgroup::describe(), null without one
    bool systemd_cgroup = false;
    std::string rootless = "auto";

    nlohmann::json to_json() const;
    static ContainerState from_json(const nlohmann::json& j);
};

// Checks a container id the way runc does: [A-Za-z0-9_+.-]+, not "." or "..".
void validate_id(const std::string& id);

// The --root directory.
class StateRoot {
public:
    explicit StateRoot(std::string path) : path_(std::move(path)) {}
    const std::string& path() const { return path_; }
    // Opens (creating with mode 0700 when asked) the root directory.
    int fd(bool create) const;
    // Ids of every container directory, sorted.
    std::vector<std::string> ids() const;

private:
    std::string path_;
    mutable UniqueFd fd_;
};

// One container's directory, opened.
class ContainerDir {
public:
    // Makes the directory for a new container and locks it; throws
    // "container with id exists: ID" when taken.
    static ContainerDir create(const StateRoot& root, const std::string& id);
    // Opens an existing one; throws "container does not exist" (runc's words).
    static ContainerDir open(const StateRoot& root, const std::string& id);

    const std::string& id() const { return id_; }
    std::string path() const { return root_path_ + "/" + id_; }
    int fd() const { return fd_.get(); }
    // Exclusive lock, held until unlock() or destruction; waits for a running create.
    void lock();
    void unlock();

    bool has_state() const;
    ContainerState load() const;
    void save(const ContainerState& st) const;
    // save() in two steps: stage() writes the state beside state.json, which
    // commit_staged() then renames into place. A create stages while its init
    // sets up and commits once the init is ready: the rename is all that is
    // left between the two.
    void stage(const ContainerState& st) const;
    void commit_staged() const;
    // Any other record in the directory, written atomically; load_json
    // returns null when it is missing or unreadable. create keeps the
    // cgroup's description in "cgroup.json" from the moment the cgroup
    // exists, so a delete after a create killed before state.json still
    // finds and removes it.
    void save_json(const std::string& name, const nlohmann::json& j) const;
    nlohmann::json load_json(const std::string& name) const;
    // Status, worked out as described above.
    Status status(const std::optional<ContainerState>& st) const;
    // Removes the directory and everything in it.
    void remove();

private:
    // Writes name (a new file, or over an old one) with text.
    void write_new(const std::string& name, const std::string& text) const;

    std::string root_path_, id_;
    UniqueFd root_fd_;
    UniqueFd fd_;
};

// The OCI state JSON for `state` and `list --format json` (runc's fields).
nlohmann::json oci_state(const ContainerState& st, Status status, const std::string& id);
// Time now as RFC 3339 with nanoseconds, UTC ("2024-05-01T10:00:00.123456789Z").
std::string rfc3339_now();

}  // namespace ctr::runtime

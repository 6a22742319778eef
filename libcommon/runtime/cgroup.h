// A container's control group, on cgroup v1 (one hierarchy per controller, as
// on hosts in "hybrid" mode) or v2 (the unified hierarchy), chosen by what the
// host has mounted at /sys/fs/cgroup; with --systemd-cgroup, a transient
// systemd scope made over D-Bus, then driven like the others.
//
// The runtime (ctr-run) uses one Cgroup per container:
//   create:  auto cg = Cgroup::for_container(config, id, systemd);  // validates; throws on bad config
//            cg->create(child_pid);           // before the child unshares its cgroup ns
//            save cg->describe() in the container's state
//   later:   auto cg = Cgroup::from_state(saved);  // exec, pause, update, events, delete
//            cg->enter(pid); cg->freeze(); cg->stats(); cg->kill(SIGKILL); cg->destroy();
// Errors are ctr::Error naming the cgroup file and the value that failed
// ("write 100 to /sys/fs/cgroup/pids/x/pids.max: Invalid argument"), or the
// config field ("linux.resources.memory.swappiness: 150 is not in 0..100").
//
// Interface history (the runtime codes against this header; keep it stable):
//   - kill(signal), paths() and the for_container overload taking a
//     CgroupHost were added after the first version; nothing was removed.
//   - cgroup_frozen() was added for the "paused" status.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ctr::runtime {

struct CgroupHost;

class Cgroup {
public:
    virtual ~Cgroup() = default;

    // The cgroup config.json asks for: linux.cgroupsPath (absolute, relative to
    // the runtime's own cgroup, or "slice:prefix:name" when systemd_cgroup),
    // defaulting to a path derived from the container id, and linux.resources.
    // Nothing is created yet.
    //
    // Validates linux.resources here, so a bad value fails before anything
    // is created. Default path: the container id, relative (runc's rule);
    // with systemd_cgroup, system.slice:ctr:<id>. Devices: the config's
    // rules, then the defaults every container gets (see
    // default_device_rules() in cgroup_resources.h).
    static std::unique_ptr<Cgroup> for_container(const nlohmann::json& config,
                                                 const std::string& container_id,
                                                 bool systemd_cgroup);
    // The same against a given host layout (tests: a fake tree, or a
    // test-owned directory of a real cgroup2 mount).
    static std::unique_ptr<Cgroup> for_container(const nlohmann::json& config,
                                                 const std::string& container_id,
                                                 bool systemd_cgroup,
                                                 const CgroupHost& host);
    // Reopens a cgroup from what describe() returned.
    static std::unique_ptr<Cgroup> from_state(const nlohmann::json& saved);

    // What from_state needs to find this cgroup again (kept in the runtime's state).
    virtual nlohmann::json describe() const = 0;
    // Makes the cgroup, applies linux.resources and moves pid into it. On
    // failure removes what it made and throws.
    virtual void create(pid_t pid) = 0;
    // Moves another process (an exec'd one) into the cgroup.
    virtual void enter(pid_t pid) = 0;
    // Applies linux.resources values (runc update). Only the members present
    // are written; pass the merged result (the state's resources with the
    // update's values over them), as runc does, so memory and swap are
    // written together in an order the kernel accepts.
    virtual void update(const nlohmann::json& resources) = 0;
    // Pause/resume; freeze() returns once every task is frozen.
    virtual void freeze() = 0;
    virtual void thaw() = 0;
    virtual bool frozen() const = 0;
    // Sends signal to every process in the cgroup (kill --all, delete
    // --force). SIGKILL on cgroup v2 uses cgroup.kill; otherwise the cgroup
    // is frozen while the signals go out, so no process escapes by forking.
    virtual void kill(int signal) = 0;
    // Every process in the cgroup (and its descendants).
    virtual std::vector<pid_t> pids() const = 0;
    // runc's `events --stats` "data" object: cpu, memory, pids, blkio, hugetlb.
    virtual nlohmann::json stats() const = 0;
    // Removes the cgroup (waiting briefly for exiting tasks). Idempotent.
    virtual void destroy() = 0;
    // The cgroup's directory per controller: {"memory": "/sys/fs/cgroup/memory/x",
    // ...} on v1 (plus "" for the hybrid unified directory), {"": dir} on v2.
    virtual std::map<std::string, std::string> paths() const = 0;
};

// Whether the cgroup described by saved (describe()'s result) is frozen:
// the container is "paused". False when it can't be told (no freezer, gone).
bool cgroup_frozen(const nlohmann::json& saved) noexcept;

}  // namespace ctr::runtime

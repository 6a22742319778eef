// A container's control group, on cgroup v1 (one hierarchy per controller, as
// on hosts in "hybrid" mode) or v2 (the unified hierarchy), chosen by what the
// host has mounted at /sys/fs/cgroup.
//
// The runtime (ctr-run) uses one Cgroup per container:
//   create:  auto cg = Cgroup::for_container(config, id, systemd);
//            cg->create(child_pid);           // before the child unshares its cgroup ns
//            save cg->describe() in the container's state
//   later:   auto cg = Cgroup::from_state(saved);  // exec, pause, update, events, delete
//            cg->enter(pid); cg->freeze(); cg->stats(); cg->destroy();
// Errors are ctr::Error naming the cgroup file and the value that failed
// ("write 100 to /sys/fs/cgroup/pids/x/pids.max: Invalid argument").
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ctr::runtime {

class Cgroup {
public:
    virtual ~Cgroup() = default;

    // The cgroup config.json asks for: linux.cgroupsPath (absolute, relative to
    // the runtime's own cgroup, or "slice:prefix:name" when systemd_cgroup),
    // defaulting to a path derived from the container id, and linux.resources.
    // Nothing is created yet.
    static std::unique_ptr<Cgroup> for_container(const nlohmann::json& config,
                                                 const std::string& container_id,
                                                 bool systemd_cgroup);
    // Reopens a cgroup from what describe() returned.
    static std::unique_ptr<Cgroup> from_state(const nlohmann::json& saved);

    // What from_state needs to find this cgroup again (kept in the runtime's state).
    virtual nlohmann::json describe() const = 0;
    // Makes the cgroup, applies linux.resources and moves pid into it.
    virtual void create(pid_t pid) = 0;
    // Moves another process (an exec'd one) into the cgroup.
    virtual void enter(pid_t pid) = 0;
    // Applies new linux.resources values (runc update).
    virtual void update(const nlohmann::json& resources) = 0;
    virtual void freeze() = 0;
    virtual void thaw() = 0;
    virtual bool frozen() const = 0;
    // Every process in the cgroup (and its descendants).
    virtual std::vector<pid_t> pids() const = 0;
    // runc's `events --stats` "data" object: cpu, memory, pids, blkio, hugetlb.
    virtual nlohmann::json stats() const = 0;
    // Removes the cgroup (waiting briefly for exiting tasks). Idempotent.
    virtual void destroy() = 0;
};

}  // namespace ctr::runtime

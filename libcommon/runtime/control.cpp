#include "libcommon/runtime/control.h"

#include <poll.h>
#include <sys/capability.h>
#include <seccomp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "libcommon/cli/main.h"
#include "libcommon/runtime/cgroup.h"
#include "libcommon/runtime/config.h"
#include "libcommon/runtime/proc.h"
#include "libcommon/runtime/seccomp.h"
#include "libcommon/runtime/state.h"
#include "libcommon/runtime/update_flags.h"
#include "libcommon/sys/error.h"

using nlohmann::json;

namespace ctr::runtime {

namespace {

// A container's directory, its state and status, read together.
struct Opened {
    ContainerDir dir;
    std::optional<ContainerState> st;
    Status status = Status::Stopped;
};

Opened open_container(const Globals& g, const std::string& id, bool lock) {
    Opened o{ContainerDir::open(StateRoot(g.root), id), std::nullopt, Status::Stopped};
    if (lock) o.dir.lock();
    if (o.dir.has_state()) o.st = o.dir.load();
    o.status = o.dir.status(o.st);
    return o;
}

std::unique_ptr<Cgroup> cgroup_of(const Opened& o, const char* what) {
    if (!o.st || o.st->cgroup.is_null())
        throw Error(std::string("cannot ") + what + " container " + o.dir.id() + ": it has no cgroup of its own");
    return Cgroup::from_state(o.st->cgroup);
}

// The number after `key` in a "key value" cgroup file, 0 when absent.
uint64_t counter(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    std::string k;
    uint64_t v;
    while (in >> k >> v)
        if (k == key) return v;
    return 0;
}

// The OOM kills the kernel counted in the container's memory cgroup.
uint64_t oom_kills(const Cgroup& cg) {
    auto paths = cg.paths();
    if (auto it = paths.find("memory"); it != paths.end()) {
        std::string f = it->second + "/memory.oom_control";
        uint64_t n = counter(f, "oom_kill");
        return n ? n : counter(f, "under_oom");
    }
    if (auto it = paths.find(""); it != paths.end() && !paths.count("memory")) {
        // v2 (the hybrid unified directory has no memory controller: 0).
        return counter(it->second + "/memory.events", "oom_kill");
    }
    return 0;
}

}  // namespace

std::vector<pid_t> container_pids(const Globals& g, const std::string& id) {
    Opened o = open_container(g, id, false);
    if (o.status == Status::Stopped || o.status == Status::Creating) {
        if (o.st && !o.st->cgroup.is_null()) {
            // A stopped container may still have processes (its init died first).
            auto pids = Cgroup::from_state(o.st->cgroup)->pids();
            std::sort(pids.begin(), pids.end());
            return pids;
        }
        return {};
    }
    auto pids = cgroup_of(o, "list the processes of")->pids();
    std::sort(pids.begin(), pids.end());
    return pids;
}

void pause(const Globals& g, const std::string& id) {
    Opened o = open_container(g, id, true);
    if (o.status == Status::Paused) throw Error("container " + id + " is already paused");
    if (o.status != Status::Running && o.status != Status::Created)
        throw Error("container not running or created: " + status_name(o.status));
    cgroup_of(o, "pause")->freeze();
}

void resume(const Globals& g, const std::string& id) {
    Opened o = open_container(g, id, true);
    if (o.status != Status::Paused) throw Error("container not paused");
    cgroup_of(o, "resume")->thaw();
}

void update(const Globals& g, const std::string& id, const json& resources) {
    if (!resources.is_object()) throw Error("update: the resources must be a JSON object (linux.resources)");
    Opened o = open_container(g, id, true);
    if (o.status == Status::Stopped || o.status == Status::Creating)
        throw Error("cannot update container " + id + ": it is " + status_name(o.status));
    auto cg = cgroup_of(o, "update");
    json config = o.st->config;
    json current = json::object();
    if (config.contains("linux") && config["linux"].is_object() && config["linux"].contains("resources") &&
        config["linux"]["resources"].is_object())
        current = config["linux"]["resources"];
    json merged = merge_resources(current, resources);
    json apply = merged;
    if (!resources.contains("devices")) apply.erase("devices");
    cg->update(apply);
    config["linux"]["resources"] = merged;
    o.st->config = config;
    o.dir.save(*o.st);
}

json stats_event(const Globals& g, const std::string& id) {
    Opened o = open_container(g, id, false);
    if (o.status == Status::Stopped || o.status == Status::Creating)
        throw Error("container " + id + " is not running");
    return {{"type", "stats"}, {"id", id}, {"data", cgroup_of(o, "read the statistics of")->stats()}};
}

void watch_events(const Globals& g, const std::string& id, int64_t interval_ms, std::FILE* out) {
    if (interval_ms <= 0) throw Error("events: the interval must be positive");
    Opened o = open_container(g, id, false);
    if (o.status == Status::Stopped || o.status == Status::Creating)
        throw Error("container " + id + " is not running");
    auto cg = cgroup_of(o, "watch");
    ContainerState st = *o.st;
    UniqueFd pidfd(open_pidfd(st.pid));
    uint64_t ooms = oom_kills(*cg);
    // Stats on every interval; the OOM counter and the init's exit checked
    // at least every 200 ms in between.
    const int64_t tick = std::min<int64_t>(interval_ms, 200);
    int64_t since_stats = interval_ms;
    auto emit = [&](const json& e) {
        std::fprintf(out, "%s\n", e.dump().c_str());
        std::fflush(out);
    };
    for (;;) {
        if (!process_matches(st.pid, st.start_time)) return;
        uint64_t now = oom_kills(*cg);
        if (now > ooms) emit({{"type", "oom"}, {"id", id}});
        ooms = now;
        if (since_stats >= interval_ms) {
            emit({{"type", "stats"}, {"id", id}, {"data", cg->stats()}});
            since_stats = 0;
        }
        struct pollfd p = {pidfd.get(), POLLIN, 0};
        if (pidfd && poll(&p, 1, static_cast<int>(tick)) > 0) return;  // the init exited
        if (!pidfd) poll(nullptr, 0, static_cast<int>(tick));
        since_stats += tick;
    }
}

json features() {
    json mount_options = json::array();
    for (const char* opt : {"acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
                            "iversion", "lazytime", "loud", "mand", "noacl", "noatime", "nodev", "nodiratime",
                            "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime",
                            "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime", "relatime",
                            "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnorelatime",
                            "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro",
                            "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
                            "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup",
                            "unbindable"})
        // Only what the mount parser acts on itself (the rest would go to
        // the filesystem as data).
        if (parse_mount_options({opt}).data.empty()) mount_options.push_back(opt);

    json namespaces = json::array();
    for (const char* ns : {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"})
        if (namespace_flag(ns)) namespaces.push_back(ns);

    json caps = json::array();
    for (int c = 0; c <= static_cast<int>(cap_max_bits()) - 1; ++c) {
        char* name = cap_to_name(static_cast<cap_value_t>(c));
        if (!name) continue;
        std::string n = name;
        cap_free(name);
        if (n.rfind("cap_", 0) != 0) continue;  // a number: unknown to libcap
        std::transform(n.begin(), n.end(), n.begin(), ::toupper);
        caps.push_back(n);
    }

    const scmp_version* v = seccomp_version();
    std::string libseccomp = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    return {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.0.2"},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions", mount_options},
        {"linux",
         {{"namespaces", namespaces},
          {"capabilities", caps},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", false}}},
          {"seccomp", seccomp_features()},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}}}},
        {"annotations",
         {{"io.github.seccomp.libseccomp.version", libseccomp}, {"org.ctr.run.version", version_line("ctr-run")}}},
    };
}

}  // namespace ctr::runtime

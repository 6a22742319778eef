// Choosing a cgroup driver for a container, and reopening one from state.
#include "libcommon/runtime/cgroup.h"

#include <csignal>
#include <chrono>
#include <thread>

#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/runtime/cgroup_resources.h"
#include "libcommon/sys/error.h"

namespace ctr::runtime {

using nlohmann::json;

namespace {

// The v1 controllers each setting needs, to refuse before creating anything.
void check_v1_controllers(const Resources& r, const CgroupHost& host, bool config_has_devices) {
    auto need = [&](bool wanted, const char* controller, const char* field) {
        if (wanted && !host.v1.count(controller))
            throw Error(std::string("linux.resources.") + field + ": the " + controller +
                        " cgroup controller is not mounted on this host");
    };
    need(r.memory_limit || r.memory_swap || r.memory_reservation || r.memory_kernel || r.memory_kernel_tcp ||
             r.memory_swappiness || r.disable_oom_killer,
         "memory", "memory");
    need(r.cpu_shares || r.cpu_quota || r.cpu_period || r.cpu_burst || r.cpu_realtime_period ||
             r.cpu_realtime_runtime || r.cpu_idle,
         "cpu", "cpu");
    need(!r.cpuset_cpus.empty() || !r.cpuset_mems.empty(), "cpuset", "cpu.cpus");
    need(r.pids_limit.has_value(), "pids", "pids");
    need(r.blkio_weight || r.blkio_leaf_weight || !r.blkio_weight_devices.empty() || !r.throttle_read_bps.empty() ||
             !r.throttle_write_bps.empty() || !r.throttle_read_iops.empty() || !r.throttle_write_iops.empty(),
         "blkio", "blockIO");
    need(!r.hugepage_limits.empty(), "hugetlb", "hugepageLimits");
    need(r.net_cls_classid.has_value(), "net_cls", "network.classID");
    need(!r.net_prio_ifpriomap.empty(), "net_prio", "network.priorities");
    need(config_has_devices, "devices", "devices");
    if (!r.unified.empty())
        throw Error("linux.resources.unified: cgroup v2 settings can't be applied on this cgroup v1 host");
}

std::unique_ptr<Cgroup> fs_cgroup(const CgroupHost& host, const std::string& path, Resources resources,
                                  bool config_has_devices) {
    if (host.unified) {
        if (!host.v2) throw Error("no cgroup2 hierarchy is mounted");
        return make_v2_cgroup(host.v2->dir_for(path, true), host.v2->mountpoint, host.fake, std::move(resources));
    }
    if (host.v1.empty()) throw Error("no cgroup hierarchy is mounted under /sys/fs/cgroup");
    check_v1_controllers(resources, host, config_has_devices);
    if (!host.v1.count("devices")) resources.devices.reset();  // nothing asked; nothing to enforce with
    std::map<std::string, std::string> dirs;
    for (const auto& [controller, h] : host.v1) dirs[controller] = h.dir_for(path, false);
    std::string unified = host.v2 ? host.v2->dir_for(path, false) : "";
    return make_v1_cgroup(std::move(dirs), std::move(unified), host.fake, std::move(resources));
}

}  // namespace

Resources resources_with_default_devices(Resources r) {
    if (r.devices) {
        const auto& defaults = default_device_rules();
        r.devices->insert(r.devices->end(), defaults.begin(), defaults.end());
    }
    return r;
}

std::unique_ptr<Cgroup> Cgroup::for_container(const json& config, const std::string& container_id,
                                              bool systemd_cgroup) {
    return for_container(config, container_id, systemd_cgroup, CgroupHost::detect());
}

std::unique_ptr<Cgroup> Cgroup::for_container(const json& config, const std::string& container_id,
                                              bool systemd_cgroup, const CgroupHost& host) {
    json linux = config.is_object() && config.contains("linux") ? config["linux"] : json();
    std::string cgroups_path;
    if (linux.is_object() && linux.contains("cgroupsPath") && !linux["cgroupsPath"].is_null()) {
        if (!linux["cgroupsPath"].is_string()) throw Error("linux.cgroupsPath: expected a string");
        cgroups_path = linux["cgroupsPath"].get<std::string>();
    }
    json res = linux.is_object() && linux.contains("resources") ? linux["resources"] : json();
    Resources resources = parse_resources(res);
    bool config_has_devices = resources.devices.has_value() && !resources.devices->empty();
    if (!resources.devices) resources.devices.emplace();
    resources = resources_with_default_devices(std::move(resources));

    if (systemd_cgroup) {
        SystemdCgroupPath sp = parse_systemd_cgroups_path(cgroups_path, container_id);
        auto inner = fs_cgroup(host, sp.path, std::move(resources), config_has_devices);
        json annotations = config.is_object() && config.contains("annotations") ? config["annotations"] : json();
        return make_systemd_cgroup(sp, std::move(inner), annotations);
    }
    std::string path = clean_cgroup_path(cgroups_path);
    if (path.empty()) path = clean_cgroup_path(container_id);
    if (path.empty() || path == "." || path == "/")
        throw Error("linux.cgroupsPath: \"" + cgroups_path + "\" does not name a cgroup of its own");
    return fs_cgroup(host, path, std::move(resources), config_has_devices);
}

std::unique_ptr<Cgroup> Cgroup::from_state(const json& saved) {
    if (!saved.is_object()) throw Error("cgroup state: expected an object");
    std::string driver = saved.value("driver", "");
    if (driver == "systemd") {
        if (!saved.contains("inner")) throw Error("cgroup state: systemd without the inner cgroup");
        return systemd_cgroup_from_state(saved, from_state(saved["inner"]));
    }
    if (driver != "cgroupfs") throw Error("cgroup state: unknown driver \"" + driver + "\"");
    bool fake = saved.value("fake", false);
    int version = saved.value("version", 0);
    if (version == 1) {
        auto paths = saved.value("paths", std::map<std::string, std::string>{});
        return make_v1_cgroup(std::move(paths), saved.value("unified", ""), fake, Resources{});
    }
    if (version == 2) return make_v2_cgroup(saved.value("path", ""), saved.value("mount", ""), fake, Resources{});
    throw Error("cgroup state: unknown cgroup version " + std::to_string(version));
}

bool wait_for(const std::function<bool()>& done, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto delay = std::chrono::microseconds(100);
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::microseconds(10000));
    }
}

void signal_all_frozen(Cgroup& cg, int signal) {
    bool was_frozen = cg.frozen();
    bool froze = false;
    if (!was_frozen) {
        try {
            cg.freeze();
            froze = true;
        } catch (const Error&) {
            // Still deliver the signal; a fork racing us is the lesser evil.
        }
    }
    for (pid_t pid : cg.pids()) ::kill(pid, signal);
    // A frozen task only dies once thawed.
    if (froze || (was_frozen && signal == SIGKILL)) cg.thaw();
}

bool cgroup_frozen(const json& saved) noexcept {
    if (saved.is_null()) return false;
    try {
        return Cgroup::from_state(saved)->frozen();
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace ctr::runtime

// cgroup v1: one directory per hierarchy (cpu, memory, pids, ...), all at the
// same path, plus the unified directory on hybrid hosts (as runc does).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/runtime/cgroup_fs.h"
#include "libcommon/runtime/cgroup_stats.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/text.h"

namespace ctr::runtime {

using nlohmann::json;

namespace {

class CgroupV1 final : public Cgroup {
public:
    CgroupV1(std::map<std::string, std::string> dirs, std::string unified, bool fake, Resources resources)
        : dirs_(std::move(dirs)), unified_(std::move(unified)), fake_(fake), resources_(std::move(resources)) {}

    json describe() const override {
        json j = {{"driver", "cgroupfs"}, {"version", 1}, {"paths", dirs_}};
        if (!unified_.empty()) j["unified"] = unified_;
        if (fake_) j["fake"] = true;
        return j;
    }

    std::map<std::string, std::string> paths() const override {
        auto p = dirs_;
        if (!unified_.empty()) p[""] = unified_;
        return p;
    }

    void create(pid_t pid) override {
        std::vector<std::string> made;
        try {
            for (const auto& d : unique_dirs()) {
                auto m = cgfs::make_dirs(d);
                made.insert(made.end(), m.begin(), m.end());
                if (has("cpuset") && d == dirs_.at("cpuset")) init_cpuset(m);
            }
            apply(resources_);
            enter(pid);
        } catch (...) {
            for (auto it = made.rbegin(); it != made.rend(); ++it) {
                if (fake_) {
                    try { cgfs::remove_tree(*it, true); } catch (...) {}
                } else {
                    ::rmdir(it->c_str());
                }
            }
            throw;
        }
    }

    void enter(pid_t pid) override {
        for (const auto& d : unique_dirs()) cgfs::Dir{d, fake_}.write("cgroup.procs", std::to_string(pid));
    }

    void update(const json& resources) override {
        apply(resources_with_default_devices(parse_resources(resources)));
    }

    void freeze() override {
        auto d = dir("freezer", "pause");
        bool ok = wait_for(
            [&] {
                d.write("freezer.state", "FROZEN");
                return fake_ || d.read("freezer.state").value_or("") == "FROZEN";
            },
            5000);
        if (!ok) {
            d.write("freezer.state", "THAWED");
            throw Error("freeze " + d.path + ": tasks did not freeze within 5s");
        }
    }

    void thaw() override {
        auto d = dir("freezer", "resume");
        d.write("freezer.state", "THAWED");
        if (!fake_ && !wait_for([&] { return d.read("freezer.state").value_or("") == "THAWED"; }, 5000))
            throw Error("thaw " + d.path + ": tasks did not thaw within 5s");
    }

    bool frozen() const override {
        if (!has("freezer")) return false;
        auto state = cgfs::Dir{dirs_.at("freezer"), fake_}.read("freezer.state");
        if (!state) return false;
        std::string s = *state;
        if (auto nl = s.rfind('\n'); nl != std::string::npos) s = s.substr(nl + 1);  // fake: last write
        return s == "FROZEN" || s == "FREEZING";
    }

    void kill(int signal) override {
        // The hybrid unified directory holds exactly the container's tasks too.
        if (signal == SIGKILL && !unified_.empty() && !fake_ && cgfs::Dir{unified_}.has("cgroup.kill")) {
            cgfs::Dir{unified_}.write("cgroup.kill", "1");
            return;
        }
        if (has("freezer")) {
            signal_all_frozen(*this, signal);
        } else {
            for (pid_t p : pids()) ::kill(p, signal);
        }
    }

    std::vector<pid_t> pids() const override {
        for (const char* c : {"pids", "freezer", "devices", "memory", "cpu", "name=systemd"})
            if (has(c)) return cgfs::procs_recursive(dirs_.at(c));
        if (!unified_.empty()) return cgfs::procs_recursive(unified_);
        return {};
    }

    json stats() const override;

    void destroy() override {
        for (const auto& d : unique_dirs()) cgfs::remove_tree(d, fake_);
    }

private:
    std::map<std::string, std::string> dirs_;
    std::string unified_;
    bool fake_;
    Resources resources_;

    bool has(const std::string& c) const { return dirs_.count(c) != 0; }

    // The directory of a controller a setting needs; field names the setting.
    cgfs::Dir dir(const std::string& controller, const std::string& field) const {
        auto it = dirs_.find(controller);
        if (it == dirs_.end())
            throw Error(field + ": the " + controller + " cgroup controller is not mounted on this host");
        return cgfs::Dir{it->second, fake_};
    }

    std::vector<std::string> unique_dirs() const {
        std::set<std::string> seen;
        std::vector<std::string> out;
        for (const auto& [c, d] : dirs_)
            if (seen.insert(d).second) out.push_back(d);
        if (!unified_.empty()) out.push_back(unified_);
        return out;
    }

    // A new cpuset cgroup starts with no cpus or mems and takes no tasks
    // until given some: inherit the parent's, level by level.
    void init_cpuset(const std::vector<std::string>& made) const {
        for (const auto& path : made) {
            cgfs::Dir d{path, fake_};
            cgfs::Dir parent{path.substr(0, path.rfind('/')), fake_};
            for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
                auto mine = d.read(f);
                if (mine && !mine->empty()) continue;
                if (auto p = parent.read(f); p && !p->empty()) d.write(f, *p);
            }
        }
    }

    // Writes a file a setting needs; a missing file means the host lacks the feature.
    void set(const cgfs::Dir& d, const std::string& file, const std::string& value, const std::string& field) const {
        int err = d.try_write(file, value);
        if (err == ENOENT)
            throw Error(field + ": this host does not support it (" + d.file(file) + " does not exist)");
        if (err) throw_errno("write " + value + " to " + d.file(file), err);
    }

    void apply(const Resources& r);
    void apply_memory(const Resources& r);
    void apply_cpu(const Resources& r);
    void apply_blkio(const Resources& r);
    void apply_devices(const std::vector<DeviceRule>& rules);
};

void CgroupV1::apply(const Resources& r) {
    if (!r.unified.empty())
        throw Error("linux.resources.unified: cgroup v2 settings can't be applied on this cgroup v1 host");
    if (!r.cpuset_cpus.empty()) set(dir("cpuset", "linux.resources.cpu.cpus"), "cpuset.cpus", r.cpuset_cpus, "linux.resources.cpu.cpus");
    if (!r.cpuset_mems.empty()) set(dir("cpuset", "linux.resources.cpu.mems"), "cpuset.mems", r.cpuset_mems, "linux.resources.cpu.mems");
    apply_memory(r);
    apply_cpu(r);
    if (r.pids_limit) {
        std::string v = *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max";
        set(dir("pids", "linux.resources.pids.limit"), "pids.max", v, "linux.resources.pids.limit");
    }
    apply_blkio(r);
    for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
        const auto& l = r.hugepage_limits[i];
        std::string field = "linux.resources.hugepageLimits[" + std::to_string(i) + "]";
        auto d = dir("hugetlb", field);
        std::string file = "hugetlb." + l.page_size + ".limit_in_bytes";
        if (!fake_ && !d.has(file))
            throw Error(field + ".pageSize: " + l.page_size + " is not a huge page size of this host");
        set(d, file, std::to_string(l.limit), field);
        std::string rsvd = "hugetlb." + l.page_size + ".rsvd.limit_in_bytes";
        if (!fake_ && d.has(rsvd)) set(d, rsvd, std::to_string(l.limit), field);
    }
    if (r.net_cls_classid)
        set(dir("net_cls", "linux.resources.network.classID"), "net_cls.classid", std::to_string(*r.net_cls_classid),
            "linux.resources.network.classID");
    for (const auto& [ifname, prio] : r.net_prio_ifpriomap)
        set(dir("net_prio", "linux.resources.network.priorities"), "net_prio.ifpriomap",
            ifname + " " + std::to_string(prio), "linux.resources.network.priorities");
    if (r.devices) apply_devices(*r.devices);
}

void CgroupV1::apply_memory(const Resources& r) {
    const std::string f = "linux.resources.memory";
    bool any = r.memory_limit || r.memory_swap || r.memory_reservation || r.memory_kernel || r.memory_kernel_tcp ||
               r.memory_swappiness || r.disable_oom_killer;
    if (!any) return;
    auto d = dir("memory", f);
    std::optional<int64_t> limit = r.memory_limit, swap = r.memory_swap;
    // Unlimited memory with swap unset: unlimited swap too.
    if (limit && *limit == -1 && !swap) swap = -1;
    auto write_limit = [&] { set(d, "memory.limit_in_bytes", std::to_string(*limit), f + ".limit"); };
    auto write_swap = [&] { set(d, "memory.memsw.limit_in_bytes", std::to_string(*swap), f + ".swap"); };
    if (limit && swap) {
        // memsw may never be below the memory limit: raise the one that must
        // move first.
        uint64_t current = stats::parse_value(d.read("memory.limit_in_bytes").value_or("0"));
        if (*swap == -1 || current < uint64_t(*swap)) {
            write_swap();
            write_limit();
        } else {
            write_limit();
            write_swap();
        }
    } else if (limit) {
        write_limit();
    } else if (swap) {
        write_swap();
    }
    if (r.memory_reservation)
        set(d, "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation), f + ".reservation");
    // Kernel memory limits are obsolete; kernels that dropped them lack the files.
    if (r.memory_kernel && d.has("memory.kmem.limit_in_bytes"))
        set(d, "memory.kmem.limit_in_bytes", std::to_string(*r.memory_kernel), f + ".kernel");
    if (r.memory_kernel_tcp && d.has("memory.kmem.tcp.limit_in_bytes"))
        set(d, "memory.kmem.tcp.limit_in_bytes", std::to_string(*r.memory_kernel_tcp), f + ".kernelTCP");
    if (r.memory_swappiness) set(d, "memory.swappiness", std::to_string(*r.memory_swappiness), f + ".swappiness");
    if (r.disable_oom_killer) set(d, "memory.oom_control", "1", f + ".disableOOMKiller");
}

void CgroupV1::apply_cpu(const Resources& r) {
    const std::string f = "linux.resources.cpu";
    bool any = r.cpu_shares || r.cpu_quota || r.cpu_period || r.cpu_burst || r.cpu_realtime_period ||
               r.cpu_realtime_runtime || r.cpu_idle;
    if (!any) return;
    auto d = dir("cpu", f);
    if (r.cpu_shares) {
        set(d, "cpu.shares", std::to_string(*r.cpu_shares), f + ".shares");
        // The kernel clamps out-of-range shares; say so rather than run with
        // something else than asked.
        if (!fake_) {
            auto got = d.read("cpu.shares");
            if (got && *got != std::to_string(*r.cpu_shares))
                throw Error(f + ".shares: the kernel set " + *got + " instead of " + std::to_string(*r.cpu_shares));
        }
    }
    if (r.cpu_period || r.cpu_quota) {
        // A new period may be invalid with the old quota and the other way
        // round: try period first, then the other order.
        auto write_quota = [&] {
            if (r.cpu_quota) set(d, "cpu.cfs_quota_us", std::to_string(*r.cpu_quota), f + ".quota");
        };
        if (r.cpu_period) {
            int err = d.try_write("cpu.cfs_period_us", std::to_string(*r.cpu_period));
            if (err == EINVAL) {
                write_quota();
                set(d, "cpu.cfs_period_us", std::to_string(*r.cpu_period), f + ".period");
            } else if (err) {
                set(d, "cpu.cfs_period_us", std::to_string(*r.cpu_period), f + ".period");
            } else {
                write_quota();
            }
        } else {
            write_quota();
        }
    }
    if (r.cpu_burst) set(d, "cpu.cfs_burst_us", std::to_string(*r.cpu_burst), f + ".burst");
    if (r.cpu_realtime_period)
        set(d, "cpu.rt_period_us", std::to_string(*r.cpu_realtime_period), f + ".realtimePeriod");
    if (r.cpu_realtime_runtime)
        set(d, "cpu.rt_runtime_us", std::to_string(*r.cpu_realtime_runtime), f + ".realtimeRuntime");
    if (r.cpu_idle) set(d, "cpu.idle", std::to_string(*r.cpu_idle), f + ".idle");
}

void CgroupV1::apply_blkio(const Resources& r) {
    const std::string f = "linux.resources.blockIO";
    bool any = r.blkio_weight || r.blkio_leaf_weight || !r.blkio_weight_devices.empty() ||
               !r.throttle_read_bps.empty() || !r.throttle_write_bps.empty() || !r.throttle_read_iops.empty() ||
               !r.throttle_write_iops.empty();
    if (!any) return;
    auto d = dir("blkio", f);
    // CFQ had blkio.weight; BFQ has blkio.bfq.weight; without either the
    // host's I/O scheduler has no weights.
    std::string weight_file = (fake_ || d.has("blkio.weight")) ? "blkio.weight" : "blkio.bfq.weight";
    std::string device_file = weight_file + "_device";
    if (r.blkio_weight) set(d, weight_file, std::to_string(*r.blkio_weight), f + ".weight");
    if (r.blkio_leaf_weight) set(d, "blkio.leaf_weight", std::to_string(*r.blkio_leaf_weight), f + ".leafWeight");
    for (const auto& wd : r.blkio_weight_devices) {
        std::string dev = std::to_string(wd.major) + ":" + std::to_string(wd.minor) + " ";
        if (wd.weight) set(d, device_file, dev + std::to_string(*wd.weight), f + ".weightDevice");
        if (wd.leaf_weight)
            set(d, "blkio.leaf_weight_device", dev + std::to_string(*wd.leaf_weight), f + ".weightDevice");
    }
    auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* file, const char* field) {
        for (const auto& t : list)
            set(d, file, std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + std::to_string(t.rate),
                f + "." + field);
    };
    throttle(r.throttle_read_bps, "blkio.throttle.read_bps_device", "throttleReadBpsDevice");
    throttle(r.throttle_write_bps, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice");
    throttle(r.throttle_read_iops, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice");
    throttle(r.throttle_write_iops, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice");
}

void CgroupV1::apply_devices(const std::vector<DeviceRule>& rules) {
    // The config always has rules (the defaults at least); a host without a
    // devices hierarchy can't enforce them.
    auto d = dir("devices", "linux.resources.devices");
    DeviceRuleSet set = DeviceRuleSet::from_rules(rules);
    // An entry is "type major:minor" and its access bits; the kernel merges
    // the bits of entries with the same key.
    using Entries = std::map<std::string, std::string>;
    auto add = [](Entries& m, const std::string& line) {
        auto sp = line.rfind(' ');
        if (sp == std::string::npos) return;
        std::string& acc = m[line.substr(0, sp)];
        for (char c : line.substr(sp + 1))
            if (acc.find(c) == std::string::npos) acc += c;
    };
    auto minus = [](const std::string& a, const std::string& b) {
        std::string out;
        for (char c : std::string("rwm"))
            if (a.find(c) != std::string::npos && b.find(c) == std::string::npos) out += c;
        return out;
    };
    Entries want;
    for (const DeviceRule& e : set.exceptions) add(want, e.v1_line());

    // devices.list shows the allowed entries of an allow-list cgroup, or
    // "a *:* rwm" for one that allows everything but its exceptions.
    Entries have;
    bool have_allow_list = false;
    if (auto list = d.read("devices.list")) {
        have_allow_list = true;
        for (std::string_view l : split(*list, '\n')) {
            if (l.empty()) continue;
            std::string line(l);
            if (line == "a *:* rwm") have_allow_list = false;
            add(have, line);
        }
    }
    if (!set.default_allow && have_allow_list) {
        // Allow-list to allow-list (update of a running container): grant the
        // new access bits first, then take away the old ones, so no device
        // that stays allowed is ever denied in between.
        for (const auto& [key, acc] : want) {
            auto it = have.find(key);
            std::string grant = minus(acc, it == have.end() ? "" : it->second);
            if (!grant.empty()) d.write("devices.allow", key + " " + grant);
        }
        for (const auto& [key, acc] : have) {
            auto it = want.find(key);
            std::string revoke = minus(acc, it == want.end() ? "" : it->second);
            if (!revoke.empty()) d.write("devices.deny", key + " " + revoke);
        }
        return;
    }
    // Reset to the default, then punch the exceptions: "a" clears every
    // exception, so the result is exactly `set` whatever was there before.
    cgfs::Writer allow(d, "devices.allow"), deny(d, "devices.deny");
    (set.default_allow ? allow : deny).write("a");
    for (const DeviceRule& e : set.exceptions) (e.allow ? allow : deny).write(e.v1_line());
}

json CgroupV1::stats() const {
    json s = stats::empty();
    auto read = [&](const char* controller, const std::string& file) -> std::optional<std::string> {
        if (!has(controller)) return std::nullopt;
        return cgfs::Dir{dirs_.at(controller), fake_}.read(file);
    };
    auto num = [&](const char* controller, const std::string& file) -> uint64_t {
        auto v = read(controller, file);
        return v ? stats::parse_value(*v) : 0;
    };

    // cpu: cpuacct for usage, cpu for throttling.
    json& usage = s["cpu"]["usage"];
    stats::put_nonzero(usage, "total", num("cpuacct", "cpuacct.usage"));
    for (auto [file, key] : {std::pair{"cpuacct.usage_percpu", "percpu"},
                             std::pair{"cpuacct.usage_percpu_sys", "percpu_kernel"},
                             std::pair{"cpuacct.usage_percpu_user", "percpu_user"}})
        if (auto v = read("cpuacct", file)) {
            auto list = stats::parse_numbers(*v);
            if (!list.empty()) usage[key] = list;
        }
    if (auto v = read("cpuacct", "cpuacct.stat")) {
        auto kv = stats::parse_key_values(*v);
        uint64_t ns_per_tick = 1000000000ull / uint64_t(::sysconf(_SC_CLK_TCK));
        usage["user"] = kv["user"] * ns_per_tick;
        usage["kernel"] = kv["system"] * ns_per_tick;
    }
    if (auto v = read("cpu", "cpu.stat")) {
        auto kv = stats::parse_key_values(*v);
        json& t = s["cpu"]["throttling"];
        stats::put_nonzero(t, "periods", kv["nr_periods"]);
        stats::put_nonzero(t, "throttledPeriods", kv["nr_throttled"]);
        stats::put_nonzero(t, "throttledTime", kv["throttled_time"]);
    }

    if (has("cpuset")) {
        json& c = s["cpuset"];
        if (auto v = read("cpuset", "cpuset.cpus"); v && !v->empty()) c["cpus"] = stats::parse_cpu_list(*v);
        if (auto v = read("cpuset", "cpuset.mems"); v && !v->empty()) c["mems"] = stats::parse_cpu_list(*v);
        for (const char* k : {"cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate",
                              "memory_spread_page", "memory_spread_slab", "memory_pressure", "sched_load_balance"})
            c[k] = num("cpuset", std::string("cpuset.") + k);
        if (auto v = read("cpuset", "cpuset.sched_relax_domain_level"); v && !v->empty()) {
            try {
                c["sched_relax_domain_level"] = std::stoll(*v);
            } catch (...) {
            }
        }
    }

    if (has("memory")) {
        json& m = s["memory"];
        auto entry = [&](const std::string& prefix) {
            json e = {{"limit", num("memory", prefix + "limit_in_bytes")}};
            stats::put_nonzero(e, "usage", num("memory", prefix + "usage_in_bytes"));
            stats::put_nonzero(e, "max", num("memory", prefix + "max_usage_in_bytes"));
            e["failcnt"] = num("memory", prefix + "failcnt");
            return e;
        };
        m["usage"] = entry("memory.");
        m["swap"] = entry("memory.memsw.");
        m["kernel"] = entry("memory.kmem.");
        m["kernelTCP"] = entry("memory.kmem.tcp.");
        if (auto v = read("memory", "memory.stat")) {
            auto raw = stats::parse_key_values(*v);
            if (!raw.empty()) m["raw"] = raw;
            stats::put_nonzero(m, "cache", raw["cache"]);
        }
    }

    if (has("pids")) {
        stats::put_nonzero(s["pids"], "current", num("pids", "pids.current"));
        uint64_t max = num("pids", "pids.max");
        if (max != UINT64_MAX) stats::put_nonzero(s["pids"], "limit", max);
    }

    if (has("blkio")) {
        static const std::pair<const char*, const char*> tables[] = {
            {"ioServiceBytesRecursive", "io_service_bytes_recursive"},
            {"ioServicedRecursive", "io_serviced_recursive"},
            {"ioQueueRecursive", "io_queued_recursive"},
            {"ioServiceTimeRecursive", "io_service_time_recursive"},
            {"ioWaitTimeRecursive", "io_wait_time_recursive"},
            {"ioMergedRecursive", "io_merged_recursive"},
            {"ioTimeRecursive", "time_recursive"},
            {"sectorsRecursive", "sectors_recursive"},
        };
        // The CFQ files, else BFQ's, else only the throttling layer's counts.
        for (const char* prefix : {"blkio.", "blkio.bfq.", "blkio.throttle."}) {
            json b = json::object();
            for (auto [key, file] : tables)
                if (auto v = read("blkio", prefix + std::string(file))) {
                    json entries = stats::parse_blkio_v1(*v);
                    if (!entries.empty()) b[key] = entries;
                }
            if (!b.empty()) {
                s["blkio"] = b;
                break;
            }
        }
    }

    if (has("hugetlb")) {
        cgfs::Dir d{dirs_.at("hugetlb"), fake_};
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(d.path, ec)) {
            std::string name = e.path().filename().string();
            const std::string suffix = ".limit_in_bytes";
            if (name.rfind("hugetlb.", 0) != 0 || name.size() <= suffix.size() + 8 ||
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0 ||
                name.find(".rsvd.") != std::string::npos)
                continue;
            std::string size = name.substr(8, name.size() - 8 - suffix.size());
            json h = json::object();
            stats::put_nonzero(h, "usage", num("hugetlb", "hugetlb." + size + ".usage_in_bytes"));
            stats::put_nonzero(h, "max", num("hugetlb", "hugetlb." + size + ".max_usage_in_bytes"));
            h["failcnt"] = num("hugetlb", "hugetlb." + size + ".failcnt");
            s["hugetlb"][size] = h;
        }
    }
    return s;
}

}  // namespace

std::unique_ptr<Cgroup> make_v1_cgroup(std::map<std::string, std::string> dirs, std::string unified, bool fake,
                                       Resources resources) {
    return std::make_unique<CgroupV1>(std::move(dirs), std::move(unified), fake, std::move(resources));
}

}  // namespace ctr::runtime

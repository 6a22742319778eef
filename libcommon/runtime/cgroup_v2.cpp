// cgroup v2: one directory in the unified hierarchy. Controllers must be
// enabled in every ancestor's cgroup.subtree_control before a descendant
// gets their files; device access is an eBPF program attached to the cgroup.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <set>

#include "libcommon/runtime/cgroup_devices_bpf.h"
#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/runtime/cgroup_fs.h"
#include "libcommon/runtime/cgroup_stats.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/text.h"

namespace ctr::runtime {

using nlohmann::json;

namespace {

std::set<std::string> words(const std::string& s) {
    std::set<std::string> out;
    for (std::string_view w : fields(s)) out.emplace(w);
    return out;
}

class CgroupV2 final : public Cgroup {
public:
    CgroupV2(std::string dir, std::string mount, bool fake, Resources resources)
        : dir_{std::move(dir), fake}, mount_(std::move(mount)), resources_(std::move(resources)) {}

    json describe() const override {
        json j = {{"driver", "cgroupfs"}, {"version", 2}, {"path", dir_.path}, {"mount", mount_}};
        if (dir_.fake) j["fake"] = true;
        return j;
    }

    std::map<std::string, std::string> paths() const override { return {{"", dir_.path}}; }

    void create(pid_t pid) override {
        std::vector<std::string> made = cgfs::make_dirs(dir_.path);
        try {
            enable_controllers();
            apply(resources_);
            enter(pid);
        } catch (...) {
            for (auto it = made.rbegin(); it != made.rend(); ++it) {
                if (dir_.fake) {
                    try { cgfs::remove_tree(*it, true); } catch (...) {}
                } else {
                    ::rmdir(it->c_str());
                }
            }
            throw;
        }
    }

    void enter(pid_t pid) override { dir_.write("cgroup.procs", std::to_string(pid)); }

    void update(const json& resources) override {
        apply(resources_with_default_devices(parse_resources(resources)));
    }

    void freeze() override { set_frozen(true); }
    void thaw() override { set_frozen(false); }

    bool frozen() const override {
        auto v = dir_.read("cgroup.freeze");
        if (!v) return false;
        std::string s = *v;
        if (auto nl = s.rfind('\n'); nl != std::string::npos) s = s.substr(nl + 1);  // fake: last write
        return s == "1";
    }

    void kill(int signal) override {
        if (signal == SIGKILL && !dir_.fake && dir_.has("cgroup.kill")) {
            dir_.write("cgroup.kill", "1");
            return;
        }
        signal_all_frozen(*this, signal);
    }

    std::vector<pid_t> pids() const override { return cgfs::procs_recursive(dir_.path); }

    json stats() const override;

    void destroy() override { cgfs::remove_tree(dir_.path, dir_.fake); }

private:
    cgfs::Dir dir_;
    std::string mount_;
    Resources resources_;

    // Every controller an ancestor offers, enabled for its children, from
    // the top of the hierarchy down to our parent (as runc does). Failures
    // are left for the settings that need the controller to report.
    void enable_controllers() const {
        std::filesystem::path rel = std::filesystem::path(dir_.path).lexically_relative(mount_);
        if (rel.empty() || *rel.begin() == "..") return;
        std::string cur = mount_;
        std::vector<std::string> levels = {cur};
        for (const auto& part : rel) {
            cur += "/" + part.string();
            levels.push_back(cur);
        }
        levels.pop_back();  // our own cgroup keeps its processes, so enables nothing
        for (const auto& level : levels) {
            cgfs::Dir d{level, dir_.fake};
            auto offered = words(d.read("cgroup.controllers").value_or(""));
            auto enabled = words(d.read("cgroup.subtree_control").value_or(""));
            std::string todo;
            for (const auto& c : offered)
                if (!enabled.count(c)) todo += (todo.empty() ? "+" : " +") + c;
            if (todo.empty()) continue;
            if (d.try_write("cgroup.subtree_control", todo) != 0)
                for (const auto& c : offered)
                    if (!enabled.count(c)) d.try_write("cgroup.subtree_control", "+" + c);
        }
    }

    // Writes a controller file; a missing one means the controller is not enabled here.
    void set(const std::string& file, const std::string& value, const std::string& field) const {
        int err = dir_.try_write(file, value);
        if (err == ENOENT) {
            std::string controller = file.substr(0, file.find('.'));
            throw Error(field + ": the " + controller + " controller is not available in " + dir_.path + " (" +
                        file + " does not exist; is it enabled in the parent's cgroup.subtree_control?)");
        }
        if (err) throw_errno("write " + value + " to " + dir_.file(file), err);
    }

    void set_frozen(bool on) {
        dir_.write("cgroup.freeze", on ? "1" : "0");
        if (dir_.fake) return;
        std::string want = on ? "frozen 1" : "frozen 0";
        auto done = [&] {
            auto events = dir_.read("cgroup.events").value_or("");
            return events.find(want) != std::string::npos;
        };
        if (!wait_for(done, 5000)) {
            if (on) dir_.try_write("cgroup.freeze", "0");
            throw Error(std::string(on ? "freeze " : "thaw ") + dir_.path + ": tasks did not " +
                        (on ? "freeze" : "thaw") + " within 5s");
        }
    }

    void apply(const Resources& r);
};

void CgroupV2::apply(const Resources& r) {
    const std::string f = "linux.resources";
    if (!r.cpuset_cpus.empty()) set("cpuset.cpus", r.cpuset_cpus, f + ".cpu.cpus");
    if (!r.cpuset_mems.empty()) set("cpuset.mems", r.cpuset_mems, f + ".cpu.mems");

    // memory: swap first (it may be lowered below the old memory.max), then
    // the limit, then the reservation. Kernel limits, swappiness and the OOM
    // killer switch have no v2 equivalent and are ignored, as runc does.
    if (r.memory_limit || r.memory_swap || r.memory_reservation) {
        std::string swap = v2_swap_max(r.memory_swap, r.memory_limit);
        if (swap.empty() && r.memory_swap && r.memory_limit && *r.memory_swap == *r.memory_limit) swap = "0";
        if (!swap.empty()) {
            int err = dir_.try_write("memory.swap.max", swap);
            if (err == ENOENT && !dir_.has("memory.max")) {
                set("memory.swap.max", swap, f + ".memory.swap");  // no memory controller: say so
            } else if (err == ENOENT && swap != "max" && swap != "0") {
                throw Error(f + ".memory.swap: this host has no swap accounting (" + dir_.file("memory.swap.max") +
                            " does not exist)");
            } else if (err && err != ENOENT) {
                throw_errno("write " + swap + " to " + dir_.file("memory.swap.max"), err);
            }
            // Without swap accounting, "unlimited" and "none" need no file.
        }
        if (r.memory_limit)
            set("memory.max", *r.memory_limit == -1 ? "max" : std::to_string(*r.memory_limit), f + ".memory.limit");
        if (r.memory_reservation)
            set("memory.low", *r.memory_reservation == -1 ? "max" : std::to_string(*r.memory_reservation),
                f + ".memory.reservation");
    }

    if (r.cpu_realtime_period || r.cpu_realtime_runtime)
        throw Error(f + ".cpu.realtimeRuntime: realtime scheduling limits do not exist on cgroup v2");
    if (r.cpu_shares) set("cpu.weight", std::to_string(cpu_shares_to_weight(*r.cpu_shares)), f + ".cpu.shares");
    if (r.cpu_quota || r.cpu_period) {
        std::string max = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
        max += " " + std::to_string(r.cpu_period.value_or(100000));
        set("cpu.max", max, f + ".cpu.quota");
    }
    if (r.cpu_burst) set("cpu.max.burst", std::to_string(*r.cpu_burst), f + ".cpu.burst");
    if (r.cpu_idle) set("cpu.idle", std::to_string(*r.cpu_idle), f + ".cpu.idle");

    if (r.pids_limit) set("pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max", f + ".pids.limit");

    // io: BFQ takes blkio weights as they are; io.weight wants them scaled.
    bool bfq = dir_.has("io.bfq.weight");
    if (r.blkio_weight) {
        if (bfq) set("io.bfq.weight", std::to_string(*r.blkio_weight), f + ".blockIO.weight");
        else set("io.weight", std::to_string(blkio_weight_to_io_weight(*r.blkio_weight)), f + ".blockIO.weight");
    }
    for (const auto& wd : r.blkio_weight_devices) {
        if (!wd.weight) continue;
        std::string dev = std::to_string(wd.major) + ":" + std::to_string(wd.minor) + " ";
        if (bfq) set("io.bfq.weight", dev + std::to_string(*wd.weight), f + ".blockIO.weightDevice");
        else set("io.weight", dev + std::to_string(blkio_weight_to_io_weight(*wd.weight)), f + ".blockIO.weightDevice");
    }
    auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* key, const char* field) {
        for (const auto& t : list)
            set("io.max",
                std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + key + "=" + std::to_string(t.rate),
                f + ".blockIO." + field);
    };
    throttle(r.throttle_read_bps, "rbps", "throttleReadBpsDevice");
    throttle(r.throttle_write_bps, "wbps", "throttleWriteBpsDevice");
    throttle(r.throttle_read_iops, "riops", "throttleReadIOPSDevice");
    throttle(r.throttle_write_iops, "wiops", "throttleWriteIOPSDevice");

    for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
        const auto& l = r.hugepage_limits[i];
        std::string field = f + ".hugepageLimits[" + std::to_string(i) + "]";
        set("hugetlb." + l.page_size + ".max", std::to_string(l.limit), field);
        std::string rsvd = "hugetlb." + l.page_size + ".rsvd.max";
        if (!dir_.fake && dir_.has(rsvd)) set(rsvd, std::to_string(l.limit), field);
    }
    // net_cls and net_prio are v1-only; on v2 network classification is done
    // with eBPF or nftables by the network owner. runc ignores them too.

    for (const auto& [key, value] : r.unified) set(key, value, f + ".unified." + key);

    if (r.devices && !dir_.fake) attach_device_filter(dir_.path, DeviceRuleSet::from_rules(*r.devices));
}

json CgroupV2::stats() const {
    json s = stats::empty();
    auto num = [&](const std::string& file) -> std::optional<uint64_t> {
        auto v = dir_.read(file);
        if (!v) return std::nullopt;
        return stats::parse_value(*v);
    };

    if (auto v = dir_.read("cpu.stat")) {
        auto kv = stats::parse_key_values(*v);
        json& usage = s["cpu"]["usage"];
        stats::put_nonzero(usage, "total", kv["usage_usec"] * 1000);
        usage["user"] = kv["user_usec"] * 1000;
        usage["kernel"] = kv["system_usec"] * 1000;
        json& t = s["cpu"]["throttling"];
        stats::put_nonzero(t, "periods", kv["nr_periods"]);
        stats::put_nonzero(t, "throttledPeriods", kv["nr_throttled"]);
        stats::put_nonzero(t, "throttledTime", kv["throttled_usec"] * 1000);
    }

    if (auto current = num("memory.current")) {
        json& m = s["memory"];
        uint64_t limit = num("memory.max").value_or(UINT64_MAX);
        json usage = {{"limit", limit}};
        stats::put_nonzero(usage, "usage", *current);
        stats::put_nonzero(usage, "max", num("memory.peak").value_or(0));
        usage["failcnt"] = 0;
        if (auto ev = dir_.read("memory.events")) usage["failcnt"] = stats::parse_key_values(*ev)["max"];
        m["usage"] = usage;
        // v1 reported memory+swap; keep that meaning.
        if (auto swap = num("memory.swap.current")) {
            uint64_t swap_limit = num("memory.swap.max").value_or(UINT64_MAX);
            json sw = {{"limit", swap_limit == UINT64_MAX || limit == UINT64_MAX ? UINT64_MAX : swap_limit + limit}};
            stats::put_nonzero(sw, "usage", *swap + *current);
            sw["failcnt"] = 0;
            m["swap"] = sw;
        }
        if (auto v = dir_.read("memory.stat")) {
            auto raw = stats::parse_key_values(*v);
            if (!raw.empty()) m["raw"] = raw;
            stats::put_nonzero(m, "cache", raw["file"]);
        }
    }

    if (auto current = num("pids.current")) {
        stats::put_nonzero(s["pids"], "current", *current);
        uint64_t max = num("pids.max").value_or(UINT64_MAX);
        if (max != UINT64_MAX) stats::put_nonzero(s["pids"], "limit", max);
    }

    if (auto v = dir_.read("io.stat")) s["blkio"] = stats::parse_io_stat_v2(*v);

    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path, ec)) {
        std::string name = e.path().filename().string();
        if (name.rfind("hugetlb.", 0) != 0 || name.size() <= 12 || name.compare(name.size() - 4, 4, ".max") != 0 ||
            name.find(".rsvd.") != std::string::npos)
            continue;
        std::string size = name.substr(8, name.size() - 12);
        json h = json::object();
        stats::put_nonzero(h, "usage", num("hugetlb." + size + ".current").value_or(0));
        uint64_t failcnt = 0;
        if (auto ev = dir_.read("hugetlb." + size + ".events")) failcnt = stats::parse_key_values(*ev)["max"];
        h["failcnt"] = failcnt;
        s["hugetlb"][size] = h;
    }
    return s;
}

}  // namespace

std::unique_ptr<Cgroup> make_v2_cgroup(std::string dir, std::string mount, bool fake, Resources resources) {
    return std::make_unique<CgroupV2>(std::move(dir), std::move(mount), fake, std::move(resources));
}

}  // namespace ctr::runtime

#include "libcommon/runtime/cgroup_resources.h"

#include <algorithm>
#include <limits>

#include "libcommon/sys/error.h"

namespace ctr::runtime {

using nlohmann::json;

namespace {

// Typed reads of one field, with errors that name it.
class Fields {
public:
    Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
        if (!obj_.is_null() && !obj_.is_object()) throw Error(where_ + ": expected an object");
    }

    const json* get(const char* key) const {
        if (obj_.is_null()) return nullptr;
        auto it = obj_.find(key);
        if (it == obj_.end() || it->is_null()) return nullptr;
        return &*it;
    }
    std::string name(const char* key) const { return where_ + "." + key; }
    // A member object, or null when absent.
    const json& child(const char* key) const {
        static const json null;
        const json* v = get(key);
        return v ? *v : null;
    }

    std::optional<int64_t> i64(const char* key) const {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (v->is_number_integer()) {
            if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
                throw Error(name(key) + ": " + v->dump() + " is too large");
            return v->get<int64_t>();
        }
        throw Error(name(key) + ": expected an integer, got " + v->dump());
    }
    std::optional<uint64_t> u64(const char* key, uint64_t max = std::numeric_limits<uint64_t>::max()) const {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_number_integer() || (v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0))
            throw Error(name(key) + ": expected a non-negative integer, got " + v->dump());
        uint64_t n = v->get<uint64_t>();
        if (n > max) throw Error(name(key) + ": " + std::to_string(n) + " is larger than " + std::to_string(max));
        return n;
    }
    std::optional<bool> boolean(const char* key) const {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_boolean()) throw Error(name(key) + ": expected true or false, got " + v->dump());
        return v->get<bool>();
    }
    std::optional<std::string> str(const char* key) const {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_string()) throw Error(name(key) + ": expected a string, got " + v->dump());
        return v->get<std::string>();
    }
    // Calls fn(element, "where.key[i]") for each element of an array field.
    template <typename Fn>
    void each(const char* key, Fn fn) const {
        const json* v = get(key);
        if (!v) return;
        if (!v->is_array()) throw Error(name(key) + ": expected an array");
        for (size_t i = 0; i < v->size(); ++i) fn((*v)[i], name(key) + "[" + std::to_string(i) + "]");
    }

private:
    const json& obj_;
    std::string where_;
};

std::optional<int64_t> nonzero(std::optional<int64_t> v) { return v && *v != 0 ? v : std::nullopt; }
std::optional<uint64_t> nonzero(std::optional<uint64_t> v) { return v && *v != 0 ? v : std::nullopt; }

std::vector<ThrottleDevice> throttles(const Fields& f, const char* key) {
    std::vector<ThrottleDevice> out;
    f.each(key, [&](const json& e, const std::string& where) {
        Fields d(e, where);
        out.push_back({d.i64("major").value_or(0), d.i64("minor").value_or(0), d.u64("rate").value_or(0)});
    });
    return out;
}

DeviceRule parse_device_rule(const json& e, const std::string& where) {
    Fields d(e, where);
    DeviceRule rule;
    rule.allow = d.boolean("allow").value_or(false);
    std::string type = d.str("type").value_or("a");
    if (type != "a" && type != "b" && type != "c")
        throw Error(where + ".type: \"" + type + "\" is not a, b or c");
    rule.type = type[0];
    rule.major = d.i64("major").value_or(-1);
    rule.minor = d.i64("minor").value_or(-1);
    rule.access = d.str("access").value_or("");
    if (rule.access.empty()) throw Error(where + ".access: may not be empty");
    for (char c : rule.access)
        if (c != 'r' && c != 'w' && c != 'm')
            throw Error(where + ".access: \"" + rule.access + "\" may only hold r, w and m");
    return rule;
}

}  // namespace

std::string DeviceRule::v1_line() const {
    auto num = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
    std::string acc;  // in the kernel's order, as devices.list shows it
    for (char c : std::string("rwm"))
        if (access.find(c) != std::string::npos) acc += c;
    return std::string(1, type) + " " + num(major) + ":" + num(minor) + " " + acc;
}

Resources parse_resources(const json& resources, const std::string& where) {
    Resources r;
    Fields top(resources, where);

    Fields mem(top.child("memory"), top.name("memory"));
    r.memory_limit = nonzero(mem.i64("limit"));
    r.memory_reservation = nonzero(mem.i64("reservation"));
    r.memory_swap = nonzero(mem.i64("swap"));
    r.memory_kernel = nonzero(mem.i64("kernel"));
    r.memory_kernel_tcp = nonzero(mem.i64("kernelTCP"));
    if (const json* s = mem.get("swappiness")) {
        // -1 (as a signed value, or its uint64 wrap-around) means "leave alone".
        if (s->is_number_integer() && !s->is_number_unsigned() && s->get<int64_t>() == -1) {
        } else if (s->is_number_unsigned() && s->get<uint64_t>() == std::numeric_limits<uint64_t>::max()) {
        } else {
            uint64_t v = *mem.u64("swappiness");
            if (v > 100) throw Error(mem.name("swappiness") + ": " + std::to_string(v) + " is not in 0..100");
            r.memory_swappiness = v;
        }
    }
    r.disable_oom_killer = mem.boolean("disableOOMKiller").value_or(false);

    Fields cpu(top.child("cpu"), top.name("cpu"));
    r.cpu_shares = nonzero(cpu.u64("shares"));
    r.cpu_quota = nonzero(cpu.i64("quota"));
    r.cpu_period = nonzero(cpu.u64("period"));
    r.cpu_burst = cpu.u64("burst");
    r.cpu_realtime_runtime = nonzero(cpu.i64("realtimeRuntime"));
    r.cpu_realtime_period = nonzero(cpu.u64("realtimePeriod"));
    r.cpu_idle = cpu.i64("idle");
    r.cpuset_cpus = cpu.str("cpus").value_or("");
    r.cpuset_mems = cpu.str("mems").value_or("");

    Fields pids(top.child("pids"), top.name("pids"));
    r.pids_limit = nonzero(pids.i64("limit"));

    Fields blkio(top.child("blockIO"), top.name("blockIO"));
    auto weight = [](std::optional<uint64_t> v) -> std::optional<uint16_t> {
        return v && *v ? std::optional<uint16_t>(uint16_t(*v)) : std::nullopt;
    };
    r.blkio_weight = weight(blkio.u64("weight", 65535));
    r.blkio_leaf_weight = weight(blkio.u64("leafWeight", 65535));
    blkio.each("weightDevice", [&](const json& e, const std::string& w) {
        Fields d(e, w);
        WeightDevice wd;
        wd.major = d.i64("major").value_or(0);
        wd.minor = d.i64("minor").value_or(0);
        wd.weight = weight(d.u64("weight", 65535));
        wd.leaf_weight = weight(d.u64("leafWeight", 65535));
        r.blkio_weight_devices.push_back(wd);
    });
    r.throttle_read_bps = throttles(blkio, "throttleReadBpsDevice");
    r.throttle_write_bps = throttles(blkio, "throttleWriteBpsDevice");
    r.throttle_read_iops = throttles(blkio, "throttleReadIOPSDevice");
    r.throttle_write_iops = throttles(blkio, "throttleWriteIOPSDevice");

    top.each("hugepageLimits", [&](const json& e, const std::string& w) {
        Fields h(e, w);
        HugepageLimit l;
        l.page_size = h.str("pageSize").value_or("");
        if (l.page_size.empty()) throw Error(w + ".pageSize: may not be empty");
        l.limit = h.u64("limit").value_or(0);
        r.hugepage_limits.push_back(l);
    });

    Fields net(top.child("network"), top.name("network"));
    if (auto id = net.u64("classID", std::numeric_limits<uint32_t>::max())) r.net_cls_classid = uint32_t(*id);
    net.each("priorities", [&](const json& e, const std::string& w) {
        Fields p(e, w);
        std::string ifname = p.str("name").value_or("");
        if (ifname.empty()) throw Error(w + ".name: may not be empty");
        r.net_prio_ifpriomap.emplace_back(ifname, uint32_t(p.u64("priority", 0xffffffffu).value_or(0)));
    });

    if (top.get("devices")) {
        r.devices.emplace();
        top.each("devices", [&](const json& e, const std::string& w) { r.devices->push_back(parse_device_rule(e, w)); });
    }

    if (const json* u = top.get("unified")) {
        if (!u->is_object()) throw Error(top.name("unified") + ": expected an object of strings");
        for (const auto& [k, v] : u->items()) {
            if (!v.is_string()) throw Error(top.name("unified") + "." + k + ": expected a string");
            if (k.empty() || k.find('/') != std::string::npos || k == "." || k == "..")
                throw Error(top.name("unified") + ": \"" + k + "\" is not a cgroup file name");
            r.unified[k] = v.get<std::string>();
        }
    }
    return r;
}

const std::vector<DeviceRule>& default_device_rules() {
    static const std::vector<DeviceRule> rules = {
        {'c', -1, -1, "m", true},   {'b', -1, -1, "m", true},   // mknod anything
        {'c', 1, 3, "rwm", true},   {'c', 1, 8, "rwm", true},   // null, random
        {'c', 1, 7, "rwm", true},   {'c', 5, 0, "rwm", true},   // full, tty
        {'c', 1, 5, "rwm", true},   {'c', 1, 9, "rwm", true},   // zero, urandom
        {'c', 136, -1, "rwm", true}, {'c', 5, 2, "rwm", true},  // pts/*, ptmx
        {'c', 10, 200, "rwm", true},                            // net/tun
    };
    return rules;
}

DeviceRuleSet DeviceRuleSet::from_rules(const std::vector<DeviceRule>& rules) {
    DeviceRuleSet set;
    for (const DeviceRule& rule : rules) {
        if (rule.type == 'a') {
            // "a" resets: everything allowed or everything denied, no exceptions.
            set.default_allow = rule.allow;
            set.exceptions.clear();
            continue;
        }
        auto same = [&](const DeviceRule& e) {
            return e.type == rule.type && e.major == rule.major && e.minor == rule.minor;
        };
        if (rule.allow == set.default_allow) {
            // Takes access away from a matching exception (the kernel matches exactly).
            for (auto it = set.exceptions.begin(); it != set.exceptions.end();) {
                if (same(*it)) {
                    std::string left;
                    for (char c : it->access)
                        if (rule.access.find(c) == std::string::npos) left += c;
                    it->access = left;
                    if (left.empty()) {
                        it = set.exceptions.erase(it);
                        continue;
                    }
                }
                ++it;
            }
            continue;
        }
        auto it = std::find_if(set.exceptions.begin(), set.exceptions.end(), same);
        if (it == set.exceptions.end()) {
            set.exceptions.push_back(rule);
            continue;
        }
        std::string merged;
        for (char c : std::string("rwm"))
            if (it->access.find(c) != std::string::npos || rule.access.find(c) != std::string::npos) merged += c;
        it->access = merged;
    }
    return set;
}

bool DeviceRuleSet::allows(char type, int64_t major, int64_t minor, char access) const {
    for (const DeviceRule& e : exceptions) {
        if (e.type != type) continue;
        if (e.major >= 0 && e.major != major) continue;
        if (e.minor >= 0 && e.minor != minor) continue;
        if (e.access.find(access) == std::string::npos) continue;
        return !default_allow;
    }
    return default_allow;
}

uint64_t cpu_shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    shares = std::clamp<uint64_t>(shares, 2, 262144);
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    weight = std::clamp<uint64_t>(weight, 10, 1000);
    return 1 + (weight - 10) * 9999 / 990;
}

std::string v2_swap_max(std::optional<int64_t> swap, std::optional<int64_t> memory) {
    int64_t s = swap.value_or(0);
    int64_t m = memory.value_or(0);
    // Unlimited memory with swap unset: unlimited swap too (what v1 does).
    if (m == -1 && s == 0) return "max";
    if (s == -1) return "max";
    if (s == 0) return "";
    if (m == 0 || m == -1)
        throw Error("linux.resources.memory.swap: a swap limit needs a memory limit on cgroup v2");
    if (m < 0) throw Error("linux.resources.memory.limit: invalid value " + std::to_string(m));
    if (s < m)
        throw Error("linux.resources.memory.swap: " + std::to_string(s) + " (memory+swap) is below the memory limit " +
                    std::to_string(m));
    return std::to_string(s - m);
}

}  // namespace ctr::runtime

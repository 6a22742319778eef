// linux.resources of config.json, read into types, and the conversions the
// cgroup drivers share (runc's v1 -> v2 value mappings, device rules).
//
// Pure: nothing here touches the disk, so all of it is unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ctr::runtime {

// One linux.resources.devices entry (or a built-in default).
// major/minor -1 mean "*"; type 'a' means every device.
struct DeviceRule {
    char type = 'a';
    int64_t major = -1;
    int64_t minor = -1;
    std::string access = "rwm";
    bool allow = false;

    bool operator==(const DeviceRule&) const = default;
    // The devices cgroup v1 form: "c 1:3 rwm", "a *:* rwm".
    std::string v1_line() const;
};

struct ThrottleDevice {
    int64_t major = 0;
    int64_t minor = 0;
    uint64_t rate = 0;
};

struct WeightDevice {
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leaf_weight;
};

struct HugepageLimit {
    std::string page_size;  // "2MB", "1GB": as in the hugetlb file names
    uint64_t limit = 0;
};

// linux.resources. Values runc treats as "not set" when zero (memory limit,
// reservation and swap, cpu shares/quota/period/realtime, pids limit, blkio
// weights) come out as std::nullopt when zero, so drivers only ask has_value().
struct Resources {
    std::optional<int64_t> memory_limit;
    std::optional<int64_t> memory_reservation;
    std::optional<int64_t> memory_swap;
    std::optional<int64_t> memory_kernel;
    std::optional<int64_t> memory_kernel_tcp;
    std::optional<uint64_t> memory_swappiness;  // absent or -1: leave alone
    bool disable_oom_killer = false;

    std::optional<uint64_t> cpu_shares;
    std::optional<int64_t> cpu_quota;
    std::optional<uint64_t> cpu_period;
    std::optional<uint64_t> cpu_burst;
    std::optional<int64_t> cpu_realtime_runtime;
    std::optional<uint64_t> cpu_realtime_period;
    std::optional<int64_t> cpu_idle;
    std::string cpuset_cpus;
    std::string cpuset_mems;

    std::optional<int64_t> pids_limit;  // -1: unlimited

    std::optional<uint16_t> blkio_weight;
    std::optional<uint16_t> blkio_leaf_weight;
    std::vector<WeightDevice> blkio_weight_devices;
    std::vector<ThrottleDevice> throttle_read_bps;
    std::vector<ThrottleDevice> throttle_write_bps;
    std::vector<ThrottleDevice> throttle_read_iops;
    std::vector<ThrottleDevice> throttle_write_iops;

    std::vector<HugepageLimit> hugepage_limits;

    std::optional<uint32_t> net_cls_classid;
    std::vector<std::pair<std::string, uint32_t>> net_prio_ifpriomap;

    // Set when linux.resources.devices is present.
    std::optional<std::vector<DeviceRule>> devices;

    std::map<std::string, std::string> unified;
};

// Reads linux.resources (null or absent gives an empty Resources). Throws
// ctr::Error naming the field for a value of the wrong type or range
// ("linux.resources.memory.swappiness: 150 is not in 0..100").
Resources parse_resources(const nlohmann::json& resources, const std::string& where = "linux.resources");

// The devices every container may use whatever its config says, appended
// after the config's own rules as runc does: mknod of any char or block
// device, /dev/null, zero, full, random, urandom, tty, ptmx, pts/*, net/tun.
const std::vector<DeviceRule>& default_device_rules();

// The state a devices cgroup v1 reaches after the rules are written in order:
// a default (allow or deny everything) and the exceptions to it. The same
// state drives the v2 eBPF program, so both hierarchies behave alike.
struct DeviceRuleSet {
    bool default_allow = false;
    std::vector<DeviceRule> exceptions;  // each with allow == !default_allow

    static DeviceRuleSet from_rules(const std::vector<DeviceRule>& rules);
    // Whether an access ('r', 'w' or 'm') to a device is allowed.
    bool allows(char type, int64_t major, int64_t minor, char access) const;
};

// runc's cpu.shares (2..262144) -> cpu.weight (1..10000) mapping.
uint64_t cpu_shares_to_weight(uint64_t shares);
// runc's blkio.weight (10..1000) -> io.weight (1..10000) mapping.
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// memory.swap.max for a v1-style swap (memory+swap) and memory limit: the
// value to write ("max", a number) or "" when swap is left alone. Throws when
// the pair is inconsistent, as runc does.
std::string v2_swap_max(std::optional<int64_t> swap, std::optional<int64_t> memory);

}  // namespace ctr::runtime

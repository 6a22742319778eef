// Cgroup: the pure parts (host layout, paths, resources, device rules, the
// eBPF device program, stats parsers) and both drivers against fake trees.
// The real kernel is exercised by tests/integration/cgroup*.bats.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "libcommon/runtime/cgroup.h"
#include "libcommon/runtime/cgroup_devices_bpf.h"
#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/runtime/cgroup_resources.h"
#include "libcommon/runtime/cgroup_stats.h"
#include "libcommon/sys/error.h"

using namespace ctr::runtime;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "90 70 0:32 / /tmp/ctr-test.x/rootfs/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
const char* kHybridSelf =
    "9:name=systemd:/user.slice\n"
    "8:pids:/user.slice/s1\n"
    "4:memory:/process_api/abc\n"
    "1:cpu,cpuacct:/\n"
    "0::/user.slice/s1\n";

// A directory tree that tests delete when done.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/ctr-unit.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
    void file(const std::string& rel, const std::string& text) const {
        fs::create_directories(fs::path(path + "/" + rel).parent_path());
        std::ofstream(path + "/" + rel) << text;
    }
    std::string read(const std::string& rel) const {
        std::ifstream in(path + "/" + rel);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    bool exists(const std::string& rel) const { return fs::exists(path + "/" + rel); }
};

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ctr::Error& e) {
        return e.what();
    }
    return "";
}

json config_with(const json& resources, const std::string& path = "") {
    json c = {{"linux", {{"resources", resources}}}};
    if (!path.empty()) c["linux"]["cgroupsPath"] = path;
    return c;
}

}  // namespace

TEST_CASE("a hybrid host: v1 controllers by name, the unified mount beside them") {
    CgroupHost h = CgroupHost::parse(kHybridMountinfo, kHybridSelf);
    CHECK_FALSE(h.unified);
    REQUIRE(h.v2);
    CHECK(h.v2->mountpoint == "/sys/fs/cgroup/unified");
    CHECK(h.v1.at("cpu").mountpoint == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK(h.v1.at("cpuacct").mountpoint == "/sys/fs/cgroup/cpu,cpuacct");
    // The mount under /sys/fs/cgroup wins over a container's copy of it.
    CHECK(h.v1.at("memory").mountpoint == "/sys/fs/cgroup/memory");
    CHECK(h.v1.at("memory").own == "/process_api/abc");
    CHECK(h.v1.at("name=systemd").mountpoint == "/sys/fs/cgroup/systemd");
    CHECK(h.v1.count("xattr") == 0);
    // What a container's "cgroup" mount shows: the mounts under /sys/fs/cgroup
    // only, in order, with their options (the copy in a rootfs stays out).
    REQUIRE(h.mounts.size() == 5);
    CHECK(h.mounts[0].mountpoint == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK(h.mounts[0].fstype == "cgroup");
    CHECK(h.mounts[0].super_options == "rw,cpu,cpuacct");
    CHECK(h.mounts[3].super_options == "rw,xattr,name=systemd");
    CHECK(h.mounts[4].mountpoint == "/sys/fs/cgroup/unified");
    CHECK(h.mounts[4].fstype == "cgroup2");
}

TEST_CASE("mountinfo's octal escapes and odd lines") {
    CgroupHost h = CgroupHost::parse(
        "\n"
        "short line\n"
        "32 31 0:29 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,pids\n"
        "33 31 0:30 / /sys/fs/cgroupish rw - cgroup cgroup rw,memory",  // no final newline
        "8:pids:/a\n4:memory:/b");
    REQUIRE(h.mounts.size() == 1);
    CHECK(h.mounts[0].mountpoint == "/sys/fs/cgroup/my dir");
    CHECK(h.v1.at("pids").own == "/a");
    CHECK(h.v1.at("memory").mountpoint == "/sys/fs/cgroupish");
}

TEST_CASE("a pure cgroup v2 host") {
    CgroupHost h = CgroupHost::parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
                                     "0::/user.slice/user-0.slice/session-1.scope\n");
    CHECK(h.unified);
    CHECK(h.v1.empty());
    REQUIRE(h.v2);
    CHECK(h.v2->own == "/user.slice/user-0.slice/session-1.scope");
}

TEST_CASE("cgroupsPath follows runc's rules") {
    CgroupHierarchy mem{"/sys/fs/cgroup/memory", "/", "/process_api/abc"};
    CHECK(mem.dir_for("/a/b", false) == "/sys/fs/cgroup/memory/a/b");
    CHECK(mem.dir_for("ctr1", false) == "/sys/fs/cgroup/memory/process_api/abc/ctr1");
    // v2: relative paths hang from the parent of our own cgroup.
    CgroupHierarchy v2{"/sys/fs/cgroup", "/", "/user.slice/user-0.slice/session-1.scope"};
    CHECK(v2.dir_for("ctr1", true) == "/sys/fs/cgroup/user.slice/user-0.slice/ctr1");
    CHECK(v2.dir_for("/machine/ctr1", true) == "/sys/fs/cgroup/machine/ctr1");
    CgroupHierarchy root_v2{"/sys/fs/cgroup", "/", "/"};
    CHECK(root_v2.dir_for("ctr1", true) == "/sys/fs/cgroup/ctr1");
    // Inside a cgroup namespace the mount shows a subtree.
    CgroupHierarchy ns{"/sys/fs/cgroup/pids", "/docker/x", "/docker/x/sub"};
    CHECK(ns.dir_for("c", false) == "/sys/fs/cgroup/pids/sub/c");

    CHECK(clean_cgroup_path("") == "");
    CHECK(clean_cgroup_path("a/../../b") == "b");
    CHECK(clean_cgroup_path("/a/../../b/") == "/b");
    CHECK(clean_cgroup_path("./x//y") == "x/y");
}

TEST_CASE("systemd slice:prefix:name paths") {
    CHECK(expand_systemd_slice("-.slice") == "/");
    CHECK(expand_systemd_slice("system.slice") == "/system.slice");
    CHECK(expand_systemd_slice("a-b-c.slice") == "/a.slice/a-b.slice/a-b-c.slice");
    CHECK(error_of([] { expand_systemd_slice("a--b.slice"); }).find("linux.cgroupsPath") == 0);
    CHECK_FALSE(error_of([] { expand_systemd_slice("foo"); }).empty());

    auto p = parse_systemd_cgroups_path("machine.slice:libpod:abc", "id");
    CHECK(p.unit == "libpod-abc.scope");
    CHECK(p.path == "/machine.slice/libpod-abc.scope");
    auto d = parse_systemd_cgroups_path("", "abc");
    CHECK(d.unit == "ctr-abc.scope");
    CHECK(d.path == "/system.slice/ctr-abc.scope");
    CHECK(parse_systemd_cgroups_path(":docker:x", "id").path == "/system.slice/docker-x.scope");
    CHECK(parse_systemd_cgroups_path("system.slice::x", "id").unit == "x.scope");
    CHECK(error_of([] { parse_systemd_cgroups_path("/a/b", "id"); }).find("slice:prefix:name") != std::string::npos);
}

TEST_CASE("org.systemd.property annotations: the typed properties the systemd helper sends") {
    auto prop = [](const char* name, const char* type, json value) {
        return json{{"name", name}, {"type", type}, {"value", value}};
    };
    CHECK(systemd_annotation_property("CollectMode", "'inactive-or-failed'") ==
          prop("CollectMode", "s", "inactive-or-failed"));
    CHECK(systemd_annotation_property("Delegate", " true ") == prop("Delegate", "b", true));
    CHECK(systemd_annotation_property("CPUWeight", "uint64 300") == prop("CPUWeight", "t", 300));
    CHECK(systemd_annotation_property("Nice", "-5") == prop("Nice", "i", -5));
    CHECK(systemd_annotation_property("TimeoutStopSec", "5") == prop("TimeoutStopUSec", "t", 5000000));
    CHECK(systemd_annotation_property("RuntimeMaxSec", "1.5") == prop("RuntimeMaxUSec", "t", 1500000));
    CHECK(error_of([] { systemd_annotation_property("CPUWeight", "lots"); }) ==
          "annotations.org.systemd.property.CPUWeight: can't read the value \"lots\"");
    CHECK(error_of([] { systemd_annotation_property("A_b", "1"); }).find("not a systemd property name") !=
          std::string::npos);
}

TEST_CASE("linux.resources: types, zero means unset, errors name the field") {
    Resources r = parse_resources(json::parse(R"({
        "memory": {"limit": 1000, "reservation": 0, "swap": -1, "swappiness": 10, "disableOOMKiller": true},
        "cpu": {"shares": 512, "quota": 0, "period": 100000, "cpus": "0-1"},
        "pids": {"limit": 0},
        "blockIO": {"weight": 300, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 100}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
        "unified": {"memory.high": "50000"}
    })"));
    CHECK(r.memory_limit == 1000);
    CHECK_FALSE(r.memory_reservation);
    CHECK(r.memory_swap == -1);
    CHECK(r.memory_swappiness == 10u);
    CHECK(r.disable_oom_killer);
    CHECK(r.cpu_shares == 512u);
    CHECK_FALSE(r.cpu_quota);
    CHECK(r.cpuset_cpus == "0-1");
    CHECK_FALSE(r.pids_limit);
    CHECK(r.blkio_weight == 300);
    CHECK(r.throttle_read_bps.at(0).rate == 100u);
    CHECK(r.hugepage_limits.at(0).page_size == "2MB");
    CHECK(r.net_cls_classid == 1048577u);
    CHECK(r.net_prio_ifpriomap.at(0).first == "eth0");
    CHECK(r.unified.at("memory.high") == "50000");
    CHECK_FALSE(r.devices);

    CHECK_FALSE(parse_resources(json::parse(R"({"memory":{"swappiness":-1}})")).memory_swappiness);
    CHECK(error_of([] { parse_resources(json::parse(R"({"memory":{"swappiness":150}})")); }) ==
          "linux.resources.memory.swappiness: 150 is not in 0..100");
    CHECK(error_of([] { parse_resources(json::parse(R"({"memory":{"limit":"1g"}})")); }) ==
          "linux.resources.memory.limit: expected an integer, got \"1g\"");
    CHECK(error_of([] { parse_resources(json::parse(R"({"devices":[{"allow":true,"type":"x","access":"r"}]})")); }) ==
          "linux.resources.devices[0].type: \"x\" is not a, b or c");
    CHECK(error_of([] { parse_resources(json::parse(R"({"devices":[{"allow":true,"access":""}]})")); }) ==
          "linux.resources.devices[0].access: may not be empty");
    CHECK(error_of([] { parse_resources(json::parse(R"({"unified":{"../x":"1"}})")); }).find("unified") !=
          std::string::npos);
}

TEST_CASE("runc's value conversions for cgroup v2") {
    CHECK(cpu_shares_to_weight(0) == 0);
    CHECK(cpu_shares_to_weight(2) == 1);
    CHECK(cpu_shares_to_weight(1024) == 39);
    CHECK(cpu_shares_to_weight(262144) == 10000);
    CHECK(blkio_weight_to_io_weight(10) == 1);
    CHECK(blkio_weight_to_io_weight(500) == 4950);
    CHECK(blkio_weight_to_io_weight(1000) == 10000);

    CHECK(v2_swap_max(std::nullopt, std::nullopt) == "");
    CHECK(v2_swap_max(std::nullopt, -1) == "max");
    CHECK(v2_swap_max(-1, 1000) == "max");
    CHECK(v2_swap_max(3000, 1000) == "2000");
    CHECK(v2_swap_max(1000, 1000) == "0");
    CHECK_FALSE(error_of([] { v2_swap_max(500, 1000); }).empty());
    CHECK_FALSE(error_of([] { v2_swap_max(500, std::nullopt); }).empty());
}

TEST_CASE("device rules reach the state the v1 kernel would") {
    // The usual shape: deny everything, then allow a few.
    std::vector<DeviceRule> rules = {{'a', -1, -1, "rwm", false}, {'c', 1, 3, "rw", true}};
    auto set = DeviceRuleSet::from_rules(rules);
    CHECK_FALSE(set.default_allow);
    CHECK(set.allows('c', 1, 3, 'r'));
    CHECK_FALSE(set.allows('c', 1, 3, 'm'));
    CHECK_FALSE(set.allows('b', 8, 0, 'r'));

    // Allow everything, then take one device away.
    set = DeviceRuleSet::from_rules({{'a', -1, -1, "rwm", true}, {'b', 8, 0, "rwm", false}});
    CHECK(set.default_allow);
    CHECK_FALSE(set.allows('b', 8, 0, 'r'));
    CHECK(set.allows('b', 8, 1, 'r'));

    // A deny matching an allowed exception takes the access back.
    set = DeviceRuleSet::from_rules({{'c', 1, 3, "rwm", true}, {'c', 1, 3, "w", false}});
    CHECK(set.allows('c', 1, 3, 'r'));
    CHECK_FALSE(set.allows('c', 1, 3, 'w'));
    // Wildcards.
    set = DeviceRuleSet::from_rules({{'c', 136, -1, "rw", true}, {'b', -1, -1, "m", true}});
    CHECK(set.allows('c', 136, 7, 'w'));
    CHECK(set.allows('b', 259, 3, 'm'));
    CHECK_FALSE(set.allows('b', 259, 3, 'r'));

    // The defaults every container gets.
    set = DeviceRuleSet::from_rules(default_device_rules());
    CHECK(set.allows('c', 1, 3, 'w'));   // /dev/null
    CHECK(set.allows('c', 5, 2, 'r'));   // /dev/ptmx
    CHECK(set.allows('c', 8, 1, 'm'));   // mknod of anything
    CHECK_FALSE(set.allows('c', 8, 1, 'r'));
    CHECK(DeviceRule{'c', 136, -1, "rwm", true}.v1_line() == "c 136:* rwm");
}

TEST_CASE("the eBPF device program decides like the rule set") {
    std::vector<std::vector<DeviceRule>> cases = {
        default_device_rules(),
        {{'a', -1, -1, "rwm", true}, {'b', 8, 0, "rw", false}, {'c', 4, -1, "w", false}},
        {{'a', -1, -1, "rwm", false}, {'b', 254, 0, "r", true}, {'c', -1, 5, "rwm", true}},
    };
    for (const auto& rules : cases) {
        auto set = DeviceRuleSet::from_rules(rules);
        auto program = device_filter_program(set);
        for (char type : {'b', 'c'})
            for (uint32_t major : {1u, 4u, 5u, 8u, 136u, 254u})
                for (uint32_t minor : {0u, 1u, 3u, 5u})
                    for (char access : {'r', 'w', 'm'}) {
                        CAPTURE(type);
                        CAPTURE(major);
                        CAPTURE(minor);
                        CAPTURE(access);
                        CHECK(run_device_filter(program, type, major, minor, access) ==
                              set.allows(type, major, minor, access));
                    }
    }
}

TEST_CASE("stats parsers") {
    auto kv = stats::parse_key_values("usage_usec 100\nuser_usec 60\nbogus x\n");
    CHECK(kv["usage_usec"] == 100);
    CHECK(kv.count("bogus") == 0);
    CHECK(stats::parse_value("max\n") == UINT64_MAX);
    CHECK(stats::parse_value("42") == 42);
    CHECK(stats::parse_cpu_list("0-2,5") == std::vector<uint16_t>{0, 1, 2, 5});
    json b = stats::parse_blkio_v1("8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n");
    REQUIRE(b.size() == 3);
    CHECK(b[0] == json({{"major", 8}, {"op", "Read"}, {"value", 4096}}));
    CHECK(b[1] == json({{"major", 8}, {"op", "Write"}}));  // runc's omitempty
    json io = stats::parse_io_stat_v2("254:0 rbytes=1024 wbytes=0 rios=2 wios=0 dbytes=0\n");
    CHECK(io["ioServiceBytesRecursive"][0] == json({{"major", 254}, {"op", "Read"}, {"value", 1024}}));
    CHECK(io["ioServicedRecursive"][0]["value"] == 2);
    json e = stats::empty();
    CHECK(e["memory"]["usage"] == json({{"limit", 0}, {"failcnt", 0}}));
    CHECK(e["network_interfaces"].is_null());
}

TEST_CASE("v1 driver on a fake tree: files written, state round trip, destroy") {
    TempDir t;
    for (const char* c : {"cpu,cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "hugetlb",
                          "net_cls", "net_prio"})
        fs::create_directories(t.path + "/" + c);
    t.file("cpuset/cpuset.cpus", "0-3\n");
    t.file("cpuset/cpuset.mems", "0\n");
    CgroupHost host = CgroupHost::fake_tree(t.path, false);
    json resources = json::parse(R"({
        "memory": {"limit": 100000000, "swap": 200000000, "reservation": 5000, "swappiness": 0},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "realtimeRuntime": 1000, "realtimePeriod": 10000},
        "pids": {"limit": -1},
        "blockIO": {"weight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 100}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 50}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}],
        "network": {"classID": 42, "priorities": [{"name": "lo", "priority": 3}]},
        "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}]
    })");
    auto cg = Cgroup::for_container(config_with(resources, "/outer/c1"), "id", false, host);
    cg->create(4242);
    CHECK(t.read("cpu,cpuacct/outer/c1/cpu.shares") == "512\n");
    CHECK(t.read("cpu,cpuacct/outer/c1/cpu.cfs_period_us") == "100000\n");
    CHECK(t.read("cpu,cpuacct/outer/c1/cpu.cfs_quota_us") == "50000\n");
    CHECK(t.read("cpu,cpuacct/outer/c1/cpu.rt_period_us") == "10000\n");
    CHECK(t.read("cpu,cpuacct/outer/c1/cpu.rt_runtime_us") == "1000\n");
    // cpuset inherited level by level.
    CHECK(t.read("cpuset/outer/cpuset.cpus") == "0-3\n");
    CHECK(t.read("cpuset/outer/c1/cpuset.mems") == "0\n");
    // Memory before memsw when memsw grows past the current (unset) limit... swap first.
    CHECK(t.read("memory/outer/c1/memory.memsw.limit_in_bytes") == "200000000\n");
    CHECK(t.read("memory/outer/c1/memory.limit_in_bytes") == "100000000\n");
    CHECK(t.read("memory/outer/c1/memory.soft_limit_in_bytes") == "5000\n");
    CHECK(t.read("memory/outer/c1/memory.swappiness") == "0\n");
    CHECK(t.read("pids/outer/c1/pids.max") == "max\n");
    CHECK(t.read("blkio/outer/c1/blkio.weight") == "300\n");
    CHECK(t.read("blkio/outer/c1/blkio.weight_device") == "8:0 100\n");
    CHECK(t.read("blkio/outer/c1/blkio.throttle.write_iops_device") == "8:0 50\n");
    CHECK(t.read("hugetlb/outer/c1/hugetlb.2MB.limit_in_bytes") == "2097152\n");
    CHECK(t.read("net_cls/outer/c1/net_cls.classid") == "42\n");
    CHECK(t.read("net_prio/outer/c1/net_prio.ifpriomap") == "lo 3\n");
    std::string devices_allow = t.read("devices/outer/c1/devices.allow");
    CHECK(t.read("devices/outer/c1/devices.deny") == "a\n");
    CHECK(devices_allow.find("b 8:0 r\n") != std::string::npos);
    CHECK(devices_allow.find("c 1:3 rwm\n") != std::string::npos);
    CHECK(t.read("memory/outer/c1/cgroup.procs") == "4242\n");
    CHECK(t.read("cpu,cpuacct/outer/c1/cgroup.procs") == "4242\n");

    auto again = Cgroup::from_state(cg->describe());
    CHECK(again->paths().at("memory") == t.path + "/memory/outer/c1");
    again->enter(77);
    CHECK(t.read("pids/outer/c1/cgroup.procs") == "4242\n77\n");
    again->freeze();
    CHECK(again->frozen());
    again->thaw();
    CHECK_FALSE(again->frozen());
    again->update(json::parse(R"({"pids": {"limit": 10}})"));
    CHECK(t.read("pids/outer/c1/pids.max") == "max\n10\n");
    CHECK(again->pids() == std::vector<pid_t>{4242, 77});

    again->destroy();
    CHECK_FALSE(t.exists("memory/outer/c1"));
    CHECK_FALSE(t.exists("cpu,cpuacct/outer/c1"));
    again->destroy();  // idempotent
}

TEST_CASE("v1 devices: an allow-list is changed entry by entry, never reset") {
    TempDir t;
    fs::create_directories(t.path + "/devices");
    CgroupHost host = CgroupHost::fake_tree(t.path, false);
    auto cg = Cgroup::for_container(json::object(), "c", false, host);
    cg->create(1);
    CHECK(t.read("devices/c/devices.deny") == "a\n");  // a new cgroup starts from a reset
    // What the kernel now shows, with one stale entry.
    std::string list;
    for (const auto& r : DeviceRuleSet::from_rules(default_device_rules()).exceptions) list += r.v1_line() + "\n";
    t.file("devices/c/devices.list", list + "b 8:0 r\n");
    fs::remove(t.path + "/devices/c/devices.allow");
    fs::remove(t.path + "/devices/c/devices.deny");
    cg->update(json::parse(R"({"devices": [{"allow": false, "access": "rwm"},
                                          {"allow": true, "type": "c", "major": 4, "minor": 1, "access": "wr"}]})"));
    CHECK(t.read("devices/c/devices.allow") == "c 4:1 rw\n");
    CHECK(t.read("devices/c/devices.deny") == "b 8:0 r\n");

    // An entry whose access narrows loses only the bits no longer wanted
    // (the kernel merges bits per device, so denying the whole line would
    // take away what stays allowed).
    fs::remove(t.path + "/devices/c/devices.allow");
    fs::remove(t.path + "/devices/c/devices.deny");
    t.file("devices/c/devices.list", list + "c 4:1 rwm\n");
    cg->update(json::parse(R"({"devices": [{"allow": false, "access": "rwm"},
                                          {"allow": true, "type": "c", "major": 4, "minor": 1, "access": "r"}]})"));
    CHECK_FALSE(t.exists("devices/c/devices.allow"));
    CHECK(t.read("devices/c/devices.deny") == "c 4:1 wm\n");
    cg->destroy();
}

TEST_CASE("v1 driver: refuses what the host can't do, before creating anything") {
    TempDir t;
    fs::create_directories(t.path + "/memory");
    CgroupHost host = CgroupHost::fake_tree(t.path, false);
    CHECK(error_of([&] {
              Cgroup::for_container(config_with(json::parse(R"({"pids":{"limit":5}})")), "c", false, host);
          }) == "linux.resources.pids: the pids cgroup controller is not mounted on this host");
    CHECK(error_of([&] {
              Cgroup::for_container(config_with(json::parse(R"({"unified":{"memory.high":"5"}})")), "c", false, host);
          }).find("linux.resources.unified") == 0);
    CHECK_FALSE(t.exists("memory/c"));
}

TEST_CASE("v2 driver on a fake tree: controllers enabled down the path, v2 values") {
    TempDir t;
    t.file("cgroup.controllers", "cpu memory pids io hugetlb cpuset\n");
    t.file("cgroup.subtree_control", "");
    CgroupHost host = CgroupHost::fake_tree(t.path, true);
    json resources = json::parse(R"({
        "memory": {"limit": 100000000, "swap": 300000000, "reservation": 1000},
        "cpu": {"shares": 1024, "quota": 25000, "cpus": "1"},
        "pids": {"limit": 64},
        "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1024}],
                    "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2048}]},
        "hugepageLimits": [{"pageSize": "1GB", "limit": 0}],
        "unified": {"memory.high": "90000000"}
    })");
    auto cg = Cgroup::for_container(config_with(resources, "/a/c1"), "id", false, host);
    cg->create(99);
    std::string top = t.read("cgroup.subtree_control");
    CHECK(top.find("+memory") != std::string::npos);
    CHECK(top.find("+pids") != std::string::npos);
    CHECK(t.read("a/c1/memory.swap.max") == "200000000\n");
    CHECK(t.read("a/c1/memory.max") == "100000000\n");
    CHECK(t.read("a/c1/memory.low") == "1000\n");
    CHECK(t.read("a/c1/cpu.weight") == "39\n");
    CHECK(t.read("a/c1/cpu.max") == "25000 100000\n");
    CHECK(t.read("a/c1/cpuset.cpus") == "1\n");
    CHECK(t.read("a/c1/pids.max") == "64\n");
    CHECK(t.read("a/c1/io.weight") == "4950\n");
    CHECK(t.read("a/c1/io.max") == "8:0 rbps=1024\n8:0 wbps=2048\n");
    CHECK(t.read("a/c1/hugetlb.1GB.max") == "0\n");
    CHECK(t.read("a/c1/memory.high") == "90000000\n");
    CHECK(t.read("a/c1/cgroup.procs") == "99\n");
    CHECK_FALSE(t.exists("a/c1/cgroup.subtree_control"));  // the leaf keeps its processes

    json saved = cg->describe();
    CHECK(saved["version"] == 2);
    auto again = Cgroup::from_state(saved);
    again->freeze();
    CHECK(t.read("a/c1/cgroup.freeze") == "1\n");
    CHECK(again->frozen());
    again->thaw();
    again->update(json::parse(R"({"memory": {"limit": -1}})"));
    CHECK(t.read("a/c1/memory.max") == "100000000\nmax\n");
    CHECK(t.read("a/c1/memory.swap.max") == "200000000\nmax\n");
    CHECK(error_of([&] { again->update(json::parse(R"({"cpu": {"realtimeRuntime": 5}})")); })
              .find("realtime") != std::string::npos);
    again->destroy();
    CHECK_FALSE(t.exists("a/c1"));
}

TEST_CASE("default path: the container id, under our own cgroup") {
    TempDir t;
    CgroupHost host = CgroupHost::fake_tree(t.path, true);
    auto cg = Cgroup::for_container(json::object(), "abc123", false, host);
    CHECK(cg->paths().at("") == t.path + "/abc123");
    CHECK(error_of([&] { Cgroup::for_container(config_with(json(), "."), "x", false, host); })
              .find("linux.cgroupsPath") == 0);
}

TEST_CASE("from_state rejects what it can't read") {
    CHECK_FALSE(error_of([] { Cgroup::from_state(json::parse(R"({"driver":"nope"})")); }).empty());
    CHECK_FALSE(error_of([] { Cgroup::from_state(json::parse(R"({"driver":"cgroupfs","version":3})")); }).empty());
}

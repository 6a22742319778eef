#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "libcommon/cli/preflight.h"
#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/sys/error.h"

using ctr::preflight::CgroupNeed;

TEST_CASE("lists_overlay reads /proc/filesystems lines") {
    CHECK(ctr::preflight::lists_overlay("nodev\tsysfs\nnodev\tproc\n\text4\nnodev\toverlay\n"));
    CHECK(ctr::preflight::lists_overlay("nodev\toverlay"));
    CHECK_FALSE(ctr::preflight::lists_overlay("nodev\tsysfs\n\text4\nnodev\toverlayfs\nnodev\tfuse.overlay\n"));
    CHECK_FALSE(ctr::preflight::lists_overlay(""));
}

TEST_CASE("cgroup_needs names ctr-create's options for the limits asked") {
    ctr::bundle::SpecOptions o;
    CHECK(ctr::preflight::cgroup_needs(o).empty());
    o.memory = 64 << 20;
    o.cpu_quota = 50000;
    o.pids_limit = 10;
    auto needs = ctr::preflight::cgroup_needs(o);
    REQUIRE(needs.size() == 3);
    CHECK(needs[0].controller == "memory");
    CHECK(needs[0].option == "--memory");
    CHECK(needs[1].controller == "cpu");
    CHECK(needs[1].option == "--cpus");
    CHECK(needs[2].controller == "pids");
    CHECK(needs[2].option == "--pids-limit");

    auto from_json = ctr::preflight::cgroup_needs(nlohmann::json::parse(
        R"({"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":67108864},"cpu":{"shares":512},"pids":{}})"));
    REQUIRE(from_json.size() == 2);
    CHECK(from_json[0].option == "--memory");
    CHECK(from_json[1].controller == "cpu");
    CHECK(from_json[1].option == "--cpu-shares");
    CHECK(ctr::preflight::cgroup_needs(nlohmann::json()).empty());
}

TEST_CASE("cgroup_controller_missing: v1 hierarchies and v2 cgroup.controllers") {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("ctr-preflight-test." + std::to_string(::getpid()));
    fs::create_directories(dir / "v1" / "memory");
    fs::create_directories(dir / "v1" / "cpu,cpuacct");
    fs::create_directories(dir / "v2");
    std::ofstream(dir / "v2" / "cgroup.controllers") << "cpuset cpu io memory\n";

    auto v1 = ctr::runtime::CgroupHost::fake_tree((dir / "v1").string(), false);
    CHECK(ctr::preflight::cgroup_controller_missing(v1, "memory").empty());
    CHECK(ctr::preflight::cgroup_controller_missing(v1, "cpu").empty());
    CHECK(ctr::preflight::cgroup_controller_missing(v1, "pids") == "no cgroup v1 hierarchy under /sys/fs/cgroup has it");

    auto v2 = ctr::runtime::CgroupHost::fake_tree((dir / "v2").string(), true);
    CHECK(ctr::preflight::cgroup_controller_missing(v2, "memory").empty());
    CHECK(ctr::preflight::cgroup_controller_missing(v2, "pids") ==
          (dir / "v2").string() + "/cgroup.controllers does not list it");

    ctr::runtime::CgroupHost none;
    CHECK(ctr::preflight::cgroup_controller_missing(none, "memory") ==
          "no cgroup file system is mounted at /sys/fs/cgroup");
    fs::remove_all(dir);
}

TEST_CASE("require_store names a store path that is a file, and passes a fresh one") {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("ctr-preflight-store." + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "file") << "x";
    CHECK_NOTHROW(ctr::preflight::require_store((dir / "fresh" / "store").string()));
    auto message = [](const std::string& root) -> std::string {
        try {
            ctr::preflight::require_store(root);
        } catch (const ctr::Error& e) {
            return e.what();
        }
        return "";
    };
    std::string file = (dir / "file").string();
    CHECK(message(file).starts_with("cannot use the image store " + file + ": not a directory: set CTR_ROOT"));
    CHECK(message(file + "/store")
              .starts_with("cannot make the image store " + file + "/store: " + file + " is not a directory"));
    fs::remove_all(dir);
}

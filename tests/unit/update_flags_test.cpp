#include <doctest/doctest.h>

#include "libcommon/runtime/update_flags.h"
#include "libcommon/sys/error.h"

using nlohmann::json;
using namespace ctr::runtime;

TEST_CASE("parse_ram_bytes: docker's sizes, binary multiples") {
    CHECK(parse_ram_bytes("1024", "memory") == 1024);
    CHECK(parse_ram_bytes("512m", "memory") == 512LL << 20);
    CHECK(parse_ram_bytes("512M", "memory") == 512LL << 20);
    CHECK(parse_ram_bytes("1g", "memory") == 1LL << 30);
    CHECK(parse_ram_bytes("2GiB", "memory") == 2LL << 30);
    CHECK(parse_ram_bytes("1.5k", "memory") == 1536);
    CHECK(parse_ram_bytes("4 kb", "memory") == 4096);
    CHECK_THROWS_WITH_AS(parse_ram_bytes("abc", "memory"), "--memory: invalid size: 'abc'", ctr::Error);
    CHECK_THROWS_AS(parse_ram_bytes("-5", "memory"), ctr::Error);
    CHECK_THROWS_AS(parse_ram_bytes("5x", "memory"), ctr::Error);
}

TEST_CASE("parse_go_duration_ms: Go's durations") {
    CHECK(parse_go_duration_ms("5s", "interval") == 5000);
    CHECK(parse_go_duration_ms("100ms", "interval") == 100);
    CHECK(parse_go_duration_ms("1m30s", "interval") == 90000);
    CHECK(parse_go_duration_ms("1.5s", "interval") == 1500);
    CHECK(parse_go_duration_ms("1h", "interval") == 3600000);
    CHECK(parse_go_duration_ms("0", "interval") == 0);
    CHECK_THROWS_AS(parse_go_duration_ms("5", "interval"), ctr::Error);
    CHECK_THROWS_AS(parse_go_duration_ms("", "interval"), ctr::Error);
    CHECK_THROWS_AS(parse_go_duration_ms("5s junk", "interval"), ctr::Error);
}

TEST_CASE("update_flags_to_resources: runc's flags as linux.resources") {
    json r = update_flags_to_resources({{"memory", "64m"},
                                        {"memory-swap", "-1"},
                                        {"cpu-quota", "-1"},
                                        {"cpu-period", "100000"},
                                        {"cpu-share", "512"},
                                        {"cpuset-cpus", "0-1"},
                                        {"pids-limit", "20"},
                                        {"blkio-weight", "300"}});
    CHECK(r["memory"]["limit"] == 64LL << 20);
    CHECK(r["memory"]["swap"] == -1);
    CHECK(r["cpu"]["quota"] == -1);
    CHECK(r["cpu"]["period"] == 100000);
    CHECK(r["cpu"]["shares"] == 512);
    CHECK(r["cpu"]["cpus"] == "0-1");
    CHECK(r["pids"]["limit"] == 20);
    CHECK(r["blockIO"]["weight"] == 300);
    CHECK(update_flags_to_resources({}) == json::object());
    CHECK_THROWS_WITH_AS(update_flags_to_resources({{"cpu-period", "x"}}), "--cpu-period: \"x\" is not a number",
                         ctr::Error);
    CHECK_THROWS_AS(update_flags_to_resources({{"cpu-period", "-3"}}), ctr::Error);
    CHECK_THROWS_AS(update_flags_to_resources({{"blkio-weight", "5"}}), ctr::Error);
    CHECK_THROWS_AS(update_flags_to_resources({{"l3-cache-schema", "L3:0=f"}}), ctr::Error);
}

TEST_CASE("merge_resources: objects member by member, the rest replaced") {
    json base = json::parse(R"({"memory": {"limit": 100, "swap": 200}, "pids": {"limit": 5},
                                "devices": [{"allow": false, "access": "rwm"}]})");
    json patch = json::parse(R"({"memory": {"limit": 300}, "cpu": {"shares": 2}, "devices": []})");
    json m = merge_resources(base, patch);
    CHECK(m["memory"]["limit"] == 300);
    CHECK(m["memory"]["swap"] == 200);
    CHECK(m["pids"]["limit"] == 5);
    CHECK(m["cpu"]["shares"] == 2);
    CHECK(m["devices"] == json::array());
}

// Parsers for the cgroup files that statistics come from, and the shape of
// runc's `events --stats` "data" object they fill.
//
// Pure: each takes a file's text, so all of it is unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ctr::runtime::stats {

// "key value" lines (memory.stat, cpu.stat, pids.events ...).
std::map<std::string, uint64_t> parse_key_values(const std::string& text);
// A cgroup number: "max" (and absurdly large v1 "unlimited" values) give UINT64_MAX.
uint64_t parse_value(const std::string& text);
// Whitespace-separated numbers (cpuacct.usage_percpu).
std::vector<uint64_t> parse_numbers(const std::string& text);
// A cpu or node list ("0-3,5") as the list of its members.
std::vector<uint16_t> parse_cpu_list(const std::string& text);
// cgroup v1 blkio recursive files ("8:0 Read 4096" lines, "Total N" skipped)
// as runc's [{major, minor, op, value}].
nlohmann::json parse_blkio_v1(const std::string& text);
// cgroup v2 io.stat, into runc's blkio object (ioServiceBytesRecursive for
// rbytes/wbytes, ioServicedRecursive for rios/wios).
nlohmann::json parse_io_stat_v2(const std::string& text);

// The empty stats object, with runc's members and defaults:
// {"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}}, "memory":{...}, ...}.
nlohmann::json empty();

// Puts value under key only when it is non-zero (runc's omitempty).
void put_nonzero(nlohmann::json& obj, const char* key, uint64_t value);

}  // namespace ctr::runtime::stats

// Reading a container's output back from its json-file log: log.json (the
// monitor appends to it) and, when the monitor rotates (--log-opt max-size,
// max-file), log.json.1 (newest rotated) … log.json.N (oldest). The naming is
// in docs/design.md, "log.json".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctr::store {

// One log line, parsed.
struct LogEntry {
    std::string text;    // "log": the bytes, newline included when there was one
    std::string stream;  // "stdout" or "stderr"
    std::string time;    // RFC 3339 nano, as written
    std::string attrs;   // "attrs" as k=v,k=v (for --details)
};

// Parses one json-file line; throws ctr::Error naming `where` if it is not one.
LogEntry parse_log_line(std::string_view line, const std::string& where);

// The files of a log, oldest first: log.json.N … log.json.1, log.json (those
// that exist; log.json is always last, even if missing).
std::vector<std::string> log_files(const std::string& log_path);

// Where the last `n` lines of the file open at `fd` (of `size` bytes) begin,
// reading backwards from the end in blocks (no full scan); `found` tells how
// many complete lines lie after that offset (< n when the file has fewer).
int64_t tail_offset(int fd, int64_t size, int64_t n, int64_t& found);

// A time for --since/--until: RFC 3339, seconds since the epoch ("1700000000.5"),
// or a Go duration before `now` ("10m", "1h30m", "90s"). Throws ctr::Error.
double parse_log_time(const std::string& value, double now);

// Calls `emit` for every complete line of fd from `offset` on; returns the
// offset just past the last complete line (a partial last line stays unread).
int64_t read_lines(int fd, int64_t offset, const std::function<void(std::string_view)>& emit);

}  // namespace ctr::store

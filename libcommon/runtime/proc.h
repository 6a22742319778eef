// Facts about a process read from /proc, to tell a live container's init from
// a dead one whose pid was reused.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ctr::runtime {

struct ProcStat {
    char state = '?';          // R, S, D, Z, X, ...
    uint64_t start_time = 0;   // field 22: clock ticks after boot
};

// Parses the text of /proc/PID/stat (the comm field may hold spaces and ')').
std::optional<ProcStat> parse_proc_stat(const std::string& text);
// Reads /proc/PID/stat; nullopt when the process doesn't exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// A pidfd for pid, or -1. Only trust it after checking the start time.
int open_pidfd(pid_t pid);
// pid is alive (not a zombie) and started at start_time.
bool process_matches(pid_t pid, uint64_t start_time);

}  // namespace ctr::runtime

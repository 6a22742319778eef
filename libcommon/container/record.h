// A container on disk: $CTR_ROOT/containers/<id>/ and its container.json
// record (the contract is in docs/design.md, "Containers on disk").
//
// container.json is replaced atomically (temp file, fsync, rename) and only
// under container.lock, so readers need no lock and never see half a file.
// Whether the container and its monitor are alive is told by pid + start time
// (field 22 of /proc/PID/stat), never by the pid alone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr::container {

// The files of one container.
struct Paths {
    std::string dir;

    std::string record() const { return dir + "/container.json"; }
    std::string config() const { return dir + "/config.json"; }
    std::string log() const { return dir + "/log.json"; }
    std::string rootfs() const { return dir + "/rootfs"; }
    std::string upper() const { return dir + "/upper"; }
    std::string work() const { return dir + "/work"; }
    std::string init() const { return dir + "/init"; }
    // Held (exclusive, briefly) around every read-modify-write of container.json.
    std::string lock() const { return dir + "/container.lock"; }
    // Held (exclusive) by the monitor for as long as it lives.
    std::string monitor_lock() const { return dir + "/monitor.lock"; }
    // Names relative to dir (unix socket paths are limited to 108 bytes; the
    // monitor and its clients work from inside dir).
    static constexpr const char* attach_socket = "attach.sock";
    static constexpr const char* console_socket = "console.sock";
    static constexpr const char* pid_file = "init.pid";
    // Made by ctr-stop/ctr-kill before they signal: the exit that follows was
    // asked for, so the restart policy (except "always"/"unless-stopped" on a
    // later ctr-start) does not restart the container.
    std::string stop_marker() const { return dir + "/stopped-by-user"; }
};

Paths container_paths(const std::string& containers_dir, const std::string& id);

// A new container id: 64 random hex digits.
std::string new_id();
// Now, as docker writes times: RFC 3339 with nanoseconds, UTC ("…Z").
std::string now_rfc3339nano();
// Docker's zero time, the StartedAt/FinishedAt of a container never started.
inline constexpr const char* zero_time = "0001-01-01T00:00:00Z";

// Replaces `path` with `data` atomically (temp file beside it, rename). No
// fsync: a container's files are not worth a disk flush on every change (a
// crash loses at most the last state change, never leaves half a file).
void write_atomic(const std::string& path, const std::string& data, unsigned mode = 0600);

// $CTR_ROOT (default /var/lib/ctr) and its containers/ directory.
std::string containers_dir();

nlohmann::json read_record(const Paths& p);
// Atomic replace (no lock taken: for the first write, or under lock()).
void write_record(const Paths& p, const nlohmann::json& rec);
// Read-modify-write under container.lock; returns the record as written.
nlohmann::json update_record(const Paths& p, const std::function<void(nlohmann::json&)>& change);

// Every container id under containers_dir (directories holding container.json).
std::vector<std::string> list_ids(const std::string& containers_dir);
// Finds a container by full id, name, or unique id prefix. Throws
// ctr::Error("No such container: X") or ("Multiple containers match X").
std::string resolve(const std::string& containers_dir, std::string_view name_or_id);

// /proc/PID/stat's start time (clock ticks after boot), or nullopt if no such process.
std::optional<uint64_t> process_start_time(pid_t pid);
// The process is there and is the one recorded (same start time).
bool process_alive(int64_t pid, uint64_t start_time);

// The record's State, reconciled with the machine without taking any lock:
// a "running"/"paused" container whose init process and monitor are both gone
// is reported as "exited" with ExitCode -1 (unknown); a "restarting" one
// without a monitor as "exited"; State.MonitorAlive says whether the monitor lives.
nlohmann::json live_state(const nlohmann::json& rec);

}  // namespace ctr::container

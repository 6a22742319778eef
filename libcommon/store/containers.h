// The read-only views of containers that ctr-ps, ctr-inspect and ctr-prune
// show: container.json as written by libcommon/container, reconciled with the
// machine (a process that died unseen is exited), never taking a lock that a
// running container's monitor could hold for long.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr::store {

// One container as read from disk: its id, record and reconciled State.
struct ContainerView {
    std::string id;
    std::string dir;
    nlohmann::json record;
    nlohmann::json state;  // container::live_state(record)
    double created = 0;    // seconds since the epoch
};

// "Now" for ages in tables: $CTR_NOW (epoch seconds or RFC 3339) when set,
// so tests can print fixed "5 minutes ago"; else the clock.
double now_seconds();

// A view of a record already read: its State reconciled (live_state), its
// Created in seconds. Throws ctr::Error if the record is not a JSON object.
ContainerView view_of(const std::string& containers_dir, const std::string& id, nlohmann::json record);
// One container's view, its whole record read. Throws ctr::Error.
ContainerView load_container(const std::string& containers_dir, const std::string& id);

// Docker's STATUS column: "Up 4 seconds", "Up 2 hours (Paused)",
// "Exited (0) 5 seconds ago", "Created", "Restarting (1) 3 seconds ago".
std::string status_text(const nlohmann::json& state, double now);
// Docker's PORTS column: "0.0.0.0:8081->80/tcp, 443/tcp".
std::string ports_text(const nlohmann::json& record, const nlohmann::json& state);
// Path and Args joined as docker's COMMAND (unquoted, untruncated).
std::string command_text(const nlohmann::json& record);
// Bytes used by the files under `dir` (not following links, each inode once).
int64_t disk_usage(const std::string& dir);

// ps -s's SIZE: the writable layer's bytes, and the virtual size with the
// image's: "3B (virtual 1.2MB)".
std::string size_text(const std::string& container_dir, int64_t image_size);

// One row of ctr-ps (docker ps --format json fields, whose key order is
// also docker's). With `image_size` (ps -s), Size is the writable layer's
// bytes and the virtual size with the image.
nlohmann::json ps_row(const ContainerView& c, double now, bool no_trunc, std::optional<int64_t> image_size);

// docker inspect's container object: the record with State reconciled and
// the private fields (MonitorPid, PidStartTime, …) left out.
nlohmann::ordered_json container_inspect(const ContainerView& c);

}  // namespace ctr::store

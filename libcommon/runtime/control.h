// What engines do to a container after `create` besides exec: list its
// processes (ps), pause and resume it, change its resources (update), watch
// its statistics and OOM kills (events), and ask what the runtime supports
// (features). All of it goes through the container's cgroup (cgroup.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libcommon/runtime/container.h"

namespace ctr::runtime {

// Every process in the container's cgroup, sorted.
std::vector<pid_t> container_pids(const Globals& g, const std::string& id);

// Freezes every process of a running (or created) container; its status
// becomes "paused". resume() thaws a paused one.
void pause(const Globals& g, const std::string& id);
void resume(const Globals& g, const std::string& id);

// Applies a linux.resources object over the container's current one (runc
// update) and keeps the result in its state. Devices change only when the
// update names them.
void update(const Globals& g, const std::string& id, const nlohmann::json& resources);

// One runc event: {"type": "stats", "id": ID, "data": {...}}.
nlohmann::json stats_event(const Globals& g, const std::string& id);
// runc events: a stats event every interval_ms and an {"type": "oom"} event
// when the kernel kills a process of the container for memory, one JSON per
// line on out, until the container stops.
void watch_events(const Globals& g, const std::string& id, int64_t interval_ms, std::FILE* out);

// runc features: what this runtime and this machine support.
nlohmann::json features();

}  // namespace ctr::runtime

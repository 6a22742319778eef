// Running unprivileged ("rootless") and the id mappings of a new user
// namespace.
//
// ctr-run started by a non-root user (state under $XDG_RUNTIME_DIR/ctr-run:
// cmd/ctr-run/main.cpp, cli/preflight.h) maps ids into the container's user
// namespace with what the kernel lets that user do (its own uid and gid, or a
// subordinate range through shadow's newuidmap/newgidmap), and makes no
// cgroup it has no right to (see container_cgroup() in container.cpp).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "libcommon/runtime/config.h"

namespace ctr::runtime {

// --rootless: "true", "false", or "auto" (rootless when not root).
bool is_rootless(const std::string& rootless_flag);

// Writes the uid and gid maps of pid's new user namespace. Root writes them
// itself. An unprivileged caller writes a map of its own uid (gid) alone
// itself, denying setgroups first as the kernel requires, and runs
// newuidmap/newgidmap for anything else (ids from /etc/subuid, /etc/subgid).
// Throws naming the field and the helper when it can't.
void write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// Which of the cgroup directories in paths (Cgroup::paths()) this process
// may not make or join ("" when it may do all): the nearest existing
// directory of each must be writable, or its cgroup.procs when it exists.
std::string unwritable_cgroup(const std::map<std::string, std::string>& paths);

}  // namespace ctr::runtime

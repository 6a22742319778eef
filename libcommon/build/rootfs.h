// Paths inside a root filesystem that is not ours to trust (an image's
// rootfs mounted for a build step): every lookup goes through
// openat2(RESOLVE_IN_ROOT), so a symlink in the image (`/bin -> /usr/bin`, or a
// hostile `/x -> /etc` on the host) resolves as it would inside the container
// and never leaves the root.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "libcommon/sys/fd.h"

namespace ctr::build {

// Opens `path` (absolute or relative, inside the root) with `flags`;
// returns -1 with errno set on failure.
int open_in_root(int root_fd, const std::string& path, int flags, mode_t mode = 0);

// stat() of a path inside the root, following symlinks inside it; nullopt if missing.
std::optional<struct stat> stat_in_root(int root_fd, const std::string& path);

// mkdir -p inside the root; created directories get `mode` and uid/gid.
// Returns the open directory. Throws ctr::Error naming `path` if a component
// is not a directory.
UniqueFd mkdirs_in_root(int root_fd, const std::string& path, mode_t mode = 0755, uid_t uid = 0, gid_t gid = 0);

// Splits "/a/b/c" into the parent ("/a/b") and the last name ("c").
std::pair<std::string, std::string> split_parent(const std::string& path);

// Reads a small file inside the root ("" if it does not exist).
std::string read_in_root(int root_fd, const std::string& path);

// "1000", "app", "app:staff", "1000:50" → ids, names looked up in the root's
// /etc/passwd and /etc/group. A user alone gives its own uid as the gid too,
// as docker documents for COPY --chown. Throws ctr::Error for unknown names.
std::pair<uid_t, gid_t> resolve_chown(int root_fd, const std::string& spec);

}  // namespace ctr::build

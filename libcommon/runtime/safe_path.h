// Paths inside a container's root, resolved by the kernel so that nothing in
// the rootfs (a symlink, "..", a magic link in /proc) can lead out of it, and
// held as file descriptors so that nothing can swap them between the check
// and the use (the symlink-exchange race).
//
// Every mount destination, masked path, readonly path and the process cwd is
// opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) relative to a
// descriptor of the root, then used through that descriptor.
#pragma once

#include <string>
#include <vector>

#include "libcommon/sys/fd.h"

namespace ctr::runtime {

// openat2(root, path, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS|extra).
// Returns -errno on failure instead of throwing.
int openat_in_root(int root, const std::string& path, int flags, unsigned long long extra = 0);
// The same, throwing ctr::Error("open <what> in the container: ...").
UniqueFd open_in_root(int root, const std::string& path, int flags, const std::string& what);
// Makes path (and its missing parents) inside root, as a directory or an empty
// file, and returns it opened O_PATH. Each component made is opened without
// following symlinks, so a concurrent swap fails instead of escaping.
UniqueFd mkpath_in_root(int root, const std::string& path, bool as_file, mode_t mode = 0755);
// "/proc/self/fd/N": a name for fd that mount(2) and friends accept.
std::string fd_path(int fd);
// The path's components without empty and "." parts ("/a//b/./c" -> a, b, c).
std::vector<std::string> path_components(const std::string& path);

}  // namespace ctr::runtime

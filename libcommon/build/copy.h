// COPY and ADD: finding the sources (globs, .dockerignore, never outside the
// context), hashing them for the cache (bytes, modes, ownership and link
// targets; not times), and writing them into a step's root filesystem
// directly, without a container.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "libcommon/dockerfile/dockerignore.h"
#include "libcommon/oci/digest.h"

namespace ctr::build {

// Where COPY reads from: the build context (filtered by .dockerignore) or the
// root filesystem of another stage or image (--from).
struct SourceRoot {
    int fd = -1;       // the root directory
    std::string what;  // "build context", "stage build", ... for messages
    const dockerfile::IgnoreMatcher* ignore = nullptr;
    // Files from another stage or image keep their owner; from the context they become root's.
    bool keep_owner = false;
};

// The paths (relative to the root, clean, "" = the root itself) a COPY source
// names: a glob is matched component by component (`*` does not cross `/`).
// Throws ctr::Error when the source lies outside the root, is excluded, or
// matches nothing.
std::vector<std::string> resolve_sources(const SourceRoot& root, const std::string& source);

// A digest of everything COPY would take from these sources: relative paths,
// file types, permission bits, uid/gid, symlink targets and file contents.
// Modification times are not part of it.
oci::Digest hash_sources(const SourceRoot& root, const std::vector<std::string>& sources);

struct CopyOptions {
    std::optional<std::pair<uid_t, gid_t>> owner;  // --chown (default 0:0)
    std::optional<unsigned> mode;                  // --chmod
    bool extract_archives = false;                 // ADD: a local tar is unpacked
};

// Copies `sources` from `src` to `dest` inside the root `dest_root_fd`. Like
// docker: a directory source copies its contents; a file lands at dest/NAME
// when dest ends in '/', already is a directory or there are several sources,
// else at dest; missing parents are created (0755, root). Returns the number
// of files and directories written.
size_t copy_sources(const SourceRoot& src, const std::vector<std::string>& sources, int dest_root_fd,
                    const std::string& dest, const CopyOptions& opts);

// Writes a file of `content` at `dest` (the same placement rules), for a heredoc source named `name`.
void write_inline_file(int dest_root_fd, const std::string& name, const std::string& content,
                       const std::string& dest, bool dest_is_dir, const CopyOptions& opts);

// True if the file starts like a tar archive, compressed or not (what ADD unpacks).
bool is_archive(int fd);

}  // namespace ctr::build

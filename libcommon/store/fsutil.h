// Small file-system helpers the store is built from: whole reads and writes,
// fsync of a directory, recursive removal, and atomic replacement of a file.
#pragma once

#include <string>
#include <string_view>

namespace ctr::store {

// Reads a whole file; throws ctr::Error naming the path.
std::string read_file(const std::string& path);
// Writes all of `data` to fd; `what` names the file in the error.
void write_all(int fd, const void* data, size_t size, const std::string& what);
// Reads up to `size` bytes, retrying on EINTR; returns 0 at end of file.
size_t read_some(int fd, void* buf, size_t size, const std::string& what);
void fsync_path(const std::string& path);
// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over
// `path` and fsyncs the directory: readers see the old or the new file, never half.
void replace_file(const std::string& path, std::string_view data, unsigned mode = 0644);
// mkdir -p; existing directories are fine.
void make_dirs(const std::string& path, unsigned mode = 0755);
// rm -rf, without following symlinks; a missing path is fine.
void remove_tree(const std::string& path);
// rm -rf of a directory's contents below an open directory fd.
void remove_tree_at(int dirfd, const std::string& name);
bool path_exists(const std::string& path);
std::string dirname_of(const std::string& path);
std::string basename_of(const std::string& path);

}  // namespace ctr::store

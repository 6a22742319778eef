// Staging files and directories in $CTR_ROOT/tmp/.
//
// Whatever is being written lives in tmp/ until it is complete, then is renamed
// into place. Each entry is flock'ed by the process that made it for as long as
// it exists there; clean_tmp() removes only entries nobody holds, i.e. what a
// crashed (killed, powered-off) writer left behind. So the next run, or
// ctr-prune, can clean tmp/ while other imports are running.
#pragma once

#include <string>
#include <utility>

#include "libcommon/sys/fd.h"

namespace ctr::store {

// A new, empty, locked file in tmp/; unlinked on destruction unless renamed away.
class TempFile {
public:
    TempFile(const std::string& tmp_dir, const std::string& prefix);
    ~TempFile();
    TempFile(TempFile&& o) noexcept : fd_(std::move(o.fd_)), path_(std::exchange(o.path_, {})) {}
    TempFile& operator=(TempFile&&) = delete;

    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }
    // fsync, then rename to `dest` (atomic); the TempFile no longer owns a path.
    void commit(const std::string& dest);

private:
    UniqueFd fd_;
    std::string path_;
};

// A new, empty, locked directory in tmp/; removed recursively on destruction
// unless renamed away.
class TempDir {
public:
    TempDir(const std::string& tmp_dir, const std::string& prefix);
    ~TempDir();
    TempDir(TempDir&& o) noexcept : fd_(std::move(o.fd_)), path_(std::exchange(o.path_, {})) {}
    TempDir& operator=(TempDir&&) = delete;

    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }
    // Renames the directory to `dest`. Returns false (and keeps ownership, so the
    // destructor still removes it) when `dest` already exists: someone else won.
    bool commit(const std::string& dest);

private:
    UniqueFd fd_;
    std::string path_;
};

// Removes every entry of tmp_dir that no live process holds locked.
// Returns how many entries were removed.
int clean_tmp(const std::string& tmp_dir);

}  // namespace ctr::store

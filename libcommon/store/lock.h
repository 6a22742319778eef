// FileLock: an flock(2) held on a lock file for as long as the object lives.
//
// Locks belong to the open file, not the process: two FileLocks on the same path
// in one process exclude each other like two processes would. A process killed
// with -9 drops its locks, so a crash never leaves the store locked.
#pragma once

#include <optional>
#include <string>

#include "libcommon/sys/fd.h"

namespace ctr::store {

class FileLock {
public:
    enum class Mode { Shared, Exclusive };

    FileLock() = default;
    // Creates the lock file if needed and waits for the lock.
    static FileLock acquire(const std::string& path, Mode mode);
    // Like acquire but returns nullopt instead of waiting.
    static std::optional<FileLock> try_acquire(const std::string& path, Mode mode);

    bool held() const { return static_cast<bool>(fd_); }
    void release() { fd_.reset(); }

private:
    explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace ctr::store

#include "libcommon/store/lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "libcommon/sys/error.h"

namespace ctr::store {

static UniqueFd open_lock_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_errno("open lock " + path);
    return fd;
}

FileLock FileLock::acquire(const std::string& path, Mode mode) {
    UniqueFd fd = open_lock_file(path);
    int op = mode == Mode::Shared ? LOCK_SH : LOCK_EX;
    while (::flock(fd.get(), op) < 0) {
        if (errno != EINTR) throw_errno("lock " + path);
    }
    return FileLock(std::move(fd));
}

std::optional<FileLock> FileLock::try_acquire(const std::string& path, Mode mode) {
    UniqueFd fd = open_lock_file(path);
    int op = (mode == Mode::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    if (::flock(fd.get(), op) < 0) {
        if (errno == EWOULDBLOCK) return std::nullopt;
        throw_errno("lock " + path);
    }
    return FileLock(std::move(fd));
}

}  // namespace ctr::store

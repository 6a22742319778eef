#include "libcommon/store/tmp.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <vector>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

namespace {

std::string random_name(const std::string& prefix) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return prefix + "-" + buf;
}

void lock_fd(int fd, const std::string& path) {
    while (::flock(fd, LOCK_EX) < 0)
        if (errno != EINTR) throw_errno("lock " + path);
}

// After taking the lock, the entry must still be linked: a concurrent clean_tmp
// may have locked and removed it between our create and our flock.
bool still_linked(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && st.st_nlink > 0;
}

}  // namespace

TempFile::TempFile(const std::string& tmp_dir, const std::string& prefix) {
    for (int attempt = 0; attempt < 100; attempt++) {
        std::string path = tmp_dir + "/" + random_name(prefix);
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd) {
            if (errno == EEXIST) continue;
            throw_errno("create " + path);
        }
        lock_fd(fd.get(), path);
        if (!still_linked(fd.get())) continue;
        fd_ = std::move(fd);
        path_ = path;
        return;
    }
    throw Error("create a temporary file in " + tmp_dir + ": too many attempts");
}

TempFile::~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

void TempFile::commit(const std::string& dest) {
    if (::fsync(fd_.get()) < 0) throw_errno("fsync " + path_);
    if (::rename(path_.c_str(), dest.c_str()) < 0) throw_errno("rename " + path_ + " to " + dest);
    path_.clear();
}

TempDir::TempDir(const std::string& tmp_dir, const std::string& prefix) {
    for (int attempt = 0; attempt < 100; attempt++) {
        std::string path = tmp_dir + "/" + random_name(prefix);
        if (::mkdir(path.c_str(), 0755) < 0) {
            if (errno == EEXIST) continue;
            throw_errno("mkdir " + path);
        }
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) continue;
            throw_errno("open " + path);
        }
        lock_fd(fd.get(), path);
        if (!still_linked(fd.get())) continue;
        fd_ = std::move(fd);
        path_ = path;
        return;
    }
    throw Error("create a temporary directory in " + tmp_dir + ": too many attempts");
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    try {
        remove_tree(path_);
    } catch (...) {
    }
}

bool TempDir::commit(const std::string& dest) {
    if (::rename(path_.c_str(), dest.c_str()) < 0) {
        if (errno == EEXIST || errno == ENOTEMPTY) return false;
        throw_errno("rename " + path_ + " to " + dest);
    }
    path_.clear();
    return true;
}

int clean_tmp(const std::string& tmp_dir) {
    UniqueFd dfd(::open(tmp_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) {
        if (errno == ENOENT) return 0;
        throw_errno("open " + tmp_dir);
    }
    std::vector<std::string> names;
    {
        DIR* d = ::fdopendir(::dup(dfd.get()));
        if (!d) throw_errno("opendir " + tmp_dir);
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
    }
    int removed = 0;
    for (auto& n : names) {
        UniqueFd fd(::openat(dfd.get(), n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (!fd) {
            // Not openable (a symlink, or gone): nobody can hold it; remove what is there.
            if (errno == ENOENT) continue;
        } else if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
            continue;  // a live writer holds it
        }
        try {
            remove_tree_at(dfd.get(), n);
            removed++;
        } catch (const Error& e) {
            throw Error("clean " + tmp_dir + "/" + n + ": " + e.what());
        }
    }
    return removed;
}

}  // namespace ctr::store

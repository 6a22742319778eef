#include "libcommon/store/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <vector>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::store {

std::string read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    std::string out;
    char buf[65536];
    while (size_t n = read_some(fd.get(), buf, sizeof buf, path)) out.append(buf, n);
    return out;
}

void write_all(int fd, const void* data, size_t size, const std::string& what) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + what);
        }
        p += n;
        size -= static_cast<size_t>(n);
    }
}

size_t read_some(int fd, void* buf, size_t size, const std::string& what) {
    while (true) {
        ssize_t n = ::read(fd, buf, size);
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EINTR) throw_errno("read " + what);
    }
}

void fsync_path(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    if (::fsync(fd.get()) < 0) throw_errno("fsync " + path);
}

std::string dirname_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string basename_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void replace_file(const std::string& path, std::string_view data, unsigned mode) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string tmp = dirname_of(path) + "/." + basename_of(path) + ".tmp-" + std::to_string(rng() % 1000000000);
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) throw_errno("create " + tmp);
    try {
        write_all(fd.get(), data.data(), data.size(), tmp);
        if (::fsync(fd.get()) < 0) throw_errno("fsync " + tmp);
        fd.reset();
        if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp + " to " + path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    fsync_path(dirname_of(path));
}

void make_dirs(const std::string& path, unsigned mode) {
    if (path.empty()) return;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) throw Error("mkdir " + path + ": exists and is not a directory");
        return;
    }
    auto parent = dirname_of(path);
    if (parent != path) make_dirs(parent, mode);
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

void remove_tree_at(int dirfd, const std::string& name) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return;
        throw_errno("stat " + name);
    }
    if (S_ISDIR(st.st_mode)) {
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throw_errno("open " + name);
        DIR* d = ::fdopendir(fd);
        if (!d) {
            ::close(fd);
            throw_errno("opendir " + name);
        }
        std::vector<std::string> names;
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        for (auto& n : names) {
            try {
                remove_tree_at(::dirfd(d), n);
            } catch (...) {
                ::closedir(d);
                throw;
            }
        }
        ::closedir(d);
        if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) throw_errno("rmdir " + name);
    } else if (::unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) {
        throw_errno("unlink " + name);
    }
}

void remove_tree(const std::string& path) {
    try {
        remove_tree_at(AT_FDCWD, path);
    } catch (const Error& e) {
        throw Error("remove " + path + ": " + e.what());
    }
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace ctr::store

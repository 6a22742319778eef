#include "libcommon/runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::runtime {

int openat_in_root(int root, const std::string& path, int flags, unsigned long long extra) {
    struct open_how how = {};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra;
    std::string p = path.empty() ? "." : path;
    for (;;) {
        long fd = syscall(SYS_openat2, root, p.c_str(), &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == EAGAIN || errno == EINTR) continue;  // a rename raced the lookup: retry
        return -errno;
    }
}

UniqueFd open_in_root(int root, const std::string& path, int flags, const std::string& what) {
    int fd = openat_in_root(root, path, flags);
    if (fd < 0) throw_errno("open " + what + " " + path + " in the container", -fd);
    return UniqueFd(fd);
}

std::vector<std::string> path_components(const std::string& path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        std::string c = path.substr(i, j - i);
        if (!c.empty() && c != ".") out.push_back(c);
        i = j + 1;
    }
    return out;
}

namespace {

// One component below dir, opened without following anything.
int open_beneath(int dir, const std::string& name) {
    struct open_how how = {};
    how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    for (;;) {
        long fd = syscall(SYS_openat2, dir, name.c_str(), &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == EAGAIN || errno == EINTR) continue;
        return -errno;
    }
}

std::string parent_of(const std::string& p) {
    auto s = p.rfind('/');
    return s == std::string::npos || s == 0 ? "/" : p.substr(0, s);
}

// The common case of mkpath_in_root: only the last component is missing.
// Its parent is resolved by the kernel inside the root, the component made
// there and opened without following anything. Anything else (a missing
// parent, "..", a symlink appearing in the way, an error) returns an empty
// descriptor and leaves it to the walk below, which also words the errors.
UniqueFd make_last(int root, const std::string& path, bool as_file, mode_t mode) {
    std::vector<std::string> parts = path_components(path);
    if (parts.empty() || parts.back() == "..") return UniqueFd();
    std::string parent;
    for (size_t i = 0; i + 1 < parts.size(); ++i) parent += "/" + parts[i];
    int dir = openat_in_root(root, parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY);
    if (dir < 0) return UniqueFd();
    UniqueFd d(dir);
    const std::string& name = parts.back();
    int rc;
    if (as_file) {
        rc = openat(dir, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (rc >= 0) ::close(rc);
    } else {
        rc = mkdirat(dir, name.c_str(), mode);
    }
    if (rc < 0 && errno != EEXIST) return UniqueFd();
    // O_PATH|O_NOFOLLOW opens a symlink itself: one there (dangling, or
    // swapped in since) is the walk's to follow.
    UniqueFd f(open_beneath(dir, name));
    struct stat st;
    if (!f || fstat(f.get(), &st) < 0 || S_ISLNK(st.st_mode)) return UniqueFd();
    return f;
}

}  // namespace

UniqueFd mkpath_in_root(int root, const std::string& path, bool as_file, mode_t mode) {
    int fd = openat_in_root(root, path, O_PATH);
    if (fd >= 0) return UniqueFd(fd);
    if (fd != -ENOENT) throw_errno("open " + path + " in the container", -fd);
    if (UniqueFd made = make_last(root, path, as_file, mode)) return made;

    // Walk one component at a time from the root, each opened relative to its
    // parent's descriptor without following anything. Symlinks (dangling ones
    // included) are read and spliced into the rest of the walk, absolute ones
    // restarting at the root, ".." never above it: the runtime interprets them
    // as the container would, and a swap between two steps can only send the
    // walk somewhere else inside the root. Missing components are made.
    std::vector<std::string> rest = path_components(path);
    std::reverse(rest.begin(), rest.end());  // a stack: the next component last
    std::string at = "/";                    // where dir is, inside the root
    UniqueFd dir(openat_in_root(root, "/", O_PATH | O_DIRECTORY));
    if (!dir) throw_errno("open the container's root");
    int links = 0, retries = 0;
    auto fail = [&](const std::string& what, int err) {
        throw_errno(what + " (making " + path + " in the container)", err);
    };
    while (!rest.empty()) {
        std::string name = rest.back();
        rest.pop_back();
        std::string next = (at == "/" ? "" : at) + "/" + name;
        if (name == "..") {
            at = parent_of(at);
            int f = openat_in_root(root, at, O_PATH | O_DIRECTORY);
            if (f < 0) fail("open " + at, -f);
            dir.reset(f);
            continue;
        }
        bool last = rest.empty();
        struct stat st;
        if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) fail("stat " + next, errno);
            int rc;
            if (last && as_file) {
                rc = openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (rc >= 0) ::close(rc);
            } else {
                rc = mkdirat(dir.get(), name.c_str(), mode);
            }
            if (rc < 0 && errno != EEXIST) fail(last && as_file ? "create " + next : "mkdir " + next, errno);
            rest.push_back(name);  // look again at what is there now
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            if (++links > 40) fail("resolve " + next, ELOOP);
            char target[4096];
            ssize_t n = readlinkat(dir.get(), name.c_str(), target, sizeof target - 1);
            if (n < 0) {
                if (errno == ENOENT || errno == EINVAL) {  // swapped meanwhile
                    rest.push_back(name);
                    continue;
                }
                fail("readlink " + next, errno);
            }
            target[n] = 0;
            auto comps = path_components(target);
            for (auto it = comps.rbegin(); it != comps.rend(); ++it) rest.push_back(*it);
            if (target[0] == '/') {
                at = "/";
                int f = openat_in_root(root, "/", O_PATH | O_DIRECTORY);
                if (f < 0) fail("open the container's root", -f);
                dir.reset(f);
            }
            continue;
        }
        int f = open_beneath(dir.get(), name);
        UniqueFd got(f >= 0 ? f : -1);
        // A symlink swapped in since the stat comes back as the link itself
        // (O_PATH|O_NOFOLLOW), or as ELOOP: look again, and follow it then.
        if (got && fstat(got.get(), &st) < 0) fail("stat " + next, errno);
        if (f == -ELOOP || f == -ENOENT || (got && S_ISLNK(st.st_mode))) {
            if (++retries > 100) fail("open " + next, f < 0 ? -f : ELOOP);
            rest.push_back(name);
            continue;
        }
        if (f < 0) fail("open " + next, -f);
        if (!last && !S_ISDIR(st.st_mode)) fail("open " + next, ENOTDIR);
        dir = std::move(got);
        at = next;
    }
    return dir;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace ctr::runtime

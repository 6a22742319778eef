#include "libcommon/runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

UniqueFd mkpath_in_root(int root, const std::string& path, bool as_file, mode_t mode) {
    int fd = openat_in_root(root, path, O_PATH);
    if (fd >= 0) return UniqueFd(fd);
    if (fd != -ENOENT) throw_errno("open " + path + " in the container", -fd);

    // Find the deepest existing ancestor, then make the rest below it.
    auto comps = path_components(path);
    size_t have = 0;
    UniqueFd dir(openat_in_root(root, "/", O_PATH | O_DIRECTORY));
    if (!dir) throw_errno("open the container's root");
    std::string prefix;
    for (; have < comps.size(); ++have) {
        std::string next = prefix + "/" + comps[have];
        int f = openat_in_root(root, next, O_PATH);
        if (f == -ENOENT) break;
        if (f < 0) throw_errno("open " + next + " in the container", -f);
        dir.reset(f);
        prefix = next;
    }
    for (size_t i = have; i < comps.size(); ++i) {
        const std::string& name = comps[i];
        bool last = i + 1 == comps.size();
        prefix += "/" + name;
        if (name == "..") throw Error("make " + path + " in the container: \"..\" in a new path");
        if (last && as_file) {
            int f = openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (f < 0 && errno != EEXIST) throw_errno("create " + prefix + " in the container");
            if (f >= 0) ::close(f);
        } else if (mkdirat(dir.get(), name.c_str(), mode) < 0 && errno != EEXIST) {
            throw_errno("mkdir " + prefix + " in the container");
        }
        struct open_how how = {};
        how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        long f = syscall(SYS_openat2, dir.get(), name.c_str(), &how, sizeof how);
        if (f < 0) throw_errno("open " + prefix + " in the container");
        dir.reset(static_cast<int>(f));
    }
    return dir;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace ctr::runtime

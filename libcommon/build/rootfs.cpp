#include "libcommon/build/rootfs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "libcommon/sys/error.h"

namespace ctr::build {

int open_in_root(int root_fd, const std::string& path, int flags, mode_t mode) {
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    size_t skip = path.find_first_not_of('/');
    std::string p = skip == std::string::npos ? std::string(".") : path.substr(skip);
    while (true) {
        long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
    }
}

std::optional<struct stat> stat_in_root(int root_fd, const std::string& path) {
    int fd = open_in_root(root_fd, path, O_PATH);
    if (fd < 0) return std::nullopt;
    UniqueFd f(fd);
    struct stat st;
    if (::fstat(fd, &st) < 0) return std::nullopt;
    return st;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    if (slash == std::string::npos) return {".", p};
    return {slash == 0 ? "/" : p.substr(0, slash), p.substr(slash + 1)};
}

UniqueFd mkdirs_in_root(int root_fd, const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        std::string part = path.substr(i, j - i);
        if (!part.empty() && part != ".") parts.push_back(part);
        i = j + 1;
    }
    std::string cur = "/";
    UniqueFd dir(open_in_root(root_fd, "/", O_RDONLY | O_DIRECTORY));
    if (!dir) throw_errno("open the root directory");
    for (auto& part : parts) {
        if (part == "..") throw Error("path " + path + ": \"..\" is not allowed here");
        std::string next = cur;
        if (next.back() != '/') next += '/';
        next += part;
        int fd = open_in_root(root_fd, next, O_RDONLY | O_DIRECTORY);
        if (fd < 0 && errno == ENOENT) {
            if (::mkdirat(dir.get(), part.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + next);
            fd = open_in_root(root_fd, next, O_RDONLY | O_DIRECTORY);
            if (fd >= 0) {
                if (::fchown(fd, uid, gid) < 0 || ::fchmod(fd, mode) < 0) throw_errno("set owner and mode of " + next);
            }
        }
        if (fd < 0) {
            if (errno == ENOTDIR) throw Error("mkdir " + next + ": a path component is not a directory");
            throw_errno("open directory " + next);
        }
        dir.reset(fd);
        cur = next;
    }
    return dir;
}

std::string read_in_root(int root_fd, const std::string& path) {
    int fd = open_in_root(root_fd, path, O_RDONLY);
    if (fd < 0) return "";
    UniqueFd f(fd);
    std::string out;
    char buf[8192];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > (16u << 20)) throw Error("read " + path + ": file too large");
    }
    return out;
}

namespace {

bool all_digits(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// Field 2 (the id) of the line of /etc/passwd or /etc/group whose first field is `name`.
std::optional<unsigned long> lookup_id(const std::string& db, const std::string& name) {
    size_t i = 0;
    while (i < db.size()) {
        size_t nl = db.find('\n', i);
        if (nl == std::string::npos) nl = db.size();
        std::string line = db.substr(i, nl - i);
        i = nl + 1;
        std::vector<std::string> f;
        size_t s = 0;
        while (true) {
            size_t c = line.find(':', s);
            f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
            if (c == std::string::npos) break;
            s = c + 1;
        }
        if (f.size() >= 3 && f[0] == name && all_digits(f[2])) return std::stoul(f[2]);
    }
    return std::nullopt;
}

}  // namespace

std::pair<uid_t, gid_t> resolve_chown(int root_fd, const std::string& spec) {
    auto colon = spec.find(':');
    std::string user = spec.substr(0, colon);
    std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (user.empty()) throw Error("--chown=" + spec + ": no user");
    uid_t uid;
    if (all_digits(user)) {
        uid = static_cast<uid_t>(std::stoul(user));
    } else {
        auto id = lookup_id(read_in_root(root_fd, "/etc/passwd"), user);
        if (!id) throw Error("--chown=" + spec + ": unable to find user " + user + ": no matching entries in passwd file");
        uid = static_cast<uid_t>(*id);
    }
    gid_t gid = uid;
    if (!group.empty()) {
        if (all_digits(group)) {
            gid = static_cast<gid_t>(std::stoul(group));
        } else {
            auto id = lookup_id(read_in_root(root_fd, "/etc/group"), group);
            if (!id) throw Error("--chown=" + spec + ": unable to find group " + group + ": no matching entries in group file");
            gid = static_cast<gid_t>(*id);
        }
    }
    return {uid, gid};
}

}  // namespace ctr::build

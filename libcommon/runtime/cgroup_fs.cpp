#include "libcommon/runtime/cgroup_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::runtime::cgfs {

namespace {

// A cgroup file opened for writing; in a fake tree it is made if missing and
// appended to.
int open_for_write(const Dir& d, const std::string& name) {
    int flags = O_WRONLY | O_CLOEXEC | (d.fake ? O_CREAT | O_APPEND : O_TRUNC);
    return ::open(d.file(name).c_str(), flags, 0644);
}

// One value in one write(2) (a line in a fake tree): 0 or the errno.
int write_value(int fd, const std::string& value, bool fake) {
    std::string data = fake ? value + "\n" : value;
    ssize_t n;
    do {
        n = ::write(fd, data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    return n < 0 ? errno : 0;
}

}  // namespace

int Dir::try_write(const std::string& name, const std::string& value) const {
    UniqueFd fd(open_for_write(*this, name));
    if (!fd) return errno;
    return write_value(fd.get(), value, fake);
}

void Dir::write(const std::string& name, const std::string& value) const {
    if (int err = try_write(name, value)) throw_errno("write " + value + " to " + file(name), err);
}

void Writer::write(const std::string& value) {
    if (!fd_) fd_.reset(open_for_write(dir_, name_));
    int err = fd_ ? write_value(fd_.get(), value, dir_.fake) : errno;
    if (err) throw_errno("write " + value + " to " + dir_.file(name_), err);
}

std::optional<std::string> Dir::read(const std::string& name) const {
    UniqueFd fd(::open(file(name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("open " + file(name));
    }
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            // A cgroup that went away while we read it has nothing to say.
            if (errno == ENODEV) return std::nullopt;
            throw_errno("read " + file(name));
        }
        if (n == 0) break;
        out.append(buf, size_t(n));
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::string Dir::read_required(const std::string& name) const {
    auto v = read(name);
    if (!v) throw Error("read " + file(name) + ": No such file or directory");
    return *v;
}

bool Dir::has(const std::string& name) const { return ::access(file(name).c_str(), F_OK) == 0; }

bool Dir::exists() const {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> make_dirs(const std::string& dir) {
    // Usually only the last directory is missing: one mkdir, not one per
    // level of the path (a container has a cgroup in each v1 hierarchy).
    if (::mkdir(dir.c_str(), 0755) == 0) return {dir};
    if (errno == EEXIST) return {};
    if (errno != ENOENT) throw_errno("create cgroup " + dir);
    std::vector<std::string> made;
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        size_t next = dir.find('/', pos + 1);
        cur = dir.substr(0, next);
        pos = next;
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), 0755) == 0) {
            made.push_back(cur);
        } else if (errno != EEXIST) {
            int err = errno;
            // Undo what we made so a failure leaves nothing behind.
            for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
            throw_errno("create cgroup " + cur, err);
        }
    }
    return made;
}

namespace {

std::vector<std::string> subdirs(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_type != DT_DIR) continue;
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        out.push_back(dir + "/" + name);
    }
    ::closedir(d);
    return out;
}

void remove_files(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (struct dirent* e = ::readdir(d))
        if (e->d_type == DT_REG) ::unlink((dir + "/" + e->d_name).c_str());
    ::closedir(d);
}

void remove_one(const std::string& dir, bool fake) {
    // Most cgroups have no children: one rmdir, without reading the
    // directory (a kernfs readdir per hierarchy, eleven on v1, on the path
    // of every delete).
    if (!fake && (::rmdir(dir.c_str()) == 0 || errno == ENOENT)) return;
    for (const auto& sub : subdirs(dir)) remove_one(sub, fake);
    if (fake) remove_files(dir);
    // Tasks that were just killed leave their cgroup a little later.
    auto delay = std::chrono::milliseconds(1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
        int err = errno;
        if (err != EBUSY || std::chrono::steady_clock::now() > deadline) throw_errno("remove cgroup " + dir, err);
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(50));
    }
}

}  // namespace

void remove_tree(const std::string& dir, bool fake) { remove_one(dir, fake); }

std::vector<pid_t> procs_recursive(const std::string& dir) {
    std::vector<pid_t> pids;
    Dir d{dir};
    if (auto text = d.read("cgroup.procs")) {
        size_t pos = 0;
        while (pos < text->size()) {
            size_t end = text->find('\n', pos);
            if (end == std::string::npos) end = text->size();
            std::string line = text->substr(pos, end - pos);
            if (!line.empty()) pids.push_back(pid_t(std::stol(line)));
            pos = end + 1;
        }
    }
    for (const auto& sub : subdirs(dir)) {
        auto more = procs_recursive(sub);
        pids.insert(pids.end(), more.begin(), more.end());
    }
    return pids;
}

}  // namespace ctr::runtime::cgfs

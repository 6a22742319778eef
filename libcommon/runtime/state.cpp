#include "libcommon/runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>

#include "libcommon/runtime/cgroup.h"
#include "libcommon/runtime/proc.h"
#include "libcommon/sys/error.h"

using nlohmann::json;

namespace ctr::runtime {

std::string status_name(Status s) {
    switch (s) {
        case Status::Creating: return "creating";
        case Status::Created: return "created";
        case Status::Running: return "running";
        case Status::Paused: return "paused";
        case Status::Stopped: return "stopped";
    }
    return "unknown";
}

json ContainerState::to_json() const {
    return json{{"id", id},
                {"pid", pid},
                {"init_start_time", start_time},
                {"init_exe", {{"dev", exe_dev}, {"ino", exe_ino}}},
                {"bundle", bundle},
                {"rootfs", rootfs},
                {"created", created},
                {"owner", owner},
                {"annotations", annotations},
                {"cgroup", cgroup},
                {"systemd_cgroup", systemd_cgroup},
                {"rootless", rootless},
                {"config", config}};
}

ContainerState ContainerState::from_json(const json& j) {
    ContainerState st;
    st.id = j.value("id", "");
    st.pid = j.value("pid", 0);
    st.start_time = j.value("init_start_time", uint64_t{0});
    if (j.contains("init_exe")) {
        st.exe_dev = j["init_exe"].value("dev", uint64_t{0});
        st.exe_ino = j["init_exe"].value("ino", uint64_t{0});
    }
    st.bundle = j.value("bundle", "");
    st.rootfs = j.value("rootfs", "");
    st.created = j.value("created", "");
    st.owner = j.value("owner", "");
    if (j.contains("annotations") && j["annotations"].is_object()) st.annotations = j["annotations"];
    if (j.contains("config")) st.config = j["config"];
    if (j.contains("cgroup")) st.cgroup = j["cgroup"];
    st.systemd_cgroup = j.value("systemd_cgroup", false);
    st.rootless = j.value("rootless", "auto");
    return st;
}

void validate_id(const std::string& id) {
    bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 1024;
    for (char c : id)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.')) ok = false;
    if (!ok) throw Error("invalid container id format: " + id);
}

int StateRoot::fd(bool create) const {
    if (fd_) return fd_.get();
    if (create) {
        // mkdir -p, 0700 for what we make.
        std::string p;
        for (size_t i = 1; i <= path_.size(); ++i) {
            if (i == path_.size() || path_[i] == '/') {
                p = path_.substr(0, i);
                if (mkdir(p.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("mkdir " + p);
            }
        }
    }
    fd_.reset(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) throw_errno("open the state directory " + path_);
    return fd_.get();
}

std::vector<std::string> StateRoot::ids() const {
    std::vector<std::string> out;
    int f = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f < 0) {
        if (errno == ENOENT) return out;
        throw_errno("open the state directory " + path_);
    }
    DIR* d = fdopendir(f);
    if (!d) {
        ::close(f);
        throw_errno("read " + path_);
    }
    while (struct dirent* e = readdir(d)) {
        std::string name = e->d_name;
        // '@' is in no valid id: the runtime's own directories (a cache).
        if (name == "." || name == ".." || e->d_type != DT_DIR || name.find('@') != std::string::npos) continue;
        out.push_back(name);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

ContainerDir ContainerDir::create(const StateRoot& root, const std::string& id) {
    validate_id(id);
    ContainerDir c;
    c.root_path_ = root.path();
    c.id_ = id;
    c.root_fd_.reset(fcntl(root.fd(true), F_DUPFD_CLOEXEC, 3));
    if (mkdirat(c.root_fd_.get(), id.c_str(), 0700) < 0) {
        if (errno == EEXIST) throw Error("container with id exists: " + id);
        throw_errno("mkdir " + c.path());
    }
    c.fd_.reset(openat(c.root_fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!c.fd_) throw_errno("open " + c.path());
    c.lock();
    return c;
}

ContainerDir ContainerDir::open(const StateRoot& root, const std::string& id) {
    validate_id(id);
    ContainerDir c;
    c.root_path_ = root.path();
    c.id_ = id;
    int rf = ::open(root.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rf < 0) {
        if (errno == ENOENT) throw Error("container does not exist");
        throw_errno("open the state directory " + root.path());
    }
    c.fd_.reset(openat(rf, id.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    int err = errno;
    c.root_fd_.reset(rf);
    if (!c.fd_) {
        if (err == ENOENT) throw Error("container does not exist");
        throw_errno("open " + c.path(), err);
    }
    return c;
}

void ContainerDir::lock() {
    while (flock(fd_.get(), LOCK_EX) < 0)
        if (errno != EINTR) throw_errno("lock " + path());
}

void ContainerDir::unlock() { flock(fd_.get(), LOCK_UN); }

bool ContainerDir::has_state() const { return faccessat(fd_.get(), "state.json", F_OK, 0) == 0; }

ContainerState ContainerDir::load() const {
    int f = openat(fd_.get(), "state.json", O_RDONLY | O_CLOEXEC);
    if (f < 0) throw_errno("open " + path() + "/state.json");
    std::string text;
    char buf[65536];
    ssize_t n;
    while ((n = read(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(f);
    try {
        return ContainerState::from_json(json::parse(text));
    } catch (const json::exception& e) {
        throw Error(path() + "/state.json: " + e.what());
    }
}

void ContainerDir::save(const ContainerState& st) const { save_json("state.json", st.to_json()); }

void ContainerDir::stage(const ContainerState& st) const { write_new("state.json.tmp", st.to_json().dump()); }

void ContainerDir::commit_staged() const {
    if (renameat(fd_.get(), "state.json.tmp", fd_.get(), "state.json") < 0)
        throw_errno("rename " + path() + "/state.json");
}

void ContainerDir::save_json(const std::string& name, const json& j) const {
    std::string tmp = name + ".tmp";
    write_new(tmp, j.dump());
    if (renameat(fd_.get(), tmp.c_str(), fd_.get(), name.c_str()) < 0) throw_errno("rename " + path() + "/" + name);
}

void ContainerDir::write_new(const std::string& name, const std::string& text) const {
    int f = openat(fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f < 0) throw_errno("write " + path() + "/" + name);
    size_t off = 0;
    while (off < text.size()) {
        ssize_t w = write(f, text.data() + off, text.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(f);
            throw_errno("write " + path() + "/" + name, e);
        }
        off += static_cast<size_t>(w);
    }
    ::close(f);
}

json ContainerDir::load_json(const std::string& name) const {
    int f = openat(fd_.get(), name.c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) return nullptr;
    std::string text;
    char buf[65536];
    ssize_t n;
    while ((n = read(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(f);
    try {
        return json::parse(text);
    } catch (const json::exception&) {
        return nullptr;
    }
}

Status ContainerDir::status(const std::optional<ContainerState>& st) const {
    if (!st) {
        // No committed state: a create is running (it holds the lock) or died.
        if (flock(fd_.get(), LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) return Status::Creating;
        flock(fd_.get(), LOCK_UN);
        return Status::Stopped;
    }
    if (!process_matches(st->pid, st->start_time)) return Status::Stopped;
    struct stat exe;
    std::string link = "/proc/" + std::to_string(st->pid) + "/exe";
    if (stat(link.c_str(), &exe) == 0) {
        if (exe.st_dev == st->exe_dev && exe.st_ino == st->exe_ino) return Status::Created;
    } else if (errno == EACCES || errno == EPERM) {
        // Unprivileged (rootless), the exe of an init that has not exec'd
        // yet can't be read (it is not dumpable); such an init still
        // listens on start.sock, which `start` removes.
        struct stat sock;
        if (fstatat(fd_.get(), "start.sock", &sock, AT_SYMLINK_NOFOLLOW) == 0) return Status::Created;
    } else if (!process_matches(st->pid, st->start_time)) {
        return Status::Stopped;
    }
    if (cgroup_frozen(st->cgroup)) return Status::Paused;
    return Status::Running;
}

void ContainerDir::remove() {
    DIR* d = fdopendir(dup(fd_.get()));
    if (d) {
        rewinddir(d);
        while (struct dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            unlinkat(fd_.get(), name.c_str(), 0);
        }
        closedir(d);
    }
    if (unlinkat(root_fd_.get(), id_.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        throw_errno("remove " + path());
}

json oci_state(const ContainerState& st, Status status, const std::string& id) {
    json j = {{"ociVersion", "1.0.2"},
              {"id", id},
              {"pid", status == Status::Stopped || status == Status::Creating ? 0 : st.pid},
              {"status", status_name(status)},
              {"bundle", st.bundle},
              {"rootfs", st.rootfs},
              {"created", st.created.empty() ? "0001-01-01T00:00:00Z" : st.created},
              {"owner", st.owner}};
    if (!st.annotations.empty()) j["annotations"] = st.annotations;
    return j;
}

std::string rfc3339_now() {
    // The calendar by arithmetic (std::chrono): glibc's gmtime_r and
    // strftime load the time zone (/etc/localtime) first, for nothing here.
    using namespace std::chrono;
    auto now = floor<nanoseconds>(system_clock::now());
    auto day = floor<days>(now);
    year_month_day ymd{day};
    hh_mm_ss<nanoseconds> t{now - day};
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.%09lldZ", int(ymd.year()), unsigned(ymd.month()),
             unsigned(ymd.day()), long(t.hours().count()), long(t.minutes().count()),
             static_cast<long long>(t.seconds().count()), static_cast<long long>(t.subseconds().count()));
    return buf;
}

}  // namespace ctr::runtime

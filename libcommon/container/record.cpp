#include "libcommon/container/record.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include "libcommon/container/names.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/lock.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::container {

using json = nlohmann::json;

Paths container_paths(const std::string& containers_dir, const std::string& id) { return {containers_dir + "/" + id}; }

std::string new_id() {
    std::random_device rd;
    std::string id;
    static const char hex[] = "0123456789abcdef";
    while (id.size() < 64) {
        uint32_t r = rd();
        for (int i = 0; i < 8 && id.size() < 64; i++, r >>= 4) id += hex[r & 15];
    }
    return id;
}

std::string now_rfc3339nano() {
    auto now = std::chrono::system_clock::now();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1000000000));
    return buf;
}

json read_record(const Paths& p) {
    std::string text = store::read_file(p.record());
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw Error(p.record() + ": " + e.what());
    }
}

void write_atomic(const std::string& path, const std::string& data, unsigned mode) {
    std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw_errno("create " + tmp);
    try {
        store::write_all(fd.get(), data.data(), data.size(), tmp);
        fd.reset();
        if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp + " to " + path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
}

std::string containers_dir() {
    const char* root = ::getenv("CTR_ROOT");
    return std::string(root && *root ? root : "/var/lib/ctr") + "/containers";
}

void write_record(const Paths& p, const json& rec) { write_atomic(p.record(), rec.dump(2) + "\n"); }

json update_record(const Paths& p, const std::function<void(json&)>& change) {
    auto lock = store::FileLock::acquire(p.lock(), store::FileLock::Mode::Exclusive);
    json rec = read_record(p);
    change(rec);
    write_record(p, rec);
    return rec;
}

std::vector<std::string> list_ids(const std::string& containers_dir) {
    std::vector<std::string> ids;
    DIR* d = ::opendir(containers_dir.c_str());
    if (!d) return ids;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() == 64 && store::path_exists(containers_dir + "/" + n + "/container.json")) ids.push_back(n);
    }
    ::closedir(d);
    return ids;
}

std::string resolve(const std::string& containers_dir, std::string_view name_or_id) {
    std::string want(name_or_id);
    if (!want.empty() && want[0] == '/') want = want.substr(1);
    if (want.empty()) throw Error("No such container: (empty name)");
    // A full id names its directory: no need to look at every other one.
    if (want.size() == 64 && store::path_exists(containers_dir + "/" + want + "/container.json")) return want;
    auto ids = list_ids(containers_dir);
    for (auto& id : ids)
        if (id == want) return id;
    for (auto& id : ids) {
        try {
            auto rec = read_record(container_paths(containers_dir, id));
            if (rec.value("Name", "") == want) return id;
        } catch (const std::exception&) {
        }
    }
    std::string found;
    for (auto& id : ids)
        if (id.rfind(want, 0) == 0) {
            if (!found.empty()) throw Error("Multiple containers match " + want + ": use more of the id");
            found = id;
        }
    if (found.empty()) throw Error("No such container: " + want);
    return found;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!in || !std::getline(in, text)) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: skip to the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    // Fields 3..21, then 22 = starttime.
    for (int i = 3; i < 22; i++) rest >> field;
    uint64_t start = 0;
    if (!(rest >> start)) return std::nullopt;
    // A zombie has exited: it no longer counts as alive.
    std::istringstream st(text.substr(close + 2));
    std::string state;
    st >> state;
    if (state == "Z" || state == "X") return std::nullopt;
    return start;
}

bool process_alive(int64_t pid, uint64_t start_time) {
    if (pid <= 0) return false;
    auto st = process_start_time(static_cast<pid_t>(pid));
    return st && *st == start_time;
}

json live_state(const json& rec) {
    json s = rec.value("State", json::object());
    bool monitor = process_alive(s.value("MonitorPid", int64_t(0)), s.value("MonitorStartTime", uint64_t(0)));
    s["MonitorAlive"] = monitor;
    std::string status = s.value("Status", "created");
    if (status == "running" || status == "paused") {
        // A live monitor records the exit itself, at once; only without one is
        // a dead init process a stale record.
        if (!monitor && !process_alive(s.value("Pid", int64_t(0)), s.value("PidStartTime", uint64_t(0)))) {
            s["Status"] = "exited";
            s["Running"] = false;
            s["Paused"] = false;
            s["Pid"] = 0;
            s["ExitCode"] = -1;
        }
    } else if (status == "restarting" && !monitor) {
        s["Status"] = "exited";
        s["Restarting"] = false;
    }
    return s;
}

}  // namespace ctr::container

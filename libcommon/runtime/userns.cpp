#include "libcommon/runtime/userns.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr::runtime {

namespace {

void write_proc(pid_t pid, const std::string& file, const std::string& text) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd f(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!f || write(f.get(), text.data(), text.size()) < 0) throw_errno("write " + path);
}

std::string map_text(const std::vector<IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    return out;
}

// Runs newuidmap/newgidmap PID ID HOST SIZE...; throws when it is missing or fails.
void run_map_helper(const std::string& helper, const std::string& field, pid_t pid,
                    const std::vector<IdMapping>& maps) {
    std::vector<std::string> args = {helper, std::to_string(pid)};
    for (const auto& m : maps)
        for (uint32_t v : {m.container_id, m.host_id, m.size}) args.push_back(std::to_string(v));
    std::string why = "config.json: " + field + ": mapping more than your own id as uid " +
                      std::to_string(geteuid()) + " needs " + helper;
    SpawnOptions so;  // its complaints go to our stderr
    if (fcntl(STDERR_FILENO, F_GETFD) >= 0) so.err = STDERR_FILENO;
    so.search_path = true;
    pid_t child;
    try {
        child = spawn(args, so);
    } catch (const SpawnError& e) {
        if (e.err == ENOENT) throw Error(why + " (Debian package uidmap), which is not installed");
        throw_errno(why + ": run it", e.err);
    }
    if (wait_exit(child) != 0)
        throw Error(why + ", which refused it (are the ids in /etc/sub" + (helper == "newuidmap" ? "uid" : "gid") +
                    " for this user?)");
}

}  // namespace

bool is_rootless(const std::string& flag) {
    if (flag == "true") return true;
    if (flag == "false") return false;
    return geteuid() != 0;
}

void write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
    if (geteuid() == 0) {
        write_proc(pid, "uid_map", map_text(uids));
        write_proc(pid, "gid_map", map_text(gids));
        return;
    }
    // Unprivileged, the kernel takes one line mapping the writer's own id.
    auto own_only = [](const std::vector<IdMapping>& m, unsigned id) {
        return m.size() == 1 && m[0].host_id == id && m[0].size == 1;
    };
    if (own_only(uids, geteuid()))
        write_proc(pid, "uid_map", map_text(uids));
    else
        run_map_helper("newuidmap", "linux.uidMappings", pid, uids);
    if (own_only(gids, getegid())) {
        write_proc(pid, "setgroups", "deny");
        write_proc(pid, "gid_map", map_text(gids));
    } else {
        run_map_helper("newgidmap", "linux.gidMappings", pid, gids);
    }
}

std::string unwritable_cgroup(const std::map<std::string, std::string>& paths) {
    for (const auto& [controller, dir] : paths) {
        std::string d = dir;
        std::string target = d + "/cgroup.procs";
        while (access(d.c_str(), F_OK) < 0 && d.size() > 1) {
            d = d.substr(0, d.rfind('/'));
            target = d;
        }
        if (faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) < 0) return dir;
    }
    return "";
}

}  // namespace ctr::runtime

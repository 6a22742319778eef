#include "libcommon/cli/preflight.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/spawn.h"
#include "libcommon/sys/text.h"

namespace ctr::preflight {

namespace {

bool is_root() { return ::geteuid() == 0; }

std::string normal(const std::string& path) {
    std::string p = std::filesystem::absolute(path).lexically_normal().string();
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

// Why a directory can't be used or made by this user.
struct DirProblem {
    enum Kind { None, NotDirectory, ReadOnly, NotYours } kind = None;
    std::string where;  // the path at fault: the directory, a subdirectory, or the ancestor it would be made in
    bool missing = false;  // the directory does not exist yet
};

DirProblem::Kind kind_of(int err) {
    if (err == EROFS) return DirProblem::ReadOnly;
    if (err == ENOTDIR) return DirProblem::NotDirectory;
    return DirProblem::NotYours;
}

// What stands between this user and reading and writing `dir` (made if
// missing), and its existing `subdirs`, which only a user other than root
// has to check (root passes every permission check but a read-only mount's).
DirProblem check_dir(const std::string& given, const std::vector<std::string>& subdirs) {
    std::string dir = normal(given);
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return {DirProblem::NotDirectory, dir};
        if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) return {kind_of(errno), dir};
        if (is_root()) return {};
        for (const auto& s : subdirs) {
            std::string p = dir + "/" + s;
            if (::stat(p.c_str(), &st) == 0 && ::access(p.c_str(), R_OK | W_OK | X_OK) != 0) return {kind_of(errno), p};
        }
        return {};
    }
    // Missing (or out of reach): the nearest existing directory above must let us make it.
    int err = errno;
    std::string up = dir;
    while (true) {
        auto slash = up.rfind('/');
        up = slash == 0 || slash == std::string::npos ? "/" : up.substr(0, slash);
        if (::stat(up.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode)) return {DirProblem::NotDirectory, up, true};
            if (err == EACCES || ::access(up.c_str(), W_OK | X_OK) != 0)
                return {err == EACCES ? DirProblem::NotYours : kind_of(errno), up, true};
            return {};
        }
        if (errno == EACCES) err = EACCES;
        if (up == "/") return {};
    }
}

// "cannot use the image store /x: not writable by you" and the like.
std::string describe(const DirProblem& p, const std::string& what, const std::string& dir) {
    std::string d = normal(dir);
    std::string head = (p.missing ? "cannot make " : "cannot use ") + what + " " + d + ": ";
    std::string at = p.where == d ? "" : p.where + " ";
    switch (p.kind) {
        case DirProblem::NotDirectory: return head + (at.empty() ? "not a directory" : at + "is not a directory");
        case DirProblem::ReadOnly: return head + (at.empty() ? "" : at + "is ") + "on a read-only file system";
        case DirProblem::NotYours:
            return head + (at.empty() ? "not" : at + "is not") + (is_root() ? " writable" : " writable by you");
        case DirProblem::None: break;
    }
    return {};
}

std::string read_text(const std::string& path, bool& ok) {
    try {
        std::string text = ctr::read_text(path);
        ok = true;
        return text;
    } catch (const Error&) {
        ok = false;
        return "";
    }
}

// Runs `modprobe -q NAME`, quietly; "" if it ran and succeeded, else why not.
std::string modprobe(const char* name) {
    SpawnOptions so;  // stdin, stdout and stderr: /dev/null
    so.search_path = true;
    pid_t pid;
    try {
        pid = spawn({"modprobe", "-q", name}, so);
    } catch (const SpawnError& e) {
        return e.err == ENOENT ? "modprobe is not installed" : "modprobe could not be run";
    }
    if (wait_exit(pid) == 0) return "";
    return std::string("modprobe ") + name + " failed";
}

bool fs_type_is(const std::string& path, long magic) {
    struct statfs sf;
    return ::statfs(path.c_str(), &sf) == 0 && static_cast<long>(sf.f_type) == magic;
}

}  // namespace

void require_root() {
    if (is_root()) return;
    throw Error(
        "must be run as root: containers need overlay mounts, namespaces and cgroups (try sudo); without root, only "
        "images (in a store of your own: CTR_ROOT=DIR) and rootless ctr-run bundles (ctr-run spec --rootless) work");
}

void require_store(const std::string& root) {
    auto p = check_dir(root, {"oci", "oci/blobs", "oci/blobs/sha256", "layers", "containers", "tmp", "locks"});
    if (p.kind == DirProblem::None) return;
    std::string msg = describe(p, "the image store", root);
    if (p.kind == DirProblem::NotYours && !is_root())
        throw Error(msg + ": run as root (try sudo), or set CTR_ROOT to a directory of yours (without root, only images "
                          "and rootless ctr-run bundles work: ctr-run spec --rootless)");
    throw Error(msg + ": set CTR_ROOT to a writable directory (unset, the store is /var/lib/ctr)");
}

bool lists_overlay(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        size_t tab = line.rfind('\t');
        std::string_view name = tab == std::string_view::npos ? line : line.substr(tab + 1);
        while (!name.empty() && (name.front() == ' ')) name.remove_prefix(1);
        if (name == "overlay") return true;
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    return false;
}

void require_overlayfs() {
    bool ok = false;
    std::string text = read_text("/proc/filesystems", ok);
    if (!ok || lists_overlay(text)) return;  // without /proc the mount itself will tell
    std::string why = modprobe("overlay");
    text = read_text("/proc/filesystems", ok);
    if (lists_overlay(text)) return;
    throw Error("overlayfs is not available: /proc/filesystems has no overlay (" +
                (why.empty() ? std::string("modprobe overlay did not add it") : why) +
                "): load the overlay module, or use a kernel with overlayfs (CONFIG_OVERLAY_FS)");
}

void require_containers(const std::string& root) {
    require_root();
    require_store(root);
    require_overlayfs();
}

std::vector<CgroupNeed> cgroup_needs(const bundle::SpecOptions& o) {
    std::vector<CgroupNeed> needs;
    if (o.memory > 0) needs.push_back({"memory", "--memory"});
    if (o.cpu_quota > 0) needs.push_back({"cpu", "--cpus"});
    if (o.cpu_shares > 0) needs.push_back({"cpu", "--cpu-shares"});
    if (o.pids_limit > 0) needs.push_back({"pids", "--pids-limit"});
    return needs;
}

std::vector<CgroupNeed> cgroup_needs(const nlohmann::json& resources) {
    struct Field {
        const char* section;
        const char* key;
        const char* controller;
        const char* option;
    };
    static const Field fields[] = {
        {"memory", "limit", "memory", "--memory"},     {"memory", "swap", "memory", "--memory-swap"},
        {"memory", "reservation", "memory", "--memory-reservation"},
        {"cpu", "quota", "cpu", "--cpus"},             {"cpu", "shares", "cpu", "--cpu-shares"},
        {"pids", "limit", "pids", "--pids-limit"},
    };
    std::vector<CgroupNeed> needs;
    if (!resources.is_object()) return needs;
    for (const auto& f : fields) {
        auto s = resources.find(f.section);
        if (s == resources.end() || !s->is_object()) continue;
        auto v = s->find(f.key);
        if (v != s->end() && !v->is_null()) needs.push_back({f.controller, f.option});
    }
    return needs;
}

std::vector<CgroupNeed> cgroup_needs_of_config(const std::string& path) {
    bool ok = false;
    std::string text = read_text(path, ok);
    if (!ok) return {};
    auto config = nlohmann::json::parse(text, nullptr, false);
    if (!config.is_object() || !config.contains("linux") || !config["linux"].is_object()) return {};
    return cgroup_needs(config["linux"].value("resources", nlohmann::json::object()));
}

std::string cgroup_controller_missing(const runtime::CgroupHost& host, const std::string& controller) {
    if (host.unified) {
        const std::string& mount = host.v2->mountpoint;
        if (!host.fake && !fs_type_is(mount, CGROUP2_SUPER_MAGIC)) return mount + " is not a cgroup file system";
        bool ok = false;
        std::string list = read_text(mount + "/cgroup.controllers", ok);
        for (std::string_view w : fields(list))
            if (w == controller) return "";
        return mount + "/cgroup.controllers does not list it";
    }
    auto it = host.v1.find(controller);
    if (it == host.v1.end()) {
        if (host.v1.empty()) return "no cgroup file system is mounted at /sys/fs/cgroup";
        return "no cgroup v1 hierarchy under /sys/fs/cgroup has it";
    }
    if (!host.fake && !fs_type_is(it->second.mountpoint, CGROUP_SUPER_MAGIC))
        return it->second.mountpoint + " is not a cgroup file system";
    return "";
}

void require_cgroup_controllers(const std::vector<CgroupNeed>& needs, bool existing) {
    if (needs.empty()) return;
    auto host = runtime::CgroupHost::detect();
    for (const auto& n : needs) {
        std::string why = cgroup_controller_missing(host, n.controller);
        if (why.empty()) continue;
        std::string instead = existing ? "remove the container and create it again without " + n.option
                                       : "create the container without " + n.option;
        throw Error(n.option + " needs the " + n.controller + " cgroup controller, which this machine does not have (" +
                    why + "): " + instead + ", or make the controller available (enabled in the kernel, no cgroup_disable=" +
                    n.controller + " on its command line, and mounted under /sys/fs/cgroup)");
    }
}

void require_runtime_root(const std::string& dir) {
    if (is_root()) return;
    auto p = check_dir(dir, {});
    if (p.kind == DirProblem::None) return;
    throw Error(describe(p, "the state directory", dir) +
                ": run as root, or, for a rootless bundle (ctr-run spec --rootless), give --root a directory of yours "
                "(the default when XDG_RUNTIME_DIR is set: $XDG_RUNTIME_DIR/ctr-run)");
}

void require_userns_unless_root(const std::string& config_path) {
    if (is_root()) return;
    bool ok = false;
    std::string text = read_text(config_path, ok);
    if (!ok) return;  // the runtime says what is wrong with the bundle
    auto config = nlohmann::json::parse(text, nullptr, false);
    if (config.is_discarded()) return;
    auto lx = config.find("linux");
    if (lx != config.end() && lx->is_object()) {
        auto ns = lx->find("namespaces");
        if (ns != lx->end() && ns->is_array())
            for (const auto& n : *ns)
                if (n.is_object() && n.value("type", "") == "user") return;
    }
    throw Error(config_path + " asks for no user namespace, so it needs root: run as root, or make a rootless bundle "
                "with ctr-run spec --rootless");
}

}  // namespace ctr::preflight

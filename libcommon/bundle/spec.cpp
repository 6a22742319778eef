#include "libcommon/bundle/spec.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "libcommon/bundle/seccomp.h"
#include "libcommon/sys/error.h"

namespace ctr::bundle {

using json = nlohmann::json;

namespace {

std::vector<std::string> string_list(const json& j) {
    std::vector<std::string> out;
    if (j.is_array())
        for (auto& e : j)
            if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

std::string string_field(const json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return {};
}

std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

bool has_env(const std::vector<std::string>& env, const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](auto& e) { return env_key(e) == key; });
}

std::string cap_name(std::string name) {
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("CAP_", 0) != 0) name = "CAP_" + name;
    return name;
}

json mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
    return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

const std::map<std::string, int>& rlimit_names() {
    static const std::map<std::string, int> names = {
        {"core", 0},  {"cpu", 0},     {"data", 0},       {"fsize", 0}, {"locks", 0}, {"memlock", 0},
        {"msgqueue", 0}, {"nice", 0}, {"nofile", 0},     {"nproc", 0}, {"rss", 0},   {"rtprio", 0},
        {"rttime", 0}, {"sigpending", 0}, {"stack", 0}, {"as", 0}};
    return names;
}

}  // namespace

std::vector<std::string> command_line(const json& image_config, const SpecOptions& o) {
    std::vector<std::string> entrypoint, cmd;
    if (o.entrypoint) {
        entrypoint = *o.entrypoint;
        // docker: a new entrypoint drops the image's CMD too.
        cmd = o.cmd;
    } else {
        entrypoint = string_list(image_config.is_object() ? image_config.value("Entrypoint", json()) : json());
        cmd = o.cmd.empty() ? string_list(image_config.is_object() ? image_config.value("Cmd", json()) : json())
                            : o.cmd;
    }
    std::vector<std::string> argv = entrypoint;
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    if (argv.empty()) throw Error("no command specified");
    return argv;
}

std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& overrides) {
    std::vector<std::string> env = image_env;
    for (auto& kv : overrides) {
        if (kv.find('=') == std::string::npos) continue;
        auto key = env_key(kv);
        auto it = std::find_if(env.begin(), env.end(), [&](auto& e) { return env_key(e) == key; });
        if (it != env.end())
            *it = kv;
        else
            env.push_back(kv);
    }
    return env;
}

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",     "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",    "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",     "CAP_AUDIT_WRITE"};
    return caps;
}

const std::vector<std::string>& all_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",          "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID",         "CAP_KILL",          "CAP_SETGID",          "CAP_SETUID",
        "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",      "CAP_NET_RAW",       "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",     "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",      "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
        "CAP_LEASE",          "CAP_AUDIT_WRITE",   "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",     "CAP_SYSLOG",          "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",    "CAP_PERFMON",         "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE"};
    return caps;
}

// --privileged: every capability this process may still hand on (its
// bounding set), as podman does; asking for more makes the runtime fail.
std::vector<std::string> bounding_capabilities() {
    std::vector<std::string> caps;
    const auto& all = all_capabilities();  // in capability-number order
    for (size_t n = 0; n < all.size(); n++)
        if (::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(n), 0, 0, 0) == 1) caps.push_back(all[n]);
    return caps;
}

std::vector<std::string> capabilities_for(const std::vector<std::string>& add, const std::vector<std::string>& drop) {
    auto known = [](const std::string& c) {
        auto& all = all_capabilities();
        if (std::find(all.begin(), all.end(), c) == all.end()) throw Error("unknown capability: \"" + c + "\"");
    };
    std::vector<std::string> caps = default_capabilities();
    for (auto& d : drop) {
        auto c = cap_name(d);
        if (c == "CAP_ALL") {
            caps.clear();
            continue;
        }
        known(c);
        caps.erase(std::remove(caps.begin(), caps.end(), c), caps.end());
    }
    for (auto& a : add) {
        auto c = cap_name(a);
        if (c == "CAP_ALL") {
            caps = all_capabilities();
            continue;
        }
        known(c);
        if (std::find(caps.begin(), caps.end(), c) == caps.end()) caps.push_back(c);
    }
    return caps;
}

json make_spec(const json& image_config, const SpecOptions& o, const UserDb& users) {
    const json& ic = image_config.is_object() ? image_config : json::object();

    // Process: argv, env, cwd, user.
    std::vector<std::string> argv = command_line(ic, o);
    if (!o.init_path.empty()) argv.insert(argv.begin(), {"/sbin/docker-init", "--"});

    std::string user_spec = o.user ? *o.user : string_field(ic, "User");
    ResolvedUser user = resolve_user(user_spec, users, o.group_add);

    std::vector<std::string> env = merge_env(string_list(ic.value("Env", json())), o.env);
    if (!has_env(env, "PATH")) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (!o.hostname.empty() && !has_env(env, "HOSTNAME")) env.push_back("HOSTNAME=" + o.hostname);
    if (o.terminal && !has_env(env, "TERM")) env.push_back("TERM=xterm");
    if (!has_env(env, "HOME")) env.push_back("HOME=" + user.home);

    std::string cwd = o.workdir ? *o.workdir : string_field(ic, "WorkingDir");
    if (cwd.empty()) cwd = "/";
    if (cwd[0] != '/') throw Error("working directory \"" + cwd + "\" is not an absolute path");

    std::vector<std::string> caps =
        o.privileged ? bounding_capabilities() : capabilities_for(o.cap_add, o.cap_drop);

    json process = {
        {"terminal", o.terminal},
        {"user", {{"uid", user.uid}, {"gid", user.gid}}},
        {"args", argv},
        {"env", env},
        {"cwd", cwd},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"noNewPrivileges", o.no_new_privileges},
    };
    if (!user.additional_gids.empty()) process["user"]["additionalGids"] = user.additional_gids;
    if (!o.ulimits.empty()) {
        json rl = json::array();
        for (auto& [name, soft, hard] : o.ulimits) {
            if (!rlimit_names().count(name)) throw Error("ulimit: unknown resource \"" + name + "\"");
            std::string up = name;
            for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            rl.push_back({{"type", "RLIMIT_" + up}, {"soft", soft}, {"hard", hard}});
        }
        process["rlimits"] = rl;
    }

    // Mounts: docker's defaults, then the user's (in order, so later ones win).
    std::string shm_size = "size=" + std::to_string(o.shm_size > 0 ? o.shm_size : (64 << 20));
    json mounts = json::array();
    mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", o.privileged ? "rw" : "ro"}));
    mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {"nosuid", "noexec", "nodev", "relatime", o.privileged ? "rw" : "ro"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", shm_size}));
    if (!o.init_path.empty())
        mounts.push_back(mount("/sbin/docker-init", "bind", o.init_path, {"rbind", "ro", "nosuid", "nodev"}));
    for (auto& m : o.mounts) {
        if (m.destination.empty() || m.destination[0] != '/')
            throw Error("mount destination \"" + m.destination + "\" is not an absolute path");
        std::vector<std::string> opts;
        if (m.type == "bind") {
            if (m.source.empty() || m.source[0] != '/')
                throw Error("bind mount source \"" + m.source + "\" is not an absolute path");
            opts = {"rbind"};
            if (std::none_of(m.options.begin(), m.options.end(),
                             [](auto& x) { return x.find("private") != std::string::npos ||
                                                  x.find("shared") != std::string::npos ||
                                                  x.find("slave") != std::string::npos; }))
                opts.push_back("rprivate");
        } else if (m.type == "tmpfs") {
            opts = {"nosuid", "nodev", "noexec"};
        } else {
            throw Error("mount type \"" + m.type + "\" is not supported (bind, tmpfs)");
        }
        opts.push_back(m.read_only ? "ro" : "rw");
        opts.insert(opts.end(), m.options.begin(), m.options.end());
        mounts.push_back(mount(m.destination, m.type, m.type == "tmpfs" ? "tmpfs" : m.source, opts));
    }

    // Namespaces.
    json namespaces = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}},
                                   {{"type", "cgroup"}}});
    if (o.network == NetworkMode::Private || o.network == NetworkMode::None)
        namespaces.push_back({{"type", "network"}});
    else if (o.network == NetworkMode::Path)
        namespaces.push_back({{"type", "network"}, {"path", o.network_path}});

    // Resources.
    json resources = json::object();
    if (o.privileged) {
        resources["devices"] = json::array({{{"allow", true}, {"access", "rwm"}}});
    } else {
        json devs = json::array({{{"allow", false}, {"access", "rwm"}}});
        auto dev = [&](const char* type, int64_t major, int64_t minor, const char* access) {
            json d = {{"allow", true}, {"type", type}, {"access", access}};
            if (major >= 0) d["major"] = major;
            if (minor >= 0) d["minor"] = minor;
            devs.push_back(d);
        };
        dev("c", -1, -1, "m");
        dev("b", -1, -1, "m");
        dev("c", 1, 3, "rwm");    // null
        dev("c", 1, 5, "rwm");    // zero
        dev("c", 1, 7, "rwm");    // full
        dev("c", 1, 8, "rwm");    // random
        dev("c", 1, 9, "rwm");    // urandom
        dev("c", 5, 0, "rwm");    // tty
        dev("c", 5, 1, "rwm");    // console
        dev("c", 5, 2, "rwm");    // ptmx
        dev("c", 136, -1, "rwm");  // pts
        dev("c", 10, 200, "rwm");  // net/tun
        resources["devices"] = devs;
    }
    if (o.memory > 0) {
        resources["memory"]["limit"] = o.memory;
        if (o.memory_swap != 0) resources["memory"]["swap"] = o.memory_swap;
    }
    if (o.cpu_quota > 0) {
        resources["cpu"]["quota"] = o.cpu_quota;
        resources["cpu"]["period"] = o.cpu_period;
    }
    if (o.cpu_shares > 0) resources["cpu"]["shares"] = o.cpu_shares;
    if (o.pids_limit > 0) resources["pids"]["limit"] = o.pids_limit;

    json linux = {{"namespaces", namespaces}, {"resources", resources}};
    if (!o.cgroups_path.empty()) linux["cgroupsPath"] = o.cgroups_path;
    if (!o.sysctls.empty()) {
        json s = json::object();
        for (auto& [k, v] : o.sysctls) s[k] = v;
        linux["sysctl"] = s;
    }
    if (!o.privileged) {
        linux["maskedPaths"] = {"/proc/asound",        "/proc/acpi",          "/proc/kcore",
                                "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
                                "/proc/timer_stats",   "/proc/sched_debug",   "/proc/scsi",
                                "/sys/firmware",       "/sys/devices/virtual/powercap"};
        linux["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
        json seccomp = seccomp_for(o.seccomp, caps);
        if (!seccomp.is_null()) linux["seccomp"] = seccomp;
    } else if (o.seccomp && *o.seccomp != "unconfined") {
        linux["seccomp"] = seccomp_for(o.seccomp, caps);
    }

    json spec = {
        {"ociVersion", "1.0.2"},
        {"process", process},
        {"root", {{"path", "rootfs"}, {"readonly", o.read_only}}},
        {"mounts", mounts},
        {"linux", linux},
    };
    if (!o.domainname.empty()) spec["domainname"] = o.domainname;
    if (!o.hostname.empty()) spec["hostname"] = o.hostname;
    if (!o.annotations.empty()) spec["annotations"] = o.annotations;
    return spec;
}

}  // namespace ctr::bundle

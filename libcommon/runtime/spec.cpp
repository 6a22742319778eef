#include "libcommon/runtime/spec.h"

using nlohmann::json;

namespace ctr::runtime {

json default_spec(bool rootless, unsigned uid, unsigned gid) {
    const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    json spec = {
        {"ociVersion", "1.0.2-dev"},
        {"process",
         {{"terminal", true},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh"}},
          {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities",
           {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "runc"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
          {{"destination", "/dev/shm"},
           {"type", "tmpfs"},
           {"source", "shm"},
           {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
          {{"destination", "/dev/mqueue"},
           {"type", "mqueue"},
           {"source", "mqueue"},
           {"options", {"nosuid", "noexec", "nodev"}}},
          {{"destination", "/sys"},
           {"type", "sysfs"},
           {"source", "sysfs"},
           {"options", {"nosuid", "noexec", "nodev", "ro"}}},
          {{"destination", "/sys/fs/cgroup"},
           {"type", "cgroup"},
           {"source", "cgroup"},
           {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}}},
        {"linux",
         {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
          {"namespaces",
           {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}}},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
          {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
    if (rootless) {
        json& lx = spec["linux"];
        lx.erase("resources");
        json ns = json::array();
        for (const auto& n : lx["namespaces"])
            if (n["type"] != "network") ns.push_back(n);
        ns.push_back({{"type", "user"}});
        lx["namespaces"] = ns;
        lx["uidMappings"] = {{{"containerID", 0}, {"hostID", uid}, {"size", 1}}};
        lx["gidMappings"] = {{{"containerID", 0}, {"hostID", gid}, {"size", 1}}};
        json mounts = json::array();
        for (auto m : spec["mounts"]) {
            if (m["type"] == "cgroup") continue;
            if (m["destination"] == "/sys") {
                m = {{"destination", "/sys"},
                     {"type", "none"},
                     {"source", "/sys"},
                     {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
            }
            if (m["destination"] == "/dev/pts") {
                json opts = json::array();
                for (const auto& o : m["options"])
                    if (o != "gid=5") opts.push_back(o);
                m["options"] = opts;
            }
            mounts.push_back(m);
        }
        spec["mounts"] = mounts;
    }
    return spec;
}

}  // namespace ctr::runtime

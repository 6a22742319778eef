#include "libcommon/runtime/config.h"

#include <linux/mount.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include <algorithm>

#include "libcommon/sys/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

using nlohmann::json;

namespace ctr::runtime {

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& why) {
    throw Error("config.json: " + field + ": " + why);
}

std::string get_string(const json& j, const char* key, const std::string& field,
                       const std::string& def = "") {
    if (!j.contains(key) || j[key].is_null()) return def;
    if (!j[key].is_string()) bad(field, "must be a string");
    return j[key].get<std::string>();
}

std::vector<std::string> get_strings(const json& j, const char* key, const std::string& field) {
    std::vector<std::string> out;
    if (!j.contains(key) || j[key].is_null()) return out;
    if (!j[key].is_array()) bad(field, "must be an array of strings");
    for (const auto& v : j[key]) {
        if (!v.is_string()) bad(field, "must be an array of strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

template <typename T>
T get_number(const json& j, const char* key, const std::string& field, T def) {
    if (!j.contains(key) || j[key].is_null()) return def;
    if (!j[key].is_number_integer()) bad(field, "must be an integer");
    if (j[key].is_number_unsigned()) {
        auto v = j[key].get<uint64_t>();
        if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) bad(field, "out of range");
        return static_cast<T>(v);
    }
    auto v = j[key].get<int64_t>();
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
        bad(field, "out of range");
    return static_cast<T>(v);
}

const json& object_or_empty(const json& j, const char* key, const std::string& field) {
    static const json empty = json::object();
    if (!j.contains(key) || j[key].is_null()) return empty;
    if (!j[key].is_object()) bad(field, "must be an object");
    return j[key];
}

struct FlagName {
    const char* name;
    bool clear;
    unsigned long flag;
};
const FlagName kFlags[] = {
    {"async", true, MS_SYNCHRONOUS},  {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},         {"defaults", false, 0},
    {"dev", true, MS_NODEV},          {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},   {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION}, {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},        {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},   {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME}, {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION}, {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, 256 /* MS_NOSYMFOLLOW */}, {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME}, {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},     {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},        {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, 256},
};

struct PropName {
    const char* name;
    unsigned long flag;
};
const PropName kPropagation[] = {
    {"private", MS_PRIVATE},          {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},            {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},              {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},    {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct AttrName {
    const char* name;
    bool clear;
    uint64_t attr;
};
const AttrName kRecursiveAttrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},       {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},   {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},     {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},   {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

const std::pair<const char*, int> kNamespaces[] = {
    {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"mount", CLONE_NEWNS},
    {"mnt", CLONE_NEWNS},    {"user", CLONE_NEWUSER},   {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME},
};

const std::pair<const char*, int> kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

CapSet parse_caps(const json& caps, const char* key, const std::string& field,
                  std::vector<std::string>& warnings) {
    CapSet out;
    for (const auto& name : get_strings(caps, key, field)) {
        cap_value_t v;
        if (cap_from_name(name.c_str(), &v) != 0 || v < 0 || v > CAP_LAST_CAP + 32) {
            warnings.push_back("ignoring unknown capability " + name + " in " + field);
            continue;
        }
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
}

std::vector<IdMapping> parse_mappings(const json& j, const char* key, const std::string& field) {
    std::vector<IdMapping> out;
    if (!j.contains(key) || j[key].is_null()) return out;
    if (!j[key].is_array()) bad(field, "must be an array");
    for (size_t i = 0; i < j[key].size(); ++i) {
        const auto& m = j[key][i];
        std::string f = field + "[" + std::to_string(i) + "]";
        if (!m.is_object()) bad(f, "must be an object");
        IdMapping im;
        im.container_id = get_number<uint32_t>(m, "containerID", f + ".containerID", 0);
        im.host_id = get_number<uint32_t>(m, "hostID", f + ".hostID", 0);
        im.size = get_number<uint32_t>(m, "size", f + ".size", 0);
        if (im.size == 0) bad(f + ".size", "must be positive");
        out.push_back(im);
    }
    return out;
}

std::vector<Hook> parse_hooks(const json& hooks, const char* key) {
    std::vector<Hook> out;
    std::string field = std::string("hooks.") + key;
    if (!hooks.contains(key) || hooks[key].is_null()) return out;
    if (!hooks[key].is_array()) bad(field, "must be an array");
    for (size_t i = 0; i < hooks[key].size(); ++i) {
        const auto& h = hooks[key][i];
        std::string f = field + "[" + std::to_string(i) + "]";
        if (!h.is_object()) bad(f, "must be an object");
        Hook hook;
        hook.path = get_string(h, "path", f + ".path");
        if (hook.path.empty() || hook.path[0] != '/') bad(f + ".path", "must be an absolute path");
        hook.args = get_strings(h, "args", f + ".args");
        hook.env = get_strings(h, "env", f + ".env");
        hook.timeout = get_number<int>(h, "timeout", f + ".timeout", 0);
        if (h.contains("timeout") && hook.timeout <= 0) bad(f + ".timeout", "must be positive");
        out.push_back(std::move(hook));
    }
    return out;
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions o;
    for (const auto& opt : options) {
        bool known = false;
        for (const auto& f : kFlags) {
            if (opt != f.name) continue;
            known = true;
            if (f.clear) {
                o.flags &= ~f.flag;
                o.clear |= f.flag;
            } else {
                o.flags |= f.flag;
                o.clear &= ~f.flag;
            }
            if (f.flag & MS_BIND) {
                o.bind = true;
                o.recursive = o.recursive || (f.flag & MS_REC);
                o.flags &= ~(MS_BIND | MS_REC);
            }
        }
        for (const auto& p : kPropagation)
            if (opt == p.name) {
                known = true;
                o.propagation.push_back(p.flag);
            }
        for (const auto& a : kRecursiveAttrs)
            if (opt == a.name) {
                known = true;
                if (a.clear) {
                    o.rec_attr_clr |= a.attr;
                    o.rec_attr_set &= ~a.attr;
                } else {
                    o.rec_attr_set |= a.attr;
                    o.rec_attr_clr &= ~a.attr;
                }
            }
        if (opt == "tmpcopyup") {
            known = true;
            o.tmpcopyup = true;
        }
        if (!known && !opt.empty()) o.data += (o.data.empty() ? "" : ",") + opt;
    }
    return o;
}

int namespace_flag(const std::string& type) {
    for (const auto& [name, flag] : kNamespaces)
        if (type == name) return flag;
    return 0;
}

int rlimit_resource(const std::string& name) {
    for (const auto& [n, r] : kRlimits)
        if (name == n) return r;
    return -1;
}

bool Hooks::empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
}

const Namespace* Config::ns(int flag) const {
    for (const auto& n : namespaces)
        if (n.flag == flag) return &n;
    return nullptr;
}

int Config::new_ns_flags() const {
    int flags = 0;
    for (const auto& n : namespaces)
        if (n.path.empty()) flags |= n.flag;
    return flags;
}

bool Config::joins_namespaces() const {
    for (const auto& n : namespaces)
        if (!n.path.empty()) return true;
    return false;
}

Config parse_config(const std::string& text, const std::string& bundle) {
    Config c;
    try {
        c.raw = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(std::string("config.json: invalid JSON: ") + e.what());
    }
    const json& j = c.raw;
    if (!j.is_object()) bad("(top level)", "must be an object");
    c.oci_version = get_string(j, "ociVersion", "ociVersion");

    // process
    if (!j.contains("process") || !j["process"].is_object()) bad("process", "missing");
    const json& p = j["process"];
    Process& pr = c.process;
    if (p.contains("terminal") && !p["terminal"].is_null()) {
        if (!p["terminal"].is_boolean()) bad("process.terminal", "must be a boolean");
        pr.terminal = p["terminal"].get<bool>();
    }
    if (p.contains("consoleSize") && p["consoleSize"].is_object()) {
        const json& cs = p["consoleSize"];
        pr.console_size = {get_number<unsigned>(cs, "height", "process.consoleSize.height", 0),
                           get_number<unsigned>(cs, "width", "process.consoleSize.width", 0)};
    }
    const json& user = object_or_empty(p, "user", "process.user");
    pr.uid = get_number<uid_t>(user, "uid", "process.user.uid", 0);
    pr.gid = get_number<gid_t>(user, "gid", "process.user.gid", 0);
    if (user.contains("umask") && !user["umask"].is_null())
        pr.umask = get_number<mode_t>(user, "umask", "process.user.umask", 022);
    if (user.contains("additionalGids") && !user["additionalGids"].is_null()) {
        if (!user["additionalGids"].is_array())
            bad("process.user.additionalGids", "must be an array of integers");
        for (const auto& g : user["additionalGids"]) {
            if (!g.is_number_unsigned()) bad("process.user.additionalGids", "must be an array of integers");
            pr.additional_gids.push_back(g.get<gid_t>());
        }
    }
    pr.args = get_strings(p, "args", "process.args");
    if (pr.args.empty() || pr.args[0].empty()) bad("process.args", "must be a non-empty array of strings");
    pr.env = get_strings(p, "env", "process.env");
    pr.cwd = get_string(p, "cwd", "process.cwd", "/");
    if (pr.cwd.empty() || pr.cwd[0] != '/') bad("process.cwd", "must be an absolute path");
    if (p.contains("capabilities") && p["capabilities"].is_object()) {
        const json& caps = p["capabilities"];
        Capabilities cs;
        cs.bounding = parse_caps(caps, "bounding", "process.capabilities.bounding", c.warnings);
        cs.effective = parse_caps(caps, "effective", "process.capabilities.effective", c.warnings);
        cs.inheritable = parse_caps(caps, "inheritable", "process.capabilities.inheritable", c.warnings);
        cs.permitted = parse_caps(caps, "permitted", "process.capabilities.permitted", c.warnings);
        cs.ambient = parse_caps(caps, "ambient", "process.capabilities.ambient", c.warnings);
        pr.capabilities = cs;
    }
    if (p.contains("rlimits") && !p["rlimits"].is_null()) {
        if (!p["rlimits"].is_array()) bad("process.rlimits", "must be an array");
        for (size_t i = 0; i < p["rlimits"].size(); ++i) {
            const json& r = p["rlimits"][i];
            std::string f = "process.rlimits[" + std::to_string(i) + "]";
            if (!r.is_object()) bad(f, "must be an object");
            Rlimit rl;
            rl.name = get_string(r, "type", f + ".type");
            rl.resource = rlimit_resource(rl.name);
            if (rl.resource < 0) bad(f + ".type", "unknown rlimit \"" + rl.name + "\"");
            rl.soft = get_number<uint64_t>(r, "soft", f + ".soft", 0);
            rl.hard = get_number<uint64_t>(r, "hard", f + ".hard", 0);
            if (rl.soft > rl.hard) bad(f, "soft limit is above the hard limit");
            pr.rlimits.push_back(rl);
        }
    }
    if (p.contains("noNewPrivileges") && p["noNewPrivileges"].is_boolean())
        pr.no_new_privileges = p["noNewPrivileges"].get<bool>();
    if (p.contains("oomScoreAdj") && !p["oomScoreAdj"].is_null()) {
        int v = get_number<int>(p, "oomScoreAdj", "process.oomScoreAdj", 0);
        if (v < -1000 || v > 1000) bad("process.oomScoreAdj", "must be between -1000 and 1000");
        pr.oom_score_adj = v;
    }

    // root
    const json& root = object_or_empty(j, "root", "root");
    c.root_path = get_string(root, "path", "root.path", "rootfs");
    if (c.root_path.empty()) bad("root.path", "must not be empty");
    if (c.root_path[0] != '/') c.root_path = bundle + "/" + c.root_path;
    if (root.contains("readonly") && root["readonly"].is_boolean()) c.root_readonly = root["readonly"].get<bool>();

    if (j.contains("hostname") && !j["hostname"].is_null()) c.hostname = get_string(j, "hostname", "hostname");
    if (j.contains("domainname") && !j["domainname"].is_null())
        c.domainname = get_string(j, "domainname", "domainname");

    // mounts
    if (j.contains("mounts") && !j["mounts"].is_null()) {
        if (!j["mounts"].is_array()) bad("mounts", "must be an array");
        for (size_t i = 0; i < j["mounts"].size(); ++i) {
            const json& m = j["mounts"][i];
            std::string f = "mounts[" + std::to_string(i) + "]";
            if (!m.is_object()) bad(f, "must be an object");
            Mount mt;
            mt.destination = get_string(m, "destination", f + ".destination");
            if (mt.destination.empty()) bad(f + ".destination", "must not be empty");
            if (mt.destination[0] != '/') mt.destination = "/" + mt.destination;
            mt.type = get_string(m, "type", f + ".type");
            mt.source = get_string(m, "source", f + ".source");
            mt.options = get_strings(m, "options", f + ".options");
            mt.opts = parse_mount_options(mt.options);
            if (mt.type == "bind") mt.opts.bind = true;
            if (mt.opts.bind && mt.source.empty()) bad(f + ".source", "a bind mount needs a source");
            if (mt.opts.bind && mt.source[0] != '/') mt.source = bundle + "/" + mt.source;
            if (m.contains("uidMappings") || m.contains("gidMappings"))
                bad(f, "idmapped mounts (uidMappings/gidMappings) are not supported yet");
            c.mounts.push_back(std::move(mt));
        }
    }

    // hooks
    const json& hooks = object_or_empty(j, "hooks", "hooks");
    c.hooks.prestart = parse_hooks(hooks, "prestart");
    c.hooks.create_runtime = parse_hooks(hooks, "createRuntime");
    c.hooks.create_container = parse_hooks(hooks, "createContainer");
    c.hooks.start_container = parse_hooks(hooks, "startContainer");
    c.hooks.poststart = parse_hooks(hooks, "poststart");
    c.hooks.poststop = parse_hooks(hooks, "poststop");

    if (j.contains("annotations") && j["annotations"].is_object()) c.annotations = j["annotations"];

    // linux
    const json& lx = object_or_empty(j, "linux", "linux");
    if (lx.contains("namespaces") && !lx["namespaces"].is_null()) {
        if (!lx["namespaces"].is_array()) bad("linux.namespaces", "must be an array");
        for (size_t i = 0; i < lx["namespaces"].size(); ++i) {
            const json& n = lx["namespaces"][i];
            std::string f = "linux.namespaces[" + std::to_string(i) + "]";
            Namespace ns;
            ns.type = get_string(n, "type", f + ".type");
            ns.flag = namespace_flag(ns.type);
            if (!ns.flag) bad(f + ".type", "unknown namespace type \"" + ns.type + "\"");
            ns.path = get_string(n, "path", f + ".path");
            if (!ns.path.empty() && ns.path[0] != '/') bad(f + ".path", "must be an absolute path");
            for (const auto& other : c.namespaces)
                if (other.flag == ns.flag) bad(f, "namespace \"" + ns.type + "\" given twice");
            c.namespaces.push_back(ns);
        }
    }
    c.uid_mappings = parse_mappings(lx, "uidMappings", "linux.uidMappings");
    c.gid_mappings = parse_mappings(lx, "gidMappings", "linux.gidMappings");
    const Namespace* userns = c.ns(CLONE_NEWUSER);
    if (userns && userns->path.empty() && (c.uid_mappings.empty() || c.gid_mappings.empty()))
        bad("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
    if (!userns && (!c.uid_mappings.empty() || !c.gid_mappings.empty()))
        bad("linux.uidMappings", "mappings are given but there is no user namespace");

    if (lx.contains("devices") && !lx["devices"].is_null()) {
        if (!lx["devices"].is_array()) bad("linux.devices", "must be an array");
        for (size_t i = 0; i < lx["devices"].size(); ++i) {
            const json& d = lx["devices"][i];
            std::string f = "linux.devices[" + std::to_string(i) + "]";
            Device dev;
            dev.path = get_string(d, "path", f + ".path");
            if (dev.path.empty() || dev.path[0] != '/') bad(f + ".path", "must be an absolute path");
            std::string type = get_string(d, "type", f + ".type");
            if (type != "c" && type != "b" && type != "u" && type != "p")
                bad(f + ".type", "must be one of c, b, u, p");
            dev.type = type[0];
            dev.major = get_number<int64_t>(d, "major", f + ".major", 0);
            dev.minor = get_number<int64_t>(d, "minor", f + ".minor", 0);
            dev.mode = get_number<uint32_t>(d, "fileMode", f + ".fileMode", 0666);
            dev.uid = get_number<uid_t>(d, "uid", f + ".uid", 0);
            dev.gid = get_number<gid_t>(d, "gid", f + ".gid", 0);
            c.devices.push_back(dev);
        }
    }
    c.masked_paths = get_strings(lx, "maskedPaths", "linux.maskedPaths");
    c.readonly_paths = get_strings(lx, "readonlyPaths", "linux.readonlyPaths");
    std::string prop = get_string(lx, "rootfsPropagation", "linux.rootfsPropagation");
    if (!prop.empty()) {
        bool ok = false;
        for (const auto& pn : kPropagation)
            if (prop == pn.name) {
                c.rootfs_propagation = pn.flag;
                ok = true;
            }
        if (!ok) bad("linux.rootfsPropagation", "unknown propagation \"" + prop + "\"");
    }
    const json& sysctl = object_or_empty(lx, "sysctl", "linux.sysctl");
    for (const auto& [k, v] : sysctl.items()) {
        if (!v.is_string()) bad("linux.sysctl." + k, "must be a string");
        if (k.find("..") != std::string::npos || k.find('/') == 0 || k.empty())
            bad("linux.sysctl." + k, "invalid name");
        c.sysctl.emplace_back(k, v.get<std::string>());
    }
    if (lx.contains("personality") && lx["personality"].is_object()) {
        std::string domain = get_string(lx["personality"], "domain", "linux.personality.domain");
        if (domain == "LINUX") c.personality = PER_LINUX;
        else if (domain == "LINUX32") c.personality = PER_LINUX32;
        else bad("linux.personality.domain", "must be LINUX or LINUX32");
    }
    const json& offsets = object_or_empty(lx, "timeOffsets", "linux.timeOffsets");
    for (const auto& [k, v] : offsets.items()) {
        if (k != "monotonic" && k != "boottime") bad("linux.timeOffsets." + k, "must be monotonic or boottime");
        c.time_offsets[k] = {get_number<int64_t>(v, "secs", "linux.timeOffsets." + k + ".secs", 0),
                             get_number<int64_t>(v, "nanosecs", "linux.timeOffsets." + k + ".nanosecs", 0)};
    }
    if (!c.time_offsets.empty() && !c.ns(CLONE_NEWTIME))
        bad("linux.timeOffsets", "time offsets need a time namespace");
    return c;
}

}  // namespace ctr::runtime

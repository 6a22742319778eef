// config.json of an OCI bundle, read into plain types the runtime acts on.
//
// parse_config() checks every field the runtime uses and names it in the
// error ("config.json: process.args: must be a non-empty array of strings"),
// so a bad bundle fails `create` before anything is started. Fields the
// runtime doesn't know (and annotations) are kept in `raw` and ignored.
// Pure: no I/O beyond what the caller hands in.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ctr::runtime {

// A mount's "options" split into what mount(2)/mount_setattr(2) take.
struct MountOptions {
    unsigned long flags = 0;        // MS_* to set
    unsigned long clear = 0;        // MS_* explicitly cleared ("rw", "suid", ...)
    bool bind = false;              // "bind" or "rbind"
    bool recursive = false;         // "rbind"
    std::vector<unsigned long> propagation;  // MS_PRIVATE|MS_REC, MS_SHARED, ...
    uint64_t rec_attr_set = 0;      // MOUNT_ATTR_* from "rro", "rnosuid", ...
    uint64_t rec_attr_clr = 0;
    bool tmpcopyup = false;         // tmpfs gets the destination's old contents
    std::string data;               // everything else, comma-joined ("mode=755,size=65536k")
};
MountOptions parse_mount_options(const std::vector<std::string>& options);

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
    MountOptions opts;
};

struct Namespace {
    std::string type;  // "pid", "network", ...
    int flag = 0;      // CLONE_NEWPID, ...
    std::string path;  // join this one instead of making a new one
};

struct IdMapping {
    uint32_t container_id = 0, host_id = 0, size = 0;
};

struct Device {
    std::string path;
    char type = 'c';  // c, b, u, p
    int64_t major = 0, minor = 0;
    uint32_t mode = 0666;
    uid_t uid = 0;
    gid_t gid = 0;
};

struct Rlimit {
    int resource = 0;
    std::string name;
    uint64_t soft = 0, hard = 0;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    int timeout = 0;  // seconds, 0: none
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
    bool empty() const;
};

// A capability set as numbers (CAP_*); unknown names are dropped with a warning.
using CapSet = std::vector<int>;
struct Capabilities {
    CapSet bounding, effective, inheritable, permitted, ambient;
};

struct Process {
    bool terminal = false;
    std::optional<std::pair<unsigned, unsigned>> console_size;  // height, width
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<mode_t> umask;
    std::vector<gid_t> additional_gids;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
};

struct Config {
    nlohmann::json raw;  // the whole document, as read
    std::string oci_version;
    Process process;
    std::string root_path;  // absolute (made so against the bundle)
    bool root_readonly = false;
    std::optional<std::string> hostname, domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    nlohmann::json annotations = nlohmann::json::object();
    // linux
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::vector<Device> devices;
    std::vector<std::string> masked_paths, readonly_paths;
    unsigned long rootfs_propagation = 0;  // 0: runc's default (rslave)
    std::vector<std::pair<std::string, std::string>> sysctl;
    std::optional<unsigned long> personality;
    std::map<std::string, std::pair<int64_t, int64_t>> time_offsets;  // "monotonic" -> (secs, nanosecs)
    std::vector<std::string> warnings;  // things ignored on purpose (unknown capabilities, ...)

    const Namespace* ns(int flag) const;
    // CLONE_NEW* flags of namespaces to create (no path).
    int new_ns_flags() const;
    bool joins_namespaces() const;
};

// Parses config.json text; bundle makes root.path absolute. Throws ctr::Error
// naming "config.json" and the field.
Config parse_config(const std::string& text, const std::string& bundle);

// Namespace type name ("network") to CLONE_NEW* (0 if unknown).
int namespace_flag(const std::string& type);
// "RLIMIT_NOFILE" -> RLIMIT_NOFILE (-1 if unknown).
int rlimit_resource(const std::string& name);

}  // namespace ctr::runtime

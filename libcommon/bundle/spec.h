// An OCI runtime config.json made from an image config and docker-create-like
// options: the one place ctr decides what a container from an image looks
// like (process, mounts, namespaces, capabilities, seccomp, resources).
//
// Used by ctr-create (containers) and ctr-build (RUN steps):
//   bundle::SpecOptions o;  o.cmd = {"sh", "-c", "make"};  o.hostname = "abc";
//   auto users = bundle::UserDb::read_rootfs(rootfs_mounted_path);
//   json spec = bundle::make_spec(image.config["config"], o, users);
// The result is plain OCI (runtime-spec 1.0.2): runc, crun and ctr-run run it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/bundle/user.h"

namespace ctr::bundle {

// A mount the user asked for (-v, --mount, --tmpfs).
struct MountSpec {
    // "bind" or "tmpfs" ("volume" sources are resolved to a host directory
    // before they get here, and arrive as "bind").
    std::string type = "bind";
    std::string source;       // host path (bind); unused for tmpfs
    std::string destination;  // absolute path in the container
    bool read_only = false;
    // Extra mount options ("size=64m", "mode=1777", "rprivate", ...).
    std::vector<std::string> options;
};

// Which network namespace the container gets.
enum class NetworkMode {
    Private,  // its own netns; the caller brings up loopback (see netns.h)
    Host,     // the host's network
    None,     // its own netns; nothing is configured (docker's "none")
    Path,     // join an existing netns at network_path
};

// What the user asked for on top of the image. Empty / unset members keep the
// image's value or docker's default.
struct SpecOptions {
    std::vector<std::string> env;  // KEY=VALUE, overriding the image's by KEY
    std::optional<std::vector<std::string>> entrypoint;  // --entrypoint ("" = none: set to {})
    std::vector<std::string> cmd;                        // non-empty replaces the image's Cmd
    std::optional<std::string> workdir;                  // -w
    std::optional<std::string> user;                     // -u
    std::vector<std::string> group_add;                  // --group-add
    std::string hostname;                                // the UTS hostname (docker: short id)
    std::string domainname;
    bool terminal = false;  // -t
    std::vector<MountSpec> mounts;
    NetworkMode network = NetworkMode::Private;
    std::string network_path;  // with NetworkMode::Path
    bool read_only = false;    // --read-only
    bool privileged = false;
    bool no_new_privileges = false;  // --security-opt no-new-privileges
    std::vector<std::string> cap_add, cap_drop;  // "NET_ADMIN", "CAP_SYS_TIME", "ALL"
    // --security-opt seccomp=…: nullopt = the default profile (if installed),
    // "unconfined", or a path to a profile (docker's format or OCI's).
    std::optional<std::string> seccomp;
    int64_t memory = 0;       // bytes; 0 = no limit
    int64_t memory_swap = 0;  // bytes of memory+swap; 0 = not set, -1 = unlimited
    int64_t cpu_quota = 0;    // microseconds per cpu_period (from --cpus)
    uint64_t cpu_period = 100000;
    int64_t cpu_shares = 0;
    int64_t pids_limit = 0;  // 0 = none
    int64_t shm_size = 64 << 20;
    std::string cgroups_path;                    // linux.cgroupsPath ("" = the runtime's default)
    std::vector<std::pair<std::string, std::string>> sysctls;
    // --ulimit: name ("nofile") → soft, hard.
    std::vector<std::tuple<std::string, uint64_t, uint64_t>> ulimits;
    // --init: a static init binary on the host, bind-mounted as /sbin/docker-init
    // and made the process's argv[0] (docker's tini; ctr uses catatonit).
    std::string init_path;
    std::map<std::string, std::string> annotations;
};

// The process argv docker would run: entrypoint + cmd, where a CMD given on
// the command line replaces the image's Cmd and --entrypoint replaces (and
// drops the image's Cmd, as docker does) the image's Entrypoint.
// Throws ctr::Error("no command specified") when both end up empty.
std::vector<std::string> command_line(const nlohmann::json& image_config, const SpecOptions& o);

// The image's Env with `overrides` applied by key (KEY=VALUE replaces, a
// bare KEY is ignored here: the caller resolves it from its own environment).
std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<std::string>& overrides);

// Docker's default capability set (CAP_CHOWN … CAP_AUDIT_WRITE), and every
// capability this library knows (for --privileged and "ALL").
const std::vector<std::string>& default_capabilities();
const std::vector<std::string>& all_capabilities();
// The capabilities in this process's bounding set (what --privileged gives).
std::vector<std::string> bounding_capabilities();
// The default set with --cap-add / --cap-drop applied. Names are accepted with
// or without "CAP_", in any case; an unknown name is an error.
std::vector<std::string> capabilities_for(const std::vector<std::string>& add, const std::vector<std::string>& drop);

// Where the default seccomp profile is installed (share/seccomp/default.json
// beside the program, or under share/ctr/), or "" if nowhere.
std::string default_seccomp_profile_path();

// The config.json. `image_config` is the image config's "config" object
// (Env, Cmd, Entrypoint, WorkingDir, User, ...; may be null). `users` is the
// rootfs's user database, for -u and the image's USER.
nlohmann::json make_spec(const nlohmann::json& image_config, const SpecOptions& o, const UserDb& users);

}  // namespace ctr::bundle

// The container's init: the process cloned into the new namespaces that sets
// the container up (mounts, devices, pivot_root, masked paths, user,
// capabilities, terminal), reports "ready", waits for start, and execs the
// user's program through the sealed trampoline (see dmz.c).
//
// Everything it needs is prepared by the runtime before the clone and handed
// over in InitContext; it talks back over the Channel (see channel.h):
//   runtime -> init  "go" <host pid>    the id maps are in place
//   runtime -> init  "cgroup-done"      the init is in the container's cgroup
//   init -> runtime  "hooks"            run prestart/createRuntime now
//   runtime -> init  "hooks-done"
//   init -> runtime  "seccomp" <fd>     SCMP_ACT_NOTIFY: take this listener fd
//   runtime -> init  "seccomp-done"     (pidfd_getfd) and pass it on
//   init -> runtime  "ready"            all set up, blocked before exec
//   runtime -> init  "commit"           state.json is written
//   init -> runtime  "committed"        no parent-death signal any more
//                                       (`run` sends "start" right after
//                                       "commit" and doesn't wait for it)
//   then, for `create`, the init waits on the start socket (accept); for
//   `run`, on "start" over the channel. Errors: "error" <message>.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/runtime/channel.h"
#include "libcommon/runtime/config.h"
#include "libcommon/runtime/seccomp.h"

namespace ctr::runtime {

struct InitContext {
    const Config* config = nullptr;
    std::string id, bundle;
    Channel* channel = nullptr;
    int console_fd = -1;      // connected console socket (terminal only)
    int start_listen_fd = -1;  // `create`: listening start socket; -1 for `run`
    int dmz_fd = -1;          // sealed memfd holding the trampoline
    int preserve_fds = 0;     // fds 3..3+N-1 stay open in the container
    bool no_pivot = false;
    bool no_new_keyring = false;
    std::vector<std::string> extra_env;  // LISTEN_FDS and friends
    SeccompFilter* seccomp = nullptr;    // compiled by the runtime; loaded last
    // The host's cgroup mounts (CgroupHost::mounts), for a "cgroup" mount.
    const std::vector<CgroupMount>* cgroup_mounts = nullptr;
};

// Runs in the cloned child; never returns (execs or _exits).
[[noreturn]] void container_init(const InitContext& ctx) noexcept;

// What `exec` hands to the process it starts in a running container.
// Conversation over the channel:
//   joiner -> runtime  "pid" <host pid>   the process, cloned into the pid namespace
//   runtime -> process "go"               it is in the container's cgroup
//   process -> runtime "seccomp" <fd>     (as for the init)
//   then the channel closes on exec, or "error" <message>.
struct ExecContext {
    const Config* config = nullptr;  // the container's config, its process the exec'd one
    std::vector<std::pair<int, int>> namespaces;  // CLONE_NEW* flag, fd of /proc/<init>/ns/<type>
    Channel* channel = nullptr;
    int console_fd = -1;  // terminal: where the pty master goes
    int dmz_fd = -1;
    int preserve_fds = 0;
    SeccompFilter* seccomp = nullptr;
};

// Runs in a child of the runtime: joins the namespaces, clones the process
// into them (a child of the runtime, CLONE_PARENT), which sets itself up and
// execs. Never returns.
[[noreturn]] void exec_joiner(const ExecContext& ctx) noexcept;

// The OCI state JSON given to hooks.
std::string hook_state(const std::string& id, const std::string& status, pid_t pid,
                       const std::string& bundle, const nlohmann::json& annotations);

// A sealed memfd holding the trampoline (CLOEXEC), for InitContext::dmz_fd.
int make_dmz_memfd();

}  // namespace ctr::runtime

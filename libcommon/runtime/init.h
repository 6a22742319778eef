// The container's init: the process cloned into the new namespaces that sets
// the container up (mounts, devices, pivot_root, masked paths, user,
// capabilities, terminal), reports "ready", waits for start, and execs the
// user's program through the sealed trampoline (see dmz.c).
//
// Everything it needs is prepared by the runtime before the clone and handed
// over in InitContext; it talks back over the Channel (see channel.h):
//   runtime -> init  "go" <host pid>    maps and cgroup are in place
//   init -> runtime  "hooks"            run prestart/createRuntime now
//   runtime -> init  "hooks-done"
//   init -> runtime  "ready"            all set up, blocked before exec
//   runtime -> init  "commit"           state.json is written
//   init -> runtime  "committed"        no parent-death signal any more
//   then, for `create`, the init waits on the start socket (accept); for
//   `run`, on "start" over the channel. Errors: "error" <message>.
#pragma once

#include <string>

#include "libcommon/runtime/channel.h"
#include "libcommon/runtime/config.h"

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
};

// Runs in the cloned child; never returns (execs or _exits).
[[noreturn]] void container_init(const InitContext& ctx) noexcept;

// The OCI state JSON given to hooks.
std::string hook_state(const std::string& id, const std::string& status, pid_t pid,
                       const std::string& bundle, const nlohmann::json& annotations);

// A sealed memfd holding the trampoline (CLOEXEC), for InitContext::dmz_fd.
int make_dmz_memfd();

}  // namespace ctr::runtime

// The monitor: one process per running container, like conmon. ctr-start
// launches it (double-forked and exec'd as `ctr-start --monitor DIR`, so it
// survives the shell that started it) and it:
//   - calls the runtime's create (with the container's stdio pipes, or a
//     console socket that receives the pty) and start;
//   - is the child subreaper, so the container's init becomes its child and
//     its exit status can be read;
//   - writes the output to log.json and to attached clients (attach.sock);
//   - brings up loopback in the container's netns and proxies published ports;
//   - records state changes in container.json (pid + start time, exit code,
//     finish time), applies the restart policy, and removes the container
//     after it exits when it was created with --rm.
// It holds monitor.lock for its lifetime. Killing it with -9 leaves the
// container running; `ctr-start` then adopts it with a new monitor.
#pragma once

#include <string>

namespace ctr::container {

struct MonitorArgs {
    std::string dir;     // the container's directory
    int ready_fd = -1;   // gets "OK\n" once the container runs, or "ERR CODE message\n"
    int attach_fd = -1;  // an attach client already connected (ctr-start -a), or -1
    bool adopt = false;  // the container already runs (its monitor was killed): watch it
};

// The monitor's whole life; returns its exit status.
int run_monitor(const MonitorArgs& args);

}  // namespace ctr::container

// ctr-start's work: run a container under its monitor (monitor.h), or attach
// to one whose monitor already runs, or adopt a running container whose
// monitor was killed.
#pragma once

#include <string>

#include "libcommon/container/attach_client.h"

namespace ctr::container {

struct StartOptions {
    bool attach = false;  // -a: stay attached to stdout/stderr until the container ends
    bool stdin = false;   // -i: and send our stdin
    std::string detach_keys = "ctrl-p,ctrl-q";
    bool sig_proxy = true;
    std::string runtime;  // replaces HostConfig.Runtime when not empty
    bool no_start = false;  // only attach to a running container; never start one
};

// Starts the container in `dir` (or attaches, see above). Returns the exit
// status ctr-start should end with: the container's when attached to its end,
// 0 when detached or not attached. Throws ctr::ExitError on failure (125, or
// 126/127 when the command cannot be run, as docker run does).
int start_container(const std::string& dir, const StartOptions& o);

}  // namespace ctr::container

// OCI hooks: programs the runtime runs at fixed points of the lifecycle, each
// given the container's state JSON on stdin (runtime-spec config.md#posix-platform-hooks).
#pragma once

#include <string>
#include <vector>

#include "libcommon/runtime/config.h"

namespace ctr::runtime {

// Runs hooks in order, each with state_json on stdin, killing one that runs
// past its timeout. Throws ctr::Error ("<kind> hook #N (path): exit status 3:
// <its output>") at the first failure.
void run_hooks(const std::vector<Hook>& hooks, const std::string& kind, const std::string& state_json);

}  // namespace ctr::runtime

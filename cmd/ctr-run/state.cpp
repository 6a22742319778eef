// ctr-run state: print a container's OCI state.
#include <cstdio>

#include "cmd/ctr-run/commands.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run state <container-id>

Prints the container's state as OCI state JSON (ociVersion, id, status, pid,
bundle, rootfs, created, owner, annotations).
)";
}

int cmd_state(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({}, args, kUsage, f)) return 0;
    need_args(f, 1, "state");
    std::printf("%s\n", ctr::runtime::state(g, f.args[0]).dump(2).c_str());
    return 0;
}

}  // namespace ctr_run

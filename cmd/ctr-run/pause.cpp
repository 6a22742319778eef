// ctr-run pause: freeze every process of a container.
#include <cstdio>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/control.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run pause <container-id>

Freezes every process of the container (the freezer cgroup on v1,
cgroup.freeze on v2); its status becomes "paused" until `resume`.
)";
}

int cmd_pause(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({}, args, kUsage, f)) return 0;
    need_args(f, 1, "pause");
    ctr::runtime::pause(g, f.args[0]);
    return 0;
}

}  // namespace ctr_run

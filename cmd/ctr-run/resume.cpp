// ctr-run resume: thaw a paused container.
#include <cstdio>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/control.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run resume <container-id>

Thaws every process of a paused container; its status is "running" again.
)";
}

int cmd_resume(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({}, args, kUsage, f)) return 0;
    need_args(f, 1, "resume");
    ctr::runtime::resume(g, f.args[0]);
    return 0;
}

}  // namespace ctr_run

// ctr-run start: let a created container run its program.
#include "cmd/ctr-run/commands.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run start <container-id>

Runs the user's program in a created container (and the startContainer and
poststart hooks).
)";
}

int cmd_start(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({}, args, kUsage, f)) return 0;
    need_args(f, 1, "start");
    ctr::runtime::start(g, f.args[0]);
    return 0;
}

}  // namespace ctr_run

// ctr-run delete: remove a container.
#include "cmd/ctr-run/commands.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run delete [options] <container-id>

Deletes a stopped or created container (running the poststop hooks).

Options:
  -f, --force    kill it first if it is running; no error if it doesn't exist
)";
}

int cmd_delete(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({{{"force", "f"}, false}}, args, kUsage, f)) return 0;
    need_args(f, 1, "delete");
    ctr::runtime::remove(g, f.args[0], f.on("force"));
    return 0;
}

}  // namespace ctr_run

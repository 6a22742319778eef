// ctr-run kill: signal a container.
#include "cmd/ctr-run/commands.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run kill [options] <container-id> [SIGNAL]

Sends SIGNAL (a name like KILL or SIGKILL, or a number; default SIGTERM) to
the container's init.

Options:
  -a, --all    send it to every process of the container
)";
}

int cmd_kill(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({{{"all", "a"}, false}, {{"pid"}, true}}, args, kUsage, f)) return 0;
    if (f.args.empty() || f.args.size() > 2)
        throw ctr::Error("\"kill\" requires a minimum of 1 and a maximum of 2 arguments");
    int sig = ctr::runtime::parse_signal(f.args.size() == 2 ? f.args[1] : "SIGTERM");
    ctr::runtime::kill(g, f.args[0], sig, f.on("all"));
    return 0;
}

}  // namespace ctr_run

// ctr-run events: a container's statistics and OOM kills, as JSON lines.
#include <cstdio>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/control.h"
#include "libcommon/runtime/update_flags.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run events [options] <container-id>

Prints the container's resource statistics (from its cgroup) as one JSON
object per line, {"type":"stats","id":ID,"data":{...}}, every interval,
and {"type":"oom","id":ID} when the kernel kills one of its processes for
memory, until the container stops.

Options:
  --stats            print the statistics once and exit
  --interval DUR     time between statistics (Go duration, default 5s)
)";
}

int cmd_events(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({{{"stats"}, false}, {{"interval"}, true}}, args, kUsage, f)) return 0;
    need_args(f, 1, "events");
    if (f.on("stats")) {
        std::printf("%s\n", ctr::runtime::stats_event(g, f.args[0]).dump().c_str());
        return 0;
    }
    int64_t ms = ctr::runtime::parse_go_duration_ms(f.get("interval", "5s"), "interval");
    ctr::runtime::watch_events(g, f.args[0], ms, stdout);
    return 0;
}

}  // namespace ctr_run

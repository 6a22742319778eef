// ctr-run update: change a container's resources.
#include <unistd.h>

#include <cstdio>
#include <iterator>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/control.h"
#include "libcommon/runtime/update_flags.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run update [options] <container-id>

Changes the resources of a running, created or paused container: the
linux.resources object of --resources, then the flags over it.

Options:
  -r, --resources FILE       a linux.resources JSON object ("-": stdin)
  --blkio-weight N           block IO weight, 10..1000
  --cpu-period N             CPU CFS period (microseconds)
  --cpu-quota N              CPU CFS quota (microseconds, -1: none)
  --cpu-share N              CPU shares (relative weight)
  --cpu-rt-period N          realtime period (microseconds)
  --cpu-rt-runtime N         realtime runtime (microseconds)
  --cpuset-cpus LIST         CPUs to run on (0-3, 0,1)
  --cpuset-mems LIST         memory nodes to use
  --memory SIZE              memory limit (512m, 1g; -1: none)
  --memory-reservation SIZE  memory soft limit
  --memory-swap SIZE         memory plus swap limit (-1: unlimited)
  --kernel-memory SIZE       kernel memory limit (cgroup v1)
  --kernel-memory-tcp SIZE   kernel TCP memory limit (cgroup v1)
  --pids-limit N             maximum number of processes (-1: none)
)";

const char* kValueFlags[] = {"blkio-weight", "cpu-period", "cpu-quota", "cpu-share", "cpu-rt-period",
                             "cpu-rt-runtime", "cpu-idle", "cpuset-cpus", "cpuset-mems", "memory",
                             "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp",
                             "pids-limit", "l3-cache-schema", "mem-bw-schema"};
}  // namespace

int cmd_update(const Globals& g, const Args& args) {
    std::vector<ctr::runtime::FlagSpec> specs = {{{"resources", "r"}, true}};
    for (const char* name : kValueFlags) specs.push_back({{name}, true});
    ctr::runtime::Flags f;
    if (parse_or_help(specs, args, kUsage, f)) return 0;
    need_args(f, 1, "update");
    nlohmann::json resources = nlohmann::json::object();
    if (f.has("resources")) {
        std::string from = f.get("resources"), text;
        FILE* file = from == "-" ? stdin : std::fopen(from.c_str(), "re");
        if (!file) ctr::throw_errno("open " + from);
        char buf[8192];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, n);
        if (file != stdin) std::fclose(file);
        try {
            resources = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            throw ctr::Error((from == "-" ? std::string("stdin") : from) + ": not JSON: " + e.what());
        }
    }
    std::map<std::string, std::string> flags;
    for (const char* name : kValueFlags)
        if (f.has(name)) flags[name] = f.get(name);
    resources = ctr::runtime::merge_resources(resources, ctr::runtime::update_flags_to_resources(flags));
    ctr::runtime::update(g, f.args[0], resources);
    return 0;
}

}  // namespace ctr_run

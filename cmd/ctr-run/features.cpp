// ctr-run features: what the runtime supports, as runc prints it.
#include <cstdio>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/control.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run features

Prints, as JSON, what ctr-run and this machine support: OCI versions, hooks,
mount options, namespaces, capabilities, cgroup drivers, seccomp actions,
operators, architectures and flags.
)";
}

int cmd_features(const Globals&, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help({}, args, kUsage, f)) return 0;
    need_args(f, 0, "features");
    std::printf("%s\n", ctr::runtime::features().dump(4).c_str());
    return 0;
}

}  // namespace ctr_run

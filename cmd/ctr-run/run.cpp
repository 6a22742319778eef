// ctr-run run: create and start a container, and (unless --detach) wait for it.
#include "cmd/ctr-run/commands.h"

namespace ctr_run {

std::vector<ctr::runtime::FlagSpec> create_flags();
ctr::runtime::CreateOptions create_options(const ctr::runtime::Flags& f);

namespace {
const char* kUsage = R"(Usage: ctr-run run [options] <container-id>

Creates and starts a container. In the foreground it relays signals (and
the terminal, when process.terminal is set and no console socket is given),
waits, deletes the container and exits with the program's status.

Options:
  -b, --bundle DIR         the bundle (default: the current directory)
  -d, --detach             return once the program runs
  --keep                   keep the container's state after it exits
  --console-socket PATH    AF_UNIX socket that receives the pty master
  --pid-file FILE          write the init's pid there
  --no-pivot, --no-new-keyring, --preserve-fds N   as for create
)";
}

int cmd_run(const Globals& g, const Args& args) {
    auto specs = create_flags();
    specs.push_back({{"detach", "d"}, false});
    specs.push_back({{"keep"}, false});
    specs.push_back({{"no-subreaper"}, false});
    ctr::runtime::Flags f;
    if (parse_or_help(specs, args, kUsage, f)) return 0;
    need_args(f, 1, "run");
    auto o = create_options(f);
    o.detach = f.on("detach");
    o.keep = f.on("keep");
    if (o.detach && o.keep) throw ctr::Error("--detach and --keep can't be used together");
    return ctr::runtime::run(g, o);
}

}  // namespace ctr_run

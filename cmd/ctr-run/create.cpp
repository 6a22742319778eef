// ctr-run create: set a container up, its init waiting before the program.
#include "cmd/ctr-run/commands.h"
#include "libcommon/cli/preflight.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run create [options] <container-id>

Creates a container from the bundle's config.json and rootfs. The container's
init is left waiting before the user's program; `ctr-run start` runs it.

Options:
  -b, --bundle DIR         the bundle (default: the current directory)
  --console-socket PATH    AF_UNIX socket that receives the pty master (process.terminal)
  --pid-file FILE          write the init's pid there
  --no-pivot               chroot instead of pivot_root (rootfs on a ramdisk)
  --no-new-keyring         keep the caller's session keyring
  --preserve-fds N         pass N more fds (from 3) to the container
)";
}

std::vector<ctr::runtime::FlagSpec> create_flags() {
    return {{{"bundle", "b"}, true},   {{"console-socket"}, true}, {{"pid-file"}, true},
            {{"no-pivot"}, false},     {{"no-new-keyring"}, false}, {{"preserve-fds"}, true},
            {{"notify-socket"}, true}};
}

ctr::runtime::CreateOptions create_options(const ctr::runtime::Flags& f) {
    ctr::runtime::CreateOptions o;
    o.id = f.args.at(0);
    o.bundle = absolute(f.get("bundle", "."));
    ctr::preflight::require_userns_unless_root(o.bundle + "/config.json");
    if (f.has("pid-file")) o.pid_file = absolute(f.get("pid-file"));
    if (f.has("console-socket")) o.console_socket = absolute(f.get("console-socket"));
    o.no_pivot = f.on("no-pivot");
    o.no_new_keyring = f.on("no-new-keyring");
    long n = f.get_int("preserve-fds", 0);
    if (n < 0) throw ctr::Error("--preserve-fds: must not be negative");
    o.preserve_fds = static_cast<int>(n);
    return o;
}

int cmd_create(const Globals& g, const Args& args) {
    ctr::runtime::Flags f;
    if (parse_or_help(create_flags(), args, kUsage, f)) return 0;
    need_args(f, 1, "create");
    ctr::runtime::create(g, create_options(f));
    return 0;
}

}  // namespace ctr_run

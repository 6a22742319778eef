// ctr-run exec: run another process in a running container.
#include <cstdio>

#include "cmd/ctr-run/commands.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run exec [options] <container-id> <command> [args...]
       ctr-run exec [options] --process FILE <container-id>

Runs a process in a running container: in all its namespaces and its cgroup,
with the capabilities, rlimits, seccomp filter and noNewPrivileges of the
container's process unless the options say otherwise. In the foreground,
ctr-run's exit status is the process's.

Options:
  -p, --process FILE       the process as a config.json "process" object
  -t, --tty                allocate a pseudo-terminal
  --console-socket PATH    AF_UNIX socket that receives the pty master
  -d, --detach             return once the process runs
  --pid-file FILE          write the process's pid there
  -e, --env KEY=VALUE      add an environment variable (repeatable)
  --cwd DIR                working directory in the container
  -u, --user UID[:GID]     user to run as
  -g, --additional-gids N  an additional group (repeatable)
  -c, --cap CAP            add a capability (repeatable)
  --no-new-privs           set noNewPrivileges
  --preserve-fds N         pass N more fds (from 3) to the process
)";
}

int cmd_exec(const Globals& g, const Args& args) {
    std::vector<ctr::runtime::FlagSpec> specs = {
        {{"process", "p"}, true},        {{"tty", "t"}, false},           {{"console-socket"}, true},
        {{"detach", "d"}, false},        {{"pid-file"}, true},            {{"env", "e"}, true, true},
        {{"cwd"}, true},                 {{"user", "u"}, true},           {{"additional-gids", "g"}, true, true},
        {{"cap", "c"}, true, true},      {{"no-new-privs"}, false},       {{"preserve-fds"}, true},
        {{"process-label"}, true},       {{"apparmor"}, true},            {{"cgroup"}, true, true},
        {{"ignore-paused"}, false}};
    ctr::runtime::Flags f;
    f = ctr::runtime::parse_flags(specs, args, false, true);
    if (f.on("help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (f.args.empty()) throw ctr::Error("\"exec\" requires a container id");
    ctr::runtime::ExecOptions o;
    o.id = f.args[0];
    o.args.assign(f.args.begin() + 1, f.args.end());
    if (f.has("process")) {
        o.process_file = absolute(f.get("process"));
        if (!o.args.empty()) throw ctr::Error("exec: --process and a command can't be used together");
    } else if (o.args.empty()) {
        throw ctr::Error("exec: a command is needed (or --process)");
    }
    o.tty = f.on("tty");
    if (f.has("console-socket")) o.console_socket = absolute(f.get("console-socket"));
    o.detach = f.on("detach");
    if (f.has("pid-file")) o.pid_file = absolute(f.get("pid-file"));
    o.env = f.all("env");
    o.cwd = f.get("cwd");
    o.user = f.get("user");
    for (const auto& gid : f.all("additional-gids")) {
        if (gid.empty() || gid.find_first_not_of("0123456789") != std::string::npos)
            throw ctr::Error("--additional-gids: \"" + gid + "\" is not a number");
        o.additional_gids.push_back(static_cast<uint32_t>(std::stoul(gid)));
    }
    o.caps = f.all("cap");
    o.no_new_privs = f.on("no-new-privs");
    long n = f.get_int("preserve-fds", 0);
    if (n < 0) throw ctr::Error("--preserve-fds: must not be negative");
    o.preserve_fds = static_cast<int>(n);
    return ctr::runtime::exec(g, o);
}

}  // namespace ctr_run

// ctr-run: a low-level OCI runtime with runc's command line.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "cmd/ctr-run/commands.h"
#include "libcommon/cli/main.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/runtime/log.h"

namespace ctr_run {

namespace {

const char* kUsage = R"(Usage: ctr-run [global options] COMMAND [options] [arguments]

A low-level OCI runtime with runc's command line.

Commands:
  create    create a container from a bundle, waiting before its program
  start     run the program of a created container
  run       create and start a container (in the foreground unless --detach)
  state     print the OCI state of a container
  kill      send a signal to a container's init (or, with --all, every process)
  delete    delete a container and what the runtime kept of it
  list      list containers (--format table|json, -q)
  exec      run another process in a running container
  ps        list the processes of a container
  pause     freeze every process of a container
  resume    thaw a paused container
  update    change a container's resources
  events    print a container's statistics and OOM kills (JSON)
  features  print what the runtime supports (JSON)
  spec      write a default config.json

Global options:
  --root DIR          state directory (default /run/ctr-run; for a user other
                      than root, $XDG_RUNTIME_DIR/ctr-run when that is set)
  --log FILE          log file (default stderr)
  --log-format FMT    text or json (default text)
  --debug             log debug messages
  --systemd-cgroup    cgroupsPath is slice:prefix:name
  --rootless VALUE    true, false or auto (default: rootless when not root):
                      no cgroup unless the user may write it
  -h, --help          this help
  -v, --version       the version
Flags take "--flag value", "--flag=value" or "-flag value", as runc.

Environment:
  CTR_RUNTIME_ROOT    the state directory when --root is not given
)";

// /run/ctr-run; for a user other than root $XDG_RUNTIME_DIR/ctr-run when set, as runc does.
std::string default_root() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    if (geteuid() != 0 && xdg && *xdg) return std::string(xdg) + "/ctr-run";
    return "/run/ctr-run";
}

}  // namespace

bool parse_or_help(const std::vector<ctr::runtime::FlagSpec>& specs, const Args& args, const char* usage,
                   ctr::runtime::Flags& out) {
    out = ctr::runtime::parse_flags(specs, args);
    if (out.on("help")) {
        std::fputs(usage, stdout);
        return true;
    }
    return false;
}

void need_args(const ctr::runtime::Flags& f, size_t n, const char* command) {
    if (f.args.size() != n)
        throw ctr::Error(std::string("\"") + command + "\" requires exactly " + std::to_string(n) + " argument(s)");
}

std::string absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) ctr::throw_errno("getcwd");
    std::string base = cwd;
    if (path.empty() || path == ".") return base;
    std::string p = path;
    if (p.rfind("./", 0) == 0) p = p.substr(2);
    return base + "/" + p;
}

int dispatch(int argc, char** argv) {
    using ctr::runtime::FlagSpec;
    std::vector<std::string> all(argv + 1, argv + argc);
    std::vector<FlagSpec> specs = {
        {{"root"}, true},          {{"log"}, true},     {{"log-format"}, true}, {{"debug"}, false},
        {{"systemd-cgroup"}, false}, {{"rootless"}, true}, {{"criu"}, true},      {{"version", "v"}, false},
    };
    auto f = ctr::runtime::parse_flags(specs, all, true);
    if (f.on("version")) {
        std::printf("%s\nspec: 1.0.2\n", ctr::version_line("ctr-run").c_str());
        return 0;
    }
    if (f.on("help") || f.args.empty()) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    ctr::runtime::log::configure(f.get("log"), f.get("log-format", "text"), f.on("debug"));
    Globals g;
    // --root, else $CTR_RUNTIME_ROOT (the root ctr-create records and passes),
    // else the default for this user.
    const char* env_root = std::getenv("CTR_RUNTIME_ROOT");
    g.root = f.get("root", env_root && *env_root ? std::string(env_root) : default_root());
    g.systemd_cgroup = f.on("systemd-cgroup");
    g.rootless = f.get("rootless", "auto");

    static const std::map<std::string, int (*)(const Globals&, const Args&)> commands = {
        {"create", cmd_create}, {"start", cmd_start}, {"run", cmd_run},   {"state", cmd_state},
        {"kill", cmd_kill},     {"delete", cmd_delete}, {"list", cmd_list}, {"spec", cmd_spec},
        {"exec", cmd_exec},
        {"ps", cmd_ps},         {"pause", cmd_pause},   {"resume", cmd_resume},
        {"update", cmd_update}, {"events", cmd_events}, {"features", cmd_features},
    };
    std::string name = f.args[0];
    auto it = commands.find(name);
    if (it == commands.end()) throw ctr::Error("No help topic for '" + name + "'");
    Args rest(f.args.begin() + 1, f.args.end());
    bool help = std::any_of(rest.begin(), rest.end(), [](auto& a) { return a == "-h" || a == "--help" || a == "-help"; });
    if (name != "spec" && name != "features" && !help) ctr::preflight::require_runtime_root(g.root);
    try {
        return it->second(g, rest);
    } catch (const std::exception& e) {
        ctr::runtime::log::error(e.what());
        throw;
    }
}

}  // namespace ctr_run

int main(int argc, char** argv) {
    return ctr::run_main("ctr-run", [&] { return ctr_run::dispatch(argc, argv); });
}

// ctr-run ps: the processes of a container.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmd/ctr-run/commands.h"
#include "libcommon/runtime/control.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr_run {

namespace {
const char* kUsage = R"(Usage: ctr-run ps [options] <container-id> [ps options]

Lists the processes in the container's cgroup: with --format table (the
default), the lines of `ps` (given the ps options, default -ef) whose PID
is one of them; with --format json, a JSON array of their pids.

Options:
  -f, --format FMT   table or json
)";

// The output of `ps ARGS...`.
std::string run_ps(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) ctr::throw_errno("pipe");
    ctr::UniqueFd out_r(fds[0]), out_w(fds[1]);
    std::vector<std::string> argv = {"ps"};
    argv.insert(argv.end(), args.begin(), args.end());
    ctr::SpawnOptions so;
    so.out = out_w.get();
    so.err = STDERR_FILENO;
    so.search_path = true;
    pid_t pid;
    try {
        pid = ctr::spawn(argv, so);
    } catch (const ctr::SpawnError&) {
        throw ctr::Error("ps: `ps` failed (is procps installed?)");
    }
    out_w.reset();
    std::string out = ctr::read_until_eof(out_r.get());
    if (ctr::wait_exit(pid) != 0) throw ctr::Error("ps: `ps` failed (is procps installed?)");
    return out;
}
}  // namespace

int cmd_ps(const Globals& g, const Args& args) {
    ctr::runtime::Flags f = ctr::runtime::parse_flags({{{"format", "f"}, true}}, args, false, true);
    if (f.on("help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (f.args.empty()) throw ctr::Error("\"ps\" requires a minimum of 1 argument");
    std::string format = f.get("format", "table");
    auto pids = ctr::runtime::container_pids(g, f.args[0]);
    if (format == "json") {
        std::printf("%s\n", nlohmann::json(pids).dump().c_str());
        return 0;
    }
    if (format != "table") throw ctr::Error("invalid format option");
    std::vector<std::string> ps_args(f.args.begin() + 1, f.args.end());
    if (ps_args.empty()) ps_args = {"-ef"};
    std::istringstream in(run_ps(ps_args));
    std::string header;
    std::getline(in, header);
    std::istringstream h(header);
    int pid_col = -1, col = 0;
    for (std::string w; h >> w; ++col)
        if (w == "PID") pid_col = col;
    if (pid_col < 0) throw ctr::Error("ps: the output of `ps` has no PID column");
    std::printf("%s\n", header.c_str());
    for (std::string line; std::getline(in, line);) {
        std::istringstream l(line);
        std::string w;
        for (int i = 0; i <= pid_col && (l >> w); ++i) {}
        char* end = nullptr;
        long p = std::strtol(w.c_str(), &end, 10);
        if (end && *end == '\0' && std::binary_search(pids.begin(), pids.end(), static_cast<pid_t>(p)))
            std::printf("%s\n", line.c_str());
    }
    return 0;
}

}  // namespace ctr_run

// ctr-start: start containers under their monitors (docker start), or attach.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <sstream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/container/monitor.h"
#include "libcommon/container/record.h"
#include "libcommon/container/start.h"

namespace {

using ctr::ExitError;

int start_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-start", "Start one or more created or stopped containers.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("[CONTAINER...]");
    opts.add_options()
        ("a,attach", "Attach to the container's output and end with its exit status")
        ("i,interactive", "Attach the container's standard input too")
        ("d,detach", "Start in the background and print the container's id (the default)")
        ("detach-keys", "Keys that detach from a terminal (default ctrl-p,ctrl-q)", cxxopts::value<std::string>(), "KEYS")
        ("sig-proxy", "Forward signals to the container when attached without a tty (default true)",
         cxxopts::value<bool>()->default_value("true"))
        ("runtime", "OCI runtime binary to use from now on (replaces the container's)", cxxopts::value<std::string>(), "PATH")
        ("no-start", "Only attach to a running container (what ctr-attach uses); never start one")
        ("help", "Show this help")
        ("version", "Show the version")
        ("containers", "", cxxopts::value<std::vector<std::string>>());
    // How ctr-start runs itself as a container's monitor: not for users, not in --help.
    opts.add_options("internal")
        ("monitor", "", cxxopts::value<std::string>())
        ("ready-fd", "", cxxopts::value<int>())
        ("attach-fd", "", cxxopts::value<int>())
        ("adopt", "");
    opts.parse_positional({"containers"});
    auto r = ctr::cli::parse(opts, argc, argv);
    if (r.count("monitor")) {
        ctr::container::MonitorArgs m;
        m.dir = r["monitor"].as<std::string>();
        m.ready_fd = r.count("ready-fd") ? r["ready-fd"].as<int>() : -1;
        m.attach_fd = r.count("attach-fd") ? r["attach-fd"].as<int>() : -1;
        m.adopt = r.count("adopt") > 0;
        for (int fd : {m.ready_fd, m.attach_fd})
            if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        return ctr::container::run_monitor(m);
    }
    const ctr::cli::HelpText help{
        .groups = {""},
        .after = "\nWith no CONTAINER, ids are read from standard input (ctr-create … | ctr-start -d).\n"
                 "Each container runs under its own monitor process, which outlives this command.\n"
                 "Detached, prints each container as named; attached (-a, -i), ends with the container's\n"
                 "exit status. Ctrl-P Ctrl-Q detaches from a terminal and leaves the container running.\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-start", help)) return 0;
    if (r.count("attach") && r.count("detach")) throw ExitError(125, "conflicting options: --attach and --detach");

    std::vector<std::string> names;
    if (r.count("containers")) names = r["containers"].as<std::vector<std::string>>();
    if (names.empty()) {
        if (::isatty(STDIN_FILENO)) throw ExitError(125, "no container given; see --help");
        std::string word;
        while (std::cin >> word) names.push_back(word);
        if (names.empty()) throw ExitError(125, "no container id on standard input");
    }
    ctr::container::StartOptions o;
    o.attach = r.count("attach") > 0;
    o.stdin = r.count("interactive") > 0;
    if (r.count("detach-keys")) o.detach_keys = r["detach-keys"].as<std::string>();
    o.sig_proxy = r["sig-proxy"].as<bool>();
    if (r.count("runtime")) o.runtime = r["runtime"].as<std::string>();
    o.no_start = r.count("no-start") > 0;
    if ((o.attach || o.stdin) && names.size() > 1)
        throw ExitError(125, "you cannot start and attach multiple containers at once");

    ctr::preflight::require_containers();
    std::string containers = ctr::container::containers_dir();
    int rc = 0;
    for (auto& name : names) {
        std::string id;
        try {
            id = ctr::container::resolve(containers, name);
        } catch (const ctr::Error& e) {
            std::cerr << "ctr-start: " << e.what() << "\n";
            rc = 1;
            continue;
        }
        auto dir = containers + "/" + id;
        ctr::preflight::require_cgroup_controllers(ctr::preflight::cgroup_needs_of_config(dir + "/config.json"), true);
        if (o.attach || o.stdin) return ctr::container::start_container(dir, o);
        try {
            ctr::container::start_container(dir, o);
            std::cout << name << std::endl;
        } catch (const ExitError& e) {
            std::cerr << "ctr-start: " << e.what() << "\n";
            rc = names.size() == 1 ? e.code() : 1;
        }
    }
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    return ctr::run_main("ctr-start", [&] { return start_main(argc, argv); });
}

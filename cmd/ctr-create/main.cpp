// ctr-create: make a container from an image (docker create). Prints its id.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/missing_image.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/cli/split_args.h"
#include "libcommon/container/create.h"
#include "libcommon/container/options.h"
#include "libcommon/store/store.h"

namespace {

using ctr::ExitError;
using namespace ctr::container;

std::vector<std::string> list(const cxxopts::ParseResult& r, const char* name) {
    return r.count(name) ? r[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ExitError(125, "open " + path + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int create_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-create", "Create a container from an image; print its id.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("IMAGE [COMMAND [ARG...]]");
    auto strs = [] { return cxxopts::value<std::vector<std::string>>(); };
    auto str = [] { return cxxopts::value<std::string>(); };
    opts.add_options()
        ("name", "Name the container (default: a random adjective_surname)", str(), "NAME")
        ("e,env", "Set an environment variable (KEY=VALUE, or KEY to copy it from here)", strs(), "KEY=VALUE")
        ("env-file", "Read environment variables from a file of KEY=VALUE lines", strs(), "FILE")
        ("v,volume", "Bind mount HOST:CTR[:ro], a named volume NAME:CTR, or an anonymous volume CTR", strs(), "SPEC")
        ("mount", "Mount type=bind|volume|tmpfs,source=…,target=…[,readonly]", strs(), "SPEC")
        ("tmpfs", "Mount a tmpfs at CTR[:OPTIONS]", strs(), "CTR")
        ("w,workdir", "Working directory inside the container", str(), "DIR")
        ("u,user", "User[:group] to run as (names from the image's /etc/passwd)", str(), "USER")
        ("group-add", "Add a supplementary group", strs(), "GROUP")
        ("entrypoint", "Replace the image's ENTRYPOINT (\"\" for none)", str(), "CMD")
        ("h,hostname", "Container host name (default: the short id)", str(), "NAME")
        ("domainname", "Container NIS domain name", str(), "NAME")
        ("add-host", "Add a line NAME:IP to /etc/hosts", strs(), "NAME:IP")
        ("dns", "Name server for /etc/resolv.conf", strs(), "IP")
        ("dns-search", "Search domain for /etc/resolv.conf", strs(), "DOMAIN")
        ("dns-option", "Option for /etc/resolv.conf", strs(), "OPT")
        ("p,publish", "Publish a container port: [IP:][HOSTPORT:]PORT[/tcp|udp]", strs(), "SPEC")
        ("P,publish-all", "Publish every EXPOSEd port on a free host port")
        ("network", "Network: private (own netns with loopback; default), host, none", str(), "MODE")
        ("net", "Same as --network", str(), "MODE")
        ("restart", "Restart policy: no, on-failure[:N], always, unless-stopped", str(), "POLICY")
        ("rm", "Remove the container when it exits")
        ("log-driver", "Logging driver: json-file (the only one)", str(), "DRIVER")
        ("log-opt", "json-file option: max-size=SIZE, max-file=N (rotation of log.json)", strs(), "KEY=VALUE")
        ("t,tty", "Give the container a pseudo-terminal")
        ("i,interactive", "Keep standard input open")
        ("a,attach", "Streams `run` attaches to: stdin, stdout, stderr", strs(), "STREAM")
        ("d,detach", "For `run`: attach to nothing (recorded in Config.Attach*)")
        ("sig-proxy", "For `run`: forward signals to the container", cxxopts::value<bool>()->implicit_value("true"))
        ("detach-keys", "For `run`: the detach key sequence", str(), "KEYS")
        ("tty-check", "For `run`: with -i and -t (and no -d), refuse when standard input is not a terminal, "
                      "before anything is made, as docker run does")
        ("m,memory", "Memory limit (e.g. 512m, 1g)", str(), "SIZE")
        ("memory-swap", "Memory plus swap limit (-1: unlimited)", str(), "SIZE")
        ("cpus", "Number of CPUs (e.g. 1.5)", str(), "N")
        ("c,cpu-shares", "CPU shares (relative weight)", cxxopts::value<int64_t>(), "N")
        ("pids-limit", "Maximum number of processes (-1: unlimited)", cxxopts::value<int64_t>(), "N")
        ("shm-size", "Size of /dev/shm", str(), "SIZE")
        ("ulimit", "Resource limit NAME=SOFT[:HARD]", strs(), "LIMIT")
        ("sysctl", "Kernel parameter KEY=VALUE", strs(), "KV")
        ("read-only", "Mount the root filesystem read-only")
        ("cap-add", "Add a capability (or ALL)", strs(), "CAP")
        ("cap-drop", "Drop a capability (or ALL)", strs(), "CAP")
        ("privileged", "All capabilities, no seccomp, no masked paths, all devices allowed")
        ("security-opt", "seccomp=PROFILE|unconfined, no-new-privileges[:true]", strs(), "OPT")
        ("stop-signal", "Signal that stops the container (default: the image's, or SIGTERM)", str(), "SIG")
        ("stop-timeout", "Seconds ctr-stop waits before SIGKILL (default 10)", cxxopts::value<int>(), "SECS")
        ("l,label", "Set a label KEY=VALUE", strs(), "KV")
        ("init", "Run an init (catatonit) as PID 1 that forwards signals and reaps zombies")
        ("pull", "Pull the image: missing (default), always, never", str(), "WHEN")
        ("runtime", "OCI runtime: a path, or a name on PATH (default: $CTR_RUNTIME, ctr-run, runc)", str(), "PATH")
        ("runtime-root", "The runtime's --root (default: $CTR_RUNTIME_ROOT, else the runtime's own)", str(), "DIR")
        ("cgroup-parent", "Parent cgroup (default: $CTR_CGROUP_PARENT, else /ctr)", str(), "PATH")
        ("help", "Show this help")
        ("version", "Show the version");

    int split = ctr::cli::first_operand(
        argc, argv,
        {"name", "e", "env", "env-file", "v", "volume", "mount", "tmpfs", "w", "workdir", "u", "user", "group-add",
         "entrypoint", "h", "hostname", "domainname", "add-host", "dns", "dns-search", "dns-option", "p", "publish",
         "network", "net", "restart", "log-driver", "log-opt", "a", "attach", "detach-keys", "m", "memory", "memory-swap", "cpus", "c",
         "cpu-shares", "pids-limit", "shm-size", "ulimit", "sysctl", "cap-add", "cap-drop", "security-opt",
         "stop-signal", "stop-timeout", "l", "label", "pull", "runtime", "runtime-root", "cgroup-parent"});
    auto r = ctr::cli::parse(opts, split, argv);
    const ctr::cli::HelpText help{
        .after = "\nEverything after IMAGE is the container's command: it replaces the image's CMD;\n"
                 "the ENTRYPOINT is kept. Prints the container id (64 hex digits).\n"
                 "Run it with: ctr-create … | ctr-start -d, or ctr-start -ai $(ctr-create -it …)\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-create", help)) return 0;
    if (split >= argc) throw ExitError(125, "missing IMAGE; usage: ctr-create [OPTIONS] IMAGE [COMMAND [ARG...]]");

    CreateRequest req;
    req.image_ref = argv[split];
    auto& o = req.spec;
    for (int i = split + 1; i < argc; i++) o.cmd.push_back(argv[i]);

    char cwdbuf[4096];
    std::string cwd = ::getcwd(cwdbuf, sizeof cwdbuf) ? cwdbuf : "/";
    try {
        if (r.count("name")) req.name = r["name"].as<std::string>();
        auto lookup = [](const std::string& k) -> std::optional<std::string> {
            const char* v = ::getenv(k.c_str());
            return v ? std::optional<std::string>(v) : std::nullopt;
        };
        for (auto& f : list(r, "env-file")) {
            auto env = parse_env_file(read_text_file(f), f, lookup);
            o.env.insert(o.env.end(), env.begin(), env.end());
        }
        for (auto& e : list(r, "env")) {
            if (e.find('=') != std::string::npos)
                o.env.push_back(e);
            else if (auto v = lookup(e))
                o.env.push_back(e + "=" + *v);
        }
        for (auto& v : list(r, "volume")) req.volumes.push_back(parse_volume(v, cwd));
        for (auto& m : list(r, "mount")) req.volumes.push_back(parse_mount(m, cwd));
        for (auto& t : list(r, "tmpfs")) req.volumes.push_back(parse_tmpfs(t));
        if (r.count("workdir")) o.workdir = r["workdir"].as<std::string>();
        if (r.count("user")) o.user = r["user"].as<std::string>();
        o.group_add = list(r, "group-add");
        if (r.count("entrypoint")) {
            auto ep = r["entrypoint"].as<std::string>();
            o.entrypoint = ep.empty() ? std::vector<std::string>{} : std::vector<std::string>{ep};
        }
        if (r.count("hostname")) o.hostname = r["hostname"].as<std::string>();
        if (r.count("domainname")) o.domainname = r["domainname"].as<std::string>();
        req.init_files.extra_hosts = list(r, "add-host");
        req.init_files.dns = list(r, "dns");
        req.init_files.dns_search = list(r, "dns-search");
        req.init_files.dns_options = list(r, "dns-option");
        for (auto& p : list(r, "publish")) {
            auto b = parse_publish(p);
            req.ports.insert(req.ports.end(), b.begin(), b.end());
        }
        req.publish_all = r.count("publish-all") > 0;
        std::string net = r.count("network") ? r["network"].as<std::string>()
                          : r.count("net")   ? r["net"].as<std::string>()
                                             : "private";
        if (net == "private" || net == "bridge" || net == "default") {
            o.network = ctr::bundle::NetworkMode::Private;
            net = "private";
        } else if (net == "host") {
            o.network = ctr::bundle::NetworkMode::Host;
        } else if (net == "none") {
            o.network = ctr::bundle::NetworkMode::None;
        } else if (net.rfind("ns:", 0) == 0) {
            o.network = ctr::bundle::NetworkMode::Path;
            o.network_path = net.substr(3);
        } else {
            throw ExitError(125, "invalid --network \"" + net + "\": want private, host, none or ns:PATH");
        }
        req.network_name = net;
        if (r.count("restart")) req.restart = parse_restart(r["restart"].as<std::string>());
        if (r.count("log-driver") && r["log-driver"].as<std::string>() != "json-file")
            throw ExitError(125, "invalid --log-driver \"" + r["log-driver"].as<std::string>() + "\": only json-file");
        if (r.count("log-opt")) req.log = parse_log_opts(r["log-opt"].as<std::vector<std::string>>());
        req.auto_remove = r.count("rm") > 0;
        if (req.auto_remove && req.restart.name != "no")
            throw ExitError(125, "conflicting options: --restart and --rm");
        o.terminal = r.count("tty") > 0;
        req.open_stdin = r.count("interactive") > 0;
        req.attach_stdin = req.open_stdin;
        if (r.count("attach")) {
            req.attach_stdin = req.attach_stdout = req.attach_stderr = false;
            for (auto& a : list(r, "attach")) {
                if (a == "stdin")
                    req.attach_stdin = true;
                else if (a == "stdout")
                    req.attach_stdout = true;
                else if (a == "stderr")
                    req.attach_stderr = true;
                else
                    throw ExitError(125, "invalid --attach \"" + a + "\": stdin, stdout or stderr");
            }
        }
        if (r.count("detach")) {
            if (r.count("attach")) throw ExitError(125, "conflicting options: --attach and --detach");
            req.attach_stdin = req.attach_stdout = req.attach_stderr = false;
        }
        if (r.count("memory")) o.memory = parse_size(r["memory"].as<std::string>(), "--memory");
        if (r.count("memory-swap")) {
            auto s = r["memory-swap"].as<std::string>();
            o.memory_swap = s == "-1" ? -1 : parse_size(s, "--memory-swap");
        }
        if (r.count("cpus")) o.cpu_quota = parse_cpus(r["cpus"].as<std::string>()) / 10000;
        if (r.count("cpu-shares")) o.cpu_shares = r["cpu-shares"].as<int64_t>();
        if (r.count("pids-limit")) o.pids_limit = r["pids-limit"].as<int64_t>();
        if (r.count("shm-size")) o.shm_size = parse_size(r["shm-size"].as<std::string>(), "--shm-size");
        for (auto& u : list(r, "ulimit")) o.ulimits.push_back(parse_ulimit(u));
        for (auto& s : list(r, "sysctl")) {
            auto eq = s.find('=');
            if (eq == std::string::npos || eq == 0) throw ExitError(125, "invalid --sysctl \"" + s + "\": want KEY=VALUE");
            o.sysctls.push_back({s.substr(0, eq), s.substr(eq + 1)});
        }
        o.read_only = r.count("read-only") > 0;
        o.cap_add = list(r, "cap-add");
        o.cap_drop = list(r, "cap-drop");
        o.privileged = r.count("privileged") > 0;
        req.security_opt = list(r, "security-opt");
        for (auto& s : req.security_opt) {
            auto sep = s.find_first_of("=:");
            std::string key = s.substr(0, sep), val = sep == std::string::npos ? "" : s.substr(sep + 1);
            if (key == "seccomp") {
                if (val.empty()) throw ExitError(125, "invalid --security-opt \"" + s + "\": seccomp=PROFILE|unconfined");
                o.seccomp = val == "unconfined" ? val : (val[0] == '/' ? val : cwd + "/" + val);
            } else if (key == "no-new-privileges") {
                o.no_new_privileges = val.empty() || val == "true";
            } else if (key == "apparmor" || key == "label") {
                // Neither AppArmor nor SELinux labels are applied by ctr: accepted and recorded.
            } else {
                throw ExitError(125, "invalid --security-opt \"" + s + "\"");
            }
        }
        if (r.count("stop-signal")) {
            auto s = r["stop-signal"].as<std::string>();
            parse_signal(s);
            req.stop_signal = s;
        }
        if (r.count("stop-timeout")) req.stop_timeout = r["stop-timeout"].as<int>();
        for (auto& l : list(r, "label")) {
            auto eq = l.find('=');
            req.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
        }
        if (r.count("init")) {
            const char* env = ::getenv("CTR_INIT");
            std::string init = env && *env ? env : "/usr/bin/catatonit";
            if (::access(init.c_str(), X_OK) != 0)
                throw ExitError(125, "--init: " + init + " is missing (install catatonit, or set CTR_INIT)");
            o.init_path = init;
        }
        if (r.count("pull")) {
            req.pull = r["pull"].as<std::string>();
            if (req.pull != "missing" && req.pull != "always" && req.pull != "never")
                throw ExitError(125, "invalid --pull \"" + req.pull + "\": missing, always or never");
        }
        auto env_or = [](const char* name) {
            const char* v = ::getenv(name);
            return std::string(v ? v : "");
        };
        if (r.count("runtime")) req.runtime = r["runtime"].as<std::string>();  // else $CTR_RUNTIME, ...
        req.runtime_root = r.count("runtime-root") ? r["runtime-root"].as<std::string>() : env_or("CTR_RUNTIME_ROOT");
        req.cgroup_parent = r.count("cgroup-parent") ? r["cgroup-parent"].as<std::string>() : env_or("CTR_CGROUP_PARENT");
    } catch (const ExitError&) {
        throw;
    } catch (const ctr::Error& e) {
        throw ExitError(125, e.what());
    }
    // docker run's own words, without a program name.
    if (r.count("tty-check") && o.terminal && (req.open_stdin || req.attach_stdin) && !r.count("detach") &&
        !::isatty(0)) {
        std::cerr << "the input device is not a TTY\n";
        throw ExitError(1, "");
    }

    ctr::preflight::require_containers();
    ctr::preflight::require_cgroup_controllers(ctr::preflight::cgroup_needs(o));
    auto store = ctr::store::Store::open();
    std::string image = req.image_ref;
    std::string id = ctr::cli::explain_missing_image(store, image, [&] { return create(store, std::move(req)); });
    std::cout << id << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return ctr::run_main("ctr-create", [&] { return create_main(argc, argv); });
}

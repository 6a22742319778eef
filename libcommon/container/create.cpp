#include "libcommon/container/create.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "libcommon/bundle/user.h"
#include "libcommon/container/names.h"
#include "libcommon/container/record.h"
#include "libcommon/oci/reference.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/lock.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr::container {

using json = nlohmann::json;

namespace {

std::string on_path(const std::string& prog) {
    const char* path = ::getenv("PATH");
    std::string rest = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    size_t start = 0;
    while (start <= rest.size()) {
        size_t colon = rest.find(':', start);
        std::string dir = rest.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (dir.empty()) dir = ".";
        std::string cand = dir + "/" + prog;
        if (::access(cand.c_str(), X_OK) == 0) return cand;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return {};
}

// Relays a child's standard error to ours as it comes, holding back its
// latest line: when the child fails, that line is its error, which the
// caller folds into a message of its own instead of showing it twice.
class HeldBackRelay {
public:
    void feed(const char* data, size_t n) {
        held_.append(data, n);
        auto nl = held_.rfind('\n', held_.size() >= 2 ? held_.size() - 2 : 0);
        if (held_.size() < 2 || nl == std::string::npos) return;
        ::fwrite(held_.data(), 1, nl + 1, stderr);
        std::fflush(stderr);
        held_.erase(0, nl + 1);
    }
    // What is held back, for a child that succeeded.
    void flush() {
        ::fwrite(held_.data(), 1, held_.size(), stderr);
        held_.clear();
    }
    // The held-back line without its "prog: " prefix and newline.
    std::string last_line(const std::string& prog) const {
        std::string line = held_;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        if (auto cr = line.rfind('\r'); cr != std::string::npos) line.erase(0, cr + 1);
        if (line.rfind(prog + ": ", 0) == 0) line.erase(0, prog.size() + 2);
        return line;
    }

private:
    std::string held_;
};

// Pulls an image by running ctr-pull (beside this program, else on PATH);
// returns the name it printed. Its messages reach our stderr as it prints
// them (with its progress bars when our stderr is a terminal), except its
// error, which becomes the Error thrown here. ctr-create so links no HTTP,
// TLS or registry library: with them, loading and relocating about thirty
// shared libraries was half of every create's time.
std::string pull_with_ctr_pull(const std::string& ref) {
    std::string prog = exe_dir() + "/ctr-pull";
    if (::access(prog.c_str(), X_OK) != 0) prog = on_path("ctr-pull");
    if (prog.empty()) throw Error("pull " + ref + ": ctr-pull is neither beside ctr-create nor on PATH");
    std::string progress = ::isatty(STDERR_FILENO) ? "--progress=always" : "--progress=never";
    PipedChild child = spawn_piped({prog, progress, ref}, STDIN_FILENO);
    HeldBackRelay relay;
    std::string printed = drain(child, [&](const char* p, size_t n) { relay.feed(p, n); });
    if (int rc = wait_exit(child.pid); rc != 0) {
        std::string why = relay.last_line("ctr-pull");
        if (why.empty()) why = "ctr-pull failed (exit status " + std::to_string(rc) + ")";
        throw Error(why);
    }
    relay.flush();
    while (!printed.empty() && (printed.back() == '\n' || printed.back() == ' ')) printed.pop_back();
    if (auto nl = printed.rfind('\n'); nl != std::string::npos) printed = printed.substr(nl + 1);
    if (printed.empty()) throw Error("pull " + ref + ": ctr-pull printed no image name");
    return printed;
}

// mkdir -p of an absolute container path inside rootfs, every step resolved
// inside the rootfs (an image's symlinks cannot lead out of it).
void mkdir_in_root(const std::string& rootfs, const std::string& path) {
    UniqueFd dir(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw_errno("open " + rootfs);
    std::string done;
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        start = slash == std::string::npos ? path.size() : slash + 1;
        if (part.empty() || part == ".") continue;
        done += "/" + part;
        struct open_how how = {};
        how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        UniqueFd next(static_cast<int>(::syscall(SYS_openat2, root.get(), done.c_str(), &how, sizeof how)));
        if (!next && errno == ENOENT) {
            if (::mkdirat(dir.get(), part.c_str(), 0755) < 0 && errno != EEXIST)
                throw_errno("mkdir " + done + " in the container");
            next.reset(static_cast<int>(::syscall(SYS_openat2, root.get(), done.c_str(), &how, sizeof how)));
        }
        if (!next) throw_errno("working directory " + path + ": " + done);
        dir = std::move(next);
    }
}

std::string volume_dir(const store::Store& store, const std::string& name) {
    std::string d = store.root() + "/volumes/" + name + "/_data";
    store::make_dirs(d);
    return d;
}

// Removes a half-made container directory, unless disarmed.
struct DirGuard {
    std::string dir;
    ~DirGuard() {
        if (dir.empty()) return;
        try {
            bundle::unmount_rootfs(dir + "/rootfs");
            store::remove_tree(dir);
        } catch (const std::exception&) {
        }
    }
};

json string_array(const std::vector<std::string>& v) { return v.empty() ? json(nullptr) : json(v); }

}  // namespace

std::string runtime_binary(const std::string& name, const std::string& what) {
    if (name.find('/') == std::string::npos) {
        std::string found = on_path(name);
        if (found.empty()) throw Error(what + ": " + name + " is not on PATH (name the runtime by its path)");
        return found;
    }
    // The monitor runs it later, from another directory.
    std::string path = name[0] == '/' ? name : std::filesystem::current_path().string() + "/" + name;
    if (::access(path.c_str(), X_OK) != 0) throw_errno(what + ": " + name);
    return path;
}

std::string default_runtime() {
    if (const char* env = ::getenv("CTR_RUNTIME"); env && *env) return runtime_binary(env, "CTR_RUNTIME");
    std::string beside = exe_dir() + "/ctr-run";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
    if (auto p = on_path("ctr-run"); !p.empty()) return p;
    if (auto p = on_path("runc"); !p.empty()) return p;
    throw Error("no OCI runtime found (ctr-run or runc): name one with --runtime or CTR_RUNTIME");
}

std::string create(const store::Store& store, CreateRequest req) {
    req.runtime = req.runtime.empty() ? default_runtime() : runtime_binary(req.runtime, "--runtime");
    // The image, pulled first if asked to or missing.
    auto hold = store.hold();
    std::optional<store::Image> image;
    if (req.pull != "always") {
        try {
            image = store.resolve(req.image_ref);
        } catch (const Error& e) {
            if (req.pull == "never" || std::string(e.what()).rfind("No such image", 0) != 0) throw;
        }
    }
    if (!image) {
        if (req.pull != "always") std::cerr << "Unable to find image '" << req.image_ref << "' locally\n";
        image = store.resolve(pull_with_ctr_pull(req.image_ref));
    }
    const json& ic = image->config.contains("config") ? image->config["config"] : json::object();

    std::string id = new_id();
    auto& o = req.spec;
    if (o.hostname.empty() && o.network != bundle::NetworkMode::Host) o.hostname = id.substr(0, 12);
    if (o.hostname.empty()) {
        char h[256] = {};
        ::gethostname(h, sizeof h - 1);
        o.hostname = h;
    }
    if (o.cgroups_path.empty()) {
        std::string parent = req.cgroup_parent.empty() ? "/ctr" : req.cgroup_parent;
        if (parent[0] != '/') parent = "/" + parent;
        o.cgroups_path = parent + "/" + id;
    }
    if (req.spec.terminal && !req.open_stdin) req.attach_stdin = false;

    // Ports: -p, then -P for every EXPOSEd port not already published.
    json exposed = json::object();
    if (ic.contains("ExposedPorts") && ic["ExposedPorts"].is_object())
        for (auto& [k, v] : ic["ExposedPorts"].items()) exposed[parse_exposed(k).key()] = json::object();
    for (auto& p : req.ports) exposed[p.key()] = json::object();
    if (req.publish_all)
        for (auto& [k, v] : exposed.items()) {
            bool have = false;
            for (auto& p : req.ports) have |= p.key() == k;
            if (!have) req.ports.push_back(parse_exposed(k));
        }
    if (!req.ports.empty() && o.network != bundle::NetworkMode::Private)
        std::cerr << "WARNING: published ports are discarded when using " << req.network_name << " network mode\n";

    std::string containers = store.containers_dir();
    store::make_dirs(containers);
    Paths paths = container_paths(containers, id);
    if (::mkdir(paths.dir.c_str(), 0700) < 0) throw_errno("mkdir " + paths.dir);
    DirGuard guard{paths.dir};

    // The root filesystem: init layer over the image's layers.
    std::vector<std::string> lowers = bundle::image_lowerdirs(store, *image);
    req.init_files.hostname = o.hostname;
    req.init_files.domainname = o.domainname;
    req.init_files.network = o.network;
    bundle::write_init_layer(paths.init(), req.init_files);
    lowers.insert(lowers.begin(), paths.init());
    bundle::OverlayLayout layout{lowers, paths.upper(), paths.work(), paths.rootfs()};
    bundle::OverlayMount rootfs(layout);

    // Volumes: -v/--mount/--tmpfs, and the image's VOLUMEs as anonymous ones.
    json mounts_rec = json::array();
    json binds = json::array();
    std::vector<std::string> anonymous;
    if (ic.contains("Volumes") && ic["Volumes"].is_object())
        for (auto& [dest, v] : ic["Volumes"].items()) {
            bool covered = false;
            for (auto& vs : req.volumes) covered |= vs.destination == dest;
            if (!covered) req.volumes.push_back({VolumeSpec::Kind::Anonymous, "", dest, false, {}});
        }
    for (auto& v : req.volumes) {
        bundle::MountSpec m;
        m.destination = v.destination;
        m.read_only = v.read_only;
        m.options = v.options;
        std::string name;
        switch (v.kind) {
            case VolumeSpec::Kind::Bind:
                if (!store::path_exists(v.source))
                    store::make_dirs(v.source);  // docker creates a missing -v host directory
                m.source = v.source;
                binds.push_back(v.source + ":" + v.destination + (v.read_only ? ":ro" : ""));
                break;
            case VolumeSpec::Kind::Volume:
                name = v.source;
                m.source = volume_dir(store, name);
                binds.push_back(name + ":" + v.destination + (v.read_only ? ":ro" : ""));
                break;
            case VolumeSpec::Kind::Anonymous:
                name = new_id();
                m.source = volume_dir(store, name);
                anonymous.push_back(name);
                break;
            case VolumeSpec::Kind::Tmpfs:
                m.type = "tmpfs";
                break;
        }
        o.mounts.push_back(m);
        json r = {{"Type", v.kind == VolumeSpec::Kind::Bind    ? "bind"
                           : v.kind == VolumeSpec::Kind::Tmpfs ? "tmpfs"
                                                               : "volume"},
                  {"Source", m.source},
                  {"Destination", v.destination},
                  {"Mode", v.read_only ? "ro" : ""},
                  {"RW", !v.read_only},
                  {"Propagation", v.options.empty() ? "rprivate" : v.options[0]}};
        if (!name.empty()) r["Name"] = name;
        mounts_rec.push_back(r);
    }

    // config.json, with the user resolved in the image's own /etc/passwd.
    auto users = bundle::UserDb::read_rootfs(paths.rootfs());
    json spec = bundle::make_spec(ic, o, users);
    mkdir_in_root(paths.rootfs(), spec["process"]["cwd"].get<std::string>());
    write_atomic(paths.config(), spec.dump(2) + "\n");

    auto argv = bundle::command_line(ic, o);
    json cfg_cmd = o.entrypoint ? json(o.cmd.empty() ? json(nullptr) : json(o.cmd))
                                : (o.cmd.empty() ? ic.value("Cmd", json(nullptr)) : json(o.cmd));
    json cfg_entry = o.entrypoint ? string_array(*o.entrypoint) : ic.value("Entrypoint", json(nullptr));
    json labels = ic.contains("Labels") && ic["Labels"].is_object() ? ic["Labels"] : json::object();
    for (auto& [k, v] : req.labels) labels[k] = v;
    json port_bindings = json::object();
    for (auto& p : req.ports)
        port_bindings[p.key()].push_back(
            {{"HostIp", p.host_ip}, {"HostPort", p.host_port ? std::to_string(p.host_port) : ""}});
    std::string stop_signal = req.stop_signal ? *req.stop_signal : ic.value("StopSignal", std::string("SIGTERM"));
    if (stop_signal.empty()) stop_signal = "SIGTERM";
    parse_signal(stop_signal);

    json rec = {
        {"Id", id},
        {"Created", now_rfc3339nano()},
        {"Path", argv[0]},
        {"Args", std::vector<std::string>(argv.begin() + 1, argv.end())},
        {"State",
         {{"Status", "created"},
          {"Running", false},
          {"Paused", false},
          {"Restarting", false},
          {"OOMKilled", false},
          {"Dead", false},
          {"Pid", 0},
          {"ExitCode", 0},
          {"Error", ""},
          {"StartedAt", zero_time},
          {"FinishedAt", zero_time}}},
        {"Image", image->id().str()},
        {"ImageRef", req.image_ref},
        {"Name", ""},
        {"RestartCount", 0},
        {"Driver", "overlay"},
        {"Platform", "linux"},
        {"LogPath", paths.log()},
        {"HostnamePath", paths.init() + "/etc/hostname"},
        {"HostsPath", paths.init() + "/etc/hosts"},
        {"ResolvConfPath", paths.init() + "/etc/resolv.conf"},
        {"HostConfig",
         {{"Binds", binds.empty() ? json(nullptr) : binds},
          {"NetworkMode", req.network_name},
          {"PortBindings", port_bindings},
          {"LogConfig", {{"Type", "json-file"}, {"Config", req.log.given}}},
          {"RestartPolicy", {{"Name", req.restart.name}, {"MaximumRetryCount", req.restart.max_retries}}},
          {"AutoRemove", req.auto_remove},
          {"PublishAllPorts", req.publish_all},
          {"Privileged", o.privileged},
          {"ReadonlyRootfs", o.read_only},
          {"CapAdd", string_array(o.cap_add)},
          {"CapDrop", string_array(o.cap_drop)},
          {"Memory", o.memory},
          {"NanoCpus", o.cpu_quota > 0 ? o.cpu_quota * 10000 : 0},
          {"PidsLimit", o.pids_limit > 0 ? json(o.pids_limit) : json(nullptr)},
          {"SecurityOpt", string_array(req.security_opt)},
          {"Init", !o.init_path.empty()},
          {"ExtraHosts", string_array(req.init_files.extra_hosts)},
          {"Dns", req.init_files.dns},
          {"Runtime", req.runtime},
          {"RuntimeRoot", req.runtime_root},
          {"CgroupParent", req.cgroup_parent},
          {"CgroupsPath", o.cgroups_path}}},
        {"Config",
         {{"Hostname", o.hostname},
          {"Domainname", o.domainname},
          {"User", o.user ? *o.user : ic.value("User", std::string())},
          {"AttachStdin", req.attach_stdin},
          {"AttachStdout", req.attach_stdout},
          {"AttachStderr", req.attach_stderr},
          {"ExposedPorts", exposed.empty() ? json(nullptr) : exposed},
          {"Tty", o.terminal},
          {"OpenStdin", req.open_stdin},
          {"StdinOnce", req.open_stdin && req.attach_stdin},
          {"Env", spec["process"]["env"]},
          {"Cmd", cfg_cmd},
          {"Image", req.image_ref},
          {"Volumes", ic.value("Volumes", json(nullptr))},
          {"WorkingDir", o.workdir ? *o.workdir : ic.value("WorkingDir", std::string())},
          {"Entrypoint", cfg_entry},
          {"Labels", labels},
          {"StopSignal", stop_signal}}},
        {"NetworkSettings", {{"Ports", json::object()}}},
        {"Mounts", mounts_rec},
        {"AnonymousVolumes", anonymous},
        {"GraphDriver",
         {{"Name", "overlay"},
          {"Data",
           {{"LowerDir", [&] {
                 std::string s;
                 for (auto& l : lowers) s += (s.empty() ? "" : ":") + l;
                 return s;
             }()},
            {"UpperDir", paths.upper()},
            {"WorkDir", paths.work()},
            {"MergedDir", paths.rootfs()}}}}},
    };
    if (req.stop_timeout) rec["Config"]["StopTimeout"] = *req.stop_timeout;

    // The name is checked and the record written under one lock, so two
    // creates cannot take the same name.
    {
        store::make_dirs(store.root() + "/locks");
        auto lock = store::FileLock::acquire(store.root() + "/locks/names.lock", store::FileLock::Mode::Exclusive);
        auto taken = [&](const std::string& n) {
            for (auto& other : list_ids(containers)) {
                try {
                    if (read_record(container_paths(containers, other)).value("Name", "") == n) return true;
                } catch (const std::exception&) {
                }
            }
            return false;
        };
        std::string name = req.name;
        if (!name.empty() && name[0] == '/') name = name.substr(1);
        if (name.empty()) {
            name = generate_name(taken);
        } else if (!valid_name(name)) {
            throw Error("Invalid container name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        } else if (taken(name)) {
            throw Error("Conflict. The container name \"" + name + "\" is already in use; remove it or choose another name");
        }
        rec["Name"] = name;
        write_record(paths, rec);
    }
    rootfs.release();
    guard.dir.clear();
    return id;
}

}  // namespace ctr::container

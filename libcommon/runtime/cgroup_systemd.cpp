// --systemd-cgroup: the container's cgroup is a transient systemd unit
// (normally a scope) started over D-Bus with the container's init in it and
// Delegate=yes; the settings are then written through the cgroupfs driver
// at the unit's path, as runc's systemd drivers do. Delete stops the unit.
//
// The D-Bus calls are made by the helper program ctr-run-systemd
// (cmd/ctr-run-systemd, libcommon/runtime/systemd_bus.h), which links
// libsystemd: ctr-run is a static binary and must load no shared library
// (docs/cgroups-and-seccomp.md, "The systemd helper"). This file builds the
// unit's properties, runs the helper and turns its answer into an error
// with context.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <map>

#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/runtime/log.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr::runtime {

using nlohmann::json;

namespace {

constexpr const char* kHelper = "ctr-run-systemd";
const std::string kAnnotationPrefix = "org.systemd.property.";

std::string& helper_override() {
    static std::string path;
    return path;
}

}  // namespace

void set_systemd_helper(std::string path) { helper_override() = std::move(path); }

std::string systemd_helper() {
    if (!helper_override().empty()) return helper_override();
    // PREFIX/bin/ctr-run finds PREFIX/libexec/ctr/ctr-run-systemd (make
    // install); the build tree's bin/ctr-run finds build/libexec/ctr/.
    std::string dir = exe_dir();
    std::string prefix = dir.empty() ? "/usr/local" : dir.substr(0, dir.rfind('/'));
    std::string installed = prefix + "/libexec/ctr/" + kHelper;
    std::string built = prefix + "/build/libexec/ctr/" + kHelper;
    for (const auto& p : {installed, built})
        if (::access(p.c_str(), X_OK) == 0) return p;
    struct stat st;
    bool build_tree = ::stat((prefix + "/build").c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    throw Error("--systemd-cgroup needs the helper program " + (build_tree ? built : installed) +
                ", which is missing: " + (build_tree ? "build it (make)" : "reinstall ctr (make install)"));
}

// One org.systemd.property.<Name> annotation value, in the D-Bus text form
// runc accepts: true/false, numbers (optionally typed: "uint64 5"), quoted
// strings. Names ending in "Sec" are given in seconds and sent as "USec".
json systemd_annotation_property(std::string name, std::string value) {
    const std::string key = "org.systemd.property." + name;
    if (name.size() < 3 || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
                               std::string::npos)
        throw Error("annotations." + key + ": not a systemd property name");
    auto trim = [](std::string s) {
        while (!s.empty() && s.front() == ' ') s.erase(0, 1);
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s;
    };
    value = trim(value);
    std::string type;
    if (auto sp = value.find(' '); sp != std::string::npos) {
        std::string t = value.substr(0, sp);
        static const std::map<std::string, std::string> types = {
            {"byte", "y"}, {"int16", "n"}, {"uint16", "q"}, {"int32", "i"},
            {"uint32", "u"}, {"int64", "x"}, {"uint64", "t"}, {"double", "d"}};
        if (auto it = types.find(t); it != types.end()) {
            type = it->second;
            value = trim(value.substr(sp + 1));
        }
    }
    bool sec = name.size() > 3 && name.compare(name.size() - 3, 3, "Sec") == 0 &&
               std::islower(static_cast<unsigned char>(name[name.size() - 4]));
    auto prop = [&](const char* t, json v) { return json{{"name", name}, {"type", t}, {"value", std::move(v)}}; };
    auto bad = [&] { throw Error("annotations." + key + ": can't read the value \"" + value + "\""); };
    if (type.empty() && (value == "true" || value == "false")) {
        return prop("b", value == "true");
    } else if (type.empty() && value.size() >= 2 && (value[0] == '\'' || value[0] == '"') && value.back() == value[0]) {
        return prop("s", value.substr(1, value.size() - 2));
    }
    if (type.empty()) type = value.find('.') != std::string::npos ? "d" : "i";
    double d = 0;
    long long n = 0;
    try {
        size_t used = 0;
        if (type == "d") d = std::stod(value, &used);
        else n = std::stoll(value, &used);
        if (used != value.size()) bad();
    } catch (const std::logic_error&) {
        bad();
    }
    if (sec) {
        name = name.substr(0, name.size() - 3) + "USec";
        return prop("t", type == "d" ? uint64_t(d * 1e6) : uint64_t(n) * 1000000ull);
    }
    switch (type[0]) {
        case 'y': return prop("y", uint8_t(n));
        case 'n': return prop("n", int16_t(n));
        case 'q': return prop("q", uint16_t(n));
        case 'i': return prop("i", int32_t(n));
        case 'u': return prop("u", uint32_t(n));
        case 'x': return prop("x", int64_t(n));
        case 't': return prop("t", uint64_t(n));
        default: return prop("d", d);
    }
}


namespace {

// The helper failed; status is its exit status (3: systemd unreachable).
class SystemdCallError : public Error {
public:
    SystemdCallError(int status, const std::string& message) : Error(message), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

// Runs `ctr-run-systemd VERB` with request on its stdin; returns the JSON it
// printed. Its one-line error comes back with "--systemd-cgroup: " before it;
// when systemd can't be reached (status 3), with what to do about it.
json call_helper(const std::string& helper, const std::string& verb, const json& request, const std::string& what) {
    // The request through a memfd: written whole before the helper starts,
    // so no size can make the two of us wait on each other.
    UniqueFd in(::memfd_create("ctr-run-systemd-request", MFD_CLOEXEC));
    if (!in) throw_errno("--systemd-cgroup: " + what + ": memfd_create");
    std::string text = request.dump();
    for (size_t done = 0; done < text.size();) {
        ssize_t n = ::write(in.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("--systemd-cgroup: " + what + ": write the request");
        done += static_cast<size_t>(n);
    }
    ::lseek(in.get(), 0, SEEK_SET);
    PipedChild child = spawn_piped({helper, verb}, in.get());
    std::string message;  // the helper writes to stderr only when it fails
    std::string printed = drain(child, [&](const char* p, size_t n) {
        if (message.size() < 65536) message.append(p, n);
    });
    int status = wait_exit(child.pid);
    log::debug("systemd: " + helper + " " + verb + " " + text + " -> " + std::to_string(status) + " " +
               (status == 0 ? printed : message));
    if (status == 0) {
        try {
            return json::parse(printed);
        } catch (const json::exception&) {
            throw Error("--systemd-cgroup: " + what + ": " + helper + " printed no JSON result");
        }
    }
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (auto nl = message.rfind('\n'); nl != std::string::npos) message = message.substr(nl + 1);
    const std::string prefix = std::string(kHelper) + ": ";
    if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
    if (message.empty())
        message = what + ": " + helper + " failed (" +
                  (status > 128 ? "killed by signal " + std::to_string(status - 128)
                                : "exit status " + std::to_string(status)) + ")";
    if (status == 3) message += "; is systemd running? Without it, run without --systemd-cgroup";
    throw SystemdCallError(status, "--systemd-cgroup: " + message);
}

class CgroupSystemd final : public Cgroup {
public:
    // properties: what StartTransientUnit gets besides the unit's own
    // (the annotations'); started: whether the unit may exist already (a
    // cgroup reopened from the state) or is yet to be started by create().
    CgroupSystemd(SystemdCgroupPath path, std::unique_ptr<Cgroup> inner, json extra_properties, bool started)
        : path_(std::move(path)), inner_(std::move(inner)), extra_(std::move(extra_properties)),
          maybe_started_(started) {}

    json describe() const override {
        return {{"driver", "systemd"}, {"unit", path_.unit}, {"slice", path_.slice}, {"path", path_.path},
                {"inner", inner_->describe()}};
    }
    std::map<std::string, std::string> paths() const override { return inner_->paths(); }

    void create(pid_t pid) override {
        start_unit(pid);
        try {
            inner_->create(pid);
        } catch (...) {
            try { stop_unit(); } catch (...) {}
            throw;
        }
    }
    void enter(pid_t pid) override { inner_->enter(pid); }
    void update(const json& resources) override { inner_->update(resources); }
    void freeze() override { inner_->freeze(); }
    void thaw() override { inner_->thaw(); }
    bool frozen() const override { return inner_->frozen(); }
    void kill(int signal) override { inner_->kill(signal); }
    std::vector<pid_t> pids() const override { return inner_->pids(); }
    json stats() const override { return inner_->stats(); }
    void destroy() override {
        // A create that could not reach systemd made no unit: nothing to stop,
        // and no second error about it.
        // The unit's cgroup directories go even when systemd can't be asked.
        try {
            if (maybe_started_) stop_unit();
        } catch (...) {
            inner_->destroy();
            throw;
        }
        inner_->destroy();
    }

private:
    SystemdCgroupPath path_;
    std::unique_ptr<Cgroup> inner_;
    json extra_;
    bool maybe_started_;

    bool is_slice() const { return path_.unit.size() > 6 && path_.unit.compare(path_.unit.size() - 6, 6, ".slice") == 0; }

    void start_unit(pid_t pid) {
        auto prop = [](const char* name, const char* type, json value) {
            return json{{"name", name}, {"type", type}, {"value", std::move(value)}};
        };
        json props = json::array();
        props.push_back(prop("Description", "s", "ctr container " + path_.unit));
        props.push_back(prop(is_slice() ? "Wants" : "Slice", "s", path_.slice));
        if (!is_slice()) props.push_back(prop("PIDs", "au", json::array({uint32_t(pid)})));
        props.push_back(prop("Delegate", "b", true));
        props.push_back(prop("DefaultDependencies", "b", false));
        for (const char* acct : {"MemoryAccounting", "CPUAccounting", "TasksAccounting"})
            props.push_back(prop(acct, "b", true));
        for (const auto& p : extra_) props.push_back(p);
        const std::string helper = systemd_helper();
        maybe_started_ = true;
        try {
            call_helper(helper, "start", {{"unit", path_.unit}, {"properties", props}},
                        "start the systemd unit " + path_.unit);
        } catch (const SystemdCallError& e) {
            if (e.status() == 3) maybe_started_ = false;
            throw;
        }
    }

    void stop_unit() {
        call_helper(systemd_helper(), "stop", {{"unit", path_.unit}}, "stop the systemd unit " + path_.unit);
    }
};

}  // namespace

std::unique_ptr<Cgroup> make_systemd_cgroup(SystemdCgroupPath path, std::unique_ptr<Cgroup> inner,
                                            const json& annotations) {
    // The annotations and the helper are checked before anything is made.
    json extra = json::array();
    if (annotations.is_object()) {
        for (const auto& [k, v] : annotations.items()) {
            if (k.rfind(kAnnotationPrefix, 0) != 0) continue;
            if (!v.is_string()) throw Error("annotations." + k + ": expected a string");
            extra.push_back(systemd_annotation_property(k.substr(kAnnotationPrefix.size()), v.get<std::string>()));
        }
    }
    systemd_helper();
    return std::make_unique<CgroupSystemd>(std::move(path), std::move(inner), std::move(extra), false);
}

std::unique_ptr<Cgroup> systemd_cgroup_from_state(const json& saved, std::unique_ptr<Cgroup> inner) {
    SystemdCgroupPath p;
    p.unit = saved.value("unit", "");
    p.slice = saved.value("slice", "");
    p.path = saved.value("path", "");
    if (p.unit.empty()) throw Error("cgroup state: systemd unit name missing");
    return std::make_unique<CgroupSystemd>(std::move(p), std::move(inner), json::array(), true);
}

}  // namespace ctr::runtime

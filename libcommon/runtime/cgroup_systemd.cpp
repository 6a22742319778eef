// --systemd-cgroup: the container's cgroup is a transient systemd unit
// (normally a scope) started over D-Bus with the container's init in it and
// Delegate=yes; the settings are then written through the cgroupfs driver
// at the unit's path, as runc's systemd drivers do. Delete stops the unit.
//
// systemd is reached at /run/systemd/private (root, no bus daemon needed),
// else on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "libcommon/runtime/cgroup_drivers.h"
#include "libcommon/sys/error.h"

namespace ctr::runtime {

using nlohmann::json;

namespace {

// libsystemd is loaded only when a systemd cgroup is used: linked in, it and
// the libraries behind it (libgcrypt, liblzma, libzstd, liblz4, libgpg-error)
// were mapped and relocated by every start of ctr-run, a few milliseconds
// each time. These pointers, named as the functions they point to, hide the
// library's declarations inside this file, so the calls below read as plain
// sd-bus calls; load_libsystemd() fills them before the first one.
#define CTR_SD_BUS_FUNCTIONS(X)                                                                                 \
    X(sd_bus_call) X(sd_bus_call_method) X(sd_bus_error_free) X(sd_bus_flush_close_unref) X(sd_bus_match_signal) \
    X(sd_bus_message_append) X(sd_bus_message_close_container) X(sd_bus_message_new_method_call)                \
    X(sd_bus_message_open_container) X(sd_bus_message_read) X(sd_bus_message_unref) X(sd_bus_new)               \
    X(sd_bus_open_system) X(sd_bus_process) X(sd_bus_set_address) X(sd_bus_slot_unref) X(sd_bus_start)          \
    X(sd_bus_unref) X(sd_bus_wait)
#define CTR_SD_BUS_POINTER(f) decltype(&::f) f = nullptr;
CTR_SD_BUS_FUNCTIONS(CTR_SD_BUS_POINTER)
#undef CTR_SD_BUS_POINTER

void load_libsystemd() {
    static bool loaded = false;
    if (loaded) return;
    void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw Error(std::string("--systemd-cgroup needs libsystemd: ") + ::dlerror());
#define CTR_SD_BUS_LOAD(f)                                                                        \
    f = reinterpret_cast<decltype(f)>(::dlsym(lib, #f));                                          \
    if (!f) throw Error(std::string("--systemd-cgroup: libsystemd.so.0 lacks ") + #f);
    CTR_SD_BUS_FUNCTIONS(CTR_SD_BUS_LOAD)
#undef CTR_SD_BUS_LOAD
    loaded = true;
}

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

// An sd_bus connection that closes itself.
struct Bus {
    sd_bus* bus = nullptr;
    ~Bus() { if (bus) sd_bus_flush_close_unref(bus); }
};
struct Message {
    sd_bus_message* m = nullptr;
    ~Message() { if (m) sd_bus_message_unref(m); }
};
struct BusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ~BusError() { if (e.name || e.message) sd_bus_error_free(&e); }
    std::string text(int r) const {
        if (e.message) return e.message;
        if (e.name) return e.name;
        return std::strerror(-r);
    }
};

void check(int r, const std::string& what) {
    if (r < 0) throw Error(what + ": " + std::strerror(-r));
}

void connect(Bus& b) {
    load_libsystemd();
    const char* env = ::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    int r;
    if ((!env || !*env) && ::geteuid() == 0 && ::access("/run/systemd/private", F_OK) == 0) {
        check(sd_bus_new(&b.bus), "create a D-Bus connection");
        check(sd_bus_set_address(b.bus, "unix:path=/run/systemd/private"), "set the D-Bus address");
        r = sd_bus_start(b.bus);
        if (r >= 0) return;
        sd_bus_unref(b.bus);
        b.bus = nullptr;
    }
    r = sd_bus_open_system(&b.bus);
    if (r < 0)
        throw Error(std::string("--systemd-cgroup: can't reach systemd over D-Bus (connect to the system bus: ") +
                    std::strerror(-r) + "); is systemd running? Without it, run without --systemd-cgroup");
}

// Waits for the JobRemoved signal of job and returns its result ("done", "failed", ...).
struct JobWait {
    std::string job;
    std::string result;
    bool done = false;
};

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* w = static_cast<JobWait*>(userdata);
    uint32_t id;
    const char *path, *unit, *result;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
    if (w->job == path) {
        w->result = result;
        w->done = true;
    }
    return 0;
}

void wait_job(Bus& b, JobWait& w, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!w.done) {
        int r = sd_bus_process(b.bus, nullptr);
        check(r, what + ": read from D-Bus");
        if (r > 0) continue;
        if (std::chrono::steady_clock::now() > deadline) throw Error(what + ": systemd did not finish the job in 30s");
        r = sd_bus_wait(b.bus, 1000000);
        if (r < 0 && r != -EINTR) check(r, what + ": wait on D-Bus");
    }
}

bool is_error(const BusError& e, const char* name) { return e.e.name && std::strcmp(e.e.name, name) == 0; }

// One org.systemd.property.<Name> annotation value, in the D-Bus text form
// runc accepts: true/false, numbers (optionally typed: "uint64 5"), quoted
// strings. Names ending in "Sec" are given in seconds and sent as "USec".
void append_annotation_property(sd_bus_message* m, std::string name, std::string value) {
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
    int r;
    auto bad = [&] { throw Error("annotations." + key + ": can't read the value \"" + value + "\""); };
    if (type.empty() && (value == "true" || value == "false")) {
        r = sd_bus_message_append(m, "(sv)", name.c_str(), "b", value == "true");
    } else if (type.empty() && value.size() >= 2 && (value[0] == '\'' || value[0] == '"') && value.back() == value[0]) {
        r = sd_bus_message_append(m, "(sv)", name.c_str(), "s", value.substr(1, value.size() - 2).c_str());
    } else {
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
            uint64_t usec = type == "d" ? uint64_t(d * 1e6) : uint64_t(n) * 1000000ull;
            r = sd_bus_message_append(m, "(sv)", name.c_str(), "t", usec);
        } else {
            switch (type[0]) {
                case 'y': r = sd_bus_message_append(m, "(sv)", name.c_str(), "y", uint8_t(n)); break;
                case 'n': r = sd_bus_message_append(m, "(sv)", name.c_str(), "n", int16_t(n)); break;
                case 'q': r = sd_bus_message_append(m, "(sv)", name.c_str(), "q", uint16_t(n)); break;
                case 'i': r = sd_bus_message_append(m, "(sv)", name.c_str(), "i", int32_t(n)); break;
                case 'u': r = sd_bus_message_append(m, "(sv)", name.c_str(), "u", uint32_t(n)); break;
                case 'x': r = sd_bus_message_append(m, "(sv)", name.c_str(), "x", int64_t(n)); break;
                case 't': r = sd_bus_message_append(m, "(sv)", name.c_str(), "t", uint64_t(n)); break;
                default: r = sd_bus_message_append(m, "(sv)", name.c_str(), "d", d); break;
            }
        }
    }
    check(r, "build the systemd property " + name);
}

class CgroupSystemd final : public Cgroup {
public:
    CgroupSystemd(SystemdCgroupPath path, std::unique_ptr<Cgroup> inner, json annotations)
        : path_(std::move(path)), inner_(std::move(inner)), annotations_(std::move(annotations)) {}

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
        stop_unit();
        inner_->destroy();
    }

private:
    SystemdCgroupPath path_;
    std::unique_ptr<Cgroup> inner_;
    json annotations_;

    bool is_slice() const { return path_.unit.size() > 6 && path_.unit.compare(path_.unit.size() - 6, 6, ".slice") == 0; }

    void start_unit(pid_t pid) {
        const std::string what = "start the systemd unit " + path_.unit;
        Bus b;
        connect(b);
        JobWait w;
        sd_bus_slot* slot = nullptr;
        check(sd_bus_match_signal(b.bus, &slot, kService, kPath, kManager, "JobRemoved", on_job_removed, &w), what);
        Message m;
        check(sd_bus_message_new_method_call(b.bus, &m.m, kService, kPath, kManager, "StartTransientUnit"), what);
        check(sd_bus_message_append(m.m, "ss", path_.unit.c_str(), "replace"), what);
        check(sd_bus_message_open_container(m.m, 'a', "(sv)"), what);
        std::string description = "ctr container " + path_.unit;
        check(sd_bus_message_append(m.m, "(sv)", "Description", "s", description.c_str()), what);
        check(sd_bus_message_append(m.m, "(sv)", is_slice() ? "Wants" : "Slice", "s", path_.slice.c_str()), what);
        if (!is_slice()) check(sd_bus_message_append(m.m, "(sv)", "PIDs", "au", 1, uint32_t(pid)), what);
        check(sd_bus_message_append(m.m, "(sv)", "Delegate", "b", 1), what);
        check(sd_bus_message_append(m.m, "(sv)", "DefaultDependencies", "b", 0), what);
        for (const char* acct : {"MemoryAccounting", "CPUAccounting", "TasksAccounting"})
            check(sd_bus_message_append(m.m, "(sv)", acct, "b", 1), what);
        if (annotations_.is_object())
            for (const auto& [k, v] : annotations_.items()) {
                const std::string prefix = "org.systemd.property.";
                if (k.rfind(prefix, 0) != 0 || !v.is_string()) continue;
                append_annotation_property(m.m, k.substr(prefix.size()), v.get<std::string>());
            }
        check(sd_bus_message_close_container(m.m), what);
        check(sd_bus_message_append(m.m, "a(sa(sv))", 0), what);

        BusError err;
        Message reply;
        int r = sd_bus_call(b.bus, m.m, 30 * 1000000ull, &err.e, &reply.m);
        if (r < 0) {
            sd_bus_slot_unref(slot);
            if (is_error(err, "org.freedesktop.systemd1.UnitExists")) return;  // joined through cgroupfs below
            if (is_error(err, "org.freedesktop.DBus.Error.ServiceUnknown") ||
                is_error(err, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                throw Error("--systemd-cgroup: systemd is not on the system bus (" + err.text(r) +
                            "); without systemd, run without --systemd-cgroup");
            throw Error(what + ": " + err.text(r));
        }
        const char* job = nullptr;
        check(sd_bus_message_read(reply.m, "o", &job), what);
        w.job = job;
        try {
            wait_job(b, w, what);
        } catch (...) {
            sd_bus_slot_unref(slot);
            throw;
        }
        sd_bus_slot_unref(slot);
        if (w.result != "done") throw Error(what + ": systemd says \"" + w.result + "\"");
    }

    void stop_unit() {
        const std::string what = "stop the systemd unit " + path_.unit;
        Bus b;
        connect(b);
        JobWait w;
        sd_bus_slot* slot = nullptr;
        check(sd_bus_match_signal(b.bus, &slot, kService, kPath, kManager, "JobRemoved", on_job_removed, &w), what);
        BusError err;
        Message reply;
        int r = sd_bus_call_method(b.bus, kService, kPath, kManager, "StopUnit", &err.e, &reply.m, "ss",
                                   path_.unit.c_str(), "replace");
        if (r < 0) {
            sd_bus_slot_unref(slot);
            if (is_error(err, "org.freedesktop.systemd1.NoSuchUnit")) return;  // already gone: fine
            throw Error(what + ": " + err.text(r));
        }
        const char* job = nullptr;
        check(sd_bus_message_read(reply.m, "o", &job), what);
        w.job = job;
        try {
            wait_job(b, w, what);
        } catch (...) {
            sd_bus_slot_unref(slot);
            throw;
        }
        sd_bus_slot_unref(slot);
    }
};

}  // namespace

std::unique_ptr<Cgroup> make_systemd_cgroup(SystemdCgroupPath path, std::unique_ptr<Cgroup> inner,
                                            const json& annotations) {
    if (annotations.is_object()) {
        for (const auto& [k, v] : annotations.items()) {
            const std::string prefix = "org.systemd.property.";
            if (k.rfind(prefix, 0) == 0 && !v.is_string()) throw Error("annotations." + k + ": expected a string");
        }
    }
    return std::make_unique<CgroupSystemd>(std::move(path), std::move(inner), annotations);
}

std::unique_ptr<Cgroup> systemd_cgroup_from_state(const json& saved, std::unique_ptr<Cgroup> inner) {
    SystemdCgroupPath p;
    p.unit = saved.value("unit", "");
    p.slice = saved.value("slice", "");
    p.path = saved.value("path", "");
    if (p.unit.empty()) throw Error("cgroup state: systemd unit name missing");
    return std::make_unique<CgroupSystemd>(std::move(p), std::move(inner), json());
}

}  // namespace ctr::runtime

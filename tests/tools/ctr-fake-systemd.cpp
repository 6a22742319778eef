// ctr-fake-systemd: a stand-in for systemd's D-Bus manager, for the
// --systemd-cgroup tests on machines without systemd. Test-only.
//
//   ctr-fake-systemd --root DIR --log FILE --ready FILE
//
// Owns org.freedesktop.systemd1 on the bus at DBUS_SYSTEM_BUS_ADDRESS and
// answers StartTransientUnit (makes DIR/<slice path>/<unit>, a real cgroup2
// directory in the tests, and moves the PIDs property's processes into it)
// and StopUnit (kills what is left and removes the directory), each followed
// by a JobRemoved signal as systemd sends. Every call and every property it
// received goes to FILE as a JSON line, for the tests to check. FILE --ready
// is created once the name is owned.
#include <signal.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "libcommon/cli/main.h"
#include "libcommon/runtime/cgroup_fs.h"
#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/sys/error.h"

using nlohmann::json;
using namespace ctr;

namespace {

struct Manager {
    std::string root;
    std::string log_path;
    std::map<std::string, std::string> units;  // unit -> cgroup directory
    uint32_t next_job = 1;
    sd_bus* bus = nullptr;

    void log(const json& entry) const {
        std::ofstream(log_path, std::ios::app) << entry.dump() << "\n";
    }

    std::string finish_job(const std::string& unit, const char* result) {
        uint32_t id = next_job++;
        std::string path = "/org/freedesktop/systemd1/job/" + std::to_string(id);
        jobs.emplace_back(id, path, unit, result);
        return path;
    }
    // Signals go out after the method's reply.
    std::vector<std::tuple<uint32_t, std::string, std::string, std::string>> jobs;
    void flush_jobs() {
        for (const auto& [id, path, unit, result] : jobs)
            sd_bus_emit_signal(bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
                               "uoss", id, path.c_str(), unit.c_str(), result.c_str());
        jobs.clear();
    }
};

// Reads one variant's value as JSON (b, s, i, u, x, t, y, n, q, d, au).
int read_variant(sd_bus_message* m, json& out) {
    char type;
    const char* contents;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r < 0) return r;
    std::string sig = contents;
    r = sd_bus_message_enter_container(m, 'v', contents);
    if (r < 0) return r;
    if (sig == "b") {
        int v;
        r = sd_bus_message_read(m, "b", &v);
        out = bool(v);
    } else if (sig == "s") {
        const char* v;
        r = sd_bus_message_read(m, "s", &v);
        out = v;
    } else if (sig == "t") {
        uint64_t v;
        r = sd_bus_message_read(m, "t", &v);
        out = v;
    } else if (sig == "x") {
        int64_t v;
        r = sd_bus_message_read(m, "x", &v);
        out = v;
    } else if (sig == "u") {
        uint32_t v;
        r = sd_bus_message_read(m, "u", &v);
        out = v;
    } else if (sig == "i") {
        int32_t v;
        r = sd_bus_message_read(m, "i", &v);
        out = v;
    } else if (sig == "d") {
        double v;
        r = sd_bus_message_read(m, "d", &v);
        out = v;
    } else if (sig == "au") {
        out = json::array();
        r = sd_bus_message_enter_container(m, 'a', "u");
        uint32_t v;
        while (r >= 0 && (r = sd_bus_message_read(m, "u", &v)) > 0) out.push_back(v);
        if (r >= 0) r = sd_bus_message_exit_container(m);
    } else {
        out = "<" + sig + ">";
        r = sd_bus_message_skip(m, contents);
    }
    if (r < 0) return r;
    out = json{{"type", sig}, {"value", out}};
    return sd_bus_message_exit_container(m);
}

int start_unit(sd_bus_message* m, void* userdata, sd_bus_error* err) {
    auto* mgr = static_cast<Manager*>(userdata);
    const char *name, *mode;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0) return r;
    json props = json::object();
    r = sd_bus_message_enter_container(m, 'a', "(sv)");
    if (r < 0) return r;
    while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
        const char* key;
        if ((r = sd_bus_message_read(m, "s", &key)) < 0) return r;
        json value;
        if ((r = read_variant(m, value)) < 0) return r;
        props[key] = value;
        if ((r = sd_bus_message_exit_container(m)) < 0) return r;
    }
    if (r < 0) return r;
    mgr->log({{"call", "StartTransientUnit"}, {"unit", name}, {"mode", mode}, {"properties", props}});
    if (mgr->units.count(name))
        return sd_bus_error_setf(err, "org.freedesktop.systemd1.UnitExists", "Unit %s already exists.", name);

    std::string slice = props.contains("Slice") ? props["Slice"]["value"].get<std::string>() : "system.slice";
    std::string dir;
    try {
        dir = mgr->root + runtime::expand_systemd_slice(slice) + "/" + name;
        if (runtime::expand_systemd_slice(slice) == "/") dir = mgr->root + "/" + name;
        runtime::cgfs::make_dirs(dir);
        if (props.contains("PIDs"))
            for (const auto& pid : props["PIDs"]["value"])
                runtime::cgfs::Dir{dir}.write("cgroup.procs", std::to_string(pid.get<uint32_t>()));
    } catch (const std::exception& e) {
        return sd_bus_error_setf(err, "org.freedesktop.DBus.Error.Failed", "%s", e.what());
    }
    mgr->units[name] = dir;
    std::string job = mgr->finish_job(name, "done");
    r = sd_bus_reply_method_return(m, "o", job.c_str());
    mgr->flush_jobs();
    return r;
}

int stop_unit(sd_bus_message* m, void* userdata, sd_bus_error* err) {
    auto* mgr = static_cast<Manager*>(userdata);
    const char *name, *mode;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0) return r;
    mgr->log({{"call", "StopUnit"}, {"unit", name}, {"mode", mode}});
    auto it = mgr->units.find(name);
    if (it == mgr->units.end())
        return sd_bus_error_setf(err, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
    runtime::cgfs::Dir d{it->second};
    if (d.exists()) {
        if (d.has("cgroup.kill")) d.try_write("cgroup.kill", "1");
        try {
            runtime::cgfs::remove_tree(d.path, false);
        } catch (const std::exception& e) {
            return sd_bus_error_setf(err, "org.freedesktop.DBus.Error.Failed", "%s", e.what());
        }
    }
    mgr->units.erase(it);
    std::string job = mgr->finish_job(name, "done");
    r = sd_bus_reply_method_return(m, "o", job.c_str());
    mgr->flush_jobs();
    return r;
}

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", start_unit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StopUnit", "ss", "o", stop_unit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
    SD_BUS_VTABLE_END,
};

volatile sig_atomic_t stop = 0;

int fake_main(int argc, char** argv) {
    Manager mgr;
    std::string ready;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help") {
            std::puts("Usage: ctr-fake-systemd --root DIR --log FILE --ready FILE");
            return 0;
        }
        if (i + 1 >= argc) throw Error(a + ": missing value");
        if (a == "--root") mgr.root = argv[++i];
        else if (a == "--log") mgr.log_path = argv[++i];
        else if (a == "--ready") ready = argv[++i];
        else throw Error("unknown option " + a);
    }
    if (mgr.root.empty() || mgr.log_path.empty()) throw Error("usage: ctr-fake-systemd --root DIR --log FILE");
    signal(SIGTERM, [](int) { stop = 1; });

    int r = sd_bus_open_system(&mgr.bus);
    if (r < 0) throw Error(std::string("connect to the bus: ") + std::strerror(-r));
    sd_bus_slot* slot = nullptr;
    r = sd_bus_add_object_vtable(mgr.bus, &slot, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                 kVtable, &mgr);
    if (r < 0) throw Error(std::string("export the manager: ") + std::strerror(-r));
    r = sd_bus_request_name(mgr.bus, "org.freedesktop.systemd1", 0);
    if (r < 0) throw Error(std::string("own org.freedesktop.systemd1: ") + std::strerror(-r));
    if (!ready.empty()) std::ofstream(ready) << getpid() << "\n";
    while (!stop) {
        r = sd_bus_process(mgr.bus, nullptr);
        if (r < 0) throw Error(std::string("process: ") + std::strerror(-r));
        if (r > 0) continue;
        r = sd_bus_wait(mgr.bus, 200000);
        if (r < 0 && r != -EINTR) throw Error(std::string("wait: ") + std::strerror(-r));
    }
    sd_bus_slot_unref(slot);
    sd_bus_flush_close_unref(mgr.bus);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return ctr::run_main("ctr-fake-systemd", [&] { return fake_main(argc, argv); });
}

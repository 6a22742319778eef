#include "libcommon/runtime/systemd_bus.h"

#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace ctr::runtime {

using nlohmann::json;

namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

// sd-bus objects that release themselves.
struct Bus {
    sd_bus* bus = nullptr;
    ~Bus() { if (bus) sd_bus_flush_close_unref(bus); }
};
struct Message {
    sd_bus_message* m = nullptr;
    ~Message() { if (m) sd_bus_message_unref(m); }
};
struct Slot {
    sd_bus_slot* s = nullptr;
    ~Slot() { if (s) sd_bus_slot_unref(s); }
};
struct BusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ~BusError() { sd_bus_error_free(&e); }
    bool is(const char* name) const { return e.name && std::strcmp(e.name, name) == 0; }
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
    const char* env = ::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    if ((!env || !*env) && ::geteuid() == 0 && ::access("/run/systemd/private", F_OK) == 0) {
        check(sd_bus_new(&b.bus), "create a D-Bus connection");
        check(sd_bus_set_address(b.bus, "unix:path=/run/systemd/private"), "set the D-Bus address");
        if (sd_bus_start(b.bus) >= 0) return;
        sd_bus_unref(b.bus);
        b.bus = nullptr;
    }
    int r = sd_bus_open_system(&b.bus);
    if (r < 0)
        throw SystemdUnreachable(std::string("can't reach systemd over D-Bus (connect to the system bus") +
                                 (env && *env ? std::string(" at ") + env : std::string()) + ": " +
                                 std::strerror(-r) + ")");
}

// Follows the JobRemoved signals until the one of `job`.
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

// Calls one Manager method whose reply is a job, and waits for that job.
// A D-Bus error named `benign` is not a failure: {"result": benign_result}.
json call_job(const std::string& what, Message& call, const char* benign, const char* benign_result, Bus& b) {
    JobWait w;
    Slot slot;
    check(sd_bus_match_signal(b.bus, &slot.s, kService, kPath, kManager, "JobRemoved", on_job_removed, &w), what);
    BusError err;
    Message reply;
    int r = sd_bus_call(b.bus, call.m, 30 * 1000000ull, &err.e, &reply.m);
    if (r < 0) {
        if (benign && err.is(benign)) return {{"result", benign_result}};
        if (err.is("org.freedesktop.DBus.Error.ServiceUnknown") || err.is("org.freedesktop.DBus.Error.NameHasNoOwner"))
            throw SystemdUnreachable("systemd is not on the system bus (" + err.text(r) + ")");
        throw Error(what + ": " + err.text(r));
    }
    const char* job = nullptr;
    check(sd_bus_message_read(reply.m, "o", &job), what + ": read systemd's reply");
    w.job = job;
    wait_job(b, w, what);
    if (w.result != "done") throw Error(what + ": systemd says \"" + w.result + "\"");
    return {{"job", w.job}, {"result", w.result}};
}

// Appends one (sv) of the properties array.
void append_property(sd_bus_message* m, const json& p, size_t index) {
    const std::string where = "properties[" + std::to_string(index) + "]";
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || !p.contains("type") ||
        !p["type"].is_string() || !p.contains("value"))
        throw SystemdBadProperty(where + ": expected {\"name\": ..., \"type\": ..., \"value\": ...}");
    const std::string name = p["name"].get<std::string>();
    const std::string type = p["type"].get<std::string>();
    const json& v = p["value"];
    const char* n = name.c_str();
    auto bad = [&]() -> int { throw SystemdBadProperty(where + " (" + name + "): a value of type \"" + type + "\" expected"); };
    int r;
    try {
        if (type == "b") r = v.is_boolean() ? sd_bus_message_append(m, "(sv)", n, "b", int(v.get<bool>())) : bad();
        else if (type == "s") r = v.is_string() ? sd_bus_message_append(m, "(sv)", n, "s", v.get<std::string>().c_str()) : bad();
        else if (type == "d") r = v.is_number() ? sd_bus_message_append(m, "(sv)", n, "d", v.get<double>()) : bad();
        else if (type == "au") {
            if (!v.is_array()) bad();
            r = sd_bus_message_open_container(m, 'r', "sv");
            if (r >= 0) r = sd_bus_message_append(m, "s", n);
            if (r >= 0) r = sd_bus_message_open_container(m, 'v', "au");
            if (r >= 0) r = sd_bus_message_open_container(m, 'a', "u");
            for (const auto& u : v) {
                if (!u.is_number_unsigned() || u.get<uint64_t>() > UINT32_MAX) bad();
                if (r >= 0) r = sd_bus_message_append(m, "u", uint32_t(u.get<uint64_t>()));
            }
            for (int i = 0; i < 3 && r >= 0; i++) r = sd_bus_message_close_container(m);
        } else if (type.size() == 1 && std::strchr("ynqiuxt", type[0])) {
            if (!v.is_number_integer()) bad();
            int64_t x = v.is_number_unsigned() ? int64_t(v.get<uint64_t>()) : v.get<int64_t>();
            switch (type[0]) {
                case 'y': r = sd_bus_message_append(m, "(sv)", n, "y", uint8_t(x)); break;
                case 'n': r = sd_bus_message_append(m, "(sv)", n, "n", int16_t(x)); break;
                case 'q': r = sd_bus_message_append(m, "(sv)", n, "q", uint16_t(x)); break;
                case 'i': r = sd_bus_message_append(m, "(sv)", n, "i", int32_t(x)); break;
                case 'u': r = sd_bus_message_append(m, "(sv)", n, "u", uint32_t(x)); break;
                case 'x': r = sd_bus_message_append(m, "(sv)", n, "x", x); break;
                default: r = sd_bus_message_append(m, "(sv)", n, "t", v.get<uint64_t>()); break;
            }
        } else {
            throw SystemdBadProperty(where + " (" + name + "): unsupported type \"" + type + "\"");
        }
    } catch (const json::exception&) {
        bad();
    }
    check(r, "build the systemd property " + name);
}

// Connects b and starts m, a call of the manager's METHOD(unit, "replace", ...).
void begin_unit_call(Bus& b, Message& m, const char* method, const std::string& unit, const std::string& what) {
    connect(b);
    check(sd_bus_message_new_method_call(b.bus, &m.m, kService, kPath, kManager, method), what);
    check(sd_bus_message_append(m.m, "ss", unit.c_str(), "replace"), what);
}

}  // namespace

json systemd_start_transient_unit(const std::string& unit, const json& properties) {
    if (!properties.is_array()) throw SystemdBadProperty("properties: expected an array");
    const std::string what = "start the systemd unit " + unit;
    Bus b;
    Message m;
    begin_unit_call(b, m, "StartTransientUnit", unit, what);
    check(sd_bus_message_open_container(m.m, 'a', "(sv)"), what);
    for (size_t i = 0; i < properties.size(); i++) append_property(m.m, properties[i], i);
    check(sd_bus_message_close_container(m.m), what);
    check(sd_bus_message_append(m.m, "a(sa(sv))", 0), what);
    // An existing unit (a container joining another's scope) is used as it is.
    return call_job(what, m, "org.freedesktop.systemd1.UnitExists", "exists", b);
}

json systemd_stop_unit(const std::string& unit) {
    const std::string what = "stop the systemd unit " + unit;
    Bus b;
    Message m;
    begin_unit_call(b, m, "StopUnit", unit, what);
    return call_job(what, m, "org.freedesktop.systemd1.NoSuchUnit", "no-such-unit", b);
}

}  // namespace ctr::runtime

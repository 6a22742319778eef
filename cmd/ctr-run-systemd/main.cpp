// ctr-run-systemd: the D-Bus half of ctr-run's systemd cgroup driver.
//
// ctr-run is a static binary; libsystemd (and the glibc it wants) cannot be
// loaded into it safely, so it runs this small dynamically linked program,
// installed in PREFIX/libexec/ctr/, for each call to systemd. Not meant to
// be run by hand; the interface (docs/cgroups-and-seccomp.md) is:
//
//   ctr-run-systemd start|stop < REQUEST
//
// REQUEST is one JSON object: {"unit": NAME, "properties": [...]} for start
// (see libcommon/runtime/systemd_bus.h), {"unit": NAME} for stop. On
// success the result is one JSON line on stdout and the exit status is 0.
// On failure one line "ctr-run-systemd: MESSAGE" goes to stderr, and the
// status is 1 (systemd or D-Bus said no), 2 (a bad request) or 3 (systemd
// cannot be reached: no bus, or no systemd on it).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "libcommon/cli/main.h"
#include "libcommon/runtime/systemd_bus.h"

namespace {

using nlohmann::json;
using namespace ctr::runtime;

const char* kUsage = R"(Usage: ctr-run-systemd start|stop < REQUEST

The D-Bus half of ctr-run's systemd cgroup driver (ctr-run --systemd-cgroup),
run by ctr-run; see ctr-run(8). REQUEST on stdin is one JSON object:

  start  {"unit": "ctr-ID.scope", "properties": [{"name": "Delegate",
         "type": "b", "value": true}, ...]}: StartTransientUnit, then wait
         for its job (a unit that exists already is left as it is)
  stop   {"unit": "ctr-ID.scope"}: StopUnit, then wait for its job (a unit
         that does not exist is fine)

Property types: b s y n q i u x t d (D-Bus basic types) and au (uint32 array).
Prints the result as one JSON line. Exit status: 0 done; 1 systemd refused or
the job failed; 2 a bad request; 3 systemd cannot be reached. systemd is
reached at /run/systemd/private (root), else on the system bus
(DBUS_SYSTEM_BUS_ADDRESS).
)";

json read_request() {
    std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    json req;
    try {
        req = json::parse(text);
    } catch (const json::exception& e) {
        throw ctr::ExitError(2, std::string("the request on stdin is not JSON: ") + e.what());
    }
    if (!req.is_object() || !req.contains("unit") || !req["unit"].is_string() ||
        req["unit"].get<std::string>().empty())
        throw ctr::ExitError(2, "the request on stdin has no \"unit\"");
    return req;
}

int helper_main(int argc, char** argv) {
    std::string verb = argc == 2 ? argv[1] : "";
    if (verb == "-h" || verb == "--help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (verb == "-v" || verb == "--version") {
        std::puts(ctr::version_line("ctr-run-systemd").c_str());
        return 0;
    }
    if (verb != "start" && verb != "stop")
        throw ctr::ExitError(2, "usage: ctr-run-systemd start|stop < REQUEST (see --help)");
    json req = read_request();
    const std::string unit = req["unit"].get<std::string>();
    json result;
    try {
        if (verb == "start") {
            json props = req.value("properties", json::array());
            result = systemd_start_transient_unit(unit, props);
        } else {
            result = systemd_stop_unit(unit);
        }
    } catch (const SystemdUnreachable& e) {
        throw ctr::ExitError(3, e.what());
    } catch (const SystemdBadProperty& e) {
        throw ctr::ExitError(2, e.what());
    }
    std::printf("%s\n", result.dump().c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return ctr::run_main("ctr-run-systemd", [&] { return helper_main(argc, argv); });
}

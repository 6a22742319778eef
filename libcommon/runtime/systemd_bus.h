// The D-Bus calls of the systemd cgroup driver, made by the helper program
// ctr-run-systemd (cmd/ctr-run-systemd), never by ctr-run itself: ctr-run is
// a static binary, and libsystemd loaded into it would bring a second glibc
// (docs/cgroups-and-seccomp.md, "The systemd helper"). This file is the only
// one that uses sd-bus; only the helper links it.
//
// systemd is reached at /run/systemd/private (root, no bus daemon needed),
// else on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "libcommon/sys/error.h"

namespace ctr::runtime {

// systemd could not be asked at all: no bus, or no systemd on it. The helper
// exits with its own status for this, so ctr-run can say what to do.
class SystemdUnreachable : public Error {
public:
    using Error::Error;
};

// The properties given are malformed (a caller's bug, not systemd's answer).
class SystemdBadProperty : public Error {
public:
    using Error::Error;
};

// Unit properties as the helper receives them: an array of
//   {"name": "Delegate", "type": "b", "value": true}
// with type one of b s y n q i u x t d (the D-Bus basic types) or au (an
// array of uint32, for PIDs), in the order they are sent.
//
// Each call waits (up to 30 s) for the job systemd queued and returns
//   {"job": "/org/freedesktop/systemd1/job/N", "result": "done"}
// or, when there was nothing to do, {"result": "exists"} (start of a unit
// that is already there) or {"result": "no-such-unit"} (stop of a unit that
// is gone). A job that ends otherwise than "done" is an Error; a malformed
// property is a SystemdBadProperty, found before anything is sent.
nlohmann::json systemd_start_transient_unit(const std::string& unit, const nlohmann::json& properties);
nlohmann::json systemd_stop_unit(const std::string& unit);

}  // namespace ctr::runtime

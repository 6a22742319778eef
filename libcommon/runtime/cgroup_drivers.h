// The cgroup drivers behind Cgroup (internal to libcommon/runtime): one per
// hierarchy kind, plus systemd, which wraps either.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "libcommon/runtime/cgroup.h"
#include "libcommon/runtime/cgroup_host.h"
#include "libcommon/runtime/cgroup_resources.h"

namespace ctr::runtime {

// dirs: controller -> directory; unified: the hybrid host's directory in the
// v2 hierarchy ("" for none).
std::unique_ptr<Cgroup> make_v1_cgroup(std::map<std::string, std::string> dirs, std::string unified, bool fake,
                                       Resources resources);
// dir: the cgroup; mount: the top of the hierarchy, where enabling
// controllers for descendants starts.
std::unique_ptr<Cgroup> make_v2_cgroup(std::string dir, std::string mount, bool fake, Resources resources);
// A transient systemd unit (over D-Bus) holding the cgroup that inner drives.
std::unique_ptr<Cgroup> make_systemd_cgroup(SystemdCgroupPath path, std::unique_ptr<Cgroup> inner,
                                            const nlohmann::json& annotations);
std::unique_ptr<Cgroup> systemd_cgroup_from_state(const nlohmann::json& saved, std::unique_ptr<Cgroup> inner);
// One org.systemd.property.NAME annotation's VALUE as a unit property for
// the helper ({"name", "type", "value"}); throws naming the annotation.
nlohmann::json systemd_annotation_property(std::string name, std::string value);
// The helper program that makes the D-Bus calls (ctr-run-systemd): beside
// the running program's directory in libexec/ctr/ (installed), else in
// build/libexec/ctr/ (the build tree); throws naming the path when missing.
std::string systemd_helper();
// Uses path as the helper instead (test drivers that live elsewhere).
void set_systemd_helper(std::string path);

// Linux resources as used on update: the given members, plus the default
// device rules after the given ones when devices are given.
Resources resources_with_default_devices(Resources r);

// The signal-all fallback shared by the drivers: freeze, signal each pid, thaw.
void signal_all_frozen(Cgroup& cg, int signal);

// Polls read() until it returns want or about timeout_ms pass; returns
// whether it got there.
bool wait_for(const std::function<bool()>& done, int timeout_ms);

}  // namespace ctr::runtime

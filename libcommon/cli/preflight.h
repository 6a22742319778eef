// What a program checks about the machine before it starts, so that what a
// fresh or unprivileged machine lacks is said in one line that names the
// missing thing and what to do about it, not as an errno from deep inside
// ("mkdir /var/lib/ctr/oci: Permission denied").
//
//   ctr-create, ctr-start, ctr-build   require_containers(), and for limits
//                                      require_cgroup_controllers()
//   image programs, ctr-ps, ctr-logs   require_store()
//   ctr-run                            require_runtime_root(), require_userns_unless_root()
//
// Each throws ctr::Error; the program prints it once (cli/main.h). The checks
// read the machine as it is (/proc, /sys/fs/cgroup, the file system), so a
// test can take something away with a mount namespace and see them fail
// (tests/integration/first-run.bats). README.md, "First run and without
// root", says what works without root.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/bundle/spec.h"
#include "libcommon/store/store.h"

namespace ctr::runtime {
struct CgroupHost;
}

namespace ctr::preflight {

// The effective user is root (containers need overlay mounts, namespaces and cgroups).
void require_root();

// This user can use the image store at `root`, or make it if it does not
// exist yet (a fresh machine): it is a directory (or would be made in one),
// on a writable file system, and, for a user other than root, readable and
// writable by them down to its subdirectories.
void require_store(const std::string& root = store::default_root());

// overlayfs is in /proc/filesystems, after `modprobe overlay` if it was not.
void require_overlayfs();
// True if the text of /proc/filesystems lists overlay.
bool lists_overlay(std::string_view proc_filesystems);

// What ctr-create, ctr-start and ctr-build need: root, the store, overlayfs.
void require_containers(const std::string& root = store::default_root());

// A cgroup controller a container needs, and the option that asked for it.
struct CgroupNeed {
    std::string controller;  // "memory", "cpu", "pids"
    std::string option;      // "--memory"
};
// The controllers ctr-create's limits need (--memory, --cpus, --cpu-shares, --pids-limit).
std::vector<CgroupNeed> cgroup_needs(const bundle::SpecOptions& o);
// The same from an OCI config's linux.resources, named by ctr-create's options.
std::vector<CgroupNeed> cgroup_needs(const nlohmann::json& resources);
// The same from the config.json at `path` (none if it can't be read).
std::vector<CgroupNeed> cgroup_needs_of_config(const std::string& path);
// Why `controller` can't be used on `host` ("" if it can): the runtime uses
// the v1 hierarchies unless /sys/fs/cgroup is cgroup v2, so that is where it
// must be, mounted and not hidden by another mount; on v2 it must be listed
// in cgroup.controllers.
std::string cgroup_controller_missing(const runtime::CgroupHost& host, const std::string& controller);
// Throws for the first need this machine can't meet. `existing` says the
// container exists already (ctr-start), which changes the advice.
void require_cgroup_controllers(const std::vector<CgroupNeed>& needs, bool existing = false);

// ctr-run: a user other than root can use the state directory `dir` (or make it).
void require_runtime_root(const std::string& dir);
// ctr-run: a user other than root can only run a bundle whose config.json
// asks for a user namespace (as `ctr-run spec --rootless` writes).
void require_userns_unless_root(const std::string& config_path);

}  // namespace ctr::preflight

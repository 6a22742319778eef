// Where a host keeps its cgroup hierarchies, and how linux.cgroupsPath maps
// onto them (runc's rules).
//
// CgroupHost::detect() reads /proc/self/mountinfo and /proc/self/cgroup. Tests
// build a CgroupHost by hand instead: over a plain directory tree standing in
// for cgroupfs (fake = true), or over a test-owned directory of a real cgroup2
// mount, so that nothing above it is ever written.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctr::runtime {

// One mounted cgroup hierarchy and where the calling process sits in it.
struct CgroupHierarchy {
    std::string mountpoint;  // "/sys/fs/cgroup/memory"
    std::string root = "/";  // the hierarchy path shown at mountpoint ("/" unless in a cgroup namespace)
    std::string own = "/";   // this process's cgroup in the hierarchy (/proc/self/cgroup)

    // The directory for a cleaned, non-empty cgroupsPath. Absolute paths hang
    // from the mount; relative ones from this process's own cgroup (v1) or its
    // parent (v2, whose own cgroup usually holds processes and so can't have
    // controllers enabled for children), as runc does.
    std::string dir_for(const std::string& cgroups_path, bool unified) const;
};

// A cgroup filesystem mounted under /sys/fs/cgroup, as mountinfo shows it.
struct CgroupMount {
    std::string mountpoint;     // "/sys/fs/cgroup/cpu,cpuacct"
    std::string fstype;         // "cgroup" or "cgroup2"
    std::string super_options;  // "rw,cpu,cpuacct"
};

struct CgroupHost {
    bool unified = false;                       // a pure cgroup v2 host
    std::optional<CgroupHierarchy> v2;          // the v2 hierarchy (v2 host, or hybrid's /sys/fs/cgroup/unified)
    std::map<std::string, CgroupHierarchy> v1;  // v1 hierarchies by controller ("cpu", "memory", "name=systemd")
    bool fake = false;                          // tests: plain files stand in for cgroupfs
    // Every cgroup mount under /sys/fs/cgroup in mountinfo's order (parse()
    // only): what the container's "cgroup" mount shows of them.
    std::vector<CgroupMount> mounts;

    static CgroupHost detect();
    // The host described by the text of /proc/self/mountinfo and /proc/self/cgroup.
    static CgroupHost parse(const std::string& mountinfo, const std::string& proc_self_cgroup);
    // Tests: v1 is root/<controller>/ for each directory under root; v2 is root itself.
    static CgroupHost fake_tree(const std::string& root, bool unified);
    // Tests: a real cgroup2 directory used as if it were the v2 mount.
    static CgroupHost v2_at(const std::string& dir);
};

// runc's cleaning of cgroupsPath: a relative path may not climb out with "..".
std::string clean_cgroup_path(const std::string& path);

// linux.cgroupsPath of a --systemd-cgroup container: "slice:prefix:name".
struct SystemdCgroupPath {
    std::string slice;  // "system.slice"
    std::string unit;   // "prefix-name.scope"
    std::string path;   // the cgroup the unit gets: "/system.slice/prefix-name.scope"
};
// An empty cgroups_path gives system.slice:ctr:<id>. Throws ctr::Error naming
// linux.cgroupsPath for anything else that isn't slice:prefix:name.
SystemdCgroupPath parse_systemd_cgroups_path(const std::string& cgroups_path, const std::string& id);
// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "/".
std::string expand_systemd_slice(const std::string& slice);

}  // namespace ctr::runtime

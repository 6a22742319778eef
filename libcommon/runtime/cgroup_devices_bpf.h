// Device access control on cgroup v2: an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup, which the
// kernel runs on every open/mknod of a device node. It encodes a
// DeviceRuleSet, so v1 and v2 containers allow exactly the same devices.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "libcommon/runtime/cgroup_resources.h"

namespace ctr::runtime {

// The program: for each exception, "if type, access, major and minor match,
// return !default"; then "return default".
std::vector<bpf_insn> device_filter_program(const DeviceRuleSet& rules);

// Runs the program on one access in user space (a small interpreter for the
// instructions device_filter_program emits), so tests can check what the
// kernel will decide without loading it. access is 'r', 'w' or 'm'.
bool run_device_filter(const std::vector<bpf_insn>& program, char type, uint32_t major, uint32_t minor, char access);

// Loads the program and attaches it to the cgroup directory, then detaches
// the device programs attached there before (so update replaces, never
// widens). Throws ctr::Error with the verifier's log when loading fails.
void attach_device_filter(const std::string& cgroup_dir, const DeviceRuleSet& rules);

}  // namespace ctr::runtime

// Seccomp filters from config.json's linux.seccomp, through libseccomp.
//
// The runtime compiles the profile in the parent, before forking, so a bad
// profile fails `create` with a clear error and nothing started; the
// container's init loads it as the last step before execve.
//   auto filter = SeccompFilter::compile(config["linux"]["seccomp"]);
//   ... in the child, after capabilities and no_new_privs:
//   int notify_fd = filter.load();   // >= 0 when the profile uses SCMP_ACT_NOTIFY
// With SCMP_ACT_NOTIFY the caller sends notify_fd and the container state to
// linux.seccomp.listenerPath (see the runtime spec).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

namespace ctr::runtime {

class SeccompFilter {
public:
    // Throws ctr::Error naming the field ("linux.seccomp.syscalls[3].action:
    // unknown action SCMP_ACT_FOO") for a profile libseccomp can't express.
    static SeccompFilter compile(const nlohmann::json& seccomp);

    SeccompFilter(SeccompFilter&&) noexcept;
    SeccompFilter& operator=(SeccompFilter&&) noexcept;
    ~SeccompFilter();

    // Loads the filter into the calling process. Returns the notification fd
    // when the profile has SCMP_ACT_NOTIFY rules, else -1.
    int load();
    // Whether the profile has SCMP_ACT_NOTIFY rules (then listenerPath is used).
    bool uses_notify() const;

private:
    struct Impl;
    explicit SeccompFilter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ctr::runtime

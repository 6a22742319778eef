// The default config.json `runc spec` writes, so `ctr-run spec` makes bundles
// that run the same under ctr-run, runc and crun.
#pragma once

#include <nlohmann/json.hpp>

namespace ctr::runtime {

// With rootless, the variant for an unprivileged user (a user namespace
// mapping the caller's uid and gid to root, no network namespace, /sys bound).
nlohmann::json default_spec(bool rootless, unsigned uid = 0, unsigned gid = 0);

}  // namespace ctr::runtime

// The loopback interface of a new network namespace starts down.
#pragma once

namespace ctr {

// Brings `lo` up in the calling thread's network namespace (as runc and crun
// do in a network namespace they create). Throws ctr::Error on failure.
void set_loopback_up();

}  // namespace ctr

// What a program tells a user who names an image the store does not have,
// and that could not be pulled: that it is missing, why the pull failed, and
// the two ways to get it (ctr-pull, ctr-import).
#pragma once

#include <functional>
#include <string>

#include "libcommon/store/store.h"

namespace ctr::cli {

// "get it with `ctr-pull REF`, or make it from a root filesystem tar with `ctr-import FILE REF`"
std::string how_to_get_image(const std::string& ref);

// Runs `body`, which makes something from image `ref` (pulling it first if
// missing, as asked). If it fails and the store still has no such image, the
// error (its exit code kept) says so and how to get one; else it is rethrown.
std::string explain_missing_image(const store::Store& store, const std::string& ref,
                                  const std::function<std::string()>& body);

}  // namespace ctr::cli

// Choosing one image from a multi-platform index.
#pragma once

#include <string>
#include <vector>

#include "libcommon/oci/descriptor.h"

namespace ctr::registry {

// The entry of an index's `manifests` that suits `want`, or null: os and
// architecture must be equal; a variant must be equal when both sides name
// one (arm64's "v8" is its default). An exact variant match beats an entry
// without a variant. Entries that are not image manifests are skipped.
const oci::Descriptor* select_platform(const std::vector<oci::Descriptor>& manifests, const oci::Platform& want);

// "linux/arm64, linux/arm/v7": the platforms an index offers, for messages.
std::string platforms_offered(const std::vector<oci::Descriptor>& manifests);

}  // namespace ctr::registry

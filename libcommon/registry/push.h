// Pushing an image of the store to a registry: what ctr-push does.
//
// Each blob the registry lacks (HEAD) is mounted from another repository of
// the same registry when the store knows one that has it (an image pulled
// from or pushed to there), else uploaded from the store's file, in one PUT
// or in PATCH chunks. Then the manifest goes up byte for byte, so the digest
// the registry reports is the one the store has: pull then push to another
// name keeps the digest.
#pragma once

#include <cstdint>
#include <string>

#include "libcommon/oci/digest.h"
#include "libcommon/registry/options.h"
#include "libcommon/registry/progress.h"
#include "libcommon/store/store.h"

namespace ctr::registry {

struct PushOptions {
    AccessFlags access;
    uint64_t chunk_size = 0;  // 0: each blob in one PUT; else PATCH chunks of this many bytes
    int jobs = 4;             // blobs uploaded at once
    Progress* progress = nullptr;
};

struct PushResult {
    std::string name;    // the fully qualified destination ("host:5000/app:1")
    oci::Digest digest;  // the pushed manifest's (or index's) digest
    int64_t size = 0;    // its size in bytes
    int uploaded = 0;    // blobs sent
    int mounted = 0;     // blobs mounted from another repository
    int skipped = 0;     // blobs the registry already had
};

// Pushes the store's `image` (a name, id or digest) to `destination` (a
// reference; empty: the image's own name). Throws ctr::Error naming the
// destination and what failed.
PushResult push(const store::Store& store, const std::string& image, const std::string& destination,
                const PushOptions& options);

}  // namespace ctr::registry

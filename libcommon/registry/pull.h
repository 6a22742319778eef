// Pulling an image from a registry into the store: what ctr-pull does, and
// what ctr-build (FROM) and ctr-create (--pull) call for an image the store
// lacks.
//
//   ctr::registry::PullOptions opts;          // platform, credentials, TLS, …
//   auto r = ctr::registry::pull(store, "alpine", opts);
//   store.resolve(r.name) ...
//
// The manifest (or index) is stored byte for byte, so the image's digest in
// the store is the registry's. Blobs stream straight into the store's tmp/,
// several at once, and are linked into blobs/ only once their digest and size
// check out; a blob already in the store is not fetched again. The tag moves
// only when every blob is in: a failed or interrupted pull leaves no image and
// no moved tag (blobs it completed stay, verified, for the next try).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libcommon/oci/descriptor.h"
#include "libcommon/registry/options.h"
#include "libcommon/registry/progress.h"
#include "libcommon/store/store.h"

namespace ctr::registry {

struct PullOptions {
    AccessFlags access;                     // credentials, TLS, registries.conf
    std::optional<oci::Platform> platform;  // from an index; default: this machine's
    int jobs = 4;                           // blobs fetched at once
    Progress* progress = nullptr;           // docker's display (may be null)
};

struct PullResult {
    std::string name;       // the fully qualified reference pulled ("docker.io/library/alpine:latest")
    std::string tag_name;   // what the store calls it ("alpine:latest"; "" for a pull by digest alone)
    oci::Digest digest;     // the registry's digest of what was asked for (the index for a multi-platform tag)
    oci::Digest entry;      // the index.json entry stored (that digest, or the platform's manifest)
    oci::Digest image_id;   // the image's config digest
    bool downloaded = false;  // false: everything was already there ("Image is up to date")
};

// Pulls `reference` (docker's rules; an unqualified name is looked up in
// registries.conf's unqualified-search-registries, else docker.io).
// Throws ctr::Error naming the reference and what failed; Interrupted on Ctrl-C.
PullResult pull(const store::Store& store, const std::string& reference, const PullOptions& options);

// docker's closing lines of a pull, on stderr: "Digest: sha256:…" and
// "Status: Downloaded newer image for NAME" (or "Image is up to date for NAME").
void print_pull_status(const PullResult& result);

// The tags of the repository `reference` names (for --all-tags), fully qualified references.
std::vector<std::string> remote_tags(const std::string& reference, const PullOptions& options);

}  // namespace ctr::registry

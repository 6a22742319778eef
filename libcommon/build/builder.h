// Dockerfile → image in the store, the classic docker way: one step at a time,
// each step's result an (untagged, intermediate) image of the store, reused
// from the cache when its parent, its instruction and (for COPY/ADD) the
// content of its sources are the same. RUN executes through an OCI runtime
// (ctr-run, runc, crun: `RUNTIME --root DIR run --bundle DIR ID`) on an
// overlay of the parent's layers, and its layer is the overlay's upper
// directory; COPY and ADD write their layer directly.
//
// The cache key of a step lives in the annotation "dev.ctr.build.cache-key"
// of the step image's index.json entry (space-separated sha256 hex digests of
// parent image id + created_by, store::build_cache_key; created_by carries the
// expanded instruction, the build args a RUN sees, and for COPY/ADD the digest
// of its sources), and the image it was built on in "dev.ctr.image.parent"
// (docker's Parent; store/lineage.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/oci/digest.h"
#include "libcommon/oci/reference.h"
#include "libcommon/registry/options.h"
#include "libcommon/store/store.h"

namespace ctr::build {

struct BuildOptions {
    std::string context_dir;      // "" = no context (Dockerfile from stdin)
    std::string dockerfile_name;  // for messages ("Dockerfile")
    std::string dockerfile_text;
    std::vector<oci::Reference> tags;
    std::map<std::string, std::string> build_args;
    std::string target;               // stage name or number; "" = the last stage
    bool no_cache = false;
    std::optional<bool> pull;         // true: always pull; false: never; unset: when missing
    registry::AccessFlags access;     // credentials and TLS for pulls
    bool quiet = false;               // print only the image id
    std::map<std::string, std::string> labels;
    std::string network = "host";     // host | none (RUN steps)
    std::string runtime;              // the runtime binary
    std::optional<int64_t> source_date_epoch;
    std::FILE* out = stdout;          // the step-by-step output (null when quiet)
};

struct BuildResult {
    oci::Digest image_id;
};

// Builds, tags and returns the image. Throws ctr::Error naming the Dockerfile
// line on failure; the store keeps the steps that completed (as cache) and no
// container, mount or temporary directory is left behind.
BuildResult build(const store::Store& store, const BuildOptions& options);

// Which runtime binary RUN uses: `explicit_choice`, else $CTR_RUNTIME, else
// ctr-run next to this program, else ctr-run on PATH, else runc.
std::string default_runtime(const std::string& explicit_choice);

}  // namespace ctr::build

// The layer writer: a directory (an overlay upper dir, or a tree staged for a
// layer) into a tar stream in the image-spec's form. Overlay's whiteouts
// become the spec's: a 0/0 character device NAME is written as an empty
// ".wh.NAME", a directory with trusted.overlay.opaque=y gets a
// ".wh..wh..opq" entry after it. Entries go out sorted by name, depth first,
// parents before children, with no atime/ctime and no user or group names,
// so the same tree always gives the same bytes; with clamp_mtime set
// (SOURCE_DATE_EPOCH) no mtime is later than it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "libcommon/oci/digest.h"

namespace ctr::archive {

struct PackOptions {
    std::optional<int64_t> clamp_mtime;  // seconds since the epoch
    bool overlay_whiteouts = true;       // translate overlay whiteouts and opaque dirs
};

struct PackResult {
    oci::Digest diff_id;  // sha256 of the uncompressed tar
    uint64_t size = 0;    // bytes of tar
    uint64_t entries = 0;
};

// Receives the tar's bytes as they are made.
using TarSink = std::function<void(const void* data, size_t size)>;

// Writes the tree below the directory `dir_fd` (not the directory itself) as
// a tar to `sink`. Sockets are skipped; hardlinks inside the tree stay
// hardlinks; xattrs are kept except overlayfs's own (trusted.overlay.*).
// Throws ctr::Error naming the path that could not be read.
PackResult pack_dir(int dir_fd, const std::string& what, const TarSink& sink, const PackOptions& opts = {});

}  // namespace ctr::archive

// Safe reading of layer tars: every entry is checked (no absolute paths, no
// "..", nothing written through a symlink out of the layer) and, when
// unpacking, created under the destination with openat2(RESOLVE_BENEATH), so
// a hostile layer cannot touch anything outside it.
#pragma once

#include <cstdint>
#include <string>

#include "libcommon/archive/path.h"
#include "libcommon/archive/stream.h"

namespace ctr::archive {

// How one tar entry will be applied, once checked.
struct PlannedEntry {
    enum class Kind { Dir, File, Symlink, Hardlink, Device, Fifo, Whiteout, Opaque, Skip };
    Kind kind = Kind::Skip;
    std::string parent;  // resolved parent directory, relative to the layer root ("" = the root)
    std::string base;    // last component ("" for the root directory itself)
    std::string link;    // symlink target as written, or the hardlink target (clean, resolved)
    std::string path() const { return parent.empty() ? base : base.empty() ? parent : parent + "/" + base; }
};

// Checks tar entries one after another, remembering the layer's symlinks.
class EntryChecker {
public:
    // Throws ctr::Error naming the entry if it is unsafe or unsupported.
    PlannedEntry plan(struct archive_entry* e);

private:
    SymlinkGuard guard_;
};

struct TarStats {
    uint64_t entries = 0;
    uint64_t bytes = 0;  // of file data
};

// Reads every entry and its data, applying the checks of unpack_tar without
// writing anything (what ctr-import does while it streams a tar into a blob).
// Errors name the tar: "<tar.name()>: entry …: …".
TarStats check_tar(TarReader& tar);

// Unpacks a layer tar into the (empty) directory root_fd, keeping ownership,
// modes, device nodes, hardlinks, xattrs and times. With overlay_whiteouts,
// ".wh.NAME" becomes a 0/0 character device NAME and ".wh..wh..opq" sets
// trusted.overlay.opaque=y on its directory: the layer is then ready to be an
// overlayfs lowerdir.
TarStats unpack_tar(TarReader& tar, int root_fd, bool overlay_whiteouts = true);

}  // namespace ctr::archive

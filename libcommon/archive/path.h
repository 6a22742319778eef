// Pure checks on the names inside a layer tar, so that nothing in a layer can
// land outside the directory it is unpacked into.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace ctr::archive {

// Cleans a tar entry name into a relative path ("./usr//bin/" -> "usr/bin";
// "." or "./" -> ""). Throws ctr::Error naming the entry if it is absolute or
// has a ".." component.
std::string clean_entry_path(std::string_view name);

// Remembers the symlinks a layer has created so far, and refuses an entry whose
// parent directories go through one of them out of the layer (an absolute
// target, or one that climbs above the top). Symlinks that stay inside are
// followed, as the kernel would with RESOLVE_BENEATH.
class SymlinkGuard {
public:
    // `path` is a clean path (see clean_entry_path).
    void add_symlink(const std::string& path, const std::string& target);
    // The path now holds something else: a directory (subtree=false), or a
    // file or whiteout, which also drops whatever was below it (subtree=true).
    void forget(const std::string& path, bool subtree);
    // Where the parent directories of `path` really lead, as a clean path
    // inside the layer. Throws ctr::Error("entry …: … through symlink …").
    std::string resolve_parent(const std::string& path) const;

private:
    std::map<std::string, std::string> links_;
};

}  // namespace ctr::archive

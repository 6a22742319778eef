#include "libcommon/archive/unpack.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::archive {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

PlannedEntry EntryChecker::plan(struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    std::string path = clean_entry_path(name);
    PlannedEntry p;
    auto slash = path.rfind('/');
    p.base = slash == std::string::npos ? path : path.substr(slash + 1);
    p.parent = guard_.resolve_parent(path);
    std::string resolved = p.path();

    if (const char* hl = archive_entry_hardlink(e)) {
        std::string target = clean_entry_path(hl);
        if (target.empty()) throw Error("entry " + quoted(name) + ": hardlink to the layer's root directory");
        auto ts = target.rfind('/');
        std::string tparent = guard_.resolve_parent(target);
        std::string tbase = ts == std::string::npos ? target : target.substr(ts + 1);
        p.kind = PlannedEntry::Kind::Hardlink;
        p.link = tparent.empty() ? tbase : tparent + "/" + tbase;
        guard_.forget(resolved, true);
        return p;
    }
    if (path.empty()) {
        if (archive_entry_filetype(e) != AE_IFDIR) throw Error("entry " + quoted(name) + ": the root is not a directory");
        p.kind = PlannedEntry::Kind::Dir;
        return p;
    }
    if (p.base == kOpaque) {
        p.kind = PlannedEntry::Kind::Opaque;
        return p;
    }
    if (p.base.starts_with(kWhiteoutPrefix)) {
        p.kind = PlannedEntry::Kind::Whiteout;
        p.link = p.base.substr(kWhiteoutPrefix.size());
        if (p.link.empty() || p.link == "." || p.link == "..")
            throw Error("entry " + quoted(name) + ": invalid whiteout");
        guard_.forget(p.parent.empty() ? p.link : p.parent + "/" + p.link, true);
        return p;
    }
    switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
        p.kind = PlannedEntry::Kind::Dir;
        guard_.forget(resolved, false);
        break;
    case AE_IFREG:
        p.kind = PlannedEntry::Kind::File;
        guard_.forget(resolved, true);
        break;
    case AE_IFLNK: {
        const char* t = archive_entry_symlink(e);
        p.kind = PlannedEntry::Kind::Symlink;
        p.link = t ? t : "";
        if (p.link.empty()) throw Error("entry " + quoted(name) + ": symlink with an empty target");
        guard_.forget(resolved, true);
        guard_.add_symlink(resolved, p.link);
        break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
        p.kind = PlannedEntry::Kind::Device;
        guard_.forget(resolved, true);
        break;
    case AE_IFIFO:
        p.kind = PlannedEntry::Kind::Fifo;
        guard_.forget(resolved, true);
        break;
    default:
        p.kind = PlannedEntry::Kind::Skip;  // sockets and the like: tar can't restore them
        break;
    }
    return p;
}

TarStats check_tar(TarReader& tar) {
    EntryChecker checker;
    TarStats st;
    while (auto* e = tar.next()) {
        try {
            checker.plan(e);
        } catch (const Error& err) {
            throw Error(tar.name() + ": " + err.what());
        }
        const void* buf;
        size_t size;
        int64_t off;
        while (tar.read_block(&buf, &size, &off)) st.bytes += size;
        st.entries++;
    }
    tar.drain();
    return st;
}

namespace {

// Opens `rel` (a clean relative path, "" for the root) below root_fd; the kernel
// refuses any step out of root_fd (EXDEV), through a magic link, or (if
// nofollow) through a final symlink.
int open_beneath(int root_fd, const std::string& rel, int flags) {
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const char* p = rel.empty() ? "." : rel.c_str();
    while (true) {
        long fd = ::syscall(SYS_openat2, root_fd, p, &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
    }
}

// The layer being unpacked: its root and the directories to finish at the end.
class Unpacker {
public:
    Unpacker(int root_fd, bool overlay) : root_(root_fd), overlay_(overlay) {}
    ~Unpacker() {
        for (auto& d : dirs_) archive_entry_free(d.entry);
    }
    Unpacker(const Unpacker&) = delete;
    Unpacker& operator=(const Unpacker&) = delete;

    void apply(TarReader& tar, struct archive_entry* e, const PlannedEntry& p, TarStats& st);
    void finish();

private:
    struct DeferredDir {
        std::string path;
        struct archive_entry* entry;  // a clone
    };

    UniqueFd dir(const std::string& rel);
    void clear_path(int parent, const std::string& base, bool keep_dir);
    void set_meta_fd(int fd, struct archive_entry* e, const std::string& what);
    void set_meta_at(int parent, const std::string& base, struct archive_entry* e, const std::string& what,
                     bool chmod_too);
    void set_xattrs_path(const std::string& proc_path, struct archive_entry* e, const std::string& what);

    int root_;
    bool overlay_;
    std::vector<DeferredDir> dirs_;
    std::vector<std::string> opaque_;
};

[[noreturn]] void escape_error(const std::string& what, int err) {
    if (err == EXDEV || err == ELOOP)
        throw Error(what + ": would be written through a symlink outside the layer");
    throw_errno(what, err);
}

// An open O_PATH-less directory fd for `rel`, creating missing directories (0755).
UniqueFd Unpacker::dir(const std::string& rel) {
    int fd = open_beneath(root_, rel, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) escape_error("open directory " + quoted(rel), errno);
    auto slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    UniqueFd pfd = dir(parent);
    if (::mkdirat(pfd.get(), base.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("mkdir " + quoted(rel));
    fd = open_beneath(root_, rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0) escape_error("open directory " + quoted(rel), errno);
    return UniqueFd(fd);
}

void Unpacker::clear_path(int parent, const std::string& base, bool keep_dir) {
    struct stat st;
    if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return;
    if (S_ISDIR(st.st_mode)) {
        if (keep_dir) return;
        store::remove_tree_at(parent, base);
    } else if (::unlinkat(parent, base.c_str(), 0) < 0) {
        throw_errno("replace " + quoted(base));
    }
}

void Unpacker::set_xattrs_path(const std::string& proc_path, struct archive_entry* e, const std::string& what) {
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (::lsetxattr(proc_path.c_str(), name, value, size, 0) < 0) {
            if ((errno == ENOTSUP || errno == EPERM) && std::string_view(name).starts_with("security.selinux")) continue;
            throw_errno(what + ": set xattr " + name);
        }
    }
}

void Unpacker::set_meta_fd(int fd, struct archive_entry* e, const std::string& what) {
    if (::fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0) throw_errno(what + ": chown");
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (::fsetxattr(fd, name, value, size, 0) < 0) {
            if ((errno == ENOTSUP || errno == EPERM) && std::string_view(name).starts_with("security.selinux")) continue;
            throw_errno(what + ": set xattr " + name);
        }
    }
    if (::fchmod(fd, archive_entry_perm(e) & 07777) < 0) throw_errno(what + ": chmod");
    struct timespec ts[2] = {{archive_entry_atime(e), archive_entry_atime_nsec(e)},
                             {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    if (!archive_entry_atime_is_set(e)) ts[0] = ts[1];
    if (::futimens(fd, ts) < 0) throw_errno(what + ": set times");
}

void Unpacker::set_meta_at(int parent, const std::string& base, struct archive_entry* e, const std::string& what,
                           bool chmod_too) {
    if (::fchownat(parent, base.c_str(), archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno(what + ": chown");
    if (chmod_too && ::fchmodat(parent, base.c_str(), archive_entry_perm(e) & 07777, 0) < 0)
        throw_errno(what + ": chmod");
    if (archive_entry_xattr_count(e) > 0)
        set_xattrs_path("/proc/self/fd/" + std::to_string(parent) + "/" + base, e, what);
    struct timespec ts[2] = {{archive_entry_atime(e), archive_entry_atime_nsec(e)},
                             {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    if (!archive_entry_atime_is_set(e)) ts[0] = ts[1];
    if (::utimensat(parent, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) throw_errno(what + ": set times");
}

void Unpacker::apply(TarReader& tar, struct archive_entry* e, const PlannedEntry& p, TarStats& st) {
    using K = PlannedEntry::Kind;
    std::string what = "entry " + quoted(p.path().empty() ? "." : p.path());
    if (p.kind == K::Skip) return;
    if (p.kind == K::Dir && p.base.empty()) {  // the layer root itself
        dirs_.push_back({"", archive_entry_clone(e)});
        return;
    }
    UniqueFd parent = dir(p.parent);
    int pfd = parent.get();
    const char* base = p.base.c_str();
    switch (p.kind) {
    case K::Opaque:
        if (overlay_) opaque_.push_back(p.parent);
        else if (::mknodat(pfd, base, S_IFREG | 0, 0) < 0 && errno != EEXIST) throw_errno(what);
        return;
    case K::Whiteout:
        if (!overlay_) {
            clear_path(pfd, p.base, false);
            if (::mknodat(pfd, base, S_IFREG | 0, 0) < 0) throw_errno(what);
            return;
        }
        clear_path(pfd, p.link, false);
        if (::mknodat(pfd, p.link.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) throw_errno(what + ": make whiteout");
        return;
    case K::Dir:
        clear_path(pfd, p.base, true);
        if (::mkdirat(pfd, base, 0700) < 0 && errno != EEXIST) throw_errno(what + ": mkdir");
        dirs_.push_back({p.path(), archive_entry_clone(e)});
        return;
    case K::File: {
        clear_path(pfd, p.base, false);
        UniqueFd fd(::openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) throw_errno(what + ": create");
        const void* buf;
        size_t size;
        int64_t off, end = 0;
        while (tar.read_block(&buf, &size, &off)) {
            auto* c = static_cast<const char*>(buf);
            size_t left = size;
            while (left > 0) {
                ssize_t n = ::pwrite(fd.get(), c, left, off);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    throw_errno(what + ": write");
                }
                c += n;
                off += n;
                left -= static_cast<size_t>(n);
            }
            end = std::max(end, off);
            st.bytes += size;
        }
        int64_t want = archive_entry_size(e);
        if (end < want && ::ftruncate(fd.get(), want) < 0) throw_errno(what + ": truncate");
        set_meta_fd(fd.get(), e, what);
        return;
    }
    case K::Symlink:
        clear_path(pfd, p.base, false);
        if (::symlinkat(p.link.c_str(), pfd, base) < 0) throw_errno(what + ": symlink");
        set_meta_at(pfd, p.base, e, what, false);
        return;
    case K::Hardlink: {
        auto slash = p.link.rfind('/');
        std::string tparent = slash == std::string::npos ? "" : p.link.substr(0, slash);
        std::string tbase = slash == std::string::npos ? p.link : p.link.substr(slash + 1);
        int tfd = open_beneath(root_, tparent, O_RDONLY | O_DIRECTORY);
        if (tfd < 0) escape_error(what + ": hardlink target " + quoted(p.link), errno);
        UniqueFd tparent_fd(tfd);
        if (tparent == p.parent && tbase == p.base) return;
        clear_path(pfd, p.base, false);
        if (::linkat(tparent_fd.get(), tbase.c_str(), pfd, base, 0) < 0) {
            if (errno == ENOENT)
                throw Error(what + ": hardlink to " + quoted(p.link) + ", which is not in the layer before it");
            throw_errno(what + ": hardlink to " + quoted(p.link));
        }
        return;
    }
    case K::Device:
    case K::Fifo: {
        clear_path(pfd, p.base, false);
        mode_t type = archive_entry_filetype(e);
        if (::mknodat(pfd, base, type | (archive_entry_perm(e) & 07777), archive_entry_rdev(e)) < 0)
            throw_errno(what + ": mknod");
        set_meta_at(pfd, p.base, e, what, true);
        return;
    }
    default:
        return;
    }
}

void Unpacker::finish() {
    for (auto& p : opaque_) {
        UniqueFd fd = dir(p);
        if (::fsetxattr(fd.get(), "trusted.overlay.opaque", "y", 1, 0) < 0)
            throw_errno("entry " + quoted(p.empty() ? "." : p) + ": set trusted.overlay.opaque");
    }
    // Directories last: creating their children changed their times.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        UniqueFd fd = dir(it->path);
        set_meta_fd(fd.get(), it->entry, "entry " + quoted(it->path.empty() ? "." : it->path));
    }
}

}  // namespace

TarStats unpack_tar(TarReader& tar, int root_fd, bool overlay_whiteouts) {
    EntryChecker checker;
    Unpacker u(root_fd, overlay_whiteouts);
    TarStats st;
    try {
        while (auto* e = tar.next()) {
            PlannedEntry p = checker.plan(e);
            u.apply(tar, e, p, st);
            st.entries++;
        }
        tar.drain();
        u.finish();
    } catch (const Error& err) {
        throw Error(tar.name() + ": " + err.what());
    }
    return st;
}

}  // namespace ctr::archive

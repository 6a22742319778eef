#include "libcommon/build/copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "libcommon/archive/stream.h"
#include "libcommon/archive/unpack.h"
#include "libcommon/build/rootfs.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"

namespace ctr::build {

using dockerfile::clean_path;
using dockerfile::glob_match;
using dockerfile::has_glob;

namespace {

std::string join(const std::string& a, const std::string& b) {
    if (a.empty() || a == ".") return b;
    if (b.empty()) return a;
    return a.back() == '/' ? a + b : a + "/" + b;
}

std::string base_name(const std::string& p) {
    auto s = p.rfind('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

std::vector<std::string> list_dir(int dir_fd, const std::string& what) {
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + what);
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        throw_errno("read " + what);
    }
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

bool excluded(const SourceRoot& root, const std::string& rel) {
    return root.ignore && !rel.empty() && root.ignore->excluded(rel);
}

// Whether a walk must look inside an excluded directory (an exception may bring something back).
bool must_descend(const SourceRoot& root, const std::string& rel) {
    return root.ignore && root.ignore->may_include_below(rel);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find('/', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

}  // namespace

std::vector<std::string> resolve_sources(const SourceRoot& root, const std::string& source) {
    std::string s = clean_path(source);
    while (!s.empty() && s.front() == '/') s.erase(0, 1);
    if (s.empty()) s = ".";
    if (s == ".." || s.starts_with("../"))
        throw Error("forbidden path outside the " + root.what + ": " + source);
    if (s == ".") return {""};
    if (!has_glob(s)) {
        int fd = open_in_root(root.fd, s, O_PATH);
        if (fd < 0 || excluded(root, s)) {
            if (fd >= 0) ::close(fd);
            if (root.ignore)
                throw Error("file not found in " + root.what + " or excluded by .dockerignore: stat " + source +
                            ": file does not exist");
            throw Error("file not found in " + root.what + ": stat " + source + ": file does not exist");
        }
        ::close(fd);
        return {s};
    }
    std::vector<std::string> found{""};
    for (auto& comp : split(s)) {
        std::vector<std::string> next;
        for (auto& prefix : found) {
            if (!has_glob(comp)) {
                std::string p = join(prefix, comp);
                int fd = open_in_root(root.fd, p, O_PATH);
                if (fd >= 0) {
                    ::close(fd);
                    next.push_back(p);
                }
                continue;
            }
            int dfd = open_in_root(root.fd, prefix.empty() ? "." : prefix, O_RDONLY | O_DIRECTORY);
            if (dfd < 0) continue;
            UniqueFd d(dfd);
            for (auto& name : list_dir(d.get(), root.what + "/" + prefix))
                if (glob_match(comp, name)) next.push_back(join(prefix, name));
        }
        found = std::move(next);
    }
    std::erase_if(found, [&](const std::string& p) { return excluded(root, p); });
    if (found.empty()) throw Error("no source files were specified (nothing in the " + root.what + " matches " + source + ")");
    return found;
}

namespace {

void hash_str(oci::Sha256& h, const std::string& s) {
    h.update(s);
    h.update("\0", 1);
}

void hash_file_content(oci::Sha256& h, int fd, const std::string& what) {
    oci::Sha256 content;
    std::vector<char> buf(1 << 16);
    while (true) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read " + what);
        if (n == 0) break;
        content.update(buf.data(), static_cast<size_t>(n));
    }
    hash_str(h, content.finish().str());
}

void hash_meta(oci::Sha256& h, const std::string& name, const struct stat& st) {
    hash_str(h, name);
    hash_str(h, std::to_string(st.st_mode) + ":" + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid));
}

void hash_tree(oci::Sha256& h, const SourceRoot& root, int dir_fd, const std::string& rel, const std::string& name) {
    for (auto& child : list_dir(dir_fd, root.what + "/" + rel)) {
        std::string crel = join(rel, child);
        std::string cname = name + "/" + child;
        struct stat st;
        if (::fstatat(dir_fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("stat " + crel);
        bool ex = excluded(root, crel);
        if (ex && !(S_ISDIR(st.st_mode) && must_descend(root, crel))) continue;
        hash_meta(h, cname, st);
        if (S_ISDIR(st.st_mode)) {
            int fd = ::openat(dir_fd, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) throw_errno("open " + crel);
            UniqueFd d(fd);
            hash_tree(h, root, d.get(), crel, cname);
        } else if (S_ISREG(st.st_mode)) {
            int fd = ::openat(dir_fd, child.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) throw_errno("open " + crel);
            UniqueFd f(fd);
            hash_file_content(h, fd, crel);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = ::readlinkat(dir_fd, child.c_str(), target, sizeof target);
            if (n < 0) throw_errno("readlink " + crel);
            hash_str(h, std::string(target, static_cast<size_t>(n)));
        } else {
            hash_str(h, std::to_string(st.st_rdev));
        }
    }
}

}  // namespace

oci::Digest hash_sources(const SourceRoot& root, const std::vector<std::string>& sources) {
    oci::Sha256 h;
    for (auto& rel : sources) {
        int fd = open_in_root(root.fd, rel.empty() ? "." : rel, O_RDONLY | O_NONBLOCK);
        if (fd < 0) throw_errno("open " + (rel.empty() ? root.what : rel));
        UniqueFd f(fd);
        struct stat st;
        if (::fstat(fd, &st) < 0) throw_errno("stat " + rel);
        hash_meta(h, rel, st);
        if (S_ISDIR(st.st_mode)) hash_tree(h, root, fd, rel, rel);
        else if (S_ISREG(st.st_mode)) hash_file_content(h, fd, rel);
    }
    return h.finish();
}

bool is_archive(int fd) {
    if (::lseek(fd, 0, SEEK_SET) < 0) return false;
    bool result = false;
    try {
        archive::Decompressor dec(archive::fd_source(fd, "archive"), "archive");
        char buf[512];
        size_t got = 0;
        while (got < sizeof buf) {
            size_t n = dec.read(buf + got, sizeof buf - got);
            if (n == 0) break;
            got += n;
        }
        result = got == sizeof buf && std::memcmp(buf + 257, "ustar", 5) == 0;
    } catch (const Error&) {
        result = false;
    }
    ::lseek(fd, 0, SEEK_SET);
    return result;
}

namespace {

// Writes one tree into the destination, keeping track of what it wrote.
class Copier {
public:
    Copier(const SourceRoot& src, int dest_root, const CopyOptions& opts, bool keep_owner)
        : src_(src), dest_root_(dest_root), opts_(opts), keep_owner_(keep_owner) {}

    size_t count() const { return count_; }

    // Copies the entry `name` of src_dir into dst_dir (both open), as `dst_name`.
    void copy_entry(int src_dir, const std::string& name, const std::string& rel, int dst_dir,
                    const std::string& dst_name, const std::string& dst_what, bool follow) {
        struct stat st;
        if (::fstatat(src_dir, name.c_str(), &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
            throw_errno("stat " + (rel.empty() ? src_.what : rel));
        if (S_ISDIR(st.st_mode)) {
            int fd = ::openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
            if (fd < 0) throw_errno("open " + rel);
            UniqueFd s(fd);
            UniqueFd d = make_dir(dst_dir, dst_name, dst_what, st);
            copy_children(s.get(), rel, d.get(), dst_what);
            finish_meta(d.get(), st, dst_what);
        } else if (S_ISREG(st.st_mode)) {
            int fd = ::openat(src_dir, name.c_str(), O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
            if (fd < 0) throw_errno("open " + rel);
            UniqueFd s(fd);
            copy_file(s.get(), st, dst_dir, dst_name, dst_what);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = ::readlinkat(src_dir, name.c_str(), target, sizeof target - 1);
            if (n < 0) throw_errno("readlink " + rel);
            target[n] = '\0';
            clear(dst_dir, dst_name, dst_what);
            if (::symlinkat(target, dst_dir, dst_name.c_str()) < 0) throw_errno("symlink " + dst_what);
            auto [uid, gid] = owner(st);
            if (::fchownat(dst_dir, dst_name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("chown " + dst_what);
            struct timespec ts[2] = {st.st_mtim, st.st_mtim};
            ::utimensat(dst_dir, dst_name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
            count_++;
        } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            clear(dst_dir, dst_name, dst_what);
            if (::mknodat(dst_dir, dst_name.c_str(), st.st_mode, st.st_rdev) < 0) throw_errno("mknod " + dst_what);
            auto [uid, gid] = owner(st);
            ::fchownat(dst_dir, dst_name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
            count_++;
        }
    }

    void copy_children(int src_dir, const std::string& rel, int dst_dir, const std::string& dst_what) {
        for (auto& child : list_dir(src_dir, rel.empty() ? src_.what : rel)) {
            std::string crel = join(rel, child);
            if (excluded(src_, crel)) {
                struct stat st;
                if (::fstatat(src_dir, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
                    !must_descend(src_, crel))
                    continue;
            }
            copy_entry(src_dir, child, crel, dst_dir, child, dst_what + "/" + child, false);
        }
    }

    UniqueFd make_dir(int dst_dir, const std::string& name, const std::string& what, const struct stat& st) {
        struct stat cur;
        if (::fstatat(dst_dir, name.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(cur.st_mode)) {
            if (::unlinkat(dst_dir, name.c_str(), 0) < 0) throw_errno("replace " + what);
        }
        if (::mkdirat(dst_dir, name.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("mkdir " + what);
        int fd = ::openat(dst_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throw_errno("open " + what);
        UniqueFd d(fd);
        auto [uid, gid] = owner(st);
        if (::fchown(fd, uid, gid) < 0) throw_errno("chown " + what);
        count_++;
        return d;
    }

    void finish_meta(int fd, const struct stat& st, const std::string& what) {
        if (::fchmod(fd, opts_.mode ? *opts_.mode : (st.st_mode & 07777)) < 0) throw_errno("chmod " + what);
        struct timespec ts[2] = {st.st_mtim, st.st_mtim};
        ::futimens(fd, ts);
    }

    void copy_file(int src_fd, const struct stat& st, int dst_dir, const std::string& name, const std::string& what) {
        clear(dst_dir, name, what);
        int fd = ::openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) throw_errno("create " + what);
        UniqueFd d(fd);
        off_t left = st.st_size;
        while (left > 0) {
            ssize_t n = ::copy_file_range(src_fd, nullptr, fd, nullptr, static_cast<size_t>(left), 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                n = ::sendfile(fd, src_fd, nullptr, static_cast<size_t>(left));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("copy to " + what);
            if (n == 0) break;
            left -= n;
        }
        auto [uid, gid] = owner(st);
        if (::fchown(fd, uid, gid) < 0) throw_errno("chown " + what);
        finish_meta(fd, st, what);
        count_++;
    }

    std::pair<uid_t, gid_t> owner(const struct stat& st) const {
        if (opts_.owner) return *opts_.owner;
        if (keep_owner_) return {st.st_uid, st.st_gid};
        return {0, 0};
    }

    // Makes room for a non-directory `name`: an existing file or link goes; a directory is an error.
    static void clear(int dst_dir, const std::string& name, const std::string& what) {
        struct stat cur;
        if (::fstatat(dst_dir, name.c_str(), &cur, AT_SYMLINK_NOFOLLOW) < 0) return;
        if (S_ISDIR(cur.st_mode)) throw Error("cannot copy to " + what + ": cannot overwrite directory with non-directory");
        if (::unlinkat(dst_dir, name.c_str(), 0) < 0) throw_errno("replace " + what);
    }

private:
    const SourceRoot& src_;
    int dest_root_;
    const CopyOptions& opts_;
    bool keep_owner_;
    size_t count_ = 0;
};

}  // namespace

size_t copy_sources(const SourceRoot& src, const std::vector<std::string>& sources, int dest_root_fd,
                    const std::string& dest, const CopyOptions& opts) {
    Copier c(src, dest_root_fd, opts, src.keep_owner);
    bool dest_dir = dest.ends_with("/") || sources.size() > 1;
    if (!dest_dir) {
        auto st = stat_in_root(dest_root_fd, dest);
        dest_dir = st && S_ISDIR(st->st_mode);
    }
    auto root_fd = UniqueFd(open_in_root(src.fd, ".", O_RDONLY | O_DIRECTORY));
    if (!root_fd) throw_errno("open " + src.what);
    for (auto& rel : sources) {
        auto st = stat_in_root(src.fd, rel.empty() ? "." : rel);
        if (!st) throw Error("file not found in " + src.what + ": " + rel);
        if (S_ISDIR(st->st_mode)) {
            // A directory's contents go into dest (the directory itself is not copied).
            UniqueFd d = mkdirs_in_root(dest_root_fd, dest, 0755, opts.owner ? opts.owner->first : 0,
                                        opts.owner ? opts.owner->second : 0);
            int fd = open_in_root(src.fd, rel.empty() ? "." : rel, O_RDONLY | O_DIRECTORY);
            if (fd < 0) throw_errno("open " + rel);
            UniqueFd s(fd);
            c.copy_children(s.get(), rel, d.get(), dest);
            continue;
        }
        if (opts.extract_archives && S_ISREG(st->st_mode)) {
            int fd = open_in_root(src.fd, rel, O_RDONLY);
            if (fd < 0) throw_errno("open " + rel);
            UniqueFd f(fd);
            if (is_archive(fd)) {
                UniqueFd d = mkdirs_in_root(dest_root_fd, dest);
                std::string name = "archive " + rel;
                archive::Decompressor dec(archive::fd_source(fd, name), name);
                archive::TarReader tar([&dec](void* buf, size_t n) { return dec.read(buf, n); }, name);
                auto stats = archive::unpack_tar(tar, d.get(), false);
                (void)stats;
                continue;
            }
        }
        std::string target = dest_dir ? join(dest, base_name(rel)) : dest;
        auto [parent, name] = split_parent(target);
        UniqueFd pd = mkdirs_in_root(dest_root_fd, parent);
        auto [sparent, sname] = split_parent("/" + rel);
        int sfd = open_in_root(src.fd, sparent, O_RDONLY | O_DIRECTORY);
        if (sfd < 0) throw_errno("open " + sparent);
        UniqueFd sd(sfd);
        // The source itself may be a symlink: COPY takes what it points to.
        c.copy_entry(sd.get(), sname, rel, pd.get(), name, target, true);
    }
    return c.count();
}

void write_inline_file(int dest_root_fd, const std::string& name, const std::string& content,
                       const std::string& dest, bool dest_is_dir, const CopyOptions& opts) {
    bool as_dir = dest_is_dir || dest.ends_with("/");
    if (!as_dir) {
        auto st = stat_in_root(dest_root_fd, dest);
        as_dir = st && S_ISDIR(st->st_mode);
    }
    std::string target = as_dir ? join(dest, name) : dest;
    auto [parent, base] = split_parent(target);
    UniqueFd pd = mkdirs_in_root(dest_root_fd, parent);
    Copier::clear(pd.get(), base, target);
    int fd = ::openat(pd.get(), base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno("create " + target);
    UniqueFd f(fd);
    store::write_all(fd, content.data(), content.size(), target);
    uid_t uid = opts.owner ? opts.owner->first : 0;
    gid_t gid = opts.owner ? opts.owner->second : 0;
    if (::fchown(fd, uid, gid) < 0) throw_errno("chown " + target);
    if (::fchmod(fd, opts.mode ? *opts.mode : 0644) < 0) throw_errno("chmod " + target);
}

}  // namespace ctr::build

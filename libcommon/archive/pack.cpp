#include "libcommon/archive/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <vector>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::archive {

namespace {

struct WriteDeleter {
    void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
    void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

std::vector<std::string> sorted_names(int dir_fd, const std::string& what) {
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + what);
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        throw_errno("read " + what);
    }
    std::vector<std::string> names;
    errno = 0;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    int err = errno;
    ::closedir(d);
    if (err) throw_errno("read " + what, err);
    std::sort(names.begin(), names.end());
    return names;
}

// Reads one xattr value of a path (not following a final symlink).
std::optional<std::string> get_xattr(const std::string& path, const char* name) {
    std::string v(256, '\0');
    while (true) {
        ssize_t n = ::lgetxattr(path.c_str(), name, v.data(), v.size());
        if (n >= 0) {
            v.resize(static_cast<size_t>(n));
            return v;
        }
        if (errno == ERANGE) {
            ssize_t need = ::lgetxattr(path.c_str(), name, nullptr, 0);
            if (need < 0) return std::nullopt;
            v.resize(static_cast<size_t>(need) + 1);
            continue;
        }
        return std::nullopt;
    }
}

class Packer {
public:
    Packer(const TarSink& sink, const PackOptions& opts) : sink_(sink), opts_(opts), hash_() {
        a_.reset(archive_write_new());
        if (!a_) throw Error("tar: out of memory");
        archive_write_set_format_pax_restricted(a_.get());
        archive_write_set_bytes_per_block(a_.get(), 10240);
        archive_write_set_bytes_in_last_block(a_.get(), 1);
        if (archive_write_open(a_.get(), this, nullptr, &Packer::write_cb, nullptr) != ARCHIVE_OK)
            throw Error(std::string("tar: ") + archive_error_string(a_.get()));
    }

    void walk(int dir_fd, const std::string& prefix, const std::string& what);

    PackResult finish() {
        if (archive_write_close(a_.get()) != ARCHIVE_OK)
            throw Error(std::string("tar: ") + archive_error_string(a_.get()));
        if (error_) std::rethrow_exception(error_);
        PackResult r;
        r.size = hash_.size();
        r.diff_id = hash_.finish();
        r.entries = entries_;
        return r;
    }

private:
    static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t n) {
        auto* p = static_cast<Packer*>(self);
        try {
            p->hash_.update(buf, n);
            p->sink_(buf, n);
        } catch (...) {
            p->error_ = std::current_exception();
            return -1;
        }
        return static_cast<la_ssize_t>(n);
    }

    int64_t mtime(const struct stat& st) const {
        int64_t t = st.st_mtim.tv_sec;
        if (opts_.clamp_mtime && t > *opts_.clamp_mtime) t = *opts_.clamp_mtime;
        return t;
    }

    void write_header(struct archive_entry* e, const std::string& name) {
        if (archive_write_header(a_.get(), e) != ARCHIVE_OK) {
            if (error_) std::rethrow_exception(error_);
            throw Error("tar: entry \"" + name + "\": " + archive_error_string(a_.get()));
        }
        entries_++;
    }

    void write_data(int fd, const std::string& name, int64_t size) {
        std::vector<char> buf(1 << 17);
        int64_t left = size;
        while (left > 0) {
            ssize_t n = ::read(fd, buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("read " + name);
            }
            if (n == 0) throw Error("read " + name + ": the file shrank while it was being packed");
            if (archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0) {
                if (error_) std::rethrow_exception(error_);
                throw Error("tar: entry \"" + name + "\": " + archive_error_string(a_.get()));
            }
            left -= n;
        }
    }

    // An empty regular file entry (whiteouts and opaque markers).
    void write_marker(const std::string& name, const struct stat& st) {
        std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0);
        archive_entry_set_size(e.get(), 0);
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
        archive_entry_set_mtime(e.get(), mtime(st), 0);
        write_header(e.get(), name);
    }

    void add_xattrs(struct archive_entry* e, const std::string& path) {
        ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
        if (n <= 0) return;
        std::string names(static_cast<size_t>(n), '\0');
        n = ::llistxattr(path.c_str(), names.data(), names.size());
        if (n <= 0) return;
        names.resize(static_cast<size_t>(n));
        std::vector<std::string> list;
        for (size_t i = 0; i < names.size();) {
            std::string k = names.c_str() + i;
            i += k.size() + 1;
            if (k.starts_with("trusted.overlay.") || k.starts_with("user.overlay.")) continue;
            list.push_back(k);
        }
        std::sort(list.begin(), list.end());
        for (auto& k : list)
            if (auto v = get_xattr(path, k.c_str())) archive_entry_xattr_add_entry(e, k.c_str(), v->data(), v->size());
    }

    const TarSink& sink_;
    const PackOptions& opts_;
    oci::Sha256 hash_;
    std::unique_ptr<struct archive, WriteDeleter> a_;
    std::exception_ptr error_;
    uint64_t entries_ = 0;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

void Packer::walk(int dir_fd, const std::string& prefix, const std::string& what) {
    for (auto& name : sorted_names(dir_fd, what + "/" + prefix)) {
        std::string rel = prefix + name;
        std::string path_what = what + "/" + rel;
        struct stat st;
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("stat " + path_what);
        std::string proc = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;

        if (S_ISSOCK(st.st_mode)) continue;
        if (opts_.overlay_whiteouts && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
            write_marker(prefix + ".wh." + name, st);
            continue;
        }

        std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
        archive_entry_set_uid(e.get(), st.st_uid);
        archive_entry_set_gid(e.get(), st.st_gid);
        archive_entry_set_perm(e.get(), st.st_mode & 07777);
        archive_entry_set_mtime(e.get(), mtime(st), 0);

        if (S_ISDIR(st.st_mode)) {
            std::string entry = rel + "/";
            archive_entry_set_pathname(e.get(), entry.c_str());
            archive_entry_set_filetype(e.get(), AE_IFDIR);
            add_xattrs(e.get(), proc);
            write_header(e.get(), entry);
            if (opts_.overlay_whiteouts) {
                auto opq = get_xattr(proc, "trusted.overlay.opaque");
                if (opq && *opq == "y") write_marker(rel + "/.wh..wh..opq", st);
            }
            int sub = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) throw_errno("open " + path_what);
            UniqueFd subfd(sub);
            walk(subfd.get(), rel + "/", what);
            continue;
        }

        archive_entry_set_pathname(e.get(), rel.c_str());
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
            auto key = std::make_pair(st.st_dev, st.st_ino);
            auto it = links_.find(key);
            if (it != links_.end()) {
                archive_entry_set_filetype(e.get(), AE_IFREG);
                archive_entry_set_hardlink(e.get(), it->second.c_str());
                archive_entry_set_size(e.get(), 0);
                write_header(e.get(), rel);
                continue;
            }
            links_.emplace(key, rel);
        }
        if (S_ISREG(st.st_mode)) {
            int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) throw_errno("open " + path_what);
            UniqueFd f(fd);
            archive_entry_set_filetype(e.get(), AE_IFREG);
            archive_entry_set_size(e.get(), st.st_size);
            add_xattrs(e.get(), proc);
            write_header(e.get(), rel);
            write_data(f.get(), path_what, st.st_size);
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
            ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
            if (n < 0) throw_errno("readlink " + path_what);
            target.resize(static_cast<size_t>(n));
            archive_entry_set_filetype(e.get(), AE_IFLNK);
            archive_entry_set_symlink(e.get(), target.c_str());
            add_xattrs(e.get(), proc);
            write_header(e.get(), rel);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
            archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode)   ? AE_IFCHR
                                                : S_ISBLK(st.st_mode) ? AE_IFBLK
                                                                      : AE_IFIFO);
            if (!S_ISFIFO(st.st_mode)) {
                archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
                archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
            }
            add_xattrs(e.get(), proc);
            write_header(e.get(), rel);
        }
    }
}

}  // namespace

PackResult pack_dir(int dir_fd, const std::string& what, const TarSink& sink, const PackOptions& opts) {
    Packer p(sink, opts);
    p.walk(dir_fd, "", what);
    return p.finish();
}

}  // namespace ctr::archive

#include "libcommon/runtime/init.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "libcommon/runtime/hooks.h"
#include "libcommon/runtime/safe_path.h"
#include "libcommon/runtime/terminal.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/loopback.h"
#include "libcommon/sys/text.h"

extern "C" const char ctr_dmz_start[];
extern "C" const char ctr_dmz_end[];

namespace ctr::runtime {

namespace {

// The new mount API, by syscall (glibc 2.36 lacks some wrappers).
int sys_open_tree(int dfd, const char* path, unsigned flags) {
    return static_cast<int>(syscall(SYS_open_tree, dfd, path, flags));
}
int sys_move_mount(int from, const char* from_path, int to, const char* to_path, unsigned flags) {
    return static_cast<int>(syscall(SYS_move_mount, from, from_path, to, to_path, flags));
}
int sys_mount_setattr(int dfd, const char* path, unsigned flags, struct mount_attr* attr) {
    return static_cast<int>(syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof *attr));
}
int sys_fsopen(const char* fs, unsigned flags) { return static_cast<int>(syscall(SYS_fsopen, fs, flags)); }
int sys_fsconfig(int fd, unsigned cmd, const char* key, const void* value, int aux) {
    return static_cast<int>(syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int sys_fsmount(int fd, unsigned flags, unsigned attrs) {
    return static_cast<int>(syscall(SYS_fsmount, fd, flags, attrs));
}

std::string dirname_of(const std::string& p) {
    auto s = p.rfind('/');
    return s == std::string::npos || s == 0 ? "/" : p.substr(0, s);
}
std::string basename_of(const std::string& p) {
    auto s = p.rfind('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

// MS_* flags that mount_setattr can express, as MOUNT_ATTR_*.
void ms_to_attr(unsigned long set, unsigned long clear, struct mount_attr& a) {
    const std::pair<unsigned long, uint64_t> map[] = {
        {MS_RDONLY, MOUNT_ATTR_RDONLY}, {MS_NOSUID, MOUNT_ATTR_NOSUID},
        {MS_NODEV, MOUNT_ATTR_NODEV},   {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {256, MOUNT_ATTR_NOSYMFOLLOW}};
    for (auto [ms, attr] : map) {
        if (set & ms) a.attr_set |= attr;
        if (clear & ms) a.attr_clr |= attr;
    }
    if (set & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
        a.attr_clr |= MOUNT_ATTR__ATIME;
        a.attr_set |= (set & MS_NOATIME) ? MOUNT_ATTR_NOATIME
                      : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
    }
}

// Attaches a detached mount (from open_tree/fsmount) onto the destination fd.
void attach(int tree, int dest, const std::string& what) {
    if (sys_move_mount(tree, "", dest, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno("mount " + what);
}

// Bind-mounts source (a host path, or an fd when source_fd >= 0) onto dest,
// setting the given flags on the new mount only (recursively for rec attrs).
void bind_onto(const std::string& source, int source_fd, int dest, bool recursive, unsigned long set,
               unsigned long clear, uint64_t rec_set, uint64_t rec_clr, const std::string& what) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    UniqueFd tree(source_fd >= 0 ? sys_open_tree(source_fd, "", flags | AT_EMPTY_PATH)
                                 : sys_open_tree(AT_FDCWD, source.c_str(), flags));
    if (!tree) throw_errno("bind mount " + source + " for " + what);
    struct mount_attr a = {};
    ms_to_attr(set, clear, a);
    if ((a.attr_set || a.attr_clr) && sys_mount_setattr(tree.get(), "", AT_EMPTY_PATH, &a) < 0)
        throw_errno("set the options of the bind mount " + what);
    if (rec_set || rec_clr) {
        struct mount_attr r = {};
        r.attr_set = rec_set;
        r.attr_clr = rec_clr;
        if (sys_mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &r) < 0)
            throw_errno("set the recursive options of the bind mount " + what);
    }
    attach(tree.get(), dest, what);
}

void apply_propagation(int root, const std::string& dest, const std::vector<unsigned long>& props) {
    for (unsigned long p : props) {
        UniqueFd fd = open_in_root(root, dest, O_PATH, "mount destination");
        if (mount(nullptr, fd_path(fd.get()).c_str(), nullptr, p, nullptr) < 0)
            throw_errno("set the propagation of " + dest);
    }
}

// This process's cgroup path in the hierarchy with the given controllers
// ("" for the unified one), from /proc/self/cgroup (read once: the init
// asks once per hierarchy, after the runtime has placed it).
std::string own_cgroup(const std::string& controllers) {
    static std::map<std::string, std::string, std::less<>> paths = [] {
        std::map<std::string, std::string, std::less<>> m;
        std::string text = read_text("/proc/self/cgroup");
        for (std::string_view line : split(text, '\n')) {
            auto a = line.find(':');
            auto b = a == std::string_view::npos ? a : line.find(':', a + 1);
            if (b == std::string_view::npos) continue;
            m.emplace(line.substr(a + 1, b - a - 1), line.substr(b + 1));
        }
        return m;
    }();
    auto it = paths.find(controllers);
    return it == paths.end() ? "/" : it->second;
}

std::string filter_cgroup_options(const std::string& sopts) {
    std::string out;
    for (std::string_view o : split(sopts, ',')) {
        if (o == "rw" || o == "ro") continue;
        out += (out.empty() ? "" : ",") + std::string(o);
    }
    return out;
}

// The "cgroup" mount: the container's own cgroup(s) at the destination, like
// runc: a fresh cgroupfs with a cgroup namespace, a bind of the host's
// directory for this process otherwise; on v1 one per hierarchy in a tmpfs.
// The host's mounts are the runtime's list, read before the clone: our mount
// namespace is a copy of its.
void mount_cgroups(int root, const Mount& m, bool cgroupns, const std::vector<CgroupMount>& mounts) {
    unsigned long flags = m.opts.flags & ~(MS_RDONLY | MS_REMOUNT);
    bool ro = m.opts.flags & MS_RDONLY;
    bool v2_only = mounts.size() == 1 && mounts[0].mountpoint == "/sys/fs/cgroup" && mounts[0].fstype == "cgroup2";
    UniqueFd dest = mkpath_in_root(root, m.destination, false);
    auto mount_one = [&](const CgroupMount& hm, int at) {
        std::string controllers = hm.fstype == "cgroup2" ? "" : basename_of(hm.mountpoint);
        std::string own = own_cgroup(controllers);
        if (own == "/" && hm.fstype != "cgroup2") own = own_cgroup("name=" + controllers);
        if (cgroupns) {
            std::string opts = filter_cgroup_options(hm.super_options);
            if (mount(hm.fstype.c_str(), fd_path(at).c_str(), hm.fstype.c_str(), flags | (ro ? MS_RDONLY : 0),
                      opts.c_str()) == 0)
                return;
            if (errno != EPERM && errno != EBUSY) throw_errno("mount " + hm.fstype + " on " + m.destination);
        }
        bind_onto(hm.mountpoint + own, -1, at, false, flags | (ro ? MS_RDONLY : 0), 0, 0, 0,
                  m.destination);
    };
    if (v2_only) {
        mount_one(mounts[0], dest.get());
        return;
    }
    if (mount("tmpfs", fd_path(dest.get()).c_str(), "tmpfs", flags, "mode=755") < 0)
        throw_errno("mount tmpfs on " + m.destination);
    for (const auto& hm : mounts) {
        if (hm.mountpoint == "/sys/fs/cgroup") continue;
        // A hybrid host's unified hierarchy stays out, as with runc: a systemd
        // in the container would take it for its own and fail to make its
        // cgroups there (podman --systemd); the v1 name=systemd one serves.
        if (hm.fstype == "cgroup2") continue;
        std::string rel = hm.mountpoint.substr(strlen("/sys/fs/cgroup"));
        UniqueFd sub = mkpath_in_root(root, m.destination + rel, false);
        mount_one(hm, sub.get());
        // Comounted controllers ("cpu,cpuacct") get the usual symlinks ("cpu").
        std::string base = basename_of(hm.mountpoint);
        if (base.find(',') != std::string::npos) {
            UniqueFd parent = open_in_root(root, m.destination, O_PATH | O_DIRECTORY, "cgroup mount");
            for (std::string_view one : split(base, ','))
                symlinkat(base.c_str(), parent.get(), std::string(one).c_str());
        }
    }
    if (ro) {
        UniqueFd again = open_in_root(root, m.destination, O_PATH, "cgroup mount");
        struct mount_attr a = {};
        a.attr_set = MOUNT_ATTR_RDONLY;
        if (sys_mount_setattr(again.get(), "", AT_EMPTY_PATH, &a) < 0)
            throw_errno("make " + m.destination + " read-only");
    }
}

// Copies what was in a directory into the tmpfs now mounted over it.
void copy_up(int from_dir, int to_dir);

void mount_one(int root, const Mount& m, bool userns, bool cgroupns,
               const std::vector<CgroupMount>& cgroup_mounts) {
    if (m.type == "cgroup") return mount_cgroups(root, m, cgroupns, cgroup_mounts);
    if (m.opts.bind) {
        struct stat st;
        if (stat(m.source.c_str(), &st) < 0) throw_errno("bind mount source " + m.source);
        UniqueFd dest = mkpath_in_root(root, m.destination, !S_ISDIR(st.st_mode));
        bind_onto(m.source, -1, dest.get(), m.opts.recursive, m.opts.flags, m.opts.clear, m.opts.rec_attr_set,
                  m.opts.rec_attr_clr, m.destination);
        apply_propagation(root, m.destination, m.opts.propagation);
        return;
    }
    UniqueFd dest = mkpath_in_root(root, m.destination, false);
    UniqueFd old;
    if (m.opts.tmpcopyup) old.reset(openat(dest.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    unsigned long flags = m.opts.flags & ~MS_REMOUNT;
    if (mount(m.source.c_str(), fd_path(dest.get()).c_str(), m.type.c_str(), flags, m.opts.data.c_str()) < 0) {
        int err = errno;
        // In a user namespace sysfs and mqueue may be refused: bind the host's, as runc does.
        if (err == EPERM && userns && (m.type == "sysfs" || m.type == "mqueue")) {
            std::string host = m.type == "sysfs" ? "/sys" : "/dev/mqueue";
            bind_onto(host, -1, dest.get(), true, flags, 0, 0, 0, m.destination);
        } else {
            throw_errno("mount " + m.type + " on " + m.destination, err);
        }
    }
    if (m.opts.rec_attr_set || m.opts.rec_attr_clr) {
        UniqueFd now = open_in_root(root, m.destination, O_PATH, "mount destination");
        struct mount_attr r = {};
        r.attr_set = m.opts.rec_attr_set;
        r.attr_clr = m.opts.rec_attr_clr;
        if (sys_mount_setattr(now.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &r) < 0)
            throw_errno("set the recursive options of " + m.destination);
    }
    if (old && m.type == "tmpfs") {
        UniqueFd now = open_in_root(root, m.destination, O_RDONLY | O_DIRECTORY, "mount destination");
        copy_up(old.get(), now.get());
    }
    apply_propagation(root, m.destination, m.opts.propagation);
}

void copy_up(int from_dir, int to_dir) {
    // Shallow-and-deep copy of regular files, dirs and symlinks (tmpcopyup).
    int dup_fd = dup(from_dir);
    DIR* d = fdopendir(dup_fd);
    if (!d) return;
    while (struct dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        if (fstatat(from_dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            mkdirat(to_dir, n.c_str(), st.st_mode & 07777);
            UniqueFd a(openat(from_dir, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            UniqueFd b(openat(to_dir, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (a && b) copy_up(a.get(), b.get());
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t l = readlinkat(from_dir, n.c_str(), target, sizeof target - 1);
            if (l > 0) {
                target[l] = 0;
                symlinkat(target, to_dir, n.c_str());
            }
        } else if (S_ISREG(st.st_mode)) {
            UniqueFd a(openat(from_dir, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            UniqueFd b(openat(to_dir, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777));
            if (a && b) {
                char buf[65536];
                ssize_t r;
                while ((r = read(a.get(), buf, sizeof buf)) > 0) (void)!write(b.get(), buf, static_cast<size_t>(r));
            }
        }
        fchownat(to_dir, n.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    }
    closedir(d);
}

// In runc's order (it shows in a user namespace, where each is a bind mount).
const Device kDefaultDevices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0}, {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
    {"/dev/zero", 'c', 1, 5, 0666, 0, 0}, {"/dev/urandom", 'c', 1, 9, 0666, 0, 0},
};

void create_device(int root, const Device& d, bool userns) {
    UniqueFd dir = mkpath_in_root(root, dirname_of(d.path), false);
    std::string name = basename_of(d.path);
    if (userns) {
        // mknod is not allowed in a user namespace: bind the host's node.
        UniqueFd dest = mkpath_in_root(root, d.path, true);
        bind_onto(d.path, -1, dest.get(), false, 0, 0, 0, 0, d.path);
        return;
    }
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    unlinkat(dir.get(), name.c_str(), 0);
    if (mknodat(dir.get(), name.c_str(), type | (d.mode & 07777),
                makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) < 0)
        throw_errno("mknod " + d.path + " in the container");
    if (fchownat(dir.get(), name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("chown " + d.path + " in the container");
}

void setup_dev(int root, const Config& c, bool userns) {
    for (const auto& d : kDefaultDevices) {
        bool overridden = false;
        for (const auto& cd : c.devices) overridden = overridden || cd.path == d.path;
        if (!overridden) create_device(root, d, userns);
    }
    for (const auto& d : c.devices) create_device(root, d, userns);
    UniqueFd dev = open_in_root(root, "/dev", O_PATH | O_DIRECTORY, "directory");
    const std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}};
    for (auto [target, name] : links) symlinkat(target, dev.get(), name);
    if (access("/proc/kcore", F_OK) == 0) symlinkat("/proc/kcore", dev.get(), "core");
    // /dev/ptmx follows the container's own devpts instance.
    struct stat st;
    if (fstatat(dev.get(), "pts/ptmx", &st, 0) == 0) {
        unlinkat(dev.get(), "ptmx", 0);
        if (symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) throw_errno("symlink /dev/ptmx in the container");
    }
}

// Makes the mount holding path private. pivot_root refuses a new root (or its
// parent) that is shared, and a shared parent would carry the rootfs bind
// back to the host: needed when rootfsPropagation makes the tree shared.
void make_parent_mount_private(const std::string& path) {
    char real[PATH_MAX];
    if (!realpath(path.c_str(), real)) throw_errno("resolve the rootfs " + path);
    std::string target = real, best = "/";
    std::string mountinfo = read_text("/proc/self/mountinfo");
    for (std::string_view line : split(mountinfo, '\n')) {
        std::vector<std::string_view> f = fields(line);
        if (f.size() < 5) continue;
        std::string mp(f[4]);
        bool under = mp == "/" || target == mp || target.compare(0, mp.size() + 1, mp + "/") == 0;
        if (under && mp.size() > best.size()) best = mp;
    }
    if (mount(nullptr, best.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        throw_errno("make the mount " + best + " holding the rootfs private");
}

void pivot_into(const std::string& rootfs, bool no_pivot) {
    if (no_pivot) {
        if (chdir(rootfs.c_str()) < 0) throw_errno("chdir " + rootfs);
        if (mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_errno("move the rootfs to /");
        if (chroot(".") < 0) throw_errno("chroot " + rootfs);
        if (chdir("/") < 0) throw_errno("chdir /");
        return;
    }
    UniqueFd oldroot(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    UniqueFd newroot(open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!oldroot || !newroot) throw_errno("open the roots for pivot_root");
    if (fchdir(newroot.get()) < 0) throw_errno("chdir " + rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0) throw_errno("pivot_root " + rootfs);
    // The old root is now stacked under "."; detach it without letting the
    // unmount propagate back to the host.
    if (fchdir(oldroot.get()) < 0) throw_errno("chdir to the old root");
    if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) throw_errno("make the old root a slave");
    if (umount2(".", MNT_DETACH) < 0) throw_errno("unmount the old root");
    if (chdir("/") < 0) throw_errno("chdir /");
}

void write_file(const std::string& path, const std::string& value) {
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + path);
    ssize_t n = write(fd, value.data(), value.size());
    int err = errno;
    ::close(fd);
    if (n < 0) throw_errno("write " + value + " to " + path, err);
}

void mask_paths(int root, const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
        int fd = openat_in_root(root, p, O_PATH);
        if (fd == -ENOENT) continue;
        if (fd < 0) throw_errno("open masked path " + p + " in the container", -fd);
        UniqueFd target(fd);
        struct stat st;
        if (fstat(target.get(), &st) < 0) throw_errno("stat masked path " + p);
        if (S_ISDIR(st.st_mode)) {
            UniqueFd fs(sys_fsopen("tmpfs", FSOPEN_CLOEXEC));
            if (!fs || sys_fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
                throw_errno("make a tmpfs to mask " + p);
            UniqueFd mnt(sys_fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
            if (!mnt) throw_errno("make a tmpfs to mask " + p);
            attach(mnt.get(), target.get(), "masked path " + p);
        } else {
            bind_onto("/dev/null", -1, target.get(), false, 0, 0, 0, 0, "masked path " + p);
        }
    }
}

void readonly_paths(int root, const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
        int fd = openat_in_root(root, p, O_PATH);
        if (fd == -ENOENT) continue;
        if (fd < 0) throw_errno("open read-only path " + p + " in the container", -fd);
        UniqueFd target(fd);
        bind_onto("", target.get(), target.get(), true, 0, 0, MOUNT_ATTR_RDONLY, 0, "read-only path " + p);
    }
}

std::string getenv_from(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& e : env)
        if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
            return e.substr(key.size() + 1);
    return "";
}

bool has_env(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& e : env)
        if (e.compare(0, key.size() + 1, key + "=") == 0) return true;
    return false;
}

// The user's home from the container's /etc/passwd, "/" if none.
std::string home_of(int root, uid_t uid) {
    int fd = openat_in_root(root, "/etc/passwd", O_RDONLY);
    if (fd < 0) return "/";
    UniqueFd f(fd);
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = read(f.get(), buf, sizeof buf)) > 0 && text.size() < (1 << 20)) text.append(buf, static_cast<size_t>(n));
    std::string id = std::to_string(uid);
    for (std::string_view line : split(text, '\n')) {
        std::vector<std::string_view> f7 = split(line, ':');
        if (f7.size() >= 6 && f7[2] == id) return f7[5].empty() ? "/" : std::string(f7[5]);
    }
    return "/";
}

// Finds args[0] the way runc (Go's exec.LookPath) does, inside the container,
// refusing anything reached through a magic link (/proc/self/exe, fd links).
std::string find_program(int root, const std::string& arg0, const std::vector<std::string>& env) {
    auto usable = [&](const std::string& path, int& err) {
        int fd = openat_in_root(root, path, O_PATH);
        if (fd < 0) {
            err = -fd;
            return false;
        }
        UniqueFd f(fd);
        struct stat st;
        if (fstat(f.get(), &st) < 0 || S_ISDIR(st.st_mode)) {
            err = EACCES;
            return false;
        }
        if (faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) < 0) {
            err = errno;
            return false;
        }
        return true;
    };
    int err = 0;
    if (arg0.find('/') != std::string::npos) {
        if (usable(arg0, err)) return arg0;
        if (err == ELOOP)
            throw Error("exec: \"" + arg0 + "\": refusing a path that leads through a magic link");
        if (err == ENOENT) throw Error("exec: \"" + arg0 + "\": stat " + arg0 + ": no such file or directory");
        if (err == EACCES) throw Error("exec: \"" + arg0 + "\": permission denied");
        throw Error("exec: \"" + arg0 + "\": " + strerror(err));
    }
    std::string path = has_env(env, "PATH") ? getenv_from(env, "PATH")
                                             : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (std::string_view dir : split(path, ':')) {
        std::string cand = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + arg0;
        if (usable(cand, err)) return cand;
    }
    throw Error("exec: \"" + arg0 + "\": executable file not found in $PATH");
}

void set_user_and_caps(const Process& p, bool userns) {
    const auto& caps = p.capabilities;
    if (caps) {
        int last = static_cast<int>(cap_max_bits());
        for (int c = 0; c < last; ++c) {
            bool keep = false;
            for (int b : caps->bounding) keep = keep || b == c;
            if (!keep && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                throw_errno("drop capability " + std::to_string(c) + " from the bounding set");
        }
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
    if (setgroups(p.additional_gids.size(), p.additional_gids.data()) < 0 && !(userns && errno == EPERM))
        throw_errno("setgroups");
    if (setresgid(p.gid, p.gid, p.gid) < 0) throw_errno("setgid " + std::to_string(p.gid));
    if (setresuid(p.uid, p.uid, p.uid) < 0) throw_errno("setuid " + std::to_string(p.uid));
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (!caps) return;
    cap_t c = cap_init();
    auto set = [&](cap_flag_t which, const CapSet& list) {
        if (list.empty()) return;
        std::vector<cap_value_t> v(list.begin(), list.end());
        cap_set_flag(c, which, static_cast<int>(v.size()), v.data(), CAP_SET);
    };
    set(CAP_EFFECTIVE, caps->effective);
    set(CAP_PERMITTED, caps->permitted);
    set(CAP_INHERITABLE, caps->inheritable);
    int rc = cap_set_proc(c);
    int err = errno;
    cap_free(c);
    if (rc < 0) throw_errno("set the process capabilities", err);
    // One call to clear the ambient set (libcap's cap_reset_ambient asks
    // about every capability first); raising one fails quietly when it is
    // not both permitted and inheritable, as in runc.
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int a : caps->ambient) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, a, 0, 0);
}

void report(const InitContext& ctx, int fd, const std::string& msg) {
    if (fd == ctx.channel->fd()) {
        ctx.channel->send_noexcept("error", msg);
    } else if (fd >= 0) {
        (void)!write(fd, msg.data(), msg.size());
    }
}

int g_report_fd = -1;

// Loads the seccomp filter. With SCMP_ACT_NOTIFY rules the runtime takes the
// listener (pidfd_getfd) before we go on; the fd is close-on-exec.
void load_seccomp(const Channel& chan, SeccompFilter& filter) {
    int fd = filter.load();
    if (fd < 0) return;
    chan.send("seccomp", std::to_string(fd));
    chan.expect("seccomp-done", "hand over the seccomp listener");
    ::close(fd);
}

// Closes every descriptor but stdio, the preserved ones and those in keep:
// the init holds nothing of the runtime's (state dir, its lock, the caller's
// stray fds) while it waits in the container.
void close_other_fds(int first_free, std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned lo = static_cast<unsigned>(first_free);
    for (int k : keep) {
        if (k < first_free) continue;
        if (static_cast<unsigned>(k) > lo) syscall(SYS_close_range, lo, static_cast<unsigned>(k) - 1, 0);
        lo = static_cast<unsigned>(k) + 1;
    }
    syscall(SYS_close_range, lo, ~0U, 0);
}

// Execs program (args[0] as the user gave it) through the sealed trampoline,
// with no signal blocked and no descriptor but stdio and the preserved ones
// (3 .. 3+preserve_fds-1) open in the new program.
[[noreturn]] void exec_program(int dmz_fd, const std::string& program, const std::vector<std::string>& user_args,
                               std::vector<std::string>& env, int preserve_fds) {
    std::vector<std::string> args;
    args.push_back(program);
    for (const auto& a : user_args) args.push_back(a);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    unsigned first = 3u + static_cast<unsigned>(preserve_fds);
    if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) throw_errno("close_range");
    for (int fd = 3; fd < static_cast<int>(first); ++fd) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    syscall(SYS_execveat, dmz_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
    throw_errno("exec " + program);
}

[[noreturn]] void init_main(const InitContext& ctx) {
    const Config& c = *ctx.config;
    const Channel& chan = *ctx.channel;
    g_report_fd = chan.fd();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    close_other_fds(3 + ctx.preserve_fds, {chan.fd(), ctx.console_fd, ctx.start_listen_fd, ctx.dmz_fd});

    // "go" (with our pid on the host) follows the runtime's clone; in a new
    // user namespace it also says that our id mappings are written, which
    // everything below needs. Without one, we start on the mounts at once
    // and read it later.
    const Namespace* userns = c.ns(CLONE_NEWUSER);
    const Namespace* cgns = c.ns(CLONE_NEWCGROUP);
    pid_t host_pid = 0;
    auto await_go = [&] {
        if (host_pid) return;
        Message go = chan.expect("go", "wait for the runtime");
        host_pid = static_cast<pid_t>(std::stol(go.text));
    };
    if (userns) await_go();
    // Not dumpable only now: a runtime that is not root writes our uid_map and
    // gid_map before "go", and can't open them once we are not dumpable.
    // Nothing else runs in the container yet.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // The runtime moves us into the container's cgroup while we set up the
    // mounts (a v1 migration costs an RCU grace period per hierarchy); we
    // wait for it before anything that depends on our cgroup: the cgroup
    // namespace (made then, rooted at that cgroup), cgroup mounts, device
    // nodes, hooks, and any other message.
    bool in_cgroup = false;
    bool new_cgroupns = cgns && cgns->path.empty();
    auto await_cgroup = [&] {
        if (in_cgroup) return;
        await_go();
        chan.expect("cgroup-done", "wait for the container's cgroup");
        in_cgroup = true;
        if (new_cgroupns && unshare(CLONE_NEWCGROUP) < 0) throw_errno("unshare the cgroup namespace");
    };
    if (userns) {
        // Root in the user namespace (made or joined by path) when it maps
        // a root; EINVAL says it doesn't, and we stay the overflow id.
        if (setresgid(0, 0, 0) < 0 && errno != EINVAL) throw_errno("become gid 0 in the user namespace");
        if (setresuid(0, 0, 0) < 0 && errno != EINVAL) throw_errno("become uid 0 in the user namespace");
    }
    umask(0);
    if (c.process.oom_score_adj) write_file("/proc/self/oom_score_adj", std::to_string(*c.process.oom_score_adj));
    if (c.hostname && sethostname(c.hostname->data(), c.hostname->size()) < 0) throw_errno("sethostname");
    if (c.domainname && setdomainname(c.domainname->data(), c.domainname->size()) < 0) throw_errno("setdomainname");
    // A network namespace of our own gets its loopback up, as runc and crun do.
    if (const Namespace* netns = c.ns(CLONE_NEWNET); netns && netns->path.empty()) set_loopback_up();

    // The rootfs, with every mount resolved inside it.
    unsigned long prop = c.rootfs_propagation ? c.rootfs_propagation : MS_SLAVE | MS_REC;
    if (mount(nullptr, "/", nullptr, prop | MS_REC, nullptr) < 0) throw_errno("set the propagation of /");
    if (prop & MS_SHARED) make_parent_mount_private(c.root_path);
    if (mount(c.root_path.c_str(), c.root_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        throw_errno("bind mount the rootfs " + c.root_path);
    {
        UniqueFd root(open(c.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno("open the rootfs " + c.root_path);
        bool dev_is_bind = false;
        for (const auto& m : c.mounts)
            if (m.destination == "/dev" && m.opts.bind) dev_is_bind = true;
        for (const auto& m : c.mounts) {
            if (m.type == "cgroup" || m.type == "cgroup2") await_cgroup();
            mount_one(root.get(), m, userns != nullptr, cgns != nullptr, *ctx.cgroup_mounts);
        }
        // Device nodes are made under the container's devices cgroup, as runc does.
        await_cgroup();
        if (!dev_is_bind) setup_dev(root.get(), c, userns != nullptr);
        // The cwd exists (made if missing, as runc does).
        try {
            mkpath_in_root(root.get(), c.process.cwd, false);
        } catch (const Error& e) {
            throw Error("cwd (\"" + c.process.cwd + "\") set in config.json: " + e.what());
        }
    }
    await_cgroup();
    if (!c.hooks.prestart.empty() || !c.hooks.create_runtime.empty()) {
        chan.send("hooks");
        chan.expect("hooks-done", "wait for the createRuntime hooks");
    }
    if (!c.hooks.create_container.empty())
        run_hooks(c.hooks.create_container, "createContainer",
                  hook_state(ctx.id, "creating", host_pid, ctx.bundle, c.annotations));

    pivot_into(c.root_path, ctx.no_pivot);
    if (c.rootfs_propagation && mount(nullptr, "/", nullptr, c.rootfs_propagation, nullptr) < 0)
        throw_errno("set the rootfs propagation");
    UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    for (const auto& [key, value] : c.sysctl) {
        std::string path = "/proc/sys/" + key;
        for (size_t i = 10; i < path.size(); ++i)
            if (path[i] == '.') path[i] = '/';
        write_file(path, value);
    }
    // runc's order: a path both read-only and masked ends up masked.
    readonly_paths(root.get(), c.readonly_paths);
    mask_paths(root.get(), c.masked_paths);

    if (c.process.terminal) {
        std::string slave_path;
        unsigned rows = c.process.console_size ? c.process.console_size->first : 0;
        unsigned cols = c.process.console_size ? c.process.console_size->second : 0;
        UniqueFd master = open_pty(rows, cols, slave_path);
        UniqueFd slave(open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!slave) throw_errno("open " + slave_path);
        int console = openat_in_root(root.get(), "/dev/console", O_PATH);
        UniqueFd console_fd(console >= 0 ? console : -1);
        if (console == -ENOENT) console_fd = mkpath_in_root(root.get(), "/dev/console", true);
        if (console_fd) bind_onto("", slave.get(), console_fd.get(), false, 0, 0, 0, 0, "/dev/console");
        send_fd(ctx.console_fd, master.get(), slave_path);
        become_tty_session(slave.get());
    }
    if (ctx.console_fd >= 0) ::close(ctx.console_fd);
    if (c.root_readonly) {
        struct mount_attr a = {};
        a.attr_set = MOUNT_ATTR_RDONLY;
        if (sys_mount_setattr(AT_FDCWD, "/", 0, &a) < 0) throw_errno("make the rootfs read-only");
    }
    if (!ctx.no_new_keyring) {
        std::string name = "_ses." + ctx.id;
        if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name.c_str()) < 0 && errno != ENOSYS &&
            errno != EPERM && errno != EDQUOT)
            throw_errno("join a new session keyring");
    }

    // The process: cwd (resolved in the root, never through a magic link).
    int cwd = openat_in_root(root.get(), c.process.cwd, O_PATH | O_DIRECTORY);
    if (cwd < 0) throw_errno("chdir to cwd (\"" + c.process.cwd + "\") set in config.json", -cwd);
    if (fchdir(cwd) < 0) throw_errno("chdir to cwd (\"" + c.process.cwd + "\")");
    ::close(cwd);
    for (const auto& r : c.process.rlimits) {
        struct rlimit rl = {r.soft, r.hard};
        if (setrlimit(r.resource, &rl) < 0) throw_errno("setrlimit " + r.name);
    }
    if (c.personality && personality(*c.personality) < 0) throw_errno("personality");
    umask(c.process.umask.value_or(022));
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the
    // capabilities go. With it, as late as possible (just before exec), unless
    // the listener must go to the runtime while the channel is open.
    bool nnp = c.process.no_new_privileges;
    bool notify = ctx.seccomp && ctx.seccomp->uses_notify();
    if (ctx.seccomp && !nnp) load_seccomp(chan, *ctx.seccomp);
    set_user_and_caps(c.process, userns != nullptr);
    if (ctx.seccomp && nnp && notify) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
        load_seccomp(chan, *ctx.seccomp);
    }

    std::vector<std::string> env = c.process.env;
    if (!has_env(env, "HOME")) env.push_back("HOME=" + home_of(root.get(), c.process.uid));
    for (const auto& e : ctx.extra_env) env.push_back(e);
    std::string program = find_program(root.get(), c.process.args[0], env);
    root.reset();

    chan.send("ready");
    if (chan.receive().verb != "commit") _exit(1);
    // Committed: from now on the container outlives the runtime process,
    // which waits for this to be done before it exits.
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    chan.send("committed");

    // Wait for start.
    int reporter = chan.fd();
    if (ctx.start_listen_fd >= 0) {
        ctx.channel->close();
        int conn;
        do conn = accept4(ctx.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        while (conn < 0 && errno == EINTR);
        if (conn < 0) _exit(1);
        ::close(ctx.start_listen_fd);
        reporter = conn;
    } else {
        if (chan.receive().verb != "start") _exit(1);
    }
    g_report_fd = reporter;
    if (!c.hooks.start_container.empty())
        run_hooks(c.hooks.start_container, "startContainer",
                  hook_state(ctx.id, "created", host_pid, ctx.bundle, c.annotations));

    if (c.process.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
    if (ctx.seccomp && nnp && !notify) ctx.seccomp->load();
    exec_program(ctx.dmz_fd, program, c.process.args, env, ctx.preserve_fds);
}

// The exec'd process, in every namespace of the container and its cgroup.
[[noreturn]] void exec_process(const ExecContext& ctx) {
    const Config& c = *ctx.config;
    const Channel& chan = *ctx.channel;
    g_report_fd = chan.fd();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // Until it execs the trampoline this process is an image of the host's
    // ctr-run, visible in the container's pid namespace: not dumpable, so no
    // process in there can open its /proc/PID/exe or ptrace it.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    close_other_fds(3 + ctx.preserve_fds, {chan.fd(), ctx.console_fd, ctx.dmz_fd});
    chan.expect("go", "wait for the runtime");
    bool userns = c.ns(CLONE_NEWUSER) != nullptr;
    UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open the container's root");
    if (c.process.terminal) {
        std::string slave_path;
        unsigned rows = c.process.console_size ? c.process.console_size->first : 0;
        unsigned cols = c.process.console_size ? c.process.console_size->second : 0;
        UniqueFd master = open_pty(rows, cols, slave_path);
        UniqueFd slave(open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!slave) throw_errno("open " + slave_path);
        send_fd(ctx.console_fd, master.get(), slave_path);
        become_tty_session(slave.get());
    } else {
        setsid();
    }
    if (ctx.console_fd >= 0) ::close(ctx.console_fd);
    int cwd = openat_in_root(root.get(), c.process.cwd, O_PATH | O_DIRECTORY);
    if (cwd < 0) throw_errno("chdir to cwd (\"" + c.process.cwd + "\") set in config.json", -cwd);
    if (fchdir(cwd) < 0) throw_errno("chdir to cwd (\"" + c.process.cwd + "\")");
    ::close(cwd);
    for (const auto& r : c.process.rlimits) {
        struct rlimit rl = {r.soft, r.hard};
        if (setrlimit(r.resource, &rl) < 0) throw_errno("setrlimit " + r.name);
    }
    if (c.process.oom_score_adj) write_file("/proc/self/oom_score_adj", std::to_string(*c.process.oom_score_adj));
    umask(c.process.umask.value_or(022));
    bool nnp = c.process.no_new_privileges;
    if (ctx.seccomp && !nnp) load_seccomp(chan, *ctx.seccomp);
    std::vector<std::string> env = c.process.env;
    if (!has_env(env, "HOME")) env.push_back("HOME=" + home_of(root.get(), c.process.uid));
    std::string program = find_program(root.get(), c.process.args[0], env);
    root.reset();
    set_user_and_caps(c.process, userns);
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
    if (ctx.seccomp && nnp) load_seccomp(chan, *ctx.seccomp);

    // The death signal would survive execve: a detached process must outlive
    // the runtime (engines run `exec --detach` and leave).
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    exec_program(ctx.dmz_fd, program, c.process.args, env, ctx.preserve_fds);
}

[[noreturn]] void exec_joiner_main(const ExecContext& ctx) {
    g_report_fd = ctx.channel->fd();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // inherited by the process it clones
    // The user namespace first: it owns the others, and joining it gives us
    // the capabilities to join them.
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& [flag, fd] : ctx.namespaces)
            if ((flag == CLONE_NEWUSER) == (pass == 0) && setns(fd, flag) < 0)
                throw_errno("join the container's namespace " + std::to_string(flag));
    for (const auto& ns : ctx.namespaces) ::close(ns.second);
    pid_t pid = static_cast<pid_t>(syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    if (pid < 0) throw_errno("clone the process");
    if (pid == 0) {
        try {
            exec_process(ctx);
        } catch (const std::exception& e) {
            ctx.channel->send_noexcept("error", e.what());
        }
        _exit(1);
    }
    ctx.channel->send("pid", std::to_string(pid));
    _exit(0);
}

}  // namespace

[[noreturn]] void exec_joiner(const ExecContext& ctx) noexcept {
    try {
        exec_joiner_main(ctx);
    } catch (const std::exception& e) {
        ctx.channel->send_noexcept("error", e.what());
    }
    _exit(1);
}

[[noreturn]] void container_init(const InitContext& ctx) noexcept {
    try {
        init_main(ctx);
    } catch (const std::exception& e) {
        report(ctx, g_report_fd, e.what());
    } catch (...) {
        report(ctx, g_report_fd, "container init failed");
    }
    _exit(1);
}

std::string hook_state(const std::string& id, const std::string& status, pid_t pid, const std::string& bundle,
                       const nlohmann::json& annotations) {
    nlohmann::json j = {{"ociVersion", "1.0.2"}, {"id", id}, {"status", status}, {"pid", pid}, {"bundle", bundle}};
    if (!annotations.empty()) j["annotations"] = annotations;
    return j.dump();
}

int make_dmz_memfd() {
    int fd = memfd_create("ctr-run-dmz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) throw_errno("memfd_create");
    size_t size = static_cast<size_t>(ctr_dmz_end - ctr_dmz_start);
    const char* p = ctr_dmz_start;
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w < 0) {
            int e = errno;
            ::close(fd);
            throw_errno("write the exec trampoline", e);
        }
        p += w;
        size -= static_cast<size_t>(w);
    }
    if (fchmod(fd, 0555) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        int e = errno;
        ::close(fd);
        throw_errno("seal the exec trampoline", e);
    }
    return fd;
}

}  // namespace ctr::runtime

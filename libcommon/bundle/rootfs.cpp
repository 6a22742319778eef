#include "libcommon/bundle/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::bundle {

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) return {};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string relative_to(const std::string& path, const std::string& base) {
    if (base.empty()) return path;
    if (path == base) return ".";
    return path.substr(base.size() + 1);
}

// The longest directory that contains every path.
std::string common_dir(const std::vector<std::string>& paths) {
    if (paths.empty()) return "/";
    std::string prefix = paths[0];
    for (auto& p : paths) {
        size_t i = 0;
        while (i < prefix.size() && i < p.size() && prefix[i] == p[i]) i++;
        prefix.resize(i);
    }
    for (auto& p : paths)
        if (p.size() > prefix.size() && p[prefix.size()] != '/') {
            auto slash = prefix.rfind('/');
            prefix.resize(slash == std::string::npos ? 0 : slash);
            break;
        }
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    return prefix.empty() ? "/" : prefix;
}

void write_text(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        if (!out) throw Error("write " + tmp + ": failed");
    }
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp);
}

}  // namespace

std::string overlay_options(const OverlayLayout& l, const std::string& base) {
    std::string lower;
    for (auto& d : l.lowers) {
        if (d.find_first_of(":,") != std::string::npos) throw Error("overlay lowerdir " + d + ": contains ':' or ','");
        lower += (lower.empty() ? "" : ":") + relative_to(d, base);
    }
    std::string opts =
        "lowerdir=" + lower + ",upperdir=" + relative_to(l.upper, base) + ",workdir=" + relative_to(l.work, base);
    if (!l.extra_options.empty()) opts += "," + l.extra_options;
    return opts;
}

OverlayMount::OverlayMount(const OverlayLayout& l) {
    if (l.lowers.empty()) throw Error("overlay " + l.target + ": no lower directories");
    store::make_dirs(l.upper);
    store::make_dirs(l.work);
    store::make_dirs(l.target);
    std::string opts = overlay_options(l);
    long page = ::sysconf(_SC_PAGESIZE);
    if (static_cast<long>(opts.size()) < page) {
        if (::mount("overlay", l.target.c_str(), "overlay", 0, opts.c_str()) < 0)
            throw_errno("mount overlay on " + l.target + " (" + opts + ")");
    } else {
        // Too long for one page: mount from their common directory with relative paths.
        std::vector<std::string> all = l.lowers;
        all.push_back(l.upper);
        all.push_back(l.work);
        std::string base = common_dir(all);
        opts = overlay_options(l, base == "/" ? "" : base);
        if (static_cast<long>(opts.size()) >= page)
            throw Error("mount overlay on " + l.target + ": " + std::to_string(l.lowers.size()) +
                        " layers are more than one mount can take");
        UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (::chdir(base.c_str()) < 0) throw_errno("chdir " + base);
        int rc = ::mount("overlay", l.target.c_str(), "overlay", 0, opts.c_str());
        int err = errno;
        if (cwd) (void)::fchdir(cwd.get());
        if (rc < 0) throw_errno("mount overlay on " + l.target + " (from " + base + ")", err);
    }
    target_ = l.target;
}

OverlayMount::~OverlayMount() {
    if (!target_.empty()) ::umount2(target_.c_str(), MNT_DETACH);
}

bool is_mount_point(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string id, parent, dev, root, mp;
        ls >> id >> parent >> dev >> root >> mp;
        // mountinfo escapes spaces etc. as octal; our paths have none.
        if (mp == path) return true;
    }
    return false;
}

void unmount_rootfs(const std::string& path) {
    while (is_mount_point(path)) {
        if (::umount2(path.c_str(), MNT_DETACH) < 0) {
            if (errno == EINVAL || errno == ENOENT) return;
            throw_errno("unmount " + path);
        }
    }
}

std::string hosts_file(const InitFiles& f, const std::string& host_hosts) {
    std::string out;
    if (f.network == NetworkMode::Host) {
        out = host_hosts;
        if (!out.empty() && out.back() != '\n') out += '\n';
    } else {
        out = "127.0.0.1\tlocalhost\n"
              "::1\tlocalhost ip6-localhost ip6-loopback\n"
              "fe00::0\tip6-localnet\n"
              "ff00::0\tip6-mcastprefix\n"
              "ff02::1\tip6-allnodes\n"
              "ff02::2\tip6-allrouters\n";
        if (!f.hostname.empty()) {
            out += "127.0.1.1\t";
            if (!f.domainname.empty()) out += f.hostname + "." + f.domainname + " ";
            out += f.hostname + "\n";
        }
    }
    for (auto& h : f.extra_hosts) {
        auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == h.size())
            throw Error("invalid --add-host \"" + h + "\": want NAME:IP");
        out += h.substr(colon + 1) + "\t" + h.substr(0, colon) + "\n";
    }
    return out;
}

std::string resolv_conf(const std::string& host_resolv, const InitFiles& f) {
    std::vector<std::string> servers, search_lines, option_lines, other;
    std::istringstream in(host_resolv);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string word;
        ls >> word;
        if (word == "nameserver") {
            std::string addr;
            ls >> addr;
            bool loopback = addr.rfind("127.", 0) == 0 || addr == "::1";
            if (!addr.empty() && (f.network == NetworkMode::Host || !loopback)) servers.push_back(addr);
        } else if (word == "search" || word == "domain") {
            search_lines.push_back(line);
        } else if (word == "options") {
            option_lines.push_back(line);
        }
    }
    if (!f.dns.empty()) servers = f.dns;
    if (servers.empty() && f.network != NetworkMode::Host) servers = {"8.8.8.8", "8.8.4.4"};
    std::string out;
    if (!f.dns_search.empty()) {
        out += "search";
        for (auto& s : f.dns_search) out += " " + s;
        out += "\n";
    } else {
        for (auto& s : search_lines) out += s + "\n";
    }
    for (auto& s : servers) out += "nameserver " + s + "\n";
    if (!f.dns_options.empty()) {
        out += "options";
        for (auto& s : f.dns_options) out += " " + s;
        out += "\n";
    } else {
        for (auto& s : option_lines) out += s + "\n";
    }
    return out;
}

void write_init_layer(const std::string& dir, const InitFiles& f) {
    store::make_dirs(dir + "/etc");
    write_text(dir + "/etc/hostname", f.hostname + "\n");
    write_text(dir + "/etc/hosts", hosts_file(f, read_text("/etc/hosts")));
    write_text(dir + "/etc/resolv.conf", resolv_conf(read_text("/etc/resolv.conf"), f));
    ::unlink((dir + "/etc/mtab").c_str());
    if (::symlink("/proc/mounts", (dir + "/etc/mtab").c_str()) < 0) throw_errno("symlink " + dir + "/etc/mtab");
    if (f.dockerenv) {
        UniqueFd fd(::open((dir + "/.dockerenv").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755));
        if (!fd) throw_errno("create " + dir + "/.dockerenv");
    }
}

}  // namespace ctr::bundle

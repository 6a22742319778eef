#include "libcommon/runtime/cgroup_host.h"

#include <cctype>
#include <filesystem>
#include <set>
#include <vector>

#include "libcommon/sys/error.h"
#include "libcommon/sys/text.h"

namespace ctr::runtime {

namespace {

// mountinfo escapes blanks and backslashes as \ooo.
std::string unescape_octal(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(s[i + 1]) && std::isdigit(s[i + 2]) &&
            std::isdigit(s[i + 3])) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The lexical normal form of an absolute path, without a trailing slash.
std::string normal_abs(const std::string& p) {
    std::string n = std::filesystem::path("/" + p).lexically_normal().string();
    while (n.size() > 1 && n.back() == '/') n.pop_back();
    return n;
}

std::string join(const std::string& a, const std::string& b) {
    if (b.empty() || b == "/") return a;
    if (a.empty() || a == "/") return b[0] == '/' ? b : "/" + b;
    return a + (b[0] == '/' ? "" : "/") + b;
}

bool under(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

}  // namespace

std::string CgroupHierarchy::dir_for(const std::string& cgroups_path, bool is_unified) const {
    if (!cgroups_path.empty() && cgroups_path[0] == '/') return join(mountpoint, normal_abs(cgroups_path));
    // Our own cgroup, seen from the mount (the mount may show a subtree only).
    std::string base = normal_abs(own);
    std::string r = normal_abs(root);
    if (r != "/" && under(base, r)) base = base.substr(r.size());
    if (base.empty()) base = "/";
    if (is_unified) base = std::filesystem::path(base).parent_path().string();
    return join(join(mountpoint, base), cgroups_path);
}

CgroupHost CgroupHost::parse(const std::string& mountinfo, const std::string& proc_self_cgroup) {
    CgroupHost host;
    // Which controllers exist, and our cgroup in each, from /proc/self/cgroup.
    std::map<std::string, std::string, std::less<>> own;  // controller ("" for v2) -> path
    for (std::string_view line : split(proc_self_cgroup, '\n')) {
        auto first = line.find(':');
        auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        std::string_view controllers = line.substr(first + 1, second - first - 1);
        std::string path(line.substr(second + 1));
        if (controllers.empty()) {
            own[""] = path;
            continue;
        }
        for (std::string_view c : split(controllers, ',')) own[std::string(c)] = path;
    }

    for (std::string_view line : split(mountinfo, '\n')) {
        std::vector<std::string_view> f = fields(line);
        size_t dash = 0;
        while (dash < f.size() && f[dash] != "-") ++dash;
        if (f.size() < 5 || dash + 3 > f.size()) continue;
        std::string_view fstype = f[dash + 1];
        if (fstype != "cgroup" && fstype != "cgroup2") continue;
        std::string root = unescape_octal(f[3]);
        std::string mountpoint = unescape_octal(f[4]);
        bool preferred = under(mountpoint, "/sys/fs/cgroup");
        if (preferred) host.mounts.push_back({mountpoint, std::string(fstype), std::string(f[dash + 3])});
        if (fstype == "cgroup2") {
            auto it = own.find("");
            CgroupHierarchy h{mountpoint, root, it != own.end() ? it->second : "/"};
            if (mountpoint == "/sys/fs/cgroup") {
                host.unified = true;
                host.v2 = h;
            } else if (!host.v2 || (preferred && !under(host.v2->mountpoint, "/sys/fs/cgroup"))) {
                host.v2 = h;
            }
        } else {
            for (std::string_view opt : split(f[dash + 3], ',')) {
                auto it = own.find(opt);
                if (opt.empty() || it == own.end()) continue;
                auto existing = host.v1.find(it->first);
                if (existing != host.v1.end() &&
                    (under(existing->second.mountpoint, "/sys/fs/cgroup") || !preferred))
                    continue;
                host.v1[it->first] = CgroupHierarchy{mountpoint, root, it->second};
            }
        }
    }
    if (host.unified) host.v1.clear();
    return host;
}

CgroupHost CgroupHost::detect() {
    return parse(read_text("/proc/self/mountinfo"), read_text("/proc/self/cgroup"));
}

CgroupHost CgroupHost::fake_tree(const std::string& root, bool is_unified) {
    CgroupHost host;
    host.fake = true;
    host.unified = is_unified;
    if (is_unified) {
        host.v2 = CgroupHierarchy{root, "/", "/"};
        return host;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        if (!entry.is_directory()) continue;
        std::string name = entry.path().filename().string();
        if (name == "unified") {
            host.v2 = CgroupHierarchy{entry.path().string(), "/", "/"};
            continue;
        }
        for (std::string_view c : split(name, ','))
            host.v1[std::string(c)] = CgroupHierarchy{entry.path().string(), "/", "/"};
    }
    if (ec) throw Error("read fake cgroup tree " + root + ": " + ec.message());
    return host;
}

CgroupHost CgroupHost::v2_at(const std::string& dir) {
    CgroupHost host;
    host.unified = true;
    host.v2 = CgroupHierarchy{dir, "/", "/"};
    return host;
}

std::string clean_cgroup_path(const std::string& path) {
    if (path.empty()) return "";
    if (path[0] == '/') return normal_abs(path);
    std::string n = normal_abs(path);
    return n == "/" ? "." : n.substr(1);
}

std::string expand_systemd_slice(const std::string& slice) {
    const std::string suffix = ".slice";
    auto fail = [&](const std::string& why) -> std::string {
        throw Error("linux.cgroupsPath: invalid systemd slice " + slice + ": " + why);
    };
    if (slice.size() <= suffix.size() || slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0)
        return fail("the name must end in .slice");
    if (slice.find('/') != std::string::npos) return fail("the name may not contain /");
    if (slice == "-.slice") return "/";
    std::string name = slice.substr(0, slice.size() - suffix.size());
    if (name.front() == '-' || name.back() == '-' || name.find("--") != std::string::npos)
        return fail("dashes must separate non-empty components");
    std::string path, prefix;
    for (std::string_view part : split(name, '-')) {
        prefix += (prefix.empty() ? "" : "-") + std::string(part);
        path += "/" + prefix + suffix;
    }
    return path;
}

SystemdCgroupPath parse_systemd_cgroups_path(const std::string& cgroups_path, const std::string& id) {
    std::vector<std::string> parts{"", "ctr", id};
    if (!cgroups_path.empty()) {
        parts.clear();
        for (std::string_view part : split(cgroups_path, ':')) parts.emplace_back(part);
    }
    if (parts.size() != 3)
        throw Error("linux.cgroupsPath: expected \"slice:prefix:name\" with --systemd-cgroup, got \"" +
                    cgroups_path + "\"");
    SystemdCgroupPath p;
    p.slice = parts[0].empty() ? "system.slice" : parts[0];
    const std::string& prefix = parts[1];
    const std::string& name = parts[2];
    if (name.empty()) throw Error("linux.cgroupsPath: the name part of \"" + cgroups_path + "\" is empty");
    for (const auto& s : {prefix, name})
        if (s.find('/') != std::string::npos)
            throw Error("linux.cgroupsPath: \"" + s + "\" may not contain /");
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".slice") == 0) {
        p.unit = name;  // the container gets a slice of its own
    } else {
        p.unit = prefix.empty() ? name + ".scope" : prefix + "-" + name + ".scope";
    }
    p.path = join(expand_systemd_slice(p.slice), p.unit);
    return p;
}

}  // namespace ctr::runtime

#include "libcommon/bundle/user.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/text.h"

namespace ctr::bundle {

namespace {

std::optional<uint32_t> parse_id(std::string_view s) {
    if (s.empty()) return std::nullopt;
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

template <typename F>
void for_each_line(std::string_view text, F f) {
    for (auto line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line[0] == '#') continue;
        f(line);
    }
}

// A file inside a rootfs, read with every symlink resolved inside the rootfs.
std::string read_in_root(const std::string& rootfs, const char* rel) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open " + rootfs);
    struct open_how how = {};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), rel, &how, sizeof how)));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return {};
        throw_errno("open " + rootfs + "/" + rel);
    }
    std::string out;
    char buf[8192];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + rootfs + "/" + rel);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > (16 << 20)) throw Error(rootfs + "/" + rel + ": larger than 16 MiB");
    }
    return out;
}

const GroupEntry* find_group(const UserDb& db, std::string_view g) {
    for (auto& e : db.group)
        if (e.name == g) return &e;
    if (auto id = parse_id(g))
        for (auto& e : db.group)
            if (e.gid == *id) return &e;
    return nullptr;
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
    std::vector<PasswdEntry> out;
    for_each_line(text, [&](std::string_view line) {
        auto f = split(line, ':');
        if (f.size() < 7) return;
        auto uid = parse_id(f[2]);
        auto gid = parse_id(f[3]);
        if (f[0].empty() || !uid || !gid) return;
        out.push_back({std::string(f[0]), *uid, *gid, std::string(f[5]), std::string(f[6])});
    });
    return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
    std::vector<GroupEntry> out;
    for_each_line(text, [&](std::string_view line) {
        auto f = split(line, ':');
        if (f.size() < 4) return;
        auto gid = parse_id(f[2]);
        if (f[0].empty() || !gid) return;
        GroupEntry e{std::string(f[0]), *gid, {}};
        if (!f[3].empty())
            for (auto m : split(f[3], ','))
                if (!m.empty()) e.members.emplace_back(m);
        out.push_back(std::move(e));
    });
    return out;
}

UserDb UserDb::read_rootfs(const std::string& rootfs) {
    return {parse_passwd(read_in_root(rootfs, "etc/passwd")), parse_group(read_in_root(rootfs, "etc/group"))};
}

ResolvedUser resolve_user(std::string_view spec, const UserDb& db, const std::vector<std::string>& group_add) {
    std::string_view user = spec, group;
    bool has_group = false;
    if (auto colon = spec.find(':'); colon != std::string_view::npos) {
        user = spec.substr(0, colon);
        group = spec.substr(colon + 1);
        has_group = true;
    }
    if (user.empty()) user = "0";

    ResolvedUser r;
    const PasswdEntry* pw = nullptr;
    for (auto& e : db.passwd)
        if (e.name == user) pw = &e;
    auto uid = parse_id(user);
    if (!pw && uid)
        for (auto& e : db.passwd)
            if (e.uid == *uid) {
                pw = &e;
                break;
            }
    if (pw) {
        r.uid = pw->uid;
        r.gid = pw->gid;
        if (!pw->home.empty()) r.home = pw->home;
    } else if (uid) {
        r.uid = *uid;
        r.gid = 0;
    } else {
        throw Error("unable to find user " + std::string(user) + ": no matching entries in passwd file");
    }

    if (has_group) {
        if (group.empty()) throw Error("user " + std::string(spec) + ": empty group");
        if (auto* g = find_group(db, group))
            r.gid = g->gid;
        else if (auto gid = parse_id(group))
            r.gid = *gid;
        else
            throw Error("unable to find group " + std::string(group) + ": no matching entries in group file");
    } else if (pw) {
        // Supplementary groups come from membership only when no group was named.
        for (auto& g : db.group)
            if (std::find(g.members.begin(), g.members.end(), pw->name) != g.members.end() && g.gid != r.gid)
                r.additional_gids.push_back(g.gid);
    }
    for (auto& ga : group_add) {
        uint32_t gid;
        if (auto* g = find_group(db, ga))
            gid = g->gid;
        else if (auto id = parse_id(ga))
            gid = *id;
        else
            throw Error("unable to find group " + ga + ": no matching entries in group file");
        if (std::find(r.additional_gids.begin(), r.additional_gids.end(), gid) == r.additional_gids.end())
            r.additional_gids.push_back(gid);
    }
    return r;
}

}  // namespace ctr::bundle

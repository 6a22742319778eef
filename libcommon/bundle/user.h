// Who a container's process runs as: docker's `-u user[:group]` resolved
// against the rootfs's own /etc/passwd and /etc/group, never the host's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctr::bundle {

// One line of /etc/passwd.
struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
    std::string shell;
};

// One line of /etc/group.
struct GroupEntry {
    std::string name;
    uint32_t gid = 0;
    std::vector<std::string> members;
};

// Parsers for the files' text; malformed lines are skipped (as libc does).
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

// The user database of one rootfs.
struct UserDb {
    std::vector<PasswdEntry> passwd;
    std::vector<GroupEntry> group;

    // Reads etc/passwd and etc/group inside `rootfs` (symlinks resolved inside
    // it, never out of it). Missing files give empty tables.
    static UserDb read_rootfs(const std::string& rootfs);
};

// The ids a process gets.
struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    // The home directory from passwd ("/" when the user has no entry).
    std::string home = "/";
};

// Resolves docker's USER syntax: "" (root), "name", "uid", "name:group",
// "uid:gid", "name:gid", "uid:group". A numeric uid without a passwd entry is
// fine (gid 0, home "/"); an unknown name is an error, like docker's
// "unable to find user bob: no matching entries in passwd file".
// Supplementary groups: every group listing the user's name as a member,
// plus `group_add` (names or numbers, as docker's --group-add).
ResolvedUser resolve_user(std::string_view spec, const UserDb& db,
                          const std::vector<std::string>& group_add = {});

}  // namespace ctr::bundle

// Reading and writing cgroup files, with the errors users need to see
// ("write 100 to /sys/fs/cgroup/pids/x/pids.max: Invalid argument").
//
// A cgroup file takes one value per write(2): Dir::write opens, writes once
// and closes; a Writer keeps one descriptor for a run of values. In a fake
// tree (tests) writes create missing files and append, so a test can read
// back every value written, in order.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "libcommon/sys/fd.h"

namespace ctr::runtime::cgfs {

// One cgroup directory.
struct Dir {
    std::string path;
    bool fake = false;

    std::string file(const std::string& name) const { return path + "/" + name; }

    // Returns 0 or the errno of the failed open/write.
    int try_write(const std::string& name, const std::string& value) const;
    void write(const std::string& name, const std::string& value) const;
    // The file's text without the trailing newline; nullopt when it doesn't exist.
    std::optional<std::string> read(const std::string& name) const;
    std::string read_required(const std::string& name) const;
    bool has(const std::string& name) const;
    bool exists() const;
};

// Writes to one file of a Dir through one descriptor, opened at the first
// write: for files that take one value per write(2), such as v1's
// devices.allow and devices.deny, where a container's rules are a dozen
// writes. Errors read as Dir::write's.
class Writer {
public:
    Writer(const Dir& dir, std::string name) : dir_(dir), name_(std::move(name)) {}
    void write(const std::string& value);

private:
    const Dir& dir_;
    std::string name_;
    UniqueFd fd_;
};

// Creates dir and its missing parents; returns the directories it made, top first.
std::vector<std::string> make_dirs(const std::string& dir);
// Removes the cgroup at dir and every cgroup below it, deepest first. A
// cgroup whose tasks are still exiting (EBUSY) is retried for about a second.
// A missing dir is not an error.
void remove_tree(const std::string& dir, bool fake);
// The pids in dir's cgroup.procs and in every cgroup below it.
std::vector<pid_t> procs_recursive(const std::string& dir);

}  // namespace ctr::runtime::cgfs

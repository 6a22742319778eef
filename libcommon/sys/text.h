// Small text helpers for the files the runtime reads on its hot path
// (/proc/self/mountinfo, /proc/self/cgroup, /etc/passwd): plain reads and
// splits, no iostreams, so a container start pays for neither stream set-up
// nor a copy of the text per line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ctr {

// The whole file; throws ctr::Error("open|read <path>: ...").
std::string read_text(const std::string& path);

// s cut at every sep: "a::b" -> {"a", "", "b"}; "" -> {""}. The views (here
// and from fields()) point into s: keep the string alive while they are used
// (not `split(read_text(p), ...)` in a range-for).
std::vector<std::string_view> split(std::string_view s, char sep);

// The words of s between blanks (spaces, tabs, newlines, ...), as
// iostream's >> reads them: " a  b\nc " -> {"a", "b", "c"}.
std::vector<std::string_view> fields(std::string_view s);

}  // namespace ctr

// The runtime's log, as runc keeps it: --log FILE (default: stderr),
// --log-format text|json, --debug for debug lines. Engines (containerd's
// shim, conmon) read the last "error" line of the JSON log to learn why a
// command failed, so errors always go there as well as to stderr.
#pragma once

#include <string>

namespace ctr::runtime::log {

void configure(const std::string& path, const std::string& format, bool debug);
void error(const std::string& msg);
void warn(const std::string& msg);
void debug(const std::string& msg);
// Whether log lines go to a file (then stderr gets the plain error only).
bool to_file();

}  // namespace ctr::runtime::log

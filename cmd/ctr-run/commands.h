// ctr-run's subcommands, one file each; main.cpp parses the global flags and
// dispatches. Each returns the exit status.
#pragma once

#include <string>
#include <vector>

#include "libcommon/runtime/container.h"
#include "libcommon/runtime/flags.h"
#include "libcommon/sys/error.h"

namespace ctr_run {

using Args = std::vector<std::string>;
using ctr::runtime::Globals;

int cmd_create(const Globals& g, const Args& args);
int cmd_start(const Globals& g, const Args& args);
int cmd_run(const Globals& g, const Args& args);
int cmd_state(const Globals& g, const Args& args);
int cmd_kill(const Globals& g, const Args& args);
int cmd_delete(const Globals& g, const Args& args);
int cmd_list(const Globals& g, const Args& args);
int cmd_spec(const Globals& g, const Args& args);
int cmd_exec(const Globals& g, const Args& args);
int cmd_ps(const Globals& g, const Args& args);
int cmd_pause(const Globals& g, const Args& args);
int cmd_resume(const Globals& g, const Args& args);
int cmd_update(const Globals& g, const Args& args);
int cmd_events(const Globals& g, const Args& args);
int cmd_features(const Globals& g, const Args& args);

// Parses a subcommand's flags; prints usage and returns true for --help.
bool parse_or_help(const std::vector<ctr::runtime::FlagSpec>& specs, const Args& args, const char* usage,
                   ctr::runtime::Flags& out);
// Exactly n positional arguments or a runc-style error.
void need_args(const ctr::runtime::Flags& f, size_t n, const char* command);
// A path made absolute against the current directory.
std::string absolute(const std::string& path);

}  // namespace ctr_run

// The meaning of each instruction's arguments: which flags it takes, how its
// words split and expand, and the checks docker makes before building
// anything (so a mistake on line 12 is reported before step 1 runs). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/dockerfile/expand.h"
#include "libcommon/dockerfile/parser.h"

namespace ctr::dockerfile {

// Checks every instruction (arity, known flags, JSON where JSON is required,
// instructions before the first FROM, ONBUILD's nested instruction). Throws
// ctr::Error("Dockerfile:LINE: ...") at the first problem.
void validate(const Dockerfile& df);

// Checks one instruction on its own (also what ONBUILD triggers go through).
void validate_instruction(const Instruction& ins, const std::string& file);

// FROM [--platform=P] IMAGE [AS NAME], expanded with the global ARGs.
struct From {
    std::string image;
    std::string platform;
    std::string alias;  // lower-cased, "" if none
};
From parse_from(const Instruction& ins, const Lookup& vars, char escape);

// ENV and LABEL: `k=v k2="v 2"` or the legacy `k value with spaces`.
std::vector<std::pair<std::string, std::string>> parse_key_values(const Instruction& ins, const Lookup& vars,
                                                                   char escape);

// ARG NAME[=default] [NAME2[=default]...]; defaults expanded.
std::vector<std::pair<std::string, std::optional<std::string>>> parse_args(const Instruction& ins,
                                                                           const Lookup& vars, char escape);

// The command of RUN, CMD, ENTRYPOINT: the exec form as written, or the shell
// form run by `shell` (["/bin/sh","-c"] unless SHELL changed it).
std::vector<std::string> command_of(const Instruction& ins, const std::vector<std::string>& shell);

// COPY/ADD sources and destination, expanded (heredoc sources are "<<NAME").
struct CopyArgs {
    std::vector<std::string> sources;
    std::string dest;
};
CopyArgs parse_copy(const Instruction& ins, const Lookup& vars, char escape);

// HEALTHCHECK as the image config stores it ({"Test": [...], "Interval": ns, ...}).
nlohmann::json parse_healthcheck(const Instruction& ins, const std::vector<std::string>& shell);

// A Go duration ("30s", "1m30s", "250ms") in nanoseconds. Throws on bad input.
int64_t parse_duration(std::string_view s);

// The value of --chmod=: octal permission bits. Throws on bad input.
unsigned parse_chmod(std::string_view s);

}  // namespace ctr::dockerfile

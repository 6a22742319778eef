// The part of every program's command line that is the same everywhere:
// parsing with cxxopts (a bad option is docker's exit status 125), --help
// and --version, and the positional arguments.
//
//   auto r = ctr::cli::parse(opts, argc, argv);
//   if (ctr::cli::answered_help_or_version(opts, r, "ctr-logs")) return 0;
//   auto args = ctr::cli::positionals(r);
#pragma once

// Every program includes cxxopts through this header, so that all of them
// (and the library code they link) agree on how a repeated option is read:
// each occurrence is one value, commas included (`--build-arg A=1,2`,
// `-e LIST=a,b`), as docker reads them. cxxopts would otherwise split at commas.
#ifdef CXXOPTS_HPP_INCLUDED
#error "include libcommon/cli/options.h instead of <cxxopts.hpp>"
#endif
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>
#include <string>
#include <vector>

namespace ctr::cli {

// What --help prints: the option table of these groups (none named: all of
// them), then `after`, free text such as what the arguments mean.
struct HelpText {
    std::vector<std::string> groups;
    std::string after;
};

// Parses argv; an unknown or malformed option throws ExitError(125).
cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv);

// Prints the help or the version line when the command line asks for one
// and returns true: the program then exits 0 without doing anything else.
bool answered_help_or_version(const cxxopts::Options& opts, const cxxopts::ParseResult& r,
                              const std::string& program, const HelpText& help = {});

// The positional arguments gathered under `name` (empty when there are none).
std::vector<std::string> positionals(const cxxopts::ParseResult& r, const std::string& name = "args");

}  // namespace ctr::cli

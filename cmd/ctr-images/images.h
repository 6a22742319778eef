// ctr-images subcommands: each parses its own options and does one thing.
#pragma once

#include <string>
#include <vector>

#include "libcommon/cli/options.h"

namespace images {

int list_main(int argc, char** argv);
int tag_main(int argc, char** argv);
int rm_main(int argc, char** argv);
int save_main(int argc, char** argv);
int history_main(int argc, char** argv);

// Parses argv with opts; prints help/version and returns true if the caller should exit 0.
bool parse(cxxopts::Options& opts, int argc, char** argv, cxxopts::ParseResult& r, const std::string& extra_help = "");

}  // namespace images

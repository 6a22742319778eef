// ctr-images subcommands: each parses its own options and does one thing.
#pragma once

// Repeated options keep commas: CMD ["a","b"] is one value.
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>
#include <string>
#include <vector>

namespace images {

int list_main(int argc, char** argv);
int tag_main(int argc, char** argv);
int rm_main(int argc, char** argv);
int save_main(int argc, char** argv);
int history_main(int argc, char** argv);

// Parses argv with opts; prints help/version and returns true if the caller should exit 0.
bool parse(cxxopts::Options& opts, int argc, char** argv, cxxopts::ParseResult& r, const std::string& extra_help = "");
std::vector<std::string> positional(const cxxopts::ParseResult& r);

}  // namespace images

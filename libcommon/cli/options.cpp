#include "libcommon/cli/options.h"

#include <iostream>

#include "libcommon/cli/main.h"

namespace ctr::cli {

cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv) {
    try {
        return opts.parse(argc, argv);
    } catch (const cxxopts::exceptions::exception& e) {
        throw ExitError(125, e.what());
    }
}

bool answered_help_or_version(const cxxopts::Options& opts, const cxxopts::ParseResult& r,
                              const std::string& program, const HelpText& help) {
    if (r.count("help")) {
        std::cout << (help.groups.empty() ? opts.help() : opts.help(help.groups)) << help.after;
        return true;
    }
    if (r.count("version")) {
        std::cout << version_line(program) << "\n";
        return true;
    }
    return false;
}

std::vector<std::string> positionals(const cxxopts::ParseResult& r, const std::string& name) {
    return r.count(name) ? r[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

}  // namespace ctr::cli

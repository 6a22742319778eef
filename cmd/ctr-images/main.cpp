// ctr-images: list, tag, remove, save and show the history of the store's images.
#include <cstring>
#include <iostream>

#include "cmd/ctr-images/images.h"
#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"

namespace images {

bool parse(cxxopts::Options& opts, int argc, char** argv, cxxopts::ParseResult& r, const std::string& extra_help) {
    opts.add_options()("h,help", "Show this help")("version", "Show the version")(
        "args", "", cxxopts::value<std::vector<std::string>>());
    opts.parse_positional({"args"});
    r = ctr::cli::parse(opts, argc, argv);
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-images", {.after = extra_help})) return true;
    ctr::preflight::require_store();
    return false;
}

}  // namespace images

int main(int argc, char** argv) {
    return ctr::run_main("ctr-images", [&] {
        if (argc >= 2) {
            std::string sub = argv[1];
            if (sub == "ls" || sub == "list") return images::list_main(argc - 1, argv + 1);
            if (sub == "tag") return images::tag_main(argc - 1, argv + 1);
            if (sub == "rm" || sub == "rmi") return images::rm_main(argc - 1, argv + 1);
            if (sub == "save") return images::save_main(argc - 1, argv + 1);
            if (sub == "history") return images::history_main(argc - 1, argv + 1);
        }
        return images::list_main(argc, argv);
    });
}

// ctr-push: an image of the store to a registry (see libcommon/registry/push.h).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/registry/http.h"
#include "libcommon/registry/push.h"
#include "libcommon/registry/reference.h"

namespace {

using namespace ctr::registry;

int push_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-push", "Push an image of the store ($CTR_ROOT) to a registry.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("IMAGE [DESTINATION]");
    opts.add_options()
        ("chunk-size", "Upload blobs in PATCH chunks of this many bytes (default: one PUT each)",
         cxxopts::value<uint64_t>()->default_value("0"), "BYTES")
        ("digestfile", "Write the pushed digest to FILE", cxxopts::value<std::string>(), "FILE")
        ("q,quiet", "No progress, only the digest")
        ("jobs", "Blobs uploaded at once", cxxopts::value<int>()->default_value("4"), "N")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("args", "", cxxopts::value<std::vector<std::string>>());
    add_access_options(opts);
    opts.parse_positional({"args"});
    auto r = ctr::cli::parse(opts, argc, argv);
    const ctr::cli::HelpText help{
        .groups = {""},
        .after = "\nIMAGE is a name, id or digest in the store; DESTINATION a reference\n"
                 "(host:port/repo:tag), by default IMAGE's own name.\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-push", help)) return 0;
    std::vector<std::string> args = ctr::cli::positionals(r);
    if (args.empty() || args.size() > 2) throw ctr::ExitError(125, "usage: ctr-push [OPTIONS] IMAGE [DESTINATION]");

    PushOptions options;
    options.access = access_flags(r);
    options.chunk_size = r["chunk-size"].as<uint64_t>();
    options.jobs = r["jobs"].as<int>();
    if (options.jobs < 1) throw ctr::ExitError(125, "--jobs must be at least 1");
    bool quiet = r.count("quiet") > 0;
    Progress progress(stderr, !quiet && ::isatty(STDERR_FILENO));
    options.progress = &progress;

    http_init();
    ctr::preflight::require_store();
    auto store = ctr::store::Store::open();
    PushResult res;
    try {
        res = push(store, args[0], args.size() > 1 ? args[1] : "", options);
    } catch (const ctr::Error& e) {
        if (interrupted()) throw ctr::ExitError(130, e.what());
        throw;
    }
    if (!quiet) {
        Reference dest = parse_reference(res.name);
        std::fprintf(stderr, "%s: digest: %s size: %lld\n", dest.tag.c_str(), res.digest.str().c_str(),
                     static_cast<long long>(res.size));
    }
    if (r.count("digestfile")) {
        std::ofstream f(r["digestfile"].as<std::string>());
        f << res.digest.str();
        if (!f) throw ctr::Error("write " + r["digestfile"].as<std::string>() + ": failed");
    }
    std::cout << res.digest.str() << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-push", [&] { return push_main(argc, argv); }); }

// ctr-pull: images from a registry into the store (see libcommon/registry/pull.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/registry/http.h"
#include "libcommon/registry/pull.h"
#include "libcommon/registry/reference.h"

namespace {

using namespace ctr::registry;

int pull_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-pull", "Pull images from a registry into the store ($CTR_ROOT).");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("REF...");
    opts.add_options()
        ("platform", "Image to choose from a multi-platform index (default: this machine's)",
         cxxopts::value<std::string>(), "OS/ARCH[/VARIANT]")
        ("a,all-tags", "Pull every tag of the repository")
        ("q,quiet", "Print only the image id")
        ("progress", "Progress bars: auto (when standard error is a terminal), always or never",
         cxxopts::value<std::string>()->default_value("auto"), "WHEN")
        ("jobs", "Blobs fetched at once", cxxopts::value<int>()->default_value("4"), "N")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("refs", "", cxxopts::value<std::vector<std::string>>());
    add_access_options(opts);
    opts.parse_positional({"refs"});
    auto r = ctr::cli::parse(opts, argc, argv);
    const ctr::cli::HelpText help{
        .groups = {""},
        .after = "\nREF is docker's: alpine (docker.io/library/alpine:latest), host:port/repo:tag, repo@sha256:...\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-pull", help)) return 0;
    std::vector<std::string> refs = ctr::cli::positionals(r, "refs");
    if (refs.empty()) throw ctr::ExitError(125, "no image to pull (usage: ctr-pull [OPTIONS] REF...)");

    PullOptions options;
    options.access = access_flags(r);
    if (r.count("platform")) options.platform = ctr::oci::Platform::parse(r["platform"].as<std::string>());
    options.jobs = r["jobs"].as<int>();
    if (options.jobs < 1) throw ctr::ExitError(125, "--jobs must be at least 1");
    bool quiet = r.count("quiet") > 0;
    std::string when = r["progress"].as<std::string>();
    if (when != "auto" && when != "always" && when != "never")
        throw ctr::ExitError(125, "--progress: " + when + " is not auto, always or never");
    bool bars = when == "always" || (when == "auto" && ::isatty(STDERR_FILENO));
    Progress progress(stderr, !quiet && bars);
    options.progress = &progress;

    if (r.count("all-tags")) {
        std::vector<std::string> all;
        for (auto& ref : refs) {
            Reference parsed = parse_reference(ref);
            if (parsed.tagged || !parsed.digest.empty())
                throw ctr::ExitError(125, "--all-tags takes a repository without a tag or digest: " + ref);
            for (auto& t : remote_tags(ref, options)) all.push_back(t);
        }
        refs = all;
    }

    http_init();
    ctr::preflight::require_store();
    auto store = ctr::store::Store::open();
    for (auto& ref : refs) {
        PullResult res;
        try {
            res = pull(store, ref, options);
        } catch (const ctr::Error& e) {
            if (interrupted()) throw ctr::ExitError(130, e.what());
            throw;
        }
        if (quiet) {
            std::cout << res.image_id.hex() << std::endl;
            continue;
        }
        print_pull_status(res);
        std::cout << res.name << std::endl;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-pull", [&] { return pull_main(argc, argv); }); }

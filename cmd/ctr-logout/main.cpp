// ctr-logout: remove a registry's credentials from the auth file.
#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/registry/login.h"

namespace {

int logout_main(int argc, char** argv) {
    using namespace ctr::registry;
    cxxopts::Options opts("ctr-logout", "Remove the credentials of a container registry from the auth file.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("[REGISTRY]");
    opts.add_options()
        ("a,all", "Remove the credentials of every registry")
        ("authfile", "Auth file (default: REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json)",
         cxxopts::value<std::string>(), "FILE")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("registry", "", cxxopts::value<std::vector<std::string>>());
    opts.parse_positional({"registry"});
    auto r = ctr::cli::parse(opts, argc, argv);
    const ctr::cli::HelpText help{
        .groups = {""},
        .after = "\nREGISTRY defaults to docker.io.\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-logout", help)) return 0;
    std::vector<std::string> pos = ctr::cli::positionals(r, "registry");
    if (pos.size() > 1) throw ctr::ExitError(125, "too many arguments (one REGISTRY at most)");
    AccessFlags flags;
    if (r.count("authfile")) flags.authfile = r["authfile"].as<std::string>();
    if (r.count("all")) {
        if (!pos.empty()) throw ctr::ExitError(125, "--all takes no REGISTRY");
        logout_all(flags);
        std::cout << "Removed login credentials for all registries\n";
        return 0;
    }
    std::string key = login_key(pos.empty() ? "" : pos[0]);
    logout(key, flags);
    std::cout << "Removed login credentials for " << key << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-logout", [&] { return logout_main(argc, argv); }); }

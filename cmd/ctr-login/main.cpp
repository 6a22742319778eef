// ctr-login: check credentials against a registry and keep them in the auth file.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/registry/http.h"
#include "libcommon/registry/login.h"

namespace {

int login_main(int argc, char** argv) {
    using namespace ctr::registry;
    cxxopts::Options opts("ctr-login", "Log in to a container registry; the credentials go to the auth file.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("[REGISTRY]");
    opts.add_options()
        ("u,username", "User name", cxxopts::value<std::string>(), "USER")
        ("p,password", "Password (visible to other users in ps: prefer --password-stdin)", cxxopts::value<std::string>(), "PASS")
        ("password-stdin", "Read the password from standard input")
        ("get-login", "Print the user name stored for the registry")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("registry", "", cxxopts::value<std::vector<std::string>>());
    add_access_options(opts, false);
    opts.parse_positional({"registry"});
    auto r = ctr::cli::parse(opts, argc, argv);
    const ctr::cli::HelpText help{
        .groups = {""},
        .after = "\nREGISTRY defaults to docker.io.\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-login", help)) return 0;
    std::vector<std::string> pos = ctr::cli::positionals(r, "registry");
    if (pos.size() > 1) throw ctr::ExitError(125, "too many arguments (one REGISTRY at most)");
    AccessFlags flags = access_flags(r);
    std::string key = login_key(pos.empty() ? "" : pos[0]);

    if (r.count("get-login")) {
        auto c = AuthFiles::locate(flags.authfile).lookup(key);
        if (!c) throw ctr::Error("not logged in to " + key);
        std::cout << c->username << "\n";
        return 0;
    }

    Credentials creds;
    if (r.count("username")) creds.username = r["username"].as<std::string>();
    if (r.count("password") && r.count("password-stdin"))
        throw ctr::ExitError(125, "--password and --password-stdin are mutually exclusive");
    if (r.count("password-stdin")) {
        if (creds.username.empty()) throw ctr::ExitError(125, "--password-stdin needs --username");
        creds.password.assign(std::istreambuf_iterator<char>(std::cin), {});
        while (!creds.password.empty() && (creds.password.back() == '\n' || creds.password.back() == '\r'))
            creds.password.pop_back();
    } else if (r.count("password")) {
        creds.password = r["password"].as<std::string>();
    }
    if (creds.username.empty()) creds.username = prompt("Username: ", false);
    if (creds.password.empty()) creds.password = prompt("Password: ", true);

    http_init();
    login(key, creds, flags);
    std::cout << "Login Succeeded!\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-login", [&] { return login_main(argc, argv); }); }

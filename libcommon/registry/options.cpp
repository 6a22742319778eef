#include "libcommon/registry/options.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::registry {

void add_access_options(cxxopts::Options& options, bool with_creds) {
    if (with_creds)
        options.add_options()("creds", "Credentials USER[:PASSWORD] for the registry", cxxopts::value<std::string>(),
                              "USER[:PASS]");
    options.add_options()
        ("authfile", "Auth file (default: REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json)",
         cxxopts::value<std::string>(), "FILE")
        ("cert-dir", "Directory of CA certificates (*.crt) and client keys (*.cert, *.key)",
         cxxopts::value<std::string>(), "DIR")
        ("tls-verify", "Require HTTPS and verify certificates (--tls-verify=false to skip)",
         cxxopts::value<bool>()->implicit_value("true"), "BOOL")
        ("registries-conf", "registries.conf to use (default: CTR_REGISTRIES_CONF, /etc/containers/registries.conf)",
         cxxopts::value<std::string>(), "FILE");
}

AccessFlags access_flags(const cxxopts::ParseResult& r) {
    AccessFlags f;
    if (r.count("creds")) f.creds = r["creds"].as<std::string>();
    if (r.count("authfile")) f.authfile = r["authfile"].as<std::string>();
    if (r.count("cert-dir")) f.cert_dir = r["cert-dir"].as<std::string>();
    if (r.count("registries-conf")) f.registries_conf = r["registries-conf"].as<std::string>();
    if (r.count("tls-verify")) f.tls_verify = r["tls-verify"].as<bool>();
    return f;
}

Credentials parse_creds(const std::string& text) {
    Credentials c;
    auto colon = text.find(':');
    c.username = text.substr(0, colon);
    if (c.username.empty()) throw Error("--creds: no user name in \"USER[:PASSWORD]\"");
    if (colon != std::string::npos)
        c.password = text.substr(colon + 1);
    else
        c.password = prompt("Password: ", true);
    return c;
}

ClientOptions client_options(const AccessFlags& flags, const std::string& repository, bool insecure) {
    ClientOptions o;
    if (!flags.creds.empty())
        o.creds = parse_creds(flags.creds);
    else
        o.creds = AuthFiles::locate(flags.authfile).lookup(repository);
    o.insecure = insecure && !(flags.tls_verify && *flags.tls_verify);
    o.tls_verify = flags.tls_verify.value_or(true);
    o.cert_dir = flags.cert_dir;
    return o;
}

std::string prompt(const std::string& question, bool secret) {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty) throw Error("cannot ask for \"" + question.substr(0, question.find(':')) + "\": no terminal");
    if (::write(tty.get(), question.data(), question.size()) < 0) throw_errno("write /dev/tty");
    termios saved{};
    bool restore = false;
    if (secret && ::tcgetattr(tty.get(), &saved) == 0) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        restore = ::tcsetattr(tty.get(), TCSAFLUSH, &quiet) == 0;
    }
    std::string line;
    char ch;
    while (::read(tty.get(), &ch, 1) == 1 && ch != '\n') line += ch;
    if (restore) {
        ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
        if (::write(tty.get(), "\n", 1) < 0) {
        }
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace ctr::registry

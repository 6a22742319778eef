// The options ctr-pull, ctr-push and ctr-login share (as podman spells them):
// --creds, --authfile, --cert-dir, --tls-verify, --registries-conf, and how
// they turn into a ClientOptions for one registry.
#pragma once

#include <optional>
#include <string>

#include "libcommon/cli/options.h"
#include "libcommon/registry/auth_file.h"
#include "libcommon/registry/client.h"
#include "libcommon/registry/registries_conf.h"

namespace ctr::registry {

// What the user said about credentials and TLS.
struct AccessFlags {
    std::string creds;            // "USER[:PASSWORD]" or empty
    std::string authfile;         // --authfile or empty
    std::string cert_dir;         // --cert-dir or empty
    std::string registries_conf;  // --registries-conf or empty
    std::optional<bool> tls_verify;  // set when --tls-verify was given
};

// Adds the options; ctr-login takes its credentials its own way (with_creds false).
void add_access_options(cxxopts::Options& options, bool with_creds = true);
AccessFlags access_flags(const cxxopts::ParseResult& result);

// The ClientOptions for reaching `repository` ("host/path" or a host) at an
// endpoint that registries.conf may call insecure: --creds first, else the
// auth files; --tls-verify=false or `insecure` turn verification off.
ClientOptions client_options(const AccessFlags& flags, const std::string& repository, bool insecure);

// "user:pass" -> credentials; "user" asks for the password on the terminal.
Credentials parse_creds(const std::string& text);

// Reads a line from the terminal (/dev/tty), without echo when `secret`.
// Throws when there is no terminal.
std::string prompt(const std::string& question, bool secret);

}  // namespace ctr::registry

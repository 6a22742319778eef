// Registry credentials in the files users already have (containers-auth.json(5)
// and docker's config.json share one format):
//
//   {"auths": {"registry.example:5000": {"auth": "<base64 of user:password>"}}}
//
// Read, in order: the --authfile / REGISTRY_AUTH_FILE file when given;
// otherwise ${XDG_RUNTIME_DIR}/containers/auth.json (or
// /run/containers/<uid>/auth.json without XDG_RUNTIME_DIR) and
// ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json; then, always,
// ${DOCKER_CONFIG:-~/.docker}/config.json. Writes go to the first file only,
// 0600 and atomically (a temporary file renamed over it). Keys are registry
// hosts, optionally with a repository namespace ("host/team"); the most
// specific key wins. Passwords never leave this file except to the registry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctr::registry {

// A user name and password (or a registry's identity token, sent as the password).
struct Credentials {
    std::string username;
    std::string password;
    std::string identity_token;  // docker's OAuth refresh token, when a login produced one
};

// The auth files to read and the one to write.
struct AuthFiles {
    std::vector<std::string> read;  // in the order searched
    std::string write;              // the first of `read`
    bool user_given = false;        // --authfile or REGISTRY_AUTH_FILE

    // The files for `authfile` (the --authfile option, may be empty).
    static AuthFiles locate(const std::string& authfile = "");

    // The credentials for a repository ("host/path") or a host, or nothing.
    // `found_in` receives the file they came from.
    std::optional<Credentials> lookup(std::string_view repository, std::string* found_in = nullptr) const;
};

// "https://index.docker.io/v1/" -> "docker.io", "http://host:5000/" -> "host:5000".
std::string normalize_auth_key(std::string_view key);

// The credentials stored under exactly `key` in one file, or nothing.
std::optional<Credentials> read_credentials(const std::string& path, std::string_view key);
// Stores credentials under `key` (replacing an entry for the same key), creating the file 0600.
void write_credentials(const std::string& path, std::string_view key, const Credentials& creds);
// Removes the entry for `key` (any spelling of it); false when there was none.
bool erase_credentials(const std::string& path, std::string_view key);
// Removes every entry; false when there were none.
bool erase_all_credentials(const std::string& path);

// base64("user:password") and back; decode throws ctr::Error on malformed input.
std::string encode_basic(const Credentials& creds);
Credentials decode_basic(std::string_view b64, const std::string& origin);

}  // namespace ctr::registry

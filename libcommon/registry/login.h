// Logging in and out: credentials checked against the registry, then kept in
// (or removed from) the auth file (see auth_file.h).
#pragma once

#include <string>

#include "libcommon/registry/auth_file.h"
#include "libcommon/registry/options.h"

namespace ctr::registry {

// "https://host:5000/" or "host:5000/team" as the user typed it -> the auth
// file key ("host:5000", "host:5000/team"); empty -> "docker.io".
std::string login_key(const std::string& server);

// Checks `creds` against the registry named by `key` (pull access to the
// namespace when the key has one), then stores them in the auth file.
// Returns the file written. Throws with the registry's reason when refused.
std::string login(const std::string& key, const Credentials& creds, const AccessFlags& flags);

// Removes the stored credentials for `key` from the auth file we write.
// Throws when there were none (mentioning docker's file when they live there).
std::string logout(const std::string& key, const AccessFlags& flags);
// Removes every stored credential; returns the file.
std::string logout_all(const AccessFlags& flags);

}  // namespace ctr::registry

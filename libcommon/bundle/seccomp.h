// The seccomp part of a container's config.json: docker's default profile
// (share/seccomp/default.json), a profile file the user names, or none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr::bundle {

// linux.seccomp for a container whose bounding set is `caps`:
//   nullopt       the default profile, if one is installed (else null: none)
//   "unconfined"  null (no filter)
//   a path        that profile, in docker's format (archMap, includes/excludes)
//                 or already in OCI form
// Throws ctr::Error naming the file for an unreadable or malformed profile.
nlohmann::json seccomp_for(const std::optional<std::string>& choice, const std::vector<std::string>& caps);

// A profile in docker's format turned into OCI linux.seccomp for these
// capabilities on this machine (entries whose includes/excludes don't match
// are dropped; archMap becomes the native architectures). OCI-form profiles
// come back unchanged except for the docker-only keys.
nlohmann::json docker_profile_to_oci(const nlohmann::json& profile, const std::vector<std::string>& caps);

}  // namespace ctr::bundle

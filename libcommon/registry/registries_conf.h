// Registry settings from containers-registries.conf(5), version 2 (TOML):
//
//   unqualified-search-registries = ["registry.example:5000", "docker.io"]
//   [[registry]]
//   prefix = "example.com/team"      # optional, defaults to location
//   location = "mirror.internal/team"
//   insecure = true                  # plain HTTP or an unverified certificate is fine
//   blocked = false
//   [[registry.mirror]]
//   location = "cache.internal:5000"
//   insecure = true
//
// Read from --registries-conf or CTR_REGISTRIES_CONF when given (that file
// only), else ~/.config/containers/registries.conf or
// /etc/containers/registries.conf plus the drop-ins in
// /etc/containers/registries.conf.d/*.conf, later files overriding earlier ones.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "libcommon/registry/reference.h"

namespace ctr::registry {

// One [[registry]] table.
struct RegistryEntry {
    // A [[registry.mirror]] table.
    struct Mirror {
        std::string location;
        bool insecure = false;
        std::string pull_from_mirror;  // "", "all", "digest-only", "tag-only"
    };
    std::string prefix;    // what references it applies to ("host[:port][/path]" or "*.domain")
    std::string location;  // where those references are fetched from (the prefix is replaced by it)
    bool insecure = false;
    bool blocked = false;
    std::vector<Mirror> mirrors;
};

// A place an image may be pulled from, in the order to try.
struct Endpoint {
    Reference ref;          // the reference rewritten for that place (domain and path)
    bool insecure = false;  // HTTP allowed, certificate not verified
    bool mirror = false;
};

// The parsed settings.
struct RegistriesConf {
    std::vector<std::string> unqualified_search;
    std::vector<RegistryEntry> registries;
    std::vector<std::string> files;  // what was read, for messages

    // Parses one file's text; `origin` names it in errors ("FILE:LINE: what").
    static RegistriesConf parse(std::string_view text, const std::string& origin);
    // Loads `path` when non-empty, else CTR_REGISTRIES_CONF, else the default files.
    static RegistriesConf load(const std::string& path = "");
    // Adds another file's settings on top of these.
    void merge(RegistriesConf other);

    // The [[registry]] whose prefix matches `repository` ("host/path") most closely, or null.
    const RegistryEntry* find(std::string_view repository) const;
    // Where to pull `ref` from: mirrors first, then the registry itself.
    // Throws ctr::Error when the registry is blocked.
    std::vector<Endpoint> pull_endpoints(const Reference& ref) const;
    // Where to push `ref` to (no mirrors). Throws when blocked.
    Endpoint push_endpoint(const Reference& ref) const;
    // The registries an unqualified name ("alpine") is looked up in, in order; docker.io when none is set.
    std::vector<std::string> search_registries() const;
    // Whether a registry host is declared insecure.
    bool insecure(std::string_view host) const;
};

}  // namespace ctr::registry

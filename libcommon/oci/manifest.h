// OCI image manifests and indexes (Docker schema 2 manifests and manifest lists too:
// they have the same shape).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/oci/descriptor.h"

namespace ctr::oci {

// One image: its config blob and its layers, bottom first. The JSON as parsed is
// kept in `doc`, so fields the store does not interpret survive.
struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
    nlohmann::json doc;

    // `where` names the blob for error messages.
    static Manifest parse(std::string_view bytes, const std::string& where);
    // A new OCI manifest for a config and layers (canonical JSON, what the store writes).
    static Manifest make(const Descriptor& config, const std::vector<Descriptor>& layers,
                         const std::map<std::string, std::string>& annotations = {});
    std::string serialize() const;
};

// A list of manifests: index.json of a layout, or a multi-platform image.
struct Index {
    std::vector<Descriptor> manifests;
    nlohmann::json doc = nlohmann::json::object();

    static Index parse(std::string_view bytes, const std::string& where);
    // Pretty-printed OCI index with schemaVersion 2 and the manifests.
    std::string serialize() const;
};

}  // namespace ctr::oci

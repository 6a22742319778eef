// OCI content descriptors and the media types the store knows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "libcommon/oci/digest.h"

namespace ctr::oci {

namespace media {
inline constexpr std::string_view kLayout = "application/vnd.oci.layout.header.v1+json";
inline constexpr std::string_view kIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// Single-image manifests (OCI or Docker schema 2).
bool is_manifest(std::string_view media_type);
// Lists of manifests (OCI index or Docker manifest list).
bool is_index(std::string_view media_type);
// Layer tars, compressed or not, OCI or Docker.
bool is_layer(std::string_view media_type);
}  // namespace media

// Annotation keys the store uses.
namespace annotation {
// The tag of an image in index.json: "name:tag" (skopeo's oci:DIR:REF reads it).
inline constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
// The full image name containerd gives an image it imports from an archive.
inline constexpr std::string_view kContainerdName = "io.containerd.image.name";
// Set to "true" on the untagged index.json entries of ctr-build's step
// images. Kept for older ctr, which hid such entries by it; ctr now tells an
// intermediate image by its children (kParent, store/lineage.h).
inline constexpr std::string_view kIntermediate = "dev.ctr.image.intermediate";
// "sha256:<image id>" of the image a build step's image was built on (docker's
// Parent), on the index.json entries ctr-build makes.
inline constexpr std::string_view kParent = "dev.ctr.image.parent";
// Space-separated cache keys ctr-build files a step's image under.
inline constexpr std::string_view kBuildCacheKey = "dev.ctr.build.cache-key";
}  // namespace annotation

// The platform a manifest in an index is for.
struct Platform {
    std::string architecture;
    std::string os;
    std::string variant;

    nlohmann::json to_json() const;
    static Platform from_json(const nlohmann::json& j, const std::string& where);
    // The machine this program runs on (linux/amd64, linux/arm64 v8, ...).
    static Platform host();
    // "linux/amd64" or "linux/arm/v7"; parse() takes the same form (os/arch[/variant]).
    std::string str() const;
    static Platform parse(std::string_view s);
};

// Points at a blob: what it is (media type), its digest and size, and annotations.
// Fields the store does not interpret (urls, data, artifactType) are kept in `extra`
// so that a descriptor read and written back is unchanged.
struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size = 0;
    std::map<std::string, std::string> annotations;
    std::optional<Platform> platform;
    nlohmann::json extra = nlohmann::json::object();

    nlohmann::json to_json() const;
    // `where` names the place in the file for error messages ("index.json: manifests[2]").
    static Descriptor from_json(const nlohmann::json& j, const std::string& where);

    std::string annotation(std::string_view key) const;
};

}  // namespace ctr::oci

// Image references as users type them: busybox, busybox:1.36, localhost:5000/a/b:v1,
// name@sha256:…, following the grammar docker and containerd share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libcommon/oci/digest.h"

namespace ctr::oci {

// A parsed, validated reference. Docker Hub names are kept in their short
// ("familiar") form: "busybox" and "docker.io/library/busybox" are the same.
struct Reference {
    std::string domain;  // "" for Docker Hub, else "localhost:5000", "quay.io", ...
    std::string path;    // "busybox", "library/x" is stored as "x", "user/app"
    std::string tag;     // "latest" when none was given and there is no digest
    std::optional<Digest> digest;

    // Throws ctr::Error("invalid reference \"…\": <why>").
    static Reference parse(std::string_view s);
    static std::optional<Reference> try_parse(std::string_view s);

    // "busybox", "localhost:5000/app" — the repository as docker shows it.
    std::string repository() const;
    // "busybox:latest" — what the store keeps in org.opencontainers.image.ref.name.
    // Digest-only references have no tag name: tag_name() is then "".
    std::string tag_name() const;
    // "docker.io/library/busybox:latest": the full name containerd uses.
    std::string full_name() const;
    // The registry host to contact ("registry-1.docker.io" for Docker Hub).
    std::string registry() const;
    // The path on the registry ("library/busybox" for Docker Hub official images).
    std::string remote_path() const;
    // Reference as given, normalised: repository[:tag][@digest].
    std::string str() const;
};

// True when `s` is a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(std::string_view s);

// If `s` looks like an image id or a prefix of one ("3f2a", "sha256:3f2a…"),
// the lowercase hex part; otherwise nullopt.
std::optional<std::string> image_id_prefix(std::string_view s);

}  // namespace ctr::oci

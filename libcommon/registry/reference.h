// Image references as docker and podman read them.
//
//   alpine                      -> docker.io/library/alpine:latest
//   user/app:1.2                -> docker.io/user/app:1.2
//   localhost:5000/app          -> localhost:5000/app:latest
//   quay.io/x/y@sha256:<hex>    -> pinned by digest, no tag
//   app:1@sha256:<hex>          -> tag kept, the digest decides what is pulled
//
// The first path component is a registry host when it contains '.' or ':',
// is "localhost", or has an upper-case letter; otherwise the reference is
// unqualified and belongs to docker.io (or to a registries.conf search list).
#pragma once

#include <string>
#include <string_view>

namespace ctr::registry {

inline constexpr std::string_view kDockerHub = "docker.io";

// A parsed, normalized reference: which registry, which repository, which image.
struct Reference {
    std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
    std::string path;    // "library/alpine", "x/y"
    std::string tag;     // "latest" unless a digest alone was given
    std::string digest;  // "sha256:<hex>" or empty
    bool qualified = false;  // the user named the registry
    bool tagged = false;     // the user wrote a tag (else "latest" was implied, or a digest given)

    // "docker.io/library/alpine"
    std::string repository() const;
    // "docker.io/library/alpine:latest", "…@sha256:…", "…:1@sha256:…"
    std::string str() const;
    // What docker shows: "alpine:latest", "user/app:1.2", "localhost:5000/app:latest".
    std::string familiar() const;
    // The reference the manifest is fetched by: the digest when there is one, else the tag.
    std::string manifest_ref() const { return digest.empty() ? tag : digest; }
    // The same repository with another tag or digest.
    Reference with_tag(std::string t) const;
    Reference with_digest(std::string d) const;
};

// Parses and normalizes `text`; throws ctr::Error naming the reference and what is wrong.
Reference parse_reference(std::string_view text);

// Like parse_reference, but puts an unqualified name into `domain` instead of docker.io
// (the path gets "library/" only on docker.io).
Reference parse_reference_in(std::string_view text, std::string_view domain);

// True for "sha256:<64 hex>" (and other algorithms' well-formed digests).
bool valid_digest(std::string_view digest);
// True for a tag as docker allows: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool valid_tag(std::string_view tag);

}  // namespace ctr::registry

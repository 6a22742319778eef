// Content digests: the names of blobs in an OCI image layout.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nettle/sha2.h>

namespace ctr::oci {

// A validated "sha256:<64 lowercase hex>" digest. Only sha256 is supported: it is
// what every image tool writes, and the store hashes with nothing else.
class Digest {
public:
    Digest() = default;

    // Throws ctr::Error("invalid digest \"…\": …") unless s is "sha256:<64 hex>".
    static Digest parse(std::string_view s);
    static std::optional<Digest> try_parse(std::string_view s);
    // From the 64 hex characters alone (an image id as docker prints it, without "sha256:").
    static Digest from_hex(std::string_view hex);
    // The digest of a string of bytes.
    static Digest of(std::string_view bytes);

    const std::string& hex() const { return hex_; }
    std::string str() const { return "sha256:" + hex_; }
    // The first 12 hex digits, as docker shows ids.
    std::string short_hex() const { return hex_.substr(0, 12); }
    bool empty() const { return hex_.empty(); }

    friend bool operator==(const Digest&, const Digest&) = default;
    friend auto operator<=>(const Digest&, const Digest&) = default;

private:
    std::string hex_;
};

// True for exactly 64 lowercase hex digits.
bool is_sha256_hex(std::string_view s);

// Sha256: an incremental SHA-256, fed while data streams through. Nettle
// (with the CPU's SHA extensions, as fast as OpenSSL's here) rather than
// OpenSSL: it needs no library initialisation, and its tables need no
// relocation at start, which every program that only hashes paid before.
class Sha256 {
public:
    Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // The digest of everything fed so far; the hasher can't be used afterwards.
    Digest finish();
    // Bytes fed so far.
    uint64_t size() const { return size_; }

private:
    sha256_ctx ctx_;
    uint64_t size_ = 0;
};

}  // namespace ctr::oci

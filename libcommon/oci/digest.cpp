#include "libcommon/oci/digest.h"

#include "libcommon/sys/error.h"

namespace ctr::oci {

bool is_sha256_hex(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::optional<Digest> Digest::try_parse(std::string_view s) {
    if (!s.starts_with("sha256:") || !is_sha256_hex(s.substr(7))) return std::nullopt;
    Digest d;
    d.hex_ = std::string(s.substr(7));
    return d;
}

Digest Digest::parse(std::string_view s) {
    if (auto d = try_parse(s)) return *d;
    auto colon = s.find(':');
    std::string why;
    if (colon == std::string_view::npos)
        why = "expected ALGORITHM:HEX";
    else if (s.substr(0, colon) != "sha256")
        why = "unsupported algorithm \"" + std::string(s.substr(0, colon)) + "\" (only sha256)";
    else
        why = "expected 64 lowercase hex digits after sha256:";
    throw Error("invalid digest \"" + std::string(s) + "\": " + why);
}

Digest Digest::from_hex(std::string_view hex) { return parse("sha256:" + std::string(hex)); }

Digest Digest::of(std::string_view bytes) {
    Sha256 h;
    h.update(bytes);
    return h.finish();
}

Sha256::Sha256() { sha256_init(&ctx_); }

void Sha256::update(const void* data, size_t size) {
    if (size == 0) return;
    sha256_update(&ctx_, size, static_cast<const uint8_t*>(data));
    size_ += size;
}

Digest Sha256::finish() {
    uint8_t md[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx_, sizeof md, md);
    static const char* hexdigits = "0123456789abcdef";
    std::string hex;
    hex.reserve(sizeof md * 2);
    for (uint8_t b : md) {
        hex += hexdigits[b >> 4];
        hex += hexdigits[b & 15];
    }
    return Digest::from_hex(hex);
}

}  // namespace ctr::oci

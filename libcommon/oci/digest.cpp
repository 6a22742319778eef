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

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) throw Error("sha256: cannot initialise OpenSSL digest");
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, size_t size) {
    if (size == 0) return;
    EVP_DigestUpdate(ctx_, data, size);
    size_ += size;
}

Digest Sha256::finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static const char* hexdigits = "0123456789abcdef";
    std::string hex;
    hex.reserve(len * 2);
    for (unsigned i = 0; i < len; i++) {
        hex += hexdigits[md[i] >> 4];
        hex += hexdigits[md[i] & 15];
    }
    return Digest::from_hex(hex);
}

}  // namespace ctr::oci

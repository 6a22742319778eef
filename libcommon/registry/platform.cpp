#include "libcommon/registry/platform.h"

namespace ctr::registry {

namespace {

std::string normal_variant(const oci::Platform& p) {
    if (p.architecture == "arm64" && p.variant == "v8") return "";
    return p.variant;
}

}  // namespace

const oci::Descriptor* select_platform(const std::vector<oci::Descriptor>& manifests, const oci::Platform& want) {
    const oci::Descriptor* loose = nullptr;
    for (auto& m : manifests) {
        if (!m.platform || !oci::media::is_manifest(m.media_type)) continue;
        const oci::Platform& p = *m.platform;
        if (p.os != want.os || p.architecture != want.architecture) continue;
        std::string have = normal_variant(p), need = normal_variant(want);
        if (have == need) return &m;
        if ((have.empty() || need.empty()) && !loose) loose = &m;
    }
    return loose;
}

std::string platforms_offered(const std::vector<oci::Descriptor>& manifests) {
    std::string out;
    for (auto& m : manifests) {
        if (!m.platform) continue;
        if (!out.empty()) out += ", ";
        out += m.platform->str();
    }
    return out.empty() ? "none" : out;
}

}  // namespace ctr::registry

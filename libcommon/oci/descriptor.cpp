#include "libcommon/oci/descriptor.h"

#include <sys/utsname.h>

#include "libcommon/sys/error.h"

namespace ctr::oci {

using nlohmann::json;

namespace media {
bool is_manifest(std::string_view t) { return t == kManifest || t == kDockerManifest; }
bool is_index(std::string_view t) { return t == kIndex || t == kDockerManifestList; }
bool is_layer(std::string_view t) {
    return t.starts_with("application/vnd.oci.image.layer.") ||
           t.starts_with("application/vnd.docker.image.rootfs.");
}
}  // namespace media

json Platform::to_json() const {
    json j = {{"architecture", architecture}, {"os", os}};
    if (!variant.empty()) j["variant"] = variant;
    return j;
}

Platform Platform::from_json(const json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where + ": platform must be an object");
    Platform p;
    p.architecture = j.value("architecture", "");
    p.os = j.value("os", "");
    p.variant = j.value("variant", "");
    return p;
}

Platform Platform::host() {
    struct utsname u;
    ::uname(&u);
    std::string m = u.machine;
    Platform p{.architecture = m, .os = "linux", .variant = ""};
    if (m == "x86_64") p.architecture = "amd64";
    else if (m == "aarch64") p = {"arm64", "linux", "v8"};
    else if (m.starts_with("armv7")) p = {"arm", "linux", "v7"};
    else if (m == "i686" || m == "i386") p.architecture = "386";
    return p;
}

std::string Platform::str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }

Platform Platform::parse(std::string_view s) {
    Platform p;
    std::string str(s);
    auto a = str.find('/');
    if (a == std::string::npos || a == 0 || a + 1 == str.size())
        throw Error("invalid platform \"" + str + "\": expected OS/ARCH[/VARIANT]");
    p.os = str.substr(0, a);
    auto b = str.find('/', a + 1);
    p.architecture = str.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) p.variant = str.substr(b + 1);
    if (p.architecture.empty()) throw Error("invalid platform \"" + str + "\": empty architecture");
    return p;
}

json Descriptor::to_json() const {
    json j = extra.is_object() ? extra : json::object();
    j["mediaType"] = media_type;
    j["digest"] = digest.str();
    j["size"] = size;
    if (!annotations.empty()) j["annotations"] = annotations;
    if (platform) j["platform"] = platform->to_json();
    return j;
}

Descriptor Descriptor::from_json(const json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where + ": a descriptor must be a JSON object");
    Descriptor d;
    auto str = [&](const char* key, bool required) -> std::string {
        auto it = j.find(key);
        if (it == j.end()) {
            if (required) throw Error(where + ": missing \"" + key + "\"");
            return "";
        }
        if (!it->is_string()) throw Error(where + ": \"" + key + "\" must be a string");
        return it->get<std::string>();
    };
    d.media_type = str("mediaType", false);
    std::string digest = str("digest", true);
    try {
        d.digest = Digest::parse(digest);
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
        throw Error(where + ": \"size\" must be a non-negative integer");
    d.size = size->get<int64_t>();
    if (auto a = j.find("annotations"); a != j.end() && !a->is_null()) {
        if (!a->is_object()) throw Error(where + ": \"annotations\" must be an object");
        for (auto& [k, v] : a->items()) {
            if (!v.is_string()) throw Error(where + ": annotation \"" + k + "\" must be a string");
            d.annotations[k] = v.get<std::string>();
        }
    }
    if (auto p = j.find("platform"); p != j.end() && !p->is_null()) d.platform = Platform::from_json(*p, where);
    for (auto& [k, v] : j.items())
        if (k != "mediaType" && k != "digest" && k != "size" && k != "annotations" && k != "platform") d.extra[k] = v;
    return d;
}

std::string Descriptor::annotation(std::string_view key) const {
    auto it = annotations.find(std::string(key));
    return it == annotations.end() ? "" : it->second;
}

}  // namespace ctr::oci

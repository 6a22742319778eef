#include "libcommon/oci/manifest.h"

#include "libcommon/sys/error.h"

namespace ctr::oci {

using nlohmann::json;

static json parse_json(std::string_view bytes, const std::string& where) {
    json j;
    try {
        j = json::parse(bytes);
    } catch (const json::parse_error& e) {
        throw Error(where + ": malformed JSON: " + e.what());
    }
    if (!j.is_object()) throw Error(where + ": expected a JSON object");
    return j;
}

Manifest Manifest::parse(std::string_view bytes, const std::string& where) {
    Manifest m;
    m.doc = parse_json(bytes, where);
    if (m.doc.value("schemaVersion", 0) != 2) throw Error(where + ": unsupported manifest schemaVersion (want 2)");
    m.media_type = m.doc.value("mediaType", std::string(media::kManifest));
    if (!m.doc.contains("config")) throw Error(where + ": manifest has no \"config\"");
    m.config = Descriptor::from_json(m.doc["config"], where + ": config");
    auto layers = m.doc.find("layers");
    if (layers != m.doc.end() && !layers->is_null()) {
        if (!layers->is_array()) throw Error(where + ": \"layers\" must be an array");
        for (size_t i = 0; i < layers->size(); i++)
            m.layers.push_back(Descriptor::from_json((*layers)[i], where + ": layers[" + std::to_string(i) + "]"));
    }
    return m;
}

Manifest Manifest::make(const Descriptor& config, const std::vector<Descriptor>& layers,
                        const std::map<std::string, std::string>& annotations) {
    Manifest m;
    m.media_type = media::kManifest;
    m.config = config;
    m.layers = layers;
    json jl = json::array();
    for (auto& l : layers) jl.push_back(l.to_json());
    m.doc = {{"schemaVersion", 2}, {"mediaType", m.media_type}, {"config", config.to_json()}, {"layers", jl}};
    if (!annotations.empty()) m.doc["annotations"] = annotations;
    return m;
}

std::string Manifest::serialize() const { return doc.dump(); }

Index Index::parse(std::string_view bytes, const std::string& where) {
    Index idx;
    idx.doc = parse_json(bytes, where);
    if (idx.doc.value("schemaVersion", 0) != 2) throw Error(where + ": unsupported schemaVersion (want 2)");
    auto ms = idx.doc.find("manifests");
    if (ms == idx.doc.end() || ms->is_null()) return idx;
    if (!ms->is_array()) throw Error(where + ": \"manifests\" must be an array");
    for (size_t i = 0; i < ms->size(); i++)
        idx.manifests.push_back(Descriptor::from_json((*ms)[i], where + ": manifests[" + std::to_string(i) + "]"));
    return idx;
}

std::string Index::serialize() const {
    json j = doc.is_object() ? doc : json::object();
    j["schemaVersion"] = 2;
    if (!j.contains("mediaType")) j["mediaType"] = media::kIndex;
    json ms = json::array();
    for (auto& m : manifests) ms.push_back(m.to_json());
    j["manifests"] = ms;
    return j.dump(2) + "\n";
}

}  // namespace ctr::oci

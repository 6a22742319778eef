#include "libcommon/store/inspect.h"

#include <ctime>

#include "libcommon/cli/units.h"

namespace ctr::store {

using nlohmann::json;
using nlohmann::ordered_json;

std::pair<std::string, std::string> split_tag(const std::string& tag) {
    if (tag.empty()) return {"<none>", "<none>"};
    auto colon = tag.rfind(':');
    return {tag.substr(0, colon), tag.substr(colon + 1)};
}

namespace {

json field(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? json(nullptr) : *it;
}

ordered_json ordered(const json& j) { return ordered_json::parse(j.dump()); }

std::string str_field(const json& obj, const char* key) {
    auto v = field(obj, key);
    return v.is_string() ? v.get<std::string>() : "";
}

}  // namespace

ordered_json image_inspect(const Image& img) {
    const json& cfg = img.config;
    json c = field(cfg, "config");
    ordered_json o;
    o["Id"] = img.id().str();
    o["RepoTags"] = img.tags;
    ordered_json digests = ordered_json::array();
    for (auto& t : img.tags) {
        std::string d = split_tag(t).first + "@" + img.manifest_desc.digest.str();
        if (std::find(digests.begin(), digests.end(), d) == digests.end()) digests.push_back(d);
    }
    o["RepoDigests"] = digests;
    o["Digest"] = img.manifest_desc.digest.str();
    o["Parent"] = img.parent;
    std::string comment;
    if (auto h = field(cfg, "history"); h.is_array() && !h.empty()) comment = str_field(h.back(), "comment");
    o["Comment"] = comment;
    o["Created"] = img.created();
    o["DockerVersion"] = str_field(cfg, "docker_version");
    o["Author"] = str_field(cfg, "author");
    ordered_json oc;
    oc["Hostname"] = "";
    oc["Domainname"] = "";
    oc["User"] = str_field(c, "User");
    oc["AttachStdin"] = false;
    oc["AttachStdout"] = false;
    oc["AttachStderr"] = false;
    if (auto p = field(c, "ExposedPorts"); p.is_object()) oc["ExposedPorts"] = ordered(p);
    oc["Tty"] = false;
    oc["OpenStdin"] = false;
    oc["StdinOnce"] = false;
    oc["Env"] = ordered(field(c, "Env"));
    oc["Cmd"] = ordered(field(c, "Cmd"));
    if (auto h = field(c, "Healthcheck"); !h.is_null()) oc["Healthcheck"] = ordered(h);
    oc["Image"] = "";
    oc["Volumes"] = ordered(field(c, "Volumes"));
    oc["WorkingDir"] = str_field(c, "WorkingDir");
    oc["Entrypoint"] = ordered(field(c, "Entrypoint"));
    oc["OnBuild"] = ordered(field(c, "OnBuild"));
    oc["Labels"] = ordered(field(c, "Labels"));
    if (auto s = field(c, "StopSignal"); s.is_string()) oc["StopSignal"] = s.get<std::string>();
    o["Config"] = oc;
    o["Architecture"] = str_field(cfg, "architecture");
    if (auto v = str_field(cfg, "variant"); !v.empty()) o["Variant"] = v;
    o["Os"] = str_field(cfg, "os");
    o["Size"] = img.size();
    o["VirtualSize"] = img.size();
    ordered_json layers = ordered_json::array();
    if (auto r = field(cfg, "rootfs"); r.is_object())
        if (auto d = field(r, "diff_ids"); d.is_array())
            for (auto& l : d) layers.push_back(ordered(l));
    o["RootFS"] = {{"Type", "layers"}, {"Layers", layers}};
    o["Metadata"] = {{"LastTagTime", "0001-01-01T00:00:00Z"}};
    return o;
}

ordered_json image_row(const Image& img, const std::string& tag, bool no_trunc) {
    auto [repo, t] = split_tag(tag);
    ordered_json r;
    r["Containers"] = "N/A";
    auto created = parse_rfc3339(img.created());
    double now = static_cast<double>(std::time(nullptr));
    r["CreatedAt"] = created ? docker_time(*created) : "";
    r["CreatedSince"] = created ? human_duration(now - *created) + " ago" : "N/A";
    r["Digest"] = img.manifest_desc.digest.str();
    r["ID"] = no_trunc ? img.id().str() : img.id().short_hex();
    r["Repository"] = repo;
    r["SharedSize"] = "N/A";
    r["Size"] = human_size(static_cast<double>(img.size()));
    r["Tag"] = t;
    r["UniqueSize"] = "N/A";
    r["VirtualSize"] = human_size(static_cast<double>(img.size()));
    return r;
}

}  // namespace ctr::store

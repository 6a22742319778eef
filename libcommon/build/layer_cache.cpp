// What a step leaves in the store, and finding it again: the cache key of a
// step (its parent image and its created_by), cache hits among the index.json
// entries, the step image committed (config, manifest, an intermediate entry
// with its key and its parent), and a layer made from an overlay's upper
// directory.
#include "libcommon/build/builder_impl.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "libcommon/archive/gzip.h"
#include "libcommon/archive/pack.h"
#include "libcommon/oci/manifest.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/lineage.h"

namespace ctr::build::detail {

namespace {

const std::string kCacheKey(oci::annotation::kBuildCacheKey);
const std::string kParent(oci::annotation::kParent);

std::string rfc3339(int64_t secs, long nsec) {
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string s = buf;
    if (nsec) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09ld", nsec);
        std::string f = frac;
        while (f.back() == '0') f.pop_back();
        s += f;
    }
    return s + "Z";
}

}  // namespace

std::string Builder::created() const {
    if (o_.source_date_epoch) return rfc3339(*o_.source_date_epoch, 0);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    return rfc3339(ns / 1000000000, static_cast<long>(ns % 1000000000));
}

std::string Builder::cache_key(const ImageState& parent, const std::string& created_by) const {
    return store::build_cache_key(parent.id, created_by);
}

std::optional<ImageState> Builder::cached(const std::string& key) {
    if (o_.no_cache) return std::nullopt;
    auto idx = store_.read_index();
    for (auto it = idx.manifests.rbegin(); it != idx.manifests.rend(); ++it) {
        std::string keys = " " + it->annotation(kCacheKey) + " ";
        if (keys.find(" " + key + " ") == std::string::npos) continue;
        try {
            auto img = store_.load_image(*it);
            ImageState s;
            s.layers = img.layers();
            bool complete = true;
            for (auto& l : s.layers) complete = complete && store_.has_blob(l.blob.digest);
            if (!complete) continue;
            s.config = img.config;
            s.id = img.id();
            s.entry = img.manifest_desc;
            return s;
        } catch (const Error&) {
            continue;  // a damaged cache entry is simply not used
        }
    }
    return std::nullopt;
}

ImageState Builder::commit(const ImageState& parent, json cfg, const std::optional<store::Layer>& layer,
                           const std::string& created_by, const std::string& key) {
    ImageState next;
    next.layers = parent.layers;
    if (layer) next.layers.push_back(*layer);
    std::string ts = created();
    cfg["created"] = ts;
    if (!cfg.contains("architecture")) cfg["architecture"] = oci::Platform::host().architecture;
    if (!cfg.contains("os")) cfg["os"] = "linux";
    if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
    json diff_ids = json::array();
    for (auto& l : next.layers) diff_ids.push_back(l.diff_id.str());
    cfg["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
    json h = {{"created", ts}, {"created_by", created_by}};
    if (!layer) h["empty_layer"] = true;
    if (!cfg.contains("history") || !cfg["history"].is_array()) cfg["history"] = json::array();
    cfg["history"].push_back(h);
    next.config = cfg;

    auto config_desc = store_.write_blob(cfg.dump(), std::string(oci::media::kConfig));
    std::vector<oci::Descriptor> blobs;
    for (auto& l : next.layers) blobs.push_back(l.blob);
    auto manifest = oci::Manifest::make(config_desc, blobs);
    auto mdesc = store_.write_blob(manifest.serialize(), std::string(oci::media::kManifest));
    // One index.json update: the entry (new, intermediate) with its cache key
    // and the image it was built on.
    store_.update_index([&](oci::Index& idx) {
        bool found = false;
        for (auto& e : idx.manifests) {
            if (e.digest != mdesc.digest) continue;
            found = true;
            std::string keys = e.annotation(kCacheKey);
            if ((" " + keys + " ").find(" " + key + " ") == std::string::npos)
                e.annotations[kCacheKey] = keys.empty() ? key : keys + " " + key;
            if (parent.id) e.annotations.emplace(kParent, parent.id->str());
        }
        if (!found) {
            oci::Descriptor d = mdesc;
            d.annotations[std::string(oci::annotation::kIntermediate)] = "true";
            d.annotations[kCacheKey] = key;
            if (parent.id) d.annotations[kParent] = parent.id->str();
            idx.manifests.push_back(d);
        }
    });
    next.id = config_desc.digest;
    next.entry = mdesc;
    return next;
}

std::optional<store::Layer> Builder::make_layer(const std::string& upper) {
    UniqueFd fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open " + upper);
    auto writer = store_.new_blob();
    archive::GzipWriter gz([&](const void* d, size_t n) { writer.write(d, n); }, 1);
    archive::PackOptions po;
    po.clamp_mtime = o_.source_date_epoch;
    auto r = archive::pack_dir(fd.get(), upper, [&](const void* d, size_t n) { gz.write(d, n); }, po);
    if (r.entries == 0) return std::nullopt;
    gz.finish();
    store::Layer layer{writer.commit(std::string(oci::media::kLayerGzip)), r.diff_id};
    // The upper directory already is the layer in overlay form: it becomes
    // layers/<diff_id>/ as it is, so the next step need not unpack the blob.
    std::string dest = store_.layer_path(r.diff_id);
    if (!store::path_exists(dest)) {
        ::syncfs(fd.get());
        if (::rename(upper.c_str(), dest.c_str()) == 0) store::fsync_path(store_.layers_dir());
    }
    return layer;
}

void Builder::use(Stage& st, ImageState img, bool from_cache) {
    if (from_cache) {
        say(" ---> Using cache");
        // A step image from before parents were recorded learns its parent
        // (the cache key names it: it is this stage's image).
        if (st.image.id && img.entry.annotation(kParent).empty()) {
            store_.update_index([&](oci::Index& idx) {
                for (auto& e : idx.manifests)
                    if (e.digest == img.entry.digest) e.annotations.emplace(kParent, st.image.id->str());
            });
            img.entry.annotations[kParent] = st.image.id->str();
        }
    }
    st.image = std::move(img);
}

}  // namespace ctr::build::detail

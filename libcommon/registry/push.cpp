#include "libcommon/registry/push.h"

#include <fcntl.h>

#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "libcommon/oci/manifest.h"
#include "libcommon/registry/client.h"
#include "libcommon/registry/reference.h"
#include "libcommon/registry/registries_conf.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr::registry {

namespace {

// One manifest to push with the blobs it needs.
struct ManifestToPush {
    std::string bytes;
    std::string media_type;
    oci::Digest digest;
    std::vector<oci::Descriptor> blobs;  // config and layers
};

ManifestToPush load_manifest(const store::Store& store, const oci::Descriptor& d) {
    ManifestToPush m;
    m.bytes = store.read_blob(d.digest, d.size);
    m.media_type = d.media_type;
    m.digest = d.digest;
    oci::Manifest parsed = oci::Manifest::parse(m.bytes, "manifest " + d.digest.str());
    if (m.media_type.empty()) m.media_type = parsed.media_type.empty() ? std::string(oci::media::kManifest) : parsed.media_type;
    m.blobs.push_back(parsed.config);
    for (auto& l : parsed.layers) m.blobs.push_back(l);
    return m;
}

// For each blob, a repository of `domain` that has it, from the store's other tags there.
std::map<std::string, std::string> mount_sources(const store::Store& store, const std::string& domain,
                                                 const std::string& dest_path) {
    std::map<std::string, std::string> from;
    for (auto& img : store.list_images()) {
        for (auto& tag : img.tags) {
            Reference r;
            try {
                r = parse_reference(tag);
            } catch (const Error&) {
                continue;
            }
            if (r.domain != domain || r.path == dest_path) continue;
            from.emplace(img.manifest.config.digest.str(), r.path);
            for (auto& l : img.manifest.layers) from.emplace(l.digest.str(), r.path);
        }
    }
    return from;
}

}  // namespace

PushResult push(const store::Store& store, const std::string& image, const std::string& destination,
                const PushOptions& opt) {
    store::Image img = store.resolve(image);
    std::string dest_text = destination;
    if (dest_text.empty()) {
        Reference asked;
        bool named = false;
        try {
            asked = parse_reference(image);
            named = asked.tagged || asked.digest.empty();
        } catch (const Error&) {
        }
        if (!named) throw Error("push " + image + ": name a destination (ctr-push IMAGE REGISTRY/REPO[:TAG])");
        dest_text = image;
    }
    Reference dest = parse_reference(dest_text);
    std::string what = "push " + dest.str();
    if (!dest.digest.empty()) throw Error(what + ": a destination takes a tag, not a digest");
    try {
        RegistriesConf conf = RegistriesConf::load(opt.access.registries_conf);
        Endpoint ep = conf.push_endpoint(dest);
        Client client(ep.ref.domain, ep.ref.path, client_options(opt.access, ep.ref.repository(), ep.insecure));

        // What goes up: the image's manifest, or a whole index when the store has every platform of it.
        std::vector<ManifestToPush> manifests;
        std::string top_bytes, top_type;
        oci::Digest top_digest;
        if (img.entry.digest != img.manifest_desc.digest) {
            oci::Index idx = oci::Index::parse(store.read_blob(img.entry.digest, img.entry.size), "index");
            bool complete = true;
            std::vector<ManifestToPush> all;
            for (auto& m : idx.manifests) {
                if (!oci::media::is_manifest(m.media_type) || !store.has_blob(m.digest)) {
                    complete = false;
                    break;
                }
                ManifestToPush mp = load_manifest(store, m);
                for (auto& b : mp.blobs) complete = complete && store.has_blob(b.digest);
                all.push_back(std::move(mp));
            }
            if (complete) {
                manifests = std::move(all);
                top_bytes = store.read_blob(img.entry.digest, img.entry.size);
                top_type = img.entry.media_type;
                top_digest = img.entry.digest;
            } else {
                std::fprintf(stderr, "%s: the store has only %s of this multi-platform image; pushing that one\n",
                             what.c_str(), oci::Platform::host().str().c_str());
            }
        }
        if (manifests.empty()) manifests.push_back(load_manifest(store, img.manifest_desc));
        if (top_bytes.empty()) {
            top_bytes = manifests[0].bytes;
            top_type = manifests[0].media_type;
            top_digest = manifests[0].digest;
        }

        if (opt.progress) opt.progress->line("The push refers to repository [" + dest.repository() + "]");
        std::vector<oci::Descriptor> blobs;
        std::set<std::string> seen;
        for (auto& m : manifests)
            for (auto& b : m.blobs)
                if (seen.insert(b.digest.str()).second) blobs.push_back(b);
        std::map<std::string, std::string> sources = mount_sources(store, dest.domain, dest.path);

        PushResult result;
        result.name = dest.str();
        std::mutex mu;
        std::atomic<size_t> next{0};
        std::atomic<bool> cancel{false};
        std::exception_ptr first_error;
        auto worker = [&] {
            while (!cancel.load()) {
                size_t i = next.fetch_add(1);
                if (i >= blobs.size()) return;
                const oci::Descriptor& b = blobs[i];
                std::string id = b.digest.hex().substr(0, 12), d = b.digest.str();
                try {
                    if (opt.progress) opt.progress->status(id, "Preparing");
                    if (client.has_blob(d)) {
                        if (opt.progress) opt.progress->status(id, "Layer already exists");
                        std::lock_guard<std::mutex> lock(mu);
                        result.skipped++;
                        continue;
                    }
                    auto src = sources.find(d);
                    if (src != sources.end() && client.mount_blob(d, src->second)) {
                        if (opt.progress) opt.progress->status(id, "Mounted from " + src->second);
                        std::lock_guard<std::mutex> lock(mu);
                        result.mounted++;
                        continue;
                    }
                    std::string path = store.blob_path(b.digest);
                    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
                    if (!fd) throw_errno("open " + path);
                    uint64_t total = static_cast<uint64_t>(b.size);
                    client.upload_blob(d, total, fd.get(), opt.chunk_size, [&](uint64_t sent) {
                        if (opt.progress) opt.progress->bytes(id, "Pushing", sent, total);
                    });
                    if (opt.progress) opt.progress->status(id, "Pushed");
                    std::lock_guard<std::mutex> lock(mu);
                    result.uploaded++;
                } catch (...) {
                    std::lock_guard<std::mutex> lock(mu);
                    if (!first_error) first_error = std::current_exception();
                    cancel.store(true);
                    return;
                }
            }
        };
        int n = std::max(1, std::min<int>(opt.jobs, static_cast<int>(blobs.size())));
        std::vector<std::thread> pool;
        for (int i = 1; i < n; ++i) pool.emplace_back(worker);
        worker();
        for (auto& t : pool) t.join();
        if (first_error) std::rethrow_exception(first_error);

        if (manifests.size() > 1 || manifests[0].digest != top_digest)
            for (auto& m : manifests) client.put_manifest(m.digest.str(), m.bytes, m.media_type);
        std::string tag = dest.tag.empty() ? top_digest.str() : dest.tag;
        client.put_manifest(tag, top_bytes, top_type);
        result.digest = top_digest;
        result.size = static_cast<int64_t>(top_bytes.size());
        return result;
    } catch (const Interrupted&) {
        throw Error(what + ": interrupted");
    } catch (const Error& e) {
        throw Error(what + ": " + e.what());
    }
}

}  // namespace ctr::registry

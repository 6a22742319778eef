#include "libcommon/registry/pull.h"

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "libcommon/oci/manifest.h"
#include "libcommon/registry/client.h"
#include "libcommon/registry/platform.h"
#include "libcommon/registry/reference.h"
#include "libcommon/registry/registries_conf.h"
#include "libcommon/sys/error.h"

namespace ctr::registry {

namespace {

using json = nlohmann::json;

// A blob to fetch into the store.
struct BlobJob {
    oci::Descriptor desc;
    std::string id;  // the short id shown in progress lines
};

// Streams into a store BlobWriter; a restart drops the file and starts a new one.
class StoreSink : public BlobSink {
public:
    StoreSink(const store::Store& store, const oci::Descriptor& desc, const std::atomic<bool>& cancel)
        : store_(store), desc_(desc), cancel_(cancel) {
        restart();
    }
    void write(const char* data, size_t size) override {
        if (cancel_.load()) throw Error("cancelled");
        writer_->write(data, size);
    }
    void restart() override {
        writer_.reset();
        writer_.emplace(store_.new_blob(desc_.digest, desc_.size));
    }
    void commit() { writer_->commit(desc_.media_type); }

private:
    const store::Store& store_;
    const oci::Descriptor& desc_;
    const std::atomic<bool>& cancel_;
    std::optional<store::BlobWriter> writer_;
};

// Runs `jobs` on up to `threads` threads; the first error stops the others and is rethrown.
void fetch_all(Client& client, const store::Store& store, const std::vector<BlobJob>& jobs, int threads,
               Progress* progress) {
    std::atomic<bool> cancel{false};
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::exception_ptr first_error;
    auto worker = [&] {
        while (!cancel.load()) {
            size_t i = next.fetch_add(1);
            if (i >= jobs.size()) return;
            const BlobJob& job = jobs[i];
            try {
                StoreSink sink(store, job.desc, cancel);
                uint64_t total = static_cast<uint64_t>(job.desc.size);
                client.fetch_blob(job.desc.digest.str(), total, sink, [&](uint64_t have) {
                    if (progress) progress->bytes(job.id, "Downloading", have, total);
                });
                if (progress) progress->status(job.id, "Verifying Checksum");
                try {
                    sink.commit();
                } catch (const Error& e) {
                    throw Error("blob " + job.desc.digest.str() + " from " + client.domain() + "/" + client.path() +
                                ": " + e.what());
                }
                if (progress) progress->status(job.id, "Download complete");
            } catch (...) {
                std::lock_guard<std::mutex> lock(mu);
                if (!first_error) first_error = std::current_exception();
                cancel.store(true);
                return;
            }
        }
    };
    int n = std::max(1, std::min<int>(threads, static_cast<int>(jobs.size())));
    std::vector<std::thread> pool;
    for (int i = 1; i < n; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (first_error) std::rethrow_exception(first_error);
}

bool host_platform(const oci::Platform& p) {
    oci::Platform h = oci::Platform::host();
    std::vector<oci::Descriptor> one(1);
    one[0].media_type = std::string(oci::media::kManifest);
    one[0].platform = h;
    return p.os == h.os && select_platform(one, p) != nullptr;
}

// The stored index.json entry named `tag_name`, if any.
std::optional<oci::Descriptor> entry_for_tag(const store::Store& store, const std::string& tag_name) {
    if (tag_name.empty()) return std::nullopt;
    for (auto& e : store.read_index().manifests)
        if (e.annotation(oci::annotation::kRefName) == tag_name) return e;
    return std::nullopt;
}

// The image stored under `entry`, when it is complete and for `want`.
std::optional<store::Image> complete_image(const store::Store& store, const oci::Descriptor& entry,
                                           const oci::Platform& want) {
    try {
        store::Image img = store.load_image(entry);
        for (auto& l : img.manifest.layers)
            if (!store.has_blob(l.digest)) return std::nullopt;
        if (img.config.value("architecture", "") != want.architecture || img.config.value("os", "") != want.os)
            return std::nullopt;
        return img;
    } catch (const Error&) {
        return std::nullopt;
    }
}

bool not_found(const RegistryError& e) {
    return e.status() == 404 || e.status() == 401 || e.status() == 403 || e.code() == "MANIFEST_UNKNOWN" ||
           e.code() == "NAME_UNKNOWN";
}

// Pulls `ref` (the name the user means) from one endpoint (maybe a mirror's rewriting of it).
PullResult pull_from(const store::Store& store, const Reference& ref, const Endpoint& ep, const PullOptions& opt) {
    Client client(ep.ref.domain, ep.ref.path, client_options(opt.access, ep.ref.repository(), ep.insecure));
    const oci::Platform want = opt.platform.value_or(oci::Platform::host());
    Progress* progress = opt.progress;

    PullResult result;
    result.name = ref.str();
    std::vector<oci::Reference> tags;
    if (!ref.tag.empty()) {
        oci::Reference t = oci::Reference::parse(ref.with_tag(ref.tag).str());
        result.tag_name = t.tag_name();
        tags.push_back(t);
    }

    // Up to date: the tag already names what the registry has (or the digest
    // asked for is stored), and all of it is here.
    std::optional<oci::Descriptor> stored;
    std::string remote;
    if (ref.digest.empty()) {
        stored = entry_for_tag(store, result.tag_name);
        if (stored) remote = client.head_manifest(ep.ref.manifest_ref()).value_or("");
    } else {
        remote = ref.digest;
        for (auto& e : store.read_index().manifests)
            if (e.digest.str() == ref.digest) stored = e;
    }
    if (stored && stored->digest.str() == remote) {
        if (auto img = complete_image(store, *stored, want)) {
            auto tagged = entry_for_tag(store, result.tag_name);
            if (!tags.empty() && !(tagged && tagged->digest == stored->digest)) store.tag(*stored, tags[0]);
            result.digest = stored->digest;
            result.entry = stored->digest;
            result.image_id = img->id();
            return result;
        }
    }

    if (progress) progress->line((ref.tag.empty() ? ref.digest : ref.tag) + ": Pulling from " + ref.path);
    FetchedManifest top = client.get_manifest(ep.ref.manifest_ref());
    result.digest = oci::Digest::parse(top.digest);

    std::string manifest_bytes = top.bytes, manifest_type = top.media_type;
    oci::Descriptor child;  // the platform's manifest when `top` is an index
    bool keep_index = false;
    if (media::is_index(top.media_type)) {
        oci::Index idx = oci::Index::parse(top.bytes, "index " + top.digest);
        const oci::Descriptor* pick = select_platform(idx.manifests, want);
        if (!pick)
            throw Error("no image for " + want.str() + " in the index (it has " + platforms_offered(idx.manifests) +
                        "); choose one with --platform");
        child = *pick;
        if (store.has_blob(child.digest)) {
            manifest_bytes = store.read_blob(child.digest, child.size);
        } else {
            FetchedManifest m = client.get_manifest(child.digest.str());
            if (static_cast<int64_t>(m.bytes.size()) != child.size)
                throw Error("manifest " + child.digest.str() + ": " + std::to_string(m.bytes.size()) +
                            " bytes, the index says " + std::to_string(child.size));
            manifest_bytes = std::move(m.bytes);
        }
        manifest_type = child.media_type;
        // The store shows an index as this machine's image: keep it only when that is the one wanted.
        keep_index = host_platform(want) && select_platform(idx.manifests, oci::Platform::host()) == pick;
    }
    oci::Manifest manifest = oci::Manifest::parse(manifest_bytes, "manifest of " + ref.str());
    for (auto& l : manifest.layers) {
        if (!oci::media::is_layer(l.media_type))
            throw Error("manifest of " + ref.str() + ": layer " + l.digest.str() + " has media type \"" + l.media_type +
                        "\", which is not an image layer");
        if (l.extra.contains("urls"))
            throw Error("manifest of " + ref.str() + ": foreign layer " + l.digest.str() + " (fetched from urls) is not supported");
    }

    // Hold the store so ctr-prune cannot delete blobs before the tag names them.
    auto hold = store.hold();
    std::vector<BlobJob> jobs;
    auto want_blob = [&](const oci::Descriptor& d, bool layer) {
        std::string id = d.digest.hex().substr(0, 12);
        bool have = store.has_blob(d.digest);
        if (layer && progress) progress->status(id, have ? "Already exists" : "Pulling fs layer");
        if (have) return;
        for (auto& j : jobs)
            if (j.desc.digest == d.digest) return;
        jobs.push_back(BlobJob{d, id});
    };
    for (auto& l : manifest.layers) want_blob(l, true);
    want_blob(manifest.config, false);
    result.downloaded = true;
    fetch_all(client, store, jobs, opt.jobs, progress);

    std::string cfg = store.read_blob(manifest.config.digest, manifest.config.size);
    json config = json::parse(cfg, nullptr, false);
    if (!config.is_object()) throw Error("config " + manifest.config.digest.str() + " of " + ref.str() + " is not JSON");
    std::string arch = config.value("architecture", ""), os = config.value("os", "");
    if (!media::is_index(top.media_type) && (arch != want.architecture || os != want.os)) {
        if (opt.platform)
            throw Error("the image is for " + os + "/" + arch + ", not for " + want.str() + " as asked");
        std::fprintf(stderr, "WARNING: the image is for %s/%s, this machine is %s\n", os.c_str(), arch.c_str(),
                     want.str().c_str());
    }

    oci::Descriptor entry;
    if (keep_index) {
        store.write_blob(manifest_bytes, manifest_type, child.digest);
        entry = store.add_image(top.bytes, top.media_type, tags);
    } else {
        entry = store.add_image(manifest_bytes, manifest_type, tags);
    }
    if (progress)
        for (auto& l : manifest.layers) progress->status(l.digest.hex().substr(0, 12), "Pull complete");
    result.entry = entry.digest;
    result.image_id = manifest.config.digest;
    return result;
}

// Pulls a qualified reference, trying registries.conf's mirrors first.
PullResult pull_qualified(const store::Store& store, const Reference& ref, const RegistriesConf& conf,
                          const PullOptions& opt) {
    std::vector<Endpoint> endpoints = conf.pull_endpoints(ref);
    for (size_t i = 0; i < endpoints.size(); ++i) {
        try {
            return pull_from(store, ref, endpoints[i], opt);
        } catch (const Interrupted&) {
            throw;
        } catch (const Error& e) {
            if (!endpoints[i].mirror || i + 1 == endpoints.size()) throw;
            std::fprintf(stderr, "mirror %s: %s; trying the next source\n", endpoints[i].ref.domain.c_str(), e.what());
        }
    }
    throw Error("no source to pull from");
}

}  // namespace

PullResult pull(const store::Store& store, const std::string& reference, const PullOptions& opt) {
    Reference ref = parse_reference(reference);
    RegistriesConf conf = RegistriesConf::load(opt.access.registries_conf);
    std::vector<Reference> candidates;
    if (ref.qualified) {
        candidates.push_back(ref);
    } else {
        for (auto& reg : conf.search_registries()) candidates.push_back(parse_reference_in(reference, reg));
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
        try {
            return pull_qualified(store, candidates[i], conf, opt);
        } catch (const RegistryError& e) {
            if (i + 1 == candidates.size() || !not_found(e)) throw Error("pull " + candidates[i].str() + ": " + e.what());
        } catch (const Interrupted&) {
            throw Error("pull " + candidates[i].str() + ": interrupted");
        } catch (const Error& e) {
            if (i + 1 == candidates.size()) throw Error("pull " + candidates[i].str() + ": " + e.what());
        }
    }
    throw Error("pull " + reference + ": no registry to search (registries.conf's unqualified-search-registries is empty)");
}

std::vector<std::string> remote_tags(const std::string& reference, const PullOptions& opt) {
    Reference ref = parse_reference(reference);
    RegistriesConf conf = RegistriesConf::load(opt.access.registries_conf);
    if (!ref.qualified) ref = parse_reference_in(reference, conf.search_registries().front());
    Endpoint ep = conf.push_endpoint(ref);
    Client client(ep.ref.domain, ep.ref.path, client_options(opt.access, ep.ref.repository(), ep.insecure));
    std::vector<std::string> out;
    try {
        for (auto& t : client.list_tags()) out.push_back(ref.with_tag(t).str());
    } catch (const Error& e) {
        throw Error("list tags of " + ref.repository() + ": " + e.what());
    }
    return out;
}

void print_pull_status(const PullResult& result) {
    std::string shown = parse_reference(result.name).familiar();
    std::fprintf(stderr, "Digest: %s\n", result.digest.str().c_str());
    std::fprintf(stderr, "Status: %s for %s\n", result.downloaded ? "Downloaded newer image" : "Image is up to date",
                 shown.c_str());
}

}  // namespace ctr::registry

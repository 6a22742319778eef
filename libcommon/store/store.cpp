#include "libcommon/store/store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "libcommon/store/fsutil.h"
#include "libcommon/store/lineage.h"
#include "libcommon/store/tmp.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

using nlohmann::json;
using oci::Descriptor;
using oci::Digest;

namespace {

constexpr const char* kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return names;
        throw_errno("open " + dir);
    }
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

std::string ref_name(const Descriptor& d) { return d.annotation(oci::annotation::kRefName); }

// Points `name` at `entry` inside an index (the heart of tagging).
void set_tag(oci::Index& idx, const Descriptor& entry, const std::string& name) {
    auto& ms = idx.manifests;
    for (auto it = ms.begin(); it != ms.end(); ++it) {
        if (ref_name(*it) != name) continue;
        if (it->digest == entry.digest) return;
        Digest old = it->digest;
        bool others = std::count_if(ms.begin(), ms.end(), [&](const Descriptor& d) { return d.digest == old; }) > 1;
        if (others) {
            ms.erase(it);
        } else {
            it->annotations.erase(std::string(oci::annotation::kRefName));  // the old image stays, untagged
        }
        break;
    }
    // An untagged entry of the image gives way to the tagged one, which keeps
    // what it recorded (parent, cache keys).
    Descriptor tagged = entry;
    for (auto& d : ms)
        if (d.digest == entry.digest && ref_name(d).empty())
            for (auto& [k, v] : d.annotations) tagged.annotations.emplace(k, v);
    std::erase_if(ms, [&](const Descriptor& d) { return d.digest == entry.digest && ref_name(d).empty(); });
    tagged.annotations.erase(std::string(oci::annotation::kIntermediate));
    tagged.annotations[std::string(oci::annotation::kRefName)] = name;
    ms.push_back(tagged);
}

bool platform_matches(const oci::Platform& want, const std::optional<oci::Platform>& have) {
    if (!have) return false;
    if (have->os != want.os || have->architecture != want.architecture) return false;
    return want.variant.empty() || have->variant.empty() || have->variant == want.variant;
}

}  // namespace

std::string default_root() {
    const char* env = std::getenv("CTR_ROOT");
    return env && *env ? env : "/var/lib/ctr";
}

Store Store::open(const std::string& root) {
    if (root.empty()) throw Error("store root is empty");
    Store s(root);
    make_dirs(s.blobs_dir());
    make_dirs(s.layers_dir(), 0700);
    make_dirs(s.containers_dir(), 0700);
    make_dirs(s.tmp_dir(), 0700);
    make_dirs(root + "/locks", 0700);
    std::string layout = s.oci_dir() + "/oci-layout";
    if (!path_exists(layout)) replace_file(layout, kLayoutFile);
    if (!path_exists(s.index_path())) {
        auto lock = FileLock::acquire(root + "/locks/index.lock", FileLock::Mode::Exclusive);
        if (!path_exists(s.index_path())) replace_file(s.index_path(), oci::Index{}.serialize());
    }
    clean_tmp(s.tmp_dir());
    return s;
}

FileLock Store::hold() const { return FileLock::acquire(root_ + "/locks/gc.lock", FileLock::Mode::Shared); }

FileLock Store::lock_for_gc() const {
    return FileLock::acquire(root_ + "/locks/gc.lock", FileLock::Mode::Exclusive);
}

bool Store::has_blob(const Digest& d) const {
    struct stat st;
    return ::stat(blob_path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

BlobWriter Store::new_blob(std::optional<Digest> expected, int64_t expected_size) const {
    return BlobWriter(tmp_dir(), blobs_dir(), std::move(expected), expected_size);
}

Descriptor Store::write_blob(std::string_view bytes, const std::string& media_type,
                             std::optional<Digest> expected) const {
    Digest d = Digest::of(bytes);
    if (expected && d != *expected)
        throw Error("blob content does not match its digest: expected " + expected->str() + ", got " + d.str());
    Descriptor desc{.media_type = media_type, .digest = d, .size = static_cast<int64_t>(bytes.size())};
    struct stat st;
    if (::stat(blob_path(d).c_str(), &st) == 0 && st.st_size == desc.size) return desc;
    auto w = new_blob(d, desc.size);
    w.write(bytes);
    return w.commit(media_type);
}

BlobReader Store::open_blob(const Digest& d, int64_t expected_size) const {
    return BlobReader(blob_path(d), d, expected_size);
}

std::string Store::read_blob(const Digest& d, int64_t expected_size, int64_t max_size) const {
    auto r = open_blob(d, expected_size);
    if (r.file_size() > max_size)
        throw Error("blob " + d.str() + " is " + std::to_string(r.file_size()) + " bytes, more than the " +
                    std::to_string(max_size) + " expected of a manifest or config");
    return r.read_all();
}

oci::Index Store::read_index() const { return oci::Index::parse(read_file(index_path()), index_path()); }

void Store::update_index(const std::function<void(oci::Index&)>& change) const {
    auto lock = FileLock::acquire(root_ + "/locks/index.lock", FileLock::Mode::Exclusive);
    oci::Index idx = read_index();
    change(idx);
    replace_file(index_path(), idx.serialize());
}

Descriptor Store::add_image(std::string_view raw, const std::string& media_type,
                            const std::vector<oci::Reference>& tags) const {
    std::string where = "manifest";
    if (oci::media::is_index(media_type)) {
        oci::Index::parse(raw, "image index");
    } else if (oci::media::is_manifest(media_type)) {
        auto m = oci::Manifest::parse(raw, where);
        if (!has_blob(m.config.digest))
            throw Error("manifest: its config " + m.config.digest.str() + " is not in the store");
        for (auto& l : m.layers)
            if (!has_blob(l.digest)) throw Error("manifest: its layer " + l.digest.str() + " is not in the store");
    } else {
        throw Error("unsupported manifest media type \"" + media_type + "\"");
    }
    Descriptor entry = write_blob(raw, media_type);
    for (auto& t : tags)
        if (t.tag.empty()) throw Error("cannot tag with \"" + t.str() + "\": a tag needs a name, not a digest");
    update_index([&](oci::Index& idx) {
        for (auto& t : tags) set_tag(idx, entry, t.tag_name());
        if (tags.empty() && std::none_of(idx.manifests.begin(), idx.manifests.end(),
                                         [&](const Descriptor& d) { return d.digest == entry.digest; }))
            idx.manifests.push_back(entry);
    });
    return entry;
}

void Store::tag(const Descriptor& entry, const oci::Reference& ref) const {
    if (ref.tag.empty()) throw Error("cannot tag with \"" + ref.str() + "\": a tag needs a name, not a digest");
    Descriptor plain = entry;
    plain.annotations.erase(std::string(oci::annotation::kRefName));
    update_index([&](oci::Index& idx) { set_tag(idx, plain, ref.tag_name()); });
}

bool Store::untag(const oci::Reference& ref) const {
    bool found = false;
    update_index([&](oci::Index& idx) { found = untag_in(idx, ref.tag_name()); });
    return found;
}

std::vector<Layer> Image::layers() const {
    std::vector<Layer> out;
    const json* ids = nullptr;
    if (auto r = config.find("rootfs"); r != config.end() && r->is_object())
        if (auto d = r->find("diff_ids"); d != r->end() && d->is_array()) ids = &*d;
    size_t n = ids ? ids->size() : 0;
    if (n != manifest.layers.size())
        throw Error("image " + id().short_hex() + ": its config lists " + std::to_string(n) + " diff_ids for " +
                    std::to_string(manifest.layers.size()) + " layers");
    for (size_t i = 0; i < n; i++) {
        if (!(*ids)[i].is_string()) throw Error("image " + id().short_hex() + ": rootfs.diff_ids must be strings");
        out.push_back({manifest.layers[i], Digest::parse((*ids)[i].get<std::string>())});
    }
    return out;
}

std::string Image::created() const {
    auto c = config.find("created");
    return c != config.end() && c->is_string() ? c->get<std::string>() : "";
}

int64_t Image::size() const {
    int64_t n = manifest.config.size;
    for (auto& l : manifest.layers) n += l.size;
    return n;
}

Image Store::load_image(const Descriptor& entry) const {
    Image img;
    img.entry = entry;
    img.manifest_desc = entry;
    img.manifest_raw = read_blob(entry.digest, entry.size);
    std::string where = "manifest " + entry.digest.str();
    bool is_index = oci::media::is_index(entry.media_type);
    if (entry.media_type.empty()) {
        auto j = json::parse(img.manifest_raw, nullptr, false);
        is_index = j.is_object() && j.contains("manifests");
    }
    if (is_index) {
        auto idx = oci::Index::parse(img.manifest_raw, "image index " + entry.digest.str());
        auto host = oci::Platform::host();
        const Descriptor* pick = nullptr;
        for (auto& m : idx.manifests)
            if (platform_matches(host, m.platform) && oci::media::is_manifest(m.media_type)) {
                pick = &m;
                break;
            }
        if (!pick)
            throw Error("image index " + entry.digest.str() + " has no manifest for " + host.str());
        img.manifest_desc = *pick;
        img.manifest_raw = read_blob(pick->digest, pick->size);
        where = "manifest " + pick->digest.str();
    }
    img.manifest = oci::Manifest::parse(img.manifest_raw, where);
    std::string cfg = read_blob(img.manifest.config.digest, img.manifest.config.size);
    try {
        img.config = json::parse(cfg);
    } catch (const json::parse_error& e) {
        throw Error("image config " + img.manifest.config.digest.str() + ": malformed JSON: " + e.what());
    }
    if (!img.config.is_object()) throw Error("image config " + img.manifest.config.digest.str() + ": not a JSON object");
    return img;
}

std::vector<Image> Store::list_images() const {
    auto idx = read_index();
    std::vector<Image> out;
    for (auto& e : idx.manifests) {
        auto it = std::find_if(out.begin(), out.end(), [&](const Image& i) { return i.entry.digest == e.digest; });
        if (it == out.end()) {
            out.push_back(load_image(e));
            it = out.end() - 1;
        }
        if (auto name = ref_name(e); !name.empty()) it->tags.push_back(name);
        if (auto p = e.annotation(oci::annotation::kParent); !p.empty() && it->parent.empty()) it->parent = p;
    }
    link_images(out);
    return out;
}

std::string Store::parent(const Image& image) const {
    if (!image.parent.empty() || image.entry.annotation(oci::annotation::kBuildCacheKey).empty()) return image.parent;
    for (auto& img : list_images())
        if (img.entry.digest == image.entry.digest) return img.parent;
    return "";
}

std::vector<std::string> Store::children(const Image& image) const {
    for (auto& img : list_images())
        if (img.entry.digest == image.entry.digest) return img.children;
    return {};
}

Image Store::resolve(std::string_view s) const {
    auto idx = read_index();
    auto with_tags = [&](const Descriptor& entry) {
        Image img = load_image(entry);
        for (auto& e : idx.manifests)
            if (e.digest == entry.digest) {
                if (auto n = ref_name(e); !n.empty()) img.tags.push_back(n);
                if (auto p = e.annotation(oci::annotation::kParent); !p.empty() && img.parent.empty()) img.parent = p;
            }
        return img;
    };
    auto by_id_prefix = [&](const std::string& prefix) -> std::optional<Image> {
        std::optional<Image> found;
        for (auto& e : idx.manifests) {
            if (found && found->entry.digest == e.digest) continue;
            Image img = with_tags(e);
            if (!img.id().hex().starts_with(prefix) && e.digest.hex() != prefix) continue;
            if (found && found->id() != img.id())
                throw Error("ambiguous image id prefix \"" + prefix + "\": it matches " + found->id().short_hex() +
                            " and " + img.id().short_hex());
            if (!found) found = std::move(img);
        }
        return found;
    };

    auto prefix = oci::image_id_prefix(s);
    if (prefix && prefix->size() == 64) {
        if (auto img = by_id_prefix(*prefix)) return *img;
        throw Error("No such image: " + std::string(s));
    }
    auto ref = oci::Reference::try_parse(s);
    if (ref) {
        if (ref->digest) {
            for (auto& e : idx.manifests)
                if (e.digest == *ref->digest) return with_tags(e);
        } else {
            for (auto& e : idx.manifests)
                if (ref_name(e) == ref->tag_name()) return with_tags(e);
        }
    }
    if (prefix && !s.empty()) {
        if (auto img = by_id_prefix(*prefix)) return *img;
    }
    if (!ref && !prefix) oci::Reference::parse(s);  // throws the reason the name is invalid
    throw Error("No such image: " + (ref ? ref->str() : std::string(s)));
}

std::vector<std::pair<std::string, std::string>> Store::images_in_use() const {
    std::vector<std::pair<std::string, std::string>> ids;
    for (auto& id : list_dir(containers_dir())) {
        std::string path = containers_dir() + "/" + id + "/container.json";
        if (!path_exists(path)) continue;
        try {
            auto j = json::parse(read_file(path));
            if (j.is_object() && j.contains("Image") && j["Image"].is_string()) ids.emplace_back(id, j["Image"].get<std::string>());
        } catch (const std::exception&) {
        }
    }
    return ids;
}

namespace {

// What index.json (and the containers' images) keep alive: blob and diff_id hexes.
struct Reachable {
    std::set<std::string> blobs;
    std::set<std::string> layers;
};

void mark_manifest(const Store& s, const std::string& hex, Reachable& r, int depth = 0) {
    if (!r.blobs.insert(hex).second || depth > 2) return;
    json j;
    try {
        j = json::parse(read_file(s.blobs_dir() + "/" + hex));
    } catch (const std::exception&) {
        return;
    }
    if (!j.is_object()) return;
    auto hex_of = [](const json& d) -> std::string {
        if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string()) return "";
        auto dg = Digest::try_parse(d["digest"].get<std::string>());
        return dg ? dg->hex() : "";
    };
    if (j.contains("manifests") && j["manifests"].is_array()) {
        for (auto& m : j["manifests"])
            if (auto h = hex_of(m); !h.empty()) mark_manifest(s, h, r, depth + 1);
        return;
    }
    if (j.contains("layers") && j["layers"].is_array())
        for (auto& l : j["layers"])
            if (auto h = hex_of(l); !h.empty()) r.blobs.insert(h);
    if (!j.contains("config")) return;
    auto ch = hex_of(j["config"]);
    if (ch.empty()) return;
    r.blobs.insert(ch);
    try {
        auto c = json::parse(read_file(s.blobs_dir() + "/" + ch));
        for (auto& id : c.at("rootfs").at("diff_ids"))
            if (auto d = Digest::try_parse(id.get<std::string>())) r.layers.insert(d->hex());
    } catch (const std::exception&) {
    }
}

Reachable reachable(const Store& s) {
    Reachable r;
    for (auto& e : s.read_index().manifests) mark_manifest(s, e.digest.hex(), r);
    return r;
}

int64_t file_size(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

}  // namespace

namespace {

// Deletes the blobs and unpacked layers of a removed image that `keep` does not hold.
void delete_unreferenced(const Store& s, const Image& image, const Reachable& keep) {
    std::vector<std::string> blobs = {image.entry.digest.hex(), image.manifest_desc.digest.hex(),
                                      image.manifest.config.digest.hex()};
    for (auto& l : image.manifest.layers) blobs.push_back(l.digest.hex());
    for (auto& b : blobs)
        if (!keep.blobs.count(b) && ::unlink((s.blobs_dir() + "/" + b).c_str()) < 0 && errno != ENOENT)
            throw_errno("remove " + s.blobs_dir() + "/" + b);
    std::vector<Layer> layers;
    try {
        layers = image.layers();
    } catch (const Error&) {
    }
    for (auto& l : layers)
        if (!keep.layers.count(l.diff_id.hex())) remove_tree(s.layer_path(l.diff_id));
}

std::set<std::string> used_image_ids(const Store& s) {
    std::set<std::string> used;
    for (auto& [cid, image] : s.images_in_use()) used.insert(image);
    return used;
}

}  // namespace

std::vector<ImageDeletion> Store::remove_image(const Image& image, bool quiet) const {
    auto gc = lock_for_gc();
    auto images = list_images();
    DeletionPlan plan(images, used_image_ids(*this));
    std::string entry = image.entry.digest.str();
    if (std::none_of(images.begin(), images.end(), [&](const Image& i) { return i.entry.digest == image.entry.digest; }))
        return {};  // removed meanwhile
    if (plan.has_children(entry)) {
        if (quiet) return {};
        throw Error("conflict: unable to delete " + image.id().short_hex() +
                    " (cannot be forced) - image has dependent child images");
    }
    plan.remove(entry);
    update_index([&](oci::Index& idx) { plan.apply(idx); });
    auto keep = reachable(*this);
    for (auto& img : plan.deleted_images()) delete_unreferenced(*this, img, keep);
    return plan.records();
}

void Store::discard_blobs(const std::vector<Digest>& blobs, FileLock& hold) const noexcept {
    if (blobs.empty()) return;
    try {
        hold.release();
        auto gc = FileLock::try_acquire(root_ + "/locks/gc.lock", FileLock::Mode::Exclusive);
        if (!gc) return;
        auto keep = reachable(*this);
        for (auto& d : blobs)
            if (!keep.blobs.count(d.hex())) ::unlink(blob_path(d).c_str());
    } catch (...) {
    }
}

int64_t Store::collect_garbage() const {
    auto gc = lock_for_gc();
    auto keep = reachable(*this);
    int64_t freed = 0;
    for (auto& name : list_dir(blobs_dir())) {
        if (keep.blobs.count(name)) continue;
        std::string p = blobs_dir() + "/" + name;
        freed += file_size(p);
        if (::unlink(p.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + p);
    }
    for (auto& name : list_dir(layers_dir())) {
        if (keep.layers.count(name)) continue;
        remove_tree(layers_dir() + "/" + name);
    }
    clean_tmp(tmp_dir());
    return freed;
}

namespace {

int64_t tree_bytes(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) return 0;
    if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? st.st_size : 0;
    int64_t n = 0;
    for (auto& name : list_dir(path)) n += tree_bytes(path + "/" + name);
    return n;
}

}  // namespace

Store::PruneReport Store::prune(const std::function<bool(const Image&)>& choose, bool dry_run) const {
    PruneReport rep;
    auto gc = lock_for_gc();
    auto images = list_images();
    DeletionPlan plan(images, used_image_ids(*this));
    for (auto& img : images)
        if (!img.intermediate() && !plan.used(img.entry.digest.str()) && choose(img)) plan.prune(img.entry.digest.str());
    rep.records = plan.records();
    rep.images = plan.deleted_images();
    const auto& drop = plan.deleted_entries();
    if (!dry_run && !rep.records.empty()) update_index([&](oci::Index& idx) { plan.apply(idx); });
    Reachable keep;
    if (dry_run) {
        for (auto& e : read_index().manifests)
            if (!drop.count(e.digest.str())) mark_manifest(*this, e.digest.hex(), keep);
        for (auto& img : images)
            if (!drop.count(img.entry.digest.str())) try {
                    for (auto& l : img.layers()) keep.layers.insert(l.diff_id.hex());
                } catch (const Error&) {
                }
    } else {
        keep = reachable(*this);
    }
    for (auto& name : list_dir(blobs_dir())) {
        if (keep.blobs.count(name)) continue;
        std::string p = blobs_dir() + "/" + name;
        rep.bytes += file_size(p);
        rep.blobs.push_back("sha256:" + name);
        if (!dry_run && ::unlink(p.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + p);
    }
    for (auto& name : list_dir(layers_dir())) {
        if (keep.layers.count(name)) continue;
        rep.bytes += tree_bytes(layers_dir() + "/" + name);
        rep.layers.push_back(name);
        if (!dry_run) remove_tree(layers_dir() + "/" + name);
    }
    if (!dry_run) {
        int64_t before = tree_bytes(tmp_dir());
        clean_tmp(tmp_dir());
        rep.bytes += std::max<int64_t>(0, before - tree_bytes(tmp_dir()));
    }
    return rep;
}

}  // namespace ctr::store

#include "libcommon/store/lineage.h"

#include <algorithm>

#include "libcommon/sys/error.h"

namespace ctr::store {

using nlohmann::json;

std::string build_cache_key(const std::optional<oci::Digest>& parent, std::string_view created_by) {
    return oci::Digest::of((parent ? parent->str() : "scratch") + "\n" + std::string(created_by)).hex();
}

namespace {

const json* history_of(const Image& img) {
    auto h = img.config.find("history");
    return h != img.config.end() && h->is_array() ? &*h : nullptr;
}

size_t history_size(const Image& img) {
    auto h = history_of(img);
    return h ? h->size() : 0;
}

// The parent of a step image made before parents were recorded: the image of
// one history entry less whose id, with the step's created_by, is a cache key
// of the entry.
std::string inferred_parent(const Image& img, const std::map<size_t, std::vector<const Image*>>& by_history) {
    std::string keys = " " + img.entry.annotation(oci::annotation::kBuildCacheKey) + " ";
    auto h = history_of(img);
    if (keys == "  " || !h || h->empty() || !h->back().is_object()) return "";
    std::string created_by = h->back().value("created_by", "");
    auto has = [&](const std::optional<oci::Digest>& p, const std::string& cb) {
        return keys.find(" " + build_cache_key(p, cb) + " ") != std::string::npos;
    };
    std::string no_net = created_by + std::string(kNoNetworkKeySuffix);
    if (has(std::nullopt, created_by) || has(std::nullopt, no_net)) return "";
    auto it = by_history.find(h->size() - 1);
    if (it == by_history.end()) return "";
    for (auto* p : it->second)
        if (p != &img && (has(p->id(), created_by) || has(p->id(), no_net))) return p->id().str();
    return "";
}

}  // namespace

void link_images(std::vector<Image>& images) {
    std::map<size_t, std::vector<const Image*>> by_history;
    for (auto& img : images) by_history[history_size(img)].push_back(&img);
    std::vector<std::string> parents;
    for (auto& img : images) parents.push_back(img.parent.empty() ? inferred_parent(img, by_history) : img.parent);
    std::map<std::string, std::vector<Image*>> by_id;
    for (size_t i = 0; i < images.size(); i++) {
        images[i].parent = parents[i];
        images[i].children.clear();
        by_id[images[i].id().str()].push_back(&images[i]);
    }
    for (auto& img : images) {
        if (img.parent.empty()) continue;
        auto it = by_id.find(img.parent);
        if (it == by_id.end()) continue;
        for (auto* p : it->second)
            if (std::find(p->children.begin(), p->children.end(), img.id().str()) == p->children.end())
                p->children.push_back(img.id().str());
    }
}

DeletionPlan::DeletionPlan(const std::vector<Image>& images, std::set<std::string> used) : used_(std::move(used)) {
    for (auto& img : images) {
        auto d = img.entry.digest.str();
        nodes_[d] = Node{&img, img.tags, {}};
        by_id_[img.id().str()].push_back(d);
    }
    for (auto& img : images) {
        auto it = by_id_.find(img.parent);
        if (img.parent.empty() || it == by_id_.end()) continue;
        for (auto& p : it->second) nodes_[p].children.insert(img.entry.digest.str());
    }
}

DeletionPlan::Node& DeletionPlan::node(const std::string& entry_digest) {
    auto it = nodes_.find(entry_digest);
    if (it == nodes_.end()) throw Error("No such image: " + entry_digest);
    return it->second;
}

const DeletionPlan::Node* DeletionPlan::find(const std::string& entry_digest) const {
    auto it = nodes_.find(entry_digest);
    return it == nodes_.end() ? nullptr : &it->second;
}

bool DeletionPlan::has_children(const std::string& entry_digest) const {
    auto n = find(entry_digest);
    return n && !n->children.empty();
}

bool DeletionPlan::used(const std::string& entry_digest) const {
    auto n = find(entry_digest);
    return n && used_.count(n->image->id().str());
}

bool DeletionPlan::gone(const std::string& entry_digest) const { return deleted_.count(entry_digest) > 0; }

void DeletionPlan::untag_all(const std::string& entry_digest) {
    auto& n = node(entry_digest);
    for (auto& t : n.tags) {
        records_.push_back({.untagged = t, .deleted = ""});
        untagged_.emplace_back(t, n.image->entry.digest);
    }
    n.tags.clear();
}

void DeletionPlan::remove(const std::string& entry_digest) {
    std::string d = entry_digest;
    while (true) {
        untag_all(d);
        auto& n = node(d);
        deleted_.insert(d);
        deleted_order_.push_back(d);
        records_.push_back({.untagged = "", .deleted = n.image->id().str()});
        // The parent loses this child; it goes too if that leaves it unneeded.
        std::string next;
        auto it = by_id_.find(n.image->parent);
        if (n.image->parent.empty() || it == by_id_.end()) return;
        for (auto& p : it->second) {
            auto& pn = node(p);
            pn.children.erase(d);
            if (next.empty() && !gone(p) && pn.tags.empty() && pn.children.empty() && !used(p)) next = p;
        }
        if (next.empty()) return;
        d = next;
    }
}

void DeletionPlan::prune(const std::string& entry_digest) {
    if (gone(entry_digest) || used(entry_digest) || !find(entry_digest)) return;
    untag_all(entry_digest);
    if (!has_children(entry_digest)) remove(entry_digest);
}

std::vector<Image> DeletionPlan::deleted_images() const {
    std::vector<Image> out;
    for (auto& d : deleted_order_) out.push_back(*find(d)->image);
    return out;
}

void DeletionPlan::apply(oci::Index& idx) const {
    for (auto& [t, from] : untagged_) untag_in(idx, t, from);
    std::erase_if(idx.manifests, [&](const oci::Descriptor& d) { return deleted_.count(d.digest.str()) > 0; });
}

bool untag_in(oci::Index& idx, const std::string& name, const std::optional<oci::Digest>& only_from) {
    auto& ms = idx.manifests;
    auto it = std::find_if(ms.begin(), ms.end(),
                           [&](const oci::Descriptor& d) { return d.annotation(oci::annotation::kRefName) == name; });
    if (it == ms.end() || (only_from && it->digest != *only_from)) return false;
    oci::Digest d = it->digest;
    if (std::count_if(ms.begin(), ms.end(), [&](const oci::Descriptor& x) { return x.digest == d; }) > 1)
        ms.erase(it);
    else
        it->annotations.erase(std::string(oci::annotation::kRefName));
    return true;
}

}  // namespace ctr::store

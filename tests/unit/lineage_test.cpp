#include <doctest/doctest.h>

#include "libcommon/store/lineage.h"

using namespace ctr;
using oci::Digest;
using store::Image;

namespace {

// An image named `name` (its id is the digest of the name) whose history has
// `steps` entries, the last created by `created_by`.
Image image(const std::string& name, size_t steps, const std::string& created_by = "",
            const std::vector<std::string>& tags = {}) {
    Image img;
    img.manifest.config.digest = Digest::of("config " + name);
    img.entry.digest = Digest::of("manifest " + name);
    img.config = {{"history", nlohmann::json::array()}};
    for (size_t i = 0; i < steps; i++)
        img.config["history"].push_back({{"created_by", i + 1 == steps ? created_by : "step"}});
    img.tags = tags;
    return img;
}

std::string ids(const std::vector<store::ImageDeletion>& records) {
    std::string out;
    for (auto& r : records) out += (r.deleted.empty() ? "untagged " + r.untagged : "deleted " + r.deleted) + "\n";
    return out;
}

}  // namespace

TEST_CASE("link_images: recorded parents, and older entries' parents found from their cache keys") {
    std::vector<Image> v;
    v.push_back(image("base", 1, "ctr-import", {"busybox:latest"}));
    v.push_back(image("run", 2, "/bin/sh -c echo"));  // built before parents were recorded
    v.back().entry.annotations[std::string(oci::annotation::kBuildCacheKey)] =
        "0000 " + store::build_cache_key(v[0].id(), "/bin/sh -c echo" + std::string(store::kNoNetworkKeySuffix));
    v.push_back(image("env", 3, "/bin/sh -c #(nop)  ENV A=1", {"app:1"}));
    v.back().parent = v[1].id().str();  // recorded
    v.push_back(image("scratch-step", 1, "/bin/sh -c #(nop)  FROM scratch"));
    v.back().entry.annotations[std::string(oci::annotation::kBuildCacheKey)] =
        store::build_cache_key(std::nullopt, "/bin/sh -c #(nop)  FROM scratch");
    store::link_images(v);
    CHECK(v[0].parent.empty());
    CHECK(v[1].parent == v[0].id().str());
    CHECK(v[2].parent == v[1].id().str());
    CHECK(v[3].parent.empty());
    CHECK(v[0].children == std::vector<std::string>{v[1].id().str()});
    CHECK(v[1].children == std::vector<std::string>{v[2].id().str()});
    CHECK(v[1].intermediate());
    CHECK_FALSE(v[0].intermediate());  // tagged
    CHECK_FALSE(v[3].intermediate());  // dangling
}

TEST_CASE("DeletionPlan: docker's rmi and prune over a chain of step images") {
    // busybox <- a <- b <- app:1, and b <- other (untagged, dangling).
    std::vector<Image> v = {image("busybox", 1, "", {"busybox:latest"}), image("a", 2), image("b", 3),
                            image("app", 4, "", {"app:1"}), image("other", 4)};
    v[1].parent = v[0].id().str();
    v[2].parent = v[1].id().str();
    v[3].parent = v[2].id().str();
    v[4].parent = v[2].id().str();
    store::link_images(v);
    auto d = [&](int i) { return v[i].entry.digest.str(); };

    SUBCASE("removing app stops at b, which has another child") {
        store::DeletionPlan p(v, {});
        CHECK(p.has_children(d(2)));
        p.remove(d(3));
        CHECK(ids(p.records()) == "untagged app:1\ndeleted " + v[3].id().str() + "\n");
        p.remove(d(4));
        CHECK(ids(p.records()) == "untagged app:1\ndeleted " + v[3].id().str() + "\ndeleted " + v[4].id().str() +
                                      "\ndeleted " + v[2].id().str() + "\ndeleted " + v[1].id().str() + "\n");
        CHECK(p.deleted_entries().count(d(1)));
        CHECK_FALSE(p.deleted_entries().count(d(0)));  // tagged
        oci::Index idx;
        for (auto& img : v) {
            auto e = img.entry;
            if (!img.tags.empty()) e.annotations[std::string(oci::annotation::kRefName)] = img.tags[0];
            idx.manifests.push_back(e);
        }
        p.apply(idx);
        REQUIRE(idx.manifests.size() == 1);
        CHECK(idx.manifests[0].digest == v[0].entry.digest);
    }
    SUBCASE("an ancestor a container uses stays") {
        store::DeletionPlan p(v, {v[1].id().str()});
        p.remove(d(4));
        p.remove(d(3));
        CHECK(p.deleted_entries().size() == 3);  // other, app, b
        CHECK_FALSE(p.gone(d(1)));
    }
    SUBCASE("prune: a tagged image with children only loses its tags; a used one is left alone") {
        store::DeletionPlan p(v, {v[3].id().str()});
        p.prune(d(0));
        p.prune(d(3));
        p.prune(d(4));
        CHECK(ids(p.records()) == "untagged busybox:latest\ndeleted " + v[4].id().str() + "\n");
        CHECK_FALSE(p.gone(d(0)));
        CHECK_FALSE(p.gone(d(2)));
    }
}

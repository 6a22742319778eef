// Which image was built on which (docker's Parent, from the classic builder),
// and what deleting an image takes with it.
//
// ctr-build records the parent on each step image's index.json entry
// (dev.ctr.image.parent = "sha256:<parent image id>"). Entries made before it
// did carry only their cache keys (dev.ctr.build.cache-key); their parent is
// the image whose id, with the step's created_by, gives one of those keys.
//
// Docker's rules, which ctr-images, ctr-images rm and ctr-prune follow:
//  - an untagged image another image was built on is an intermediate image:
//    listed with -a only, never dangling, never pruned on its own;
//  - an untagged image nothing was built on is dangling;
//  - an image other images were built on cannot be deleted;
//  - deleting an image also deletes each ancestor left untagged, with no
//    other child and no container using it (docker's "prune parents").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/oci/digest.h"
#include "libcommon/store/store.h"

namespace ctr::store {

// The cache key ctr-build files a step under: the sha256 hex of the parent
// image id ("scratch" for none), "\n", and the step's created_by. A RUN step
// built with --network none has kNoNetworkKeySuffix after its created_by.
std::string build_cache_key(const std::optional<oci::Digest>& parent, std::string_view created_by);
inline constexpr std::string_view kNoNetworkKeySuffix = "\n--network=none";

// Fills Image::parent (the recorded one, else worked out from the cache keys)
// and Image::children of every image in `images` (a whole store's list).
void link_images(std::vector<Image>& images);

// Deletions planned on a snapshot of the store's images (from list_images(),
// so linked), then applied to index.json in one update (apply()).
class DeletionPlan {
public:
    // `used`: image ids ("sha256:…") that containers use.
    DeletionPlan(const std::vector<Image>& images, std::set<std::string> used);

    // The image of index.json entry `entry_digest` has children left.
    bool has_children(const std::string& entry_digest) const;
    bool used(const std::string& entry_digest) const;
    bool gone(const std::string& entry_digest) const;

    // Removes every tag of the image.
    void untag_all(const std::string& entry_digest);
    // Deletes the image (its tags with it), then its ancestors as docker's
    // prune of parents does. The caller has checked the image itself.
    void remove(const std::string& entry_digest);
    // What docker's prune does with one of its candidates: nothing if a
    // container uses it or it is gone already; else its tags go, and the
    // image too unless other images were built on it.
    void prune(const std::string& entry_digest);

    const std::vector<ImageDeletion>& records() const { return records_; }
    // Index.json entries (manifest digests) deleted.
    const std::set<std::string>& deleted_entries() const { return deleted_; }
    // The images deleted, in the order of records().
    std::vector<Image> deleted_images() const;
    // Applies the plan to an index (untags, then drops the deleted entries).
    // A tag that meanwhile names another image is left alone.
    void apply(oci::Index& idx) const;

private:
    struct Node {
        const Image* image;
        std::vector<std::string> tags;
        std::set<std::string> children;  // entry digests
    };
    Node& node(const std::string& entry_digest);
    const Node* find(const std::string& entry_digest) const;

    std::map<std::string, Node> nodes_;                       // by entry digest
    std::map<std::string, std::vector<std::string>> by_id_;   // image id -> entry digests
    std::set<std::string> used_;
    std::vector<ImageDeletion> records_;
    std::set<std::string> deleted_;
    std::vector<std::string> deleted_order_;
    std::vector<std::pair<std::string, oci::Digest>> untagged_;  // (tag, entry digest)
};

// Removes tag `name` from an index (only if it names the entry `only_from`,
// when given): the entry goes if another entry names the same image, else it
// stays untagged (its other annotations kept). Returns false if no entry had
// that tag.
bool untag_in(oci::Index& idx, const std::string& name, const std::optional<oci::Digest>& only_from = std::nullopt);

}  // namespace ctr::store

// The image store: $CTR_ROOT (default /var/lib/ctr), whose oci/ directory is ONE
// standard OCI image layout that skopeo, umoci and containerd read as it is.
//
//   $CTR_ROOT/oci/            oci-layout, index.json, blobs/sha256/<hex>
//   $CTR_ROOT/layers/<hex>/   a layer unpacked once (named by its diff_id), an overlay lowerdir
//   $CTR_ROOT/containers/     one directory per container (see docs/design.md)
//   $CTR_ROOT/tmp/            staging; anything nobody holds locked is garbage
//   $CTR_ROOT/locks/          index.lock, gc.lock (the protocol is in docs/design.md)
//
// Tags are index.json entries annotated org.opencontainers.image.ref.name =
// "name:tag"; an entry without one is an untagged image. Every blob is verified
// against its digest when read.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/oci/descriptor.h"
#include "libcommon/oci/manifest.h"
#include "libcommon/oci/reference.h"
#include "libcommon/store/blob.h"
#include "libcommon/store/lock.h"

namespace ctr::store {

// $CTR_ROOT if set and not empty, else /var/lib/ctr.
std::string default_root();

// One layer of an image: the blob as stored, and the digest of its uncompressed
// tar (diff_id, from the config) that names its unpacked directory.
struct Layer {
    oci::Descriptor blob;
    oci::Digest diff_id;
};

// An image of the store, resolved from an index.json entry down to its config.
struct Image {
    // The index.json entry (a manifest, or a multi-platform index).
    oci::Descriptor entry;
    // The single-platform manifest chosen (== entry unless entry is an index).
    oci::Descriptor manifest_desc;
    std::string manifest_raw;
    oci::Manifest manifest;
    // The image config, as stored (docker's "container config" fields under "config").
    nlohmann::json config;
    // Every "name:tag" pointing at this image's entry, in index.json order.
    std::vector<std::string> tags;
    // "sha256:<id>" of the image this one was built on (docker's Parent; see
    // lineage.h), or "". list_images() works it out for every image;
    // resolve() and load_image() give only a recorded one (parent() has the
    // whole answer).
    std::string parent;
    // Ids ("sha256:…") of the images built directly on this one; filled by
    // list_images() only.
    std::vector<std::string> children;

    // Docker's intermediate image: untagged, and other images were built on
    // it (ctr-images lists it with -a only; ctr-prune keeps it). Meaningful
    // on list_images()'s images.
    bool intermediate() const { return tags.empty() && !children.empty(); }

    // The image id: the digest of its config, as docker prints it.
    const oci::Digest& id() const { return manifest.config.digest; }
    // Layers bottom first, each with its diff_id. Throws if the config's
    // rootfs.diff_ids do not match the manifest's layers.
    std::vector<Layer> layers() const;
    // The config's "created" (RFC 3339) or "".
    std::string created() const;
    // Bytes of this image's blobs in the store (config and layers, compressed).
    int64_t size() const;
};

// One line of what deleting images did, as docker reports it: a tag removed
// ("Untagged: name:tag") or an image deleted ("Deleted: sha256:…").
struct ImageDeletion {
    std::string untagged;
    std::string deleted;
};

// The store. Cheap to open; every method reads the disk afresh, so several
// processes can use one store at the same time.
class Store {
public:
    // Opens (creating it if needed) the store at `root`, and removes what
    // crashed writers left in tmp/.
    static Store open(const std::string& root = default_root());

    const std::string& root() const { return root_; }
    std::string oci_dir() const { return root_ + "/oci"; }
    std::string blobs_dir() const { return root_ + "/oci/blobs/sha256"; }
    std::string layers_dir() const { return root_ + "/layers"; }
    std::string containers_dir() const { return root_ + "/containers"; }
    std::string tmp_dir() const { return root_ + "/tmp"; }
    std::string index_path() const { return root_ + "/oci/index.json"; }
    std::string blob_path(const oci::Digest& d) const { return blobs_dir() + "/" + d.hex(); }

    // --- locks (see "Store locking" in docs/design.md) ---

    // Taken by every process that writes blobs or unpacks layers and then
    // references them (index.json entry, container.json), for the whole span.
    // Shared: any number of writers at once. Never call remove_image() or
    // collect_garbage() while holding it (they take it exclusive).
    FileLock hold() const;
    // Exclusive: what ctr-prune (and image removal) takes before deleting.
    FileLock lock_for_gc() const;

    // --- blobs ---

    bool has_blob(const oci::Digest& d) const;
    // A streaming writer; if `expected` is given, commit() refuses other content.
    BlobWriter new_blob(std::optional<oci::Digest> expected = std::nullopt, int64_t expected_size = -1) const;
    // Stores bytes as a blob (a no-op for the data if it is already there).
    oci::Descriptor write_blob(std::string_view bytes, const std::string& media_type,
                               std::optional<oci::Digest> expected = std::nullopt) const;
    // Streams a blob, verifying its digest when the end is read.
    BlobReader open_blob(const oci::Digest& d, int64_t expected_size = -1) const;
    // A whole (small) blob, verified. Refuses blobs larger than max_size.
    std::string read_blob(const oci::Digest& d, int64_t expected_size = -1, int64_t max_size = 64 << 20) const;

    // --- index.json ---

    oci::Index read_index() const;
    // Read-modify-write of index.json under locks/index.lock; the new file
    // replaces the old atomically (written to a temp file, fsync'd, renamed).
    void update_index(const std::function<void(oci::Index&)>& change) const;

    // --- images and tags ---

    // Stores a manifest (or multi-platform index) exactly as given, byte for
    // byte, after checking that it parses and that the config and layers it
    // names are already in the store; then points each tag at it (moving the
    // tag off any other image). With no tags it is recorded as an untagged
    // image. Returns the descriptor of the index.json entry.
    oci::Descriptor add_image(std::string_view raw_manifest, const std::string& media_type,
                              const std::vector<oci::Reference>& tags) const;
    // Points `tag` at the image whose index.json entry is `entry`. An image that
    // loses its last tag stays in the store as an untagged ("<none>") image.
    void tag(const oci::Descriptor& entry, const oci::Reference& tag) const;
    // Removes a tag; returns false if there was no such tag.
    bool untag(const oci::Reference& tag) const;

    // Finds an image by "name", "name:tag", "name@sha256:…", a full or short
    // (unique prefix) image id, or a manifest digest. Throws
    // ctr::Error("No such image: …") if nothing matches, and on ambiguous ids.
    Image resolve(std::string_view ref) const;
    // Every image in index.json order: one per distinct entry, tags gathered,
    // parents and children linked (lineage.h).
    std::vector<Image> list_images() const;
    // The image `image` was built on ("sha256:…"), or "": the recorded one,
    // else, for an image built before parents were recorded, worked out from
    // the store's images.
    std::string parent(const Image& image) const;
    // The ids of the images built directly on `image`.
    std::vector<std::string> children(const Image& image) const;
    // Reads one index.json entry down to its config (platform chosen for indexes).
    Image load_image(const oci::Descriptor& entry) const;

    // Which containers (containers/<id>/container.json) use which image:
    // pairs of (container id, image id "sha256:<hex>").
    std::vector<std::pair<std::string, std::string>> images_in_use() const;

    // Removes the entry of an image from index.json (all its tags), then, as
    // docker's rmi does, each ancestor that is left untagged, with no other
    // child and no container using it; then deletes the blobs and unpacked
    // layers nothing else references. An image other images were built on is
    // refused with docker's conflict message ("image has dependent child
    // images"), or, with `quiet`, left alone. Takes the gc lock. Returns what
    // went: its tags, the image, then the ancestors.
    std::vector<ImageDeletion> remove_image(const Image& image, bool quiet = false) const;
    // After a failed import: releases `hold` and, if no other writer is at work
    // (the gc lock can be had at once), deletes those of `blobs` that nothing
    // references. Otherwise they stay for collect_garbage(). Never throws.
    void discard_blobs(const std::vector<oci::Digest>& blobs, FileLock& hold) const noexcept;
    // Deletes blobs and unpacked layers that no index.json entry and no
    // container references, and stale tmp/ entries. Takes the gc lock. Returns
    // the bytes freed. (What ctr-prune calls.)
    int64_t collect_garbage() const;

    // What prune() removed (or, dry run, would remove).
    struct PruneReport {
        std::vector<Image> images;              // index.json entries removed
        // Tags removed and images deleted, in docker's order (lineage.h).
        std::vector<ImageDeletion> records;
        std::vector<std::string> blobs;         // "sha256:<hex>" deleted
        std::vector<std::string> layers;        // layers/<hex> directories deleted
        int64_t bytes = 0;                      // blobs + layers + tmp/ garbage
    };
    // Under the exclusive gc lock, so no import, pull, build or create is
    // between writing and referencing: docker's image prune. Among the images
    // no container uses (read under the lock) that are not intermediate
    // (tagged, or untagged with no child), those `choose` picks lose their
    // tags and, unless other images were built on them, are deleted with
    // their ancestors that are left unneeded (lineage.h). Then every blob and
    // unpacked layer nothing references goes, and what crashed writers left in
    // tmp/. With dry_run, only reports.
    PruneReport prune(const std::function<bool(const Image&)>& choose, bool dry_run) const;

    // --- unpacked layers ---

    // The directory layers/<diff_id hex>/ holding the layer unpacked for overlay
    // (whiteouts as 0/0 char devices, opaque dirs with trusted.overlay.opaque=y).
    // Unpacks it first if needed: into tmp/, verifying the blob digest and the
    // diff_id, then renamed into place, so layers/ never holds half a layer.
    // Call it while holding hold().
    std::string unpack_layer(const Layer& layer) const;
    std::string layer_path(const oci::Digest& diff_id) const { return layers_dir() + "/" + diff_id.hex(); }

private:
    explicit Store(std::string root) : root_(std::move(root)) {}
    std::string root_;
};

}  // namespace ctr::store

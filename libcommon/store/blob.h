// Streaming into and out of the store's content-addressed blobs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/oci/descriptor.h"
#include "libcommon/store/tmp.h"
#include "libcommon/sys/fd.h"

namespace ctr::store {

// Writes one blob: bytes go to a locked file in tmp/ and through SHA-256 as they
// arrive; commit() fsyncs, checks the digest and size against what was expected
// (if anything was), and renames the file to blobs/sha256/<hex>. Dropping a
// writer without commit() leaves nothing behind. Get one from Store::new_blob().
class BlobWriter {
public:
    BlobWriter(const std::string& tmp_dir, const std::string& blobs_dir,
               std::optional<oci::Digest> expected_digest, int64_t expected_size);
    BlobWriter(BlobWriter&&) noexcept = default;

    void write(const void* data, size_t size);
    void write(std::string_view s) { write(s.data(), s.size()); }
    uint64_t size() const { return hash_->size(); }
    // Returns the descriptor of the stored blob (with `media_type`).
    // Throws (and stores nothing) on a digest or size mismatch.
    oci::Descriptor commit(const std::string& media_type);

private:
    void flush();

    TempFile file_;
    std::string blobs_dir_;
    std::optional<oci::Digest> expected_digest_;
    int64_t expected_size_;
    std::unique_ptr<oci::Sha256> hash_;
    std::vector<char> buf_;
};

// Reads one blob, hashing as it goes; the read that reaches the end checks the
// digest (and size) and throws ctr::Error if the blob is corrupt, so a consumer
// that reads to the end never trusts bad data silently.
class BlobReader {
public:
    BlobReader(const std::string& path, const oci::Digest& digest, int64_t expected_size);

    // Like read(2): returns 0 at the end (after the digest checked out).
    size_t read(void* buf, size_t size);
    // Reads the rest into a string (verified).
    std::string read_all();
    int64_t file_size() const { return file_size_; }
    const std::string& path() const { return path_; }

private:
    UniqueFd fd_;
    std::string path_;
    oci::Digest digest_;
    int64_t expected_size_;
    int64_t file_size_ = 0;
    std::unique_ptr<oci::Sha256> hash_;
    bool verified_ = false;
};

}  // namespace ctr::store

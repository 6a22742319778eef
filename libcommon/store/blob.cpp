#include "libcommon/store/blob.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

static constexpr size_t kBufSize = 1 << 20;

BlobWriter::BlobWriter(const std::string& tmp_dir, const std::string& blobs_dir,
                       std::optional<oci::Digest> expected_digest, int64_t expected_size)
    : file_(tmp_dir, "blob"),
      blobs_dir_(blobs_dir),
      expected_digest_(std::move(expected_digest)),
      expected_size_(expected_size),
      hash_(std::make_unique<oci::Sha256>()) {
    buf_.reserve(kBufSize);
}

void BlobWriter::write(const void* data, size_t size) {
    hash_->update(data, size);
    if (expected_size_ >= 0 && hash_->size() > static_cast<uint64_t>(expected_size_))
        throw Error("blob " + (expected_digest_ ? expected_digest_->str() : std::string("being written")) +
                    ": more data than the expected " + std::to_string(expected_size_) + " bytes");
    if (buf_.size() + size > kBufSize) flush();
    if (size >= kBufSize) {
        write_all(file_.fd(), data, size, file_.path());
        return;
    }
    auto p = static_cast<const char*>(data);
    buf_.insert(buf_.end(), p, p + size);
}

void BlobWriter::flush() {
    if (buf_.empty()) return;
    write_all(file_.fd(), buf_.data(), buf_.size(), file_.path());
    buf_.clear();
}

oci::Descriptor BlobWriter::commit(const std::string& media_type) {
    flush();
    int64_t size = static_cast<int64_t>(hash_->size());
    oci::Digest digest = hash_->finish();
    if (expected_size_ >= 0 && size != expected_size_)
        throw Error("blob " + digest.str() + ": size " + std::to_string(size) + " differs from the expected " +
                    std::to_string(expected_size_));
    if (expected_digest_ && digest != *expected_digest_)
        throw Error("blob content does not match its digest: expected " + expected_digest_->str() + ", got " +
                    digest.str());
    file_.commit(blobs_dir_ + "/" + digest.hex());
    return oci::Descriptor{.media_type = media_type, .digest = digest, .size = size};
}

BlobReader::BlobReader(const std::string& path, const oci::Digest& digest, int64_t expected_size)
    : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)),
      path_(path),
      digest_(digest),
      expected_size_(expected_size),
      hash_(std::make_unique<oci::Sha256>()) {
    if (!fd_) {
        if (errno == ENOENT) throw Error("blob " + digest.str() + " is missing from the store (" + path + ")");
        throw_errno("open " + path);
    }
    struct stat st;
    if (::fstat(fd_.get(), &st) < 0) throw_errno("stat " + path);
    file_size_ = st.st_size;
    if (expected_size_ >= 0 && file_size_ != expected_size_)
        throw Error("blob " + digest.str() + " is corrupt: " + std::to_string(file_size_) +
                    " bytes on disk, the descriptor says " + std::to_string(expected_size_) + " (" + path + ")");
}

size_t BlobReader::read(void* buf, size_t size) {
    size_t n = read_some(fd_.get(), buf, size, path_);
    if (n > 0) {
        hash_->update(buf, n);
        return n;
    }
    if (!verified_) {
        oci::Digest got = hash_->finish();
        if (got != digest_)
            throw Error("blob " + digest_.str() + " is corrupt: its content hashes to " + got.str() + " (" + path_ + ")");
        verified_ = true;
    }
    return 0;
}

std::string BlobReader::read_all() {
    std::string out;
    if (file_size_ > 0) out.reserve(static_cast<size_t>(file_size_));
    char buf[65536];
    while (size_t n = read(buf, sizeof buf)) out.append(buf, n);
    return out;
}

}  // namespace ctr::store

#include "libcommon/archive/stream.h"

#include <cstring>

#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"

namespace ctr::archive {

static constexpr size_t kBlock = 1 << 20;

Source fd_source(int fd, std::string name) {
    return [fd, name = std::move(name)](void* buf, size_t size) { return store::read_some(fd, buf, size, name); };
}

Source replay_source(std::string head, Source rest) {
    auto pos = std::make_shared<size_t>(0);
    auto h = std::make_shared<std::string>(std::move(head));
    return [pos, h, rest = std::move(rest)](void* buf, size_t size) -> size_t {
        if (*pos < h->size() && !(h->empty())) {
            size_t n = std::min(size, h->size() - *pos);
            std::memcpy(buf, h->data() + *pos, n);
            *pos += n;
            if (*pos == h->size()) {
                *h = std::string();
                *pos = 1;  // past the (now empty) head: every later call reads `rest`
            }
            return n;
        }
        return rest(buf, size);
    };
}

// Errors thrown inside a libarchive callback can't cross its C frames; they are
// parked here and rethrown when libarchive returns.
namespace {
thread_local std::exception_ptr pending;

void rethrow_pending() {
    if (pending) {
        auto e = pending;
        pending = nullptr;
        std::rethrow_exception(e);
    }
}
}  // namespace

la_ssize_t Decompressor::read_cb(struct archive* a, void* self, const void** out) {
    auto* d = static_cast<Decompressor*>(self);
    try {
        size_t n = d->src_(d->buf_.data(), d->buf_.size());
        *out = d->buf_.data();
        return static_cast<la_ssize_t>(n);
    } catch (...) {
        pending = std::current_exception();
        archive_set_error(a, EIO, "read failed");
        return -1;
    }
}

Decompressor::Decompressor(Source src, std::string name)
    : src_(std::move(src)), name_(std::move(name)), buf_(kBlock), a_(archive_read_new()) {
    archive_read_support_filter_all(a_.get());
    archive_read_support_format_raw(a_.get());
    archive_read_support_format_empty(a_.get());
    if (archive_read_open(a_.get(), this, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
        rethrow_pending();
        throw Error(name_ + ": " + archive_error_string(a_.get()));
    }
    struct archive_entry* e;
    int r = archive_read_next_header(a_.get(), &e);
    rethrow_pending();
    if (r == ARCHIVE_EOF) {
        empty_ = eof_ = true;
    } else if (r != ARCHIVE_OK) {
        throw Error(name_ + ": " + archive_error_string(a_.get()));
    }
}

size_t Decompressor::read(void* buf, size_t size) {
    if (eof_) return 0;
    la_ssize_t n = archive_read_data(a_.get(), buf, size);
    rethrow_pending();
    if (n < 0) throw Error(name_ + ": corrupt " + compression() + " data: " + archive_error_string(a_.get()));
    if (n == 0) eof_ = true;
    return static_cast<size_t>(n);
}

std::string Decompressor::compression() const {
    if (archive_filter_count(a_.get()) <= 1) return "none";
    const char* n = archive_filter_name(a_.get(), 0);
    return n ? n : "unknown";
}

la_ssize_t TarReader::read_cb(struct archive* a, void* self, const void** out) {
    auto* t = static_cast<TarReader*>(self);
    try {
        size_t n = t->src_(t->buf_.data(), t->buf_.size());
        *out = t->buf_.data();
        return static_cast<la_ssize_t>(n);
    } catch (...) {
        pending = std::current_exception();
        archive_set_error(a, EIO, "read failed");
        return -1;
    }
}

TarReader::TarReader(Source src, std::string name)
    : src_(std::move(src)), name_(std::move(name)), buf_(kBlock), a_(archive_read_new()) {
    archive_read_support_format_tar(a_.get());
    archive_read_support_format_gnutar(a_.get());
    if (archive_read_open(a_.get(), this, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
        rethrow_pending();
        fail("open");
    }
}

void TarReader::fail(const std::string& doing) {
    std::string msg = archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "unknown error";
    if (entries_ == 0 && (msg.find("Unrecognized archive format") != std::string::npos ||
                          msg.find("not a tar") != std::string::npos))
        throw Error(name_ + ": not a tar archive (nor a tar compressed with gzip, zstd, xz, bzip2 or lz4)");
    if (msg.find("runcated") != std::string::npos || msg.find("Premature end") != std::string::npos)
        throw Error(name_ + ": truncated tar archive (" + msg + ")");
    throw Error(name_ + ": corrupt tar archive while " + doing + " (" + msg + ")");
}

struct archive_entry* TarReader::next() {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a_.get(), &e);
    rethrow_pending();
    if (r == ARCHIVE_EOF) {
        if (entries_ == 0) throw Error(name_ + ": empty tar archive (no entries)");
        return nullptr;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        fail(entries_ == 0 ? "reading the first header" : "reading the header after \"" + current_ + "\"");
    entries_++;
    const char* p = archive_entry_pathname(e);
    current_ = p ? p : "";
    return e;
}

bool TarReader::read_block(const void** buf, size_t* size, int64_t* offset) {
    la_int64_t off = 0;
    int r = archive_read_data_block(a_.get(), buf, size, &off);
    rethrow_pending();
    if (r == ARCHIVE_EOF) return false;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        fail("reading the data of \"" + current_ + "\"");
    *offset = off;
    return true;
}

void TarReader::drain() {
    while (src_(buf_.data(), buf_.size()) > 0) {
    }
}

}  // namespace ctr::archive

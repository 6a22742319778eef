#include "libcommon/archive/gzip.h"

#include "libcommon/sys/error.h"

namespace ctr::archive {

GzipWriter::GzipWriter(Sink sink, int level) : sink_(std::move(sink)), out_(1 << 20) {
    // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
    if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error("gzip: cannot initialise zlib");
}

GzipWriter::~GzipWriter() { deflateEnd(&z_); }

void GzipWriter::pump(int flush) {
    do {
        z_.next_out = out_.data();
        z_.avail_out = static_cast<uInt>(out_.size());
        int r = deflate(&z_, flush);
        if (r == Z_STREAM_ERROR) throw Error("gzip: zlib stream error");
        size_t n = out_.size() - z_.avail_out;
        if (n) sink_(out_.data(), n);
        if (r == Z_STREAM_END) break;
    } while (z_.avail_out == 0 || (flush == Z_FINISH));
}

void GzipWriter::write(const void* data, size_t size) {
    auto p = static_cast<const unsigned char*>(data);
    while (size > 0) {
        size_t chunk = std::min<size_t>(size, 1u << 30);
        z_.next_in = const_cast<unsigned char*>(p);
        z_.avail_in = static_cast<uInt>(chunk);
        pump(Z_NO_FLUSH);
        p += chunk;
        size -= chunk;
    }
}

void GzipWriter::finish() {
    if (finished_) return;
    z_.next_in = nullptr;
    z_.avail_in = 0;
    pump(Z_FINISH);
    finished_ = true;
}

}  // namespace ctr::archive

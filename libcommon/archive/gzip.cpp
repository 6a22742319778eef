#include "libcommon/archive/gzip.h"

#include <libdeflate.h>

#include <memory>
#include <thread>

#include "libcommon/sys/error.h"

namespace ctr::archive {

static constexpr size_t kBlock = 1 << 20;

namespace {

struct CompressorDeleter {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// One gzip member holding `in`.
std::string compress_block(const std::vector<char>& in, int level) {
    thread_local std::unique_ptr<libdeflate_compressor, CompressorDeleter> c;
    thread_local int c_level = -1;
    if (!c || c_level != level) {
        c.reset(libdeflate_alloc_compressor(level));
        c_level = level;
        if (!c) throw Error("gzip: cannot allocate a compressor");
    }
    std::string out(libdeflate_gzip_compress_bound(c.get(), in.size()), '\0');
    size_t n = libdeflate_gzip_compress(c.get(), in.data(), in.size(), out.data(), out.size());
    if (n == 0) throw Error("gzip: compression failed");
    out.resize(n);
    return out;
}

}  // namespace

GzipWriter::GzipWriter(Sink sink, int level, unsigned threads) : sink_(std::move(sink)), level_(level) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    max_pending_ = threads + 1;
    block_.reserve(kBlock);
}

GzipWriter::~GzipWriter() {
    for (auto& f : pending_)
        if (f.valid()) f.wait();
}

void GzipWriter::submit() {
    if (block_.empty()) return;
    auto data = std::make_shared<std::vector<char>>(std::move(block_));
    int level = level_;
    pending_.push_back(std::async(std::launch::async, [data, level] { return compress_block(*data, level); }));
    block_ = std::vector<char>();
    block_.reserve(kBlock);
    drain(max_pending_);
}

void GzipWriter::drain(size_t keep) {
    while (pending_.size() > keep) {
        std::string out = pending_.front().get();
        pending_.pop_front();
        sink_(out.data(), out.size());
    }
}

void GzipWriter::write(const void* data, size_t size) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
        size_t n = std::min(size, kBlock - block_.size());
        block_.insert(block_.end(), p, p + n);
        p += n;
        size -= n;
        if (block_.size() == kBlock) submit();
    }
}

void GzipWriter::finish() {
    if (finished_) return;
    finished_ = true;
    if (block_.empty() && pending_.empty()) {
        // An empty stream is still one (empty) gzip member.
        std::string out = compress_block({}, level_);
        sink_(out.data(), out.size());
        return;
    }
    submit();
    drain(0);
}

}  // namespace ctr::archive

// GzipWriter: compresses a stream to gzip, handing the compressed bytes to a
// sink as they come (how a layer blob is made from a tar stream).
//
// The stream is cut into 1 MiB blocks, each compressed (libdeflate) on a
// worker thread into its own gzip member; the members are concatenated in
// order, which is one valid gzip stream (RFC 1952) that gzip, Go, libarchive
// and Python read. The output depends only on the input and the level, so the
// same tar always gives the same blob. The sink runs on the caller's thread.
#pragma once

#include <deque>
#include <functional>
#include <future>
#include <string>
#include <vector>

namespace ctr::archive {

class GzipWriter {
public:
    using Sink = std::function<void(const void* data, size_t size)>;
    // level: 1 (fastest) .. 9 (smallest); up to `threads` blocks compress at once.
    GzipWriter(Sink sink, int level, unsigned threads = 0);
    ~GzipWriter();
    GzipWriter(const GzipWriter&) = delete;
    GzipWriter& operator=(const GzipWriter&) = delete;

    void write(const void* data, size_t size);
    // Compresses what is left and hands everything to the sink.
    void finish();

private:
    void submit();
    void drain(size_t keep);

    Sink sink_;
    int level_;
    size_t max_pending_;
    std::vector<char> block_;
    std::deque<std::future<std::string>> pending_;
    bool finished_ = false;
};

}  // namespace ctr::archive

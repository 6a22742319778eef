// GzipWriter: compresses a stream to gzip with zlib, handing the compressed
// bytes to a sink as they come (how a layer blob is made from a tar stream).
#pragma once

#include <zlib.h>

#include <functional>
#include <vector>

namespace ctr::archive {

class GzipWriter {
public:
    using Sink = std::function<void(const void* data, size_t size)>;
    // level: 1 (fastest) .. 9 (smallest).
    GzipWriter(Sink sink, int level);
    ~GzipWriter();
    GzipWriter(const GzipWriter&) = delete;
    GzipWriter& operator=(const GzipWriter&) = delete;

    void write(const void* data, size_t size);
    // Flushes the rest and the gzip trailer.
    void finish();

private:
    void pump(int flush);

    Sink sink_;
    z_stream z_{};
    std::vector<unsigned char> out_;
    bool finished_ = false;
};

}  // namespace ctr::archive

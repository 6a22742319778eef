// Byte streams for the tar pipeline: a Source to pull from, a Decompressor that
// undoes whatever compression libarchive recognises, and a TarReader that walks
// the entries of an uncompressed tar stream.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ctr::archive {

// Fills buf with up to size bytes; returns 0 at the end. Throws on errors.
using Source = std::function<size_t(void* buf, size_t size)>;

// A Source that reads a file descriptor; `name` is used in error messages.
Source fd_source(int fd, std::string name);
// A Source that first replays `head`, then continues with `rest`.
Source replay_source(std::string head, Source rest);

// Owns a libarchive read handle.
struct ArchiveReadDeleter {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchiveReadPtr = std::unique_ptr<struct archive, ArchiveReadDeleter>;

// Decompresses a stream: gzip, zstd, xz, bzip2, lz4, lzma, compress, or none,
// detected from the first bytes.
class Decompressor {
public:
    Decompressor(Source src, std::string name);
    // Up to size decompressed bytes; 0 at the end.
    size_t read(void* buf, size_t size);
    // "gzip", "zstd", "xz", "bzip2", ... or "none".
    std::string compression() const;
    // True if the input was empty.
    bool empty() const { return empty_; }

private:
    Source src_;
    std::string name_;
    std::vector<char> buf_;
    ArchiveReadPtr a_;
    bool empty_ = false;
    bool eof_ = false;

    static la_ssize_t read_cb(struct archive*, void* self, const void** out);
};

// Walks an uncompressed tar stream. Data is pulled from the Source only as the
// caller asks for it, so a Source can tee (hash, compress) what passes.
class TarReader {
public:
    TarReader(Source src, std::string name);
    // The next entry, or nullptr at the end. Throws ctr::Error
    // ("<name>: truncated tar …", "<name>: not a tar archive …").
    struct archive_entry* next();
    // A block of the current entry's data; false at the entry's end.
    bool read_block(const void** buf, size_t* size, int64_t* offset);
    // Pulls the rest of the Source (tar padding after the end marker), so a
    // tee sees every byte. Call after next() returned nullptr.
    void drain();
    const std::string& name() const { return name_; }

private:
    Source src_;
    std::string name_;
    std::vector<char> buf_;
    ArchiveReadPtr a_;
    int entries_ = 0;
    std::string current_;

    static la_ssize_t read_cb(struct archive*, void* self, const void** out);
    [[noreturn]] void fail(const std::string& doing);
};

}  // namespace ctr::archive

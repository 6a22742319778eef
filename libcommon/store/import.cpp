#include "libcommon/store/import.h"

#include <archive.h>
#include <archive_entry.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "libcommon/archive/gzip.h"
#include "libcommon/archive/unpack.h"
#include "libcommon/oci/change.h"
#include "libcommon/oci/manifest.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

using nlohmann::json;

std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    struct tm tm;
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(ns));
    return std::string(buf) + frac;
}

InputFormat detect_format(const std::string& head) {
    archive::ArchiveReadPtr a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_memory(a.get(), head.data(), head.size()) != ARCHIVE_OK) return InputFormat::RootfsTar;
    struct archive_entry* e;
    if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK) return InputFormat::RootfsTar;
    std::string n = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    while (n.starts_with("./")) n.erase(0, 2);
    if (n == "oci-layout" || n == "index.json" || n == "blobs" || n.starts_with("blobs/")) return InputFormat::OciArchive;
    if (n == "manifest.json" || n == "repositories") return InputFormat::DockerArchive;
    auto slash = n.find_first_of("/.");
    if (slash == 64 && oci::is_sha256_hex(n.substr(0, 64))) return InputFormat::DockerArchive;
    return InputFormat::RootfsTar;
}

ImportResult import_rootfs(const Store& store, archive::Source input, const std::string& name,
                           const std::vector<oci::Reference>& tags, const ImportOptions& opts) {
    // Check the changes before reading a byte.
    json container_config = json::object();
    for (auto& c : opts.changes) oci::apply_change(container_config, c);

    auto hold = store.hold();
    ImportResult res;
    BlobWriter blob = store.new_blob();
    oci::Sha256 diff;

    // The first bytes decide whether the input is kept (gzip) or compressed.
    std::string first(2, '\0');
    size_t got = 0;
    while (got < 2) {
        size_t n = input(first.data() + got, 2 - got);
        if (n == 0) break;
        got += n;
    }
    first.resize(got);
    if (got == 0) throw Error(name + ": empty input (expected a tar archive)");
    bool gzip_input = first == "\x1f\x8b";
    archive::Source raw = archive::replay_source(first, input);
    if (gzip_input) raw = [&blob, raw](void* buf, size_t n) {
        size_t k = raw(buf, n);
        blob.write(buf, k);
        return k;
    };

    std::unique_ptr<archive::GzipWriter> gz;
    if (!gzip_input) gz = std::make_unique<archive::GzipWriter>([&blob](const void* d, size_t n) { blob.write(d, n); },
                                                                opts.gzip_level);
    archive::Decompressor dec(raw, name);
    if (dec.empty()) throw Error(name + ": empty input (expected a tar archive)");
    res.compression = dec.compression();
    archive::TarReader tar(
        [&](void* buf, size_t n) {
            size_t k = dec.read(buf, n);
            diff.update(buf, k);
            if (gz) gz->write(buf, k);
            return k;
        },
        name);
    archive::check_tar(tar);
    if (gz) gz->finish();
    else {
        char rest[65536];
        while (raw(rest, sizeof rest) > 0) {  // bytes after the compressed stream belong to the blob too
        }
    }
    res.tar_size = diff.size();
    oci::Digest diff_id = diff.finish();
    std::vector<oci::Digest> created_blobs;  // taken back if a later step fails (unless referenced)
    oci::Descriptor layer = blob.commit(std::string(oci::media::kLayerGzip));
    created_blobs.push_back(layer.digest);
    res.layer_size = layer.size;
    try {
        auto platform = opts.platform.value_or(oci::Platform::host());
        std::string created = rfc3339_now();
        json config = {{"created", created}, {"architecture", platform.architecture}, {"os", platform.os}};
        if (!platform.variant.empty()) config["variant"] = platform.variant;
        config["config"] = container_config;
        config["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array({diff_id.str()})}};
        json history = {{"created", created}, {"created_by", "ctr-import"}};
        history["comment"] = opts.message.empty() ? "Imported from " + opts.source_name : opts.message;
        config["history"] = json::array({history});
        oci::Descriptor cfg = store.write_blob(config.dump(), std::string(oci::media::kConfig));
        created_blobs.push_back(cfg.digest);
        auto manifest = oci::Manifest::make(cfg, {layer});
        std::string manifest_raw = manifest.serialize();
        created_blobs.push_back(oci::Digest::of(manifest_raw));
        res.manifest = store.add_image(manifest_raw, manifest.media_type, tags);
        res.image_id = cfg.digest;
        return res;
    } catch (...) {
        store.discard_blobs(created_blobs, hold);
        throw;
    }
}

}  // namespace ctr::store

// Turning outside bytes into images: a rootfs tar into a one-layer image
// (docker import), and an OCI image layout archive into its images (docker load).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/archive/stream.h"
#include "libcommon/oci/descriptor.h"
#include "libcommon/oci/reference.h"
#include "libcommon/store/store.h"

namespace ctr::store {

// What the first bytes of an import say it is.
enum class InputFormat { RootfsTar, OciArchive, DockerArchive };

// Looks at the first entry of the (possibly compressed) tar in `head`: an OCI
// layout archive starts with oci-layout, index.json or blobs/; a docker save
// archive has manifest.json or repositories. Anything else is a rootfs.
InputFormat detect_format(const std::string& head);

struct ImportOptions {
    std::vector<std::string> changes;  // Dockerfile instructions (--change)
    std::string message;               // history comment (--message)
    std::optional<oci::Platform> platform;
    std::string source_name = "-";  // for the default history comment
    int gzip_level = 1;
};

struct ImportResult {
    oci::Digest image_id;
    oci::Descriptor manifest;
    int64_t layer_size = 0;      // compressed
    uint64_t tar_size = 0;       // uncompressed
    std::string compression;     // of the input
};

// Streams a rootfs tar (plain, gzip, zstd, xz, bzip2: detected) into a
// one-layer image: the tar is checked entry by entry as it passes (a bad or
// hostile tar stores nothing), hashed for the diff_id, gzip'ed into a blob
// (a gzip input is stored as it is), then config and manifest are written and
// the tags set. `input` yields the raw bytes; `name` is for error messages.
ImportResult import_rootfs(const Store& store, archive::Source input, const std::string& name,
                           const std::vector<oci::Reference>& tags, const ImportOptions& opts);

// One image loaded from an archive.
struct LoadedImage {
    oci::Digest image_id;
    std::vector<std::string> tags;
};

// Loads an OCI image layout archive (ctr-images save, skopeo copy … oci-archive:):
// every blob is verified against its name, then every index.json entry is
// added with its tag (io.containerd.image.name or org.opencontainers.image.ref.name).
// `tag`, if given, names the image when the archive holds exactly one.
std::vector<LoadedImage> load_oci_archive(const Store& store, archive::Source input, const std::string& name,
                                          const std::optional<oci::Reference>& tag);

// Writes an OCI image layout archive (an uncompressed tar) of `images` to fd,
// each under the tags given (none: untagged). Blobs are verified as they are copied.
void save_oci_archive(const Store& store, const std::vector<std::pair<Image, std::vector<std::string>>>& images,
                      int fd, const std::string& name);

// "2024-05-01T12:34:56.123456789Z" for now.
std::string rfc3339_now();

}  // namespace ctr::store

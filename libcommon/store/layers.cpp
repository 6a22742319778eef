// Store::unpack_layer: a layer blob unpacked once into layers/<diff_id>/.
#include <sys/stat.h>

#include "libcommon/archive/stream.h"
#include "libcommon/archive/unpack.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/store.h"
#include "libcommon/store/tmp.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

std::string Store::unpack_layer(const Layer& layer) const {
    std::string dest = layer_path(layer.diff_id);
    struct stat st;
    if (::stat(dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dest;

    TempDir tmp(tmp_dir(), "layer");
    auto blob = std::make_shared<BlobReader>(open_blob(layer.blob.digest, layer.blob.size));
    std::string name = "layer " + layer.blob.digest.str();
    archive::Decompressor dec([blob](void* buf, size_t n) { return blob->read(buf, n); }, name);
    auto diff = std::make_shared<oci::Sha256>();
    archive::TarReader tar(
        [&dec, diff](void* buf, size_t n) {
            size_t got = dec.read(buf, n);
            diff->update(buf, got);
            return got;
        },
        name);
    archive::unpack_tar(tar, tmp.fd(), true);
    char rest[65536];
    while (blob->read(rest, sizeof rest) != 0) {
    }
    oci::Digest got = diff->finish();
    if (got != layer.diff_id)
        throw Error(name + ": uncompressed content hashes to " + got.str() + ", the image config says " +
                    layer.diff_id.str());
    // The unpacked tree is made durable before it is published.
    ::syncfs(tmp.fd());
    if (!tmp.commit(dest)) return dest;  // another process unpacked it first
    fsync_path(layers_dir());
    return dest;
}

}  // namespace ctr::store

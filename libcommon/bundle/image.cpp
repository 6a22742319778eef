// image_lowerdirs (rootfs.h), apart from the mount code so that programs that
// only mount (the monitor) do not link the store's unpacking.
#include "libcommon/bundle/rootfs.h"

namespace ctr::bundle {

std::vector<std::string> image_lowerdirs(const store::Store& store, const store::Image& image) {
    std::vector<std::string> lowers;
    for (auto& layer : image.layers()) lowers.insert(lowers.begin(), store.unpack_layer(layer));
    return lowers;
}

}  // namespace ctr::bundle

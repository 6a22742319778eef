// The JSON views of an image that users see: docker inspect's object, and the
// row object of docker images --format (what templates are evaluated over).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "libcommon/store/store.h"

namespace ctr::store {

// docker inspect's image object: Id, RepoTags, RepoDigests, Parent (img.parent:
// give it Store::parent()), Created, Config{…}, Architecture, Os, Size,
// RootFS{Type, Layers}, … in docker's field order. No ContainerConfig (nor
// Container): docker 26 (API 1.45) stopped showing them, and ctr-build keeps
// no build container's config in the image.
nlohmann::ordered_json image_inspect(const Image& img);

// One row of ctr-images: Repository, Tag, ID, Digest, CreatedAt, CreatedSince,
// Size, … (docker images --format json). `tag` is "name:tag" or "" for <none>.
nlohmann::ordered_json image_row(const Image& img, const std::string& tag, bool no_trunc);

// "name:tag" -> {"name", "tag"}; "" -> {"<none>", "<none>"}.
std::pair<std::string, std::string> split_tag(const std::string& tag);

}  // namespace ctr::store

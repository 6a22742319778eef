#include "libcommon/store/container_list.h"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <iostream>

#include "libcommon/container/record.h"
#include "libcommon/store/listing_record.h"
#include "libcommon/sys/fd.h"

namespace ctr::store {

namespace {

// Every container's listing fields: one directory read, then one openat,
// read and close per container; what simdjson refuses is read again in full,
// so it is listed, or skipped with nlohmann's error, as before.
void visit_listings(const std::string& containers_dir, const std::function<void(ContainerView&)>& visit) {
    UniqueFd dir(::open(containers_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return;
    std::vector<std::string> ids;
    if (DIR* d = ::fdopendir(::dup(dir.get()))) {
        while (auto* e = ::readdir(d))
            if (std::strlen(e->d_name) == 64) ids.emplace_back(e->d_name);
        ::closedir(d);
    }
    ListingReader reader;
    for (auto& id : ids) {
        std::optional<ContainerView> c;
        try {
            std::string rel = id + "/container.json";
            auto text = reader.read(dir.get(), rel.c_str(), containers_dir + "/" + rel);
            if (!text) continue;  // not (or no longer) a container
            auto record = reader.parse(*text);
            if (!record)
                record = listing_subset(container::read_record(container::container_paths(containers_dir, id)));
            c = view_of(containers_dir, id, std::move(*record));
        } catch (const std::exception& e) {
            std::cerr << "warning: skipping container " << id << ": " << e.what() << "\n";
            continue;
        }
        visit(*c);
    }
}

}  // namespace

void for_each_container(const std::string& containers_dir, RecordFields fields,
                        const std::function<void(ContainerView&)>& visit) {
    if (fields == RecordFields::Listing) return visit_listings(containers_dir, visit);
    for (auto& id : container::list_ids(containers_dir)) {
        std::optional<ContainerView> c;
        try {
            c = load_container(containers_dir, id);
        } catch (const std::exception& e) {
            std::cerr << "warning: skipping container " << id << ": " << e.what() << "\n";
            continue;
        }
        visit(*c);
    }
}

bool newer_first(double created_a, const std::string& id_a, double created_b, const std::string& id_b) {
    return created_a != created_b ? created_a > created_b : id_a < id_b;
}

std::vector<ContainerView> load_containers(const std::string& containers_dir, RecordFields fields) {
    std::vector<ContainerView> out;
    for_each_container(containers_dir, fields, [&](ContainerView& c) { out.push_back(std::move(c)); });
    std::sort(out.begin(), out.end(), [](const ContainerView& a, const ContainerView& b) {
        return newer_first(a.created, a.id, b.created, b.id);
    });
    return out;
}

}  // namespace ctr::store

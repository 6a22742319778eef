// Walking every container of the store: the views ctr-ps lists and
// ctr-prune weighs, read one at a time (for_each_container) or all, newest
// first (load_containers). Only ctr-ps asks for the listing fields alone
// (listing_record.h), which is what lets it list thousands quickly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "libcommon/store/containers.h"

namespace ctr::store {

// Which fields of container.json a ContainerView's record holds.
enum class RecordFields {
    All,      // the whole record (ctr-prune)
    Listing,  // listing_subset() only, read fast (ctr-ps; listing_record.h); so
              // `state` has only what ps shows of it
};

// Calls `visit` for every container under containers_dir whose
// container.json reads, in directory order; unreadable records are skipped
// (with a warning on stderr). A view lives only for its call, so a caller
// that keeps little holds little memory, however many containers there are.
void for_each_container(const std::string& containers_dir, RecordFields fields,
                        const std::function<void(ContainerView&)>& visit);
// Listing order: newest first, ties by id.
bool newer_first(double created_a, const std::string& id_a, double created_b, const std::string& id_b);
// Every container (as for_each_container), newest first.
std::vector<ContainerView> load_containers(const std::string& containers_dir, RecordFields fields = RecordFields::All);

}  // namespace ctr::store

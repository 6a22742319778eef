// ctr-images rm [-f] IMAGE...: untag, and delete images no tag, container or
// child image keeps, with the ancestors they leave unneeded (docker rmi).
#include <algorithm>
#include <iostream>

#include "cmd/ctr-images/images.h"
#include "libcommon/cli/main.h"
#include "libcommon/store/store.h"

namespace images {

namespace {

// Removes one image reference; prints what happened like docker rmi.
void remove_one(const ctr::store::Store& store, const std::string& arg, bool force) {
    auto img = store.resolve(arg);
    std::string user;  // a container using the image
    for (auto& [cid, image] : store.images_in_use())
        if (image == img.id().str()) {
            user = cid;
            break;
        }
    std::optional<std::string> by_tag;
    if (auto ref = ctr::oci::Reference::try_parse(arg); ref && !ref->tag.empty()) {
        if (std::find(img.tags.begin(), img.tags.end(), ref->tag_name()) != img.tags.end()) by_tag = ref->tag_name();
    }
    auto short_id = img.id().short_hex();
    if (by_tag && img.tags.size() > 1) {
        store.untag(ctr::oci::Reference::parse(*by_tag));
        std::cout << "Untagged: " << *by_tag << "\n";
        return;
    }
    // By id, an image other images were built on can't go, even forced.
    if (!by_tag && !store.children(img).empty())
        throw ctr::Error("conflict: unable to delete " + short_id +
                         " (cannot be forced) - image has dependent child images");
    if (!by_tag && img.tags.size() > 1 && !force)
        throw ctr::Error("conflict: unable to delete " + short_id +
                         " (must be forced) - image is referenced in multiple repositories");
    if (!user.empty()) {
        if (!force) {
            if (by_tag)
                throw ctr::Error("conflict: unable to remove repository reference \"" + arg + "\" (must force) - container " +
                                 user.substr(0, 12) + " is using its referenced image " + short_id);
            throw ctr::Error("conflict: unable to delete " + short_id + " (must be forced) - image is being used by container " +
                             user.substr(0, 12));
        }
        // Forced: the tags go, the image stays for its container (as <none>).
        for (auto& t : img.tags) {
            store.untag(ctr::oci::Reference::parse(t));
            std::cout << "Untagged: " << t << "\n";
        }
        return;
    }
    std::vector<ctr::store::ImageDeletion> gone;
    if (by_tag) {
        // The tag goes; then the image too, with its unneeded ancestors,
        // unless other images were built on it (it stays, untagged).
        store.untag(ctr::oci::Reference::parse(*by_tag));
        std::cout << "Untagged: " << *by_tag << "\n";
        gone = store.remove_image(img, true);
    } else {
        gone = store.remove_image(img);
    }
    for (auto& d : gone)
        std::cout << (d.deleted.empty() ? "Untagged: " + d.untagged : "Deleted: " + d.deleted) << "\n";
}

}  // namespace

int rm_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-images rm", "Remove images (untag; delete when no tag and no container keeps them).");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("IMAGE...");
    opts.add_options()("f,force", "Remove even an image with several tags or used by a container (then only untag it)");
    cxxopts::ParseResult r;
    if (parse(opts, argc, argv, r)) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.empty()) throw ctr::ExitError(125, "usage: ctr-images rm [-f] IMAGE...");
    auto store = ctr::store::Store::open();
    int rc = 0;
    for (auto& a : args) {
        try {
            remove_one(store, a, r.count("force") > 0);
        } catch (const std::exception& e) {
            std::cerr << "ctr-images: " << e.what() << "\n";
            rc = 1;
        }
    }
    return rc;
}

}  // namespace images

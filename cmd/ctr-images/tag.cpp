// ctr-images tag SOURCE TARGET: another name for an image.
#include "cmd/ctr-images/images.h"
#include "libcommon/cli/main.h"
#include "libcommon/store/store.h"

namespace images {

int tag_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-images tag", "Create a tag TARGET that refers to the image SOURCE.");
    opts.custom_help("");
    opts.positional_help("SOURCE[:TAG] TARGET[:TAG]");
    cxxopts::ParseResult r;
    if (parse(opts, argc, argv, r)) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.size() != 2) throw ctr::ExitError(125, "usage: ctr-images tag SOURCE[:TAG] TARGET[:TAG]");
    auto target = ctr::oci::Reference::parse(args[1]);
    if (target.tag.empty()) throw ctr::ExitError(125, "\"" + args[1] + "\": a tag cannot be a digest");
    auto store = ctr::store::Store::open();
    auto img = store.resolve(args[0]);
    store.tag(img.entry, target);
    return 0;
}

}  // namespace images

// ctr-images save [-o FILE] IMAGE...: an OCI archive (a tar of an OCI image layout).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "cmd/ctr-images/images.h"
#include "libcommon/cli/main.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/import.h"
#include "libcommon/store/store.h"
#include "libcommon/sys/fd.h"

namespace images {

int save_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-images save", "Save images to an OCI archive (ctr-import, docker load, skopeo and "
                                             "containerd's ctr image import read it).");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("IMAGE...");
    opts.add_options()("o,output", "Write to FILE instead of standard output", cxxopts::value<std::string>(), "FILE");
    cxxopts::ParseResult r;
    if (parse(opts, argc, argv, r)) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.empty()) throw ctr::ExitError(125, "usage: ctr-images save [-o FILE] IMAGE...");
    auto store = ctr::store::Store::open();
    std::vector<std::pair<ctr::store::Image, std::vector<std::string>>> images;
    for (auto& a : args) {
        auto img = store.resolve(a);
        std::vector<std::string> tags;
        if (auto ref = ctr::oci::Reference::try_parse(a); ref && !ref->tag.empty() &&
                                                          std::find(img.tags.begin(), img.tags.end(), ref->tag_name()) != img.tags.end())
            tags.push_back(ref->tag_name());
        images.emplace_back(std::move(img), tags);
    }
    if (!r.count("output")) {
        if (::isatty(STDOUT_FILENO))
            throw ctr::ExitError(125, "refusing to write an archive to a terminal; use -o FILE or redirect standard output");
        ctr::store::save_oci_archive(store, images, STDOUT_FILENO, "standard output");
        return 0;
    }
    // Written beside FILE and renamed: a failure never leaves half an archive.
    std::string out = r["output"].as<std::string>();
    std::string tmp = ctr::store::dirname_of(out) + "/." + ctr::store::basename_of(out) + ".part";
    ctr::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) ctr::throw_errno("create " + tmp);
    try {
        ctr::store::save_oci_archive(store, images, fd.get(), out);
        if (::fsync(fd.get()) < 0) ctr::throw_errno("fsync " + tmp);
        if (::rename(tmp.c_str(), out.c_str()) < 0) ctr::throw_errno("rename " + tmp + " to " + out);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    return 0;
}

}  // namespace images

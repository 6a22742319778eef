// ctr-import: a rootfs tar becomes a one-layer image (docker import), or an
// OCI archive is loaded into the store (docker load).
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/cli/progress.h"
#include "libcommon/store/import.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/store.h"
#include "libcommon/sys/fd.h"

namespace {

int import_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-import", "Import a root filesystem tar as a one-layer image, or load an OCI archive.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("FILE|- [REPOSITORY[:TAG]]");
    opts.add_options()
        ("c,change", "Apply a Dockerfile instruction to the image config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
                     "STOPSIGNAL, USER, VOLUME, WORKDIR); repeatable", cxxopts::value<std::vector<std::string>>(), "INSTR")
        ("m,message", "Commit message for the image history", cxxopts::value<std::string>(), "MSG")
        ("platform", "Platform of the image, OS/ARCH[/VARIANT] (default: this machine's)", cxxopts::value<std::string>(), "P")
        ("format", "Input format: rootfs, oci-archive (default: detected)", cxxopts::value<std::string>(), "FMT")
        ("q,quiet", "Print no progress")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("args", "", cxxopts::value<std::vector<std::string>>());
    opts.parse_positional({"args"});
    auto r = ctr::cli::parse(opts, argc, argv);
    const ctr::cli::HelpText help{
        .after = "\nFILE is a tar (plain, gzip, zstd, xz or bzip2) or - for standard input.\n"
                 "Prints the image id (sha256:...) on standard output.\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-import", help)) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.empty()) throw ctr::ExitError(125, "missing FILE (use - for standard input); see --help");
    if (args.size() > 2) throw ctr::ExitError(125, "too many arguments; usage: ctr-import [OPTIONS] FILE|- [REPOSITORY[:TAG]]");

    ctr::store::ImportOptions io;
    if (r.count("change")) io.changes = r["change"].as<std::vector<std::string>>();
    if (r.count("message")) io.message = r["message"].as<std::string>();
    if (r.count("platform")) io.platform = ctr::oci::Platform::parse(r["platform"].as<std::string>());
    std::vector<ctr::oci::Reference> tags;
    std::optional<ctr::oci::Reference> tag;
    if (args.size() == 2) {
        tag = ctr::oci::Reference::parse(args[1]);
        if (tag->tag.empty()) throw ctr::ExitError(125, "\"" + args[1] + "\": a tag, not a digest, names an imported image");
        tags.push_back(*tag);
    }
    std::string format = r.count("format") ? r["format"].as<std::string>() : "";
    if (!format.empty() && format != "rootfs" && format != "oci-archive")
        throw ctr::ExitError(125, "unknown --format \"" + format + "\" (rootfs or oci-archive)");

    std::string path = args[0];
    io.source_name = path;
    ctr::UniqueFd owned;
    int fd = STDIN_FILENO;
    std::string name = path == "-" ? "standard input" : path;
    if (path != "-") {
        owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!owned) ctr::throw_errno("open " + path);
        fd = owned.get();
    } else if (::isatty(fd)) {
        throw ctr::ExitError(125, "refusing to read a tar from a terminal; pipe one in or name a FILE");
    }

    // The first MiB tells a rootfs from an OCI archive; it is replayed afterwards.
    std::string head(1 << 20, '\0');
    size_t got = 0;
    while (got < head.size()) {
        size_t n = ctr::store::read_some(fd, head.data() + got, head.size() - got, name);
        if (n == 0) break;
        got += n;
    }
    head.resize(got);
    if (format.empty()) {
        switch (ctr::store::detect_format(head)) {
        case ctr::store::InputFormat::OciArchive: format = "oci-archive"; break;
        case ctr::store::InputFormat::DockerArchive:
            throw ctr::Error(name + ": a docker save archive (manifest.json without an OCI layout); convert it with "
                                    "skopeo copy docker-archive:FILE oci-archive:FILE.oci first");
        default: format = "rootfs";
        }
    }

    ctr::Progress progress(format == "rootfs" ? "Importing" : "Loading");
    if (r.count("quiet")) progress.done();
    auto source = ctr::archive::replay_source(std::move(head), ctr::archive::fd_source(fd, name));
    auto counted = [&](void* buf, size_t n) {
        size_t k = source(buf, n);
        progress.add(k);
        return k;
    };
    ctr::preflight::require_store();
    auto store = ctr::store::Store::open();
    if (format == "oci-archive") {
        auto loaded = ctr::store::load_oci_archive(store, counted, name, tag);
        progress.done();
        for (auto& l : loaded) {
            for (auto& t : l.tags) std::cerr << "Loaded image: " << t << "\n";
            if (l.tags.empty()) std::cerr << "Loaded image ID: " << l.image_id.str() << "\n";
            std::cout << l.image_id.str() << "\n";
        }
        return 0;
    }
    auto res = ctr::store::import_rootfs(store, counted, name, tags, io);
    progress.done();
    std::cout << res.image_id.str() << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-import", [&] { return import_main(argc, argv); }); }

// ctr-build: build an image from a Dockerfile, docker's classic builder style.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "libcommon/build/builder.h"
#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/store.h"

namespace {

std::string read_stdin() {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
}

bool parse_bool(const std::string& flag, const std::string& v) {
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    throw ctr::ExitError(125, "invalid value \"" + v + "\" for " + flag + ": want true or false");
}

std::pair<std::string, std::string> key_value(const std::string& flag, const std::string& s) {
    auto eq = s.find('=');
    if (eq == 0) throw ctr::ExitError(125, "invalid " + flag + " \"" + s + "\": no name");
    if (eq == std::string::npos) return {s, ""};
    return {s.substr(0, eq), s.substr(eq + 1)};
}

int build_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-build", "Build an image from a Dockerfile and a context directory, step by step.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("PATH | -");
    opts.add_options()
        ("t,tag", "Name and tag the image (NAME[:TAG]); may repeat", cxxopts::value<std::vector<std::string>>(), "NAME[:TAG]")
        ("f,file", "The Dockerfile (default PATH/Dockerfile; - reads it from stdin)", cxxopts::value<std::string>(), "FILE")
        ("build-arg", "Set a build-time variable (K=V, or K to take it from the environment)", cxxopts::value<std::vector<std::string>>(), "K=V")
        ("target", "Build the stage of this name and stop", cxxopts::value<std::string>(), "STAGE")
        ("no-cache", "Do not reuse earlier steps' images")
        ("pull", "Pull the FROM images: always (--pull), never (--pull=false); default: when missing",
         cxxopts::value<std::string>()->implicit_value("true"), "BOOL")
        ("q,quiet", "Print only the image id")
        ("label", "Set a label on the image; may repeat", cxxopts::value<std::vector<std::string>>(), "K=V")
        ("network", "Network of RUN steps: host (default) or none", cxxopts::value<std::string>()->default_value("host"), "MODE")
        ("iidfile", "Write the image id to this file", cxxopts::value<std::string>(), "FILE")
        ("rm", "Remove intermediate containers (always done; accepted for docker's command line)",
         cxxopts::value<std::string>()->implicit_value("true"), "BOOL")
        ("force-rm", "Always remove intermediate containers (always done)")
        ("runtime", "OCI runtime for RUN steps (default $CTR_RUNTIME, else ctr-run, else runc)", cxxopts::value<std::string>(), "PATH")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("context", "", cxxopts::value<std::vector<std::string>>());
    ctr::registry::add_access_options(opts);
    opts.parse_positional({"context"});
    auto r = ctr::cli::parse(opts, argc, argv);
    const ctr::cli::HelpText help{
        .groups = {""},
        .after = "\nPATH is the build context (a directory); with - the Dockerfile is read from stdin and"
                 "\nthere is no context. The store is $CTR_ROOT (default /var/lib/ctr).\n"};
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-build", help)) return 0;
    auto pos = ctr::cli::positionals(r, "context");
    if (pos.size() != 1) throw ctr::ExitError(125, "ctr-build needs exactly one PATH (a context directory, or -)");

    ctr::build::BuildOptions o;
    std::string file = r.count("file") ? r["file"].as<std::string>() : "";
    if (pos[0] == "-") {
        if (!file.empty() && file != "-") throw ctr::ExitError(125, "with PATH -, the Dockerfile comes from stdin: drop -f");
        o.dockerfile_text = read_stdin();
        o.dockerfile_name = "Dockerfile";
    } else {
        o.context_dir = pos[0];
        struct stat st;
        if (::stat(o.context_dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
            throw ctr::Error("unable to prepare context: path \"" + o.context_dir + "\" not found or not a directory");
        if (file == "-") {
            o.dockerfile_text = read_stdin();
            o.dockerfile_name = "Dockerfile";
        } else {
            std::string path = file.empty() ? o.context_dir + "/Dockerfile" : file;
            if (!ctr::store::path_exists(path))
                throw ctr::Error("cannot read the Dockerfile: " + path + ": no such file");
            o.dockerfile_text = ctr::store::read_file(path);
            o.dockerfile_name = file.empty() ? "Dockerfile" : ctr::store::basename_of(file);
        }
    }
    if (r.count("tag"))
        for (auto& t : r["tag"].as<std::vector<std::string>>()) {
            auto ref = ctr::oci::Reference::parse(t);
            if (ref.digest) throw ctr::ExitError(125, "invalid tag \"" + t + "\": a digest cannot be a tag");
            o.tags.push_back(ref);
        }
    if (r.count("build-arg"))
        for (auto& a : r["build-arg"].as<std::vector<std::string>>()) {
            auto [k, v] = key_value("--build-arg", a);
            if (a.find('=') == std::string::npos) {
                const char* env = std::getenv(k.c_str());
                if (!env) continue;
                v = env;
            }
            o.build_args[k] = v;
        }
    if (r.count("label"))
        for (auto& l : r["label"].as<std::vector<std::string>>()) {
            auto [k, v] = key_value("--label", l);
            o.labels[k] = v;
        }
    if (r.count("target")) o.target = r["target"].as<std::string>();
    o.no_cache = r.count("no-cache") > 0;
    if (r.count("pull")) o.pull = parse_bool("--pull", r["pull"].as<std::string>());
    if (r.count("rm")) parse_bool("--rm", r["rm"].as<std::string>());
    o.quiet = r.count("quiet") > 0;
    o.network = r["network"].as<std::string>();
    if (o.network == "default" || o.network == "bridge") o.network = "host";
    if (o.network != "host" && o.network != "none")
        throw ctr::ExitError(125, "--network " + o.network + ": ctr-build supports host and none");
    if (r.count("runtime")) o.runtime = r["runtime"].as<std::string>();
    o.access = ctr::registry::access_flags(r);
    std::string epoch;
    if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e) epoch = e;
    if (auto it = o.build_args.find("SOURCE_DATE_EPOCH"); it != o.build_args.end()) epoch = it->second;
    if (!epoch.empty()) {
        try {
            size_t n;
            long long v = std::stoll(epoch, &n);
            if (n != epoch.size() || v < 0) throw std::invalid_argument(epoch);
            o.source_date_epoch = v;
        } catch (const std::exception&) {
            throw ctr::ExitError(125, "invalid SOURCE_DATE_EPOCH \"" + epoch + "\": want seconds since 1970");
        }
    }

    ctr::preflight::require_containers();
    auto store = ctr::store::Store::open();
    auto result = ctr::build::build(store, o);
    if (r.count("iidfile")) ctr::store::replace_file(r["iidfile"].as<std::string>(), result.image_id.str());
    if (o.quiet) std::cout << result.image_id.str() << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return ctr::run_main("ctr-build", [&] { return build_main(argc, argv); });
}

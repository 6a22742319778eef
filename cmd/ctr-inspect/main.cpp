// ctr-inspect NAME...: docker-like JSON of images (and containers), or a Go
// template evaluated over each (-f).
#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/container/record.h"
#include "libcommon/store/containers.h"
#include "libcommon/store/inspect.h"
#include "libcommon/store/store.h"
#include "libcommon/template/format.h"
#include "libcommon/template/template.h"

namespace {

using nlohmann::ordered_json;

// A container found by full id, name or unique id prefix, as docker inspect
// shows it (State reconciled with the machine); nullopt if none matches.
std::optional<ordered_json> find_container(const ctr::store::Store& store, const std::string& key) {
    std::string id;
    try {
        id = ctr::container::resolve(store.containers_dir(), key);
    } catch (const ctr::Error& e) {
        if (std::string(e.what()).starts_with("No such container")) return std::nullopt;
        throw;
    }
    return ctr::store::container_inspect(ctr::store::load_container(store.containers_dir(), id));
}

int inspect_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-inspect", "Show low-level information on images and containers as JSON.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("NAME|ID...");
    opts.add_options()
        ("f,format", "Format each object with a Go template, e.g. '{{.Config.Cmd}}' or '{{json .Config}}'", cxxopts::value<std::string>(), "TEMPLATE")
        ("type", "Only look for an object of this type: image or container", cxxopts::value<std::string>(), "TYPE")
        ("s,size", "Accepted for docker compatibility (sizes are always shown)")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("args", "", cxxopts::value<std::vector<std::string>>());
    opts.parse_positional({"args"});
    auto r = ctr::cli::parse(opts, argc, argv);
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-inspect")) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.empty()) throw ctr::ExitError(125, "usage: ctr-inspect [OPTIONS] NAME|ID...");
    std::string type = r.count("type") ? r["type"].as<std::string>() : "";
    if (!type.empty() && type != "image" && type != "container")
        throw ctr::ExitError(125, "unknown --type \"" + type + "\" (image or container)");
    std::optional<ctr::tmpl::Template> tmpl;
    if (r.count("format")) tmpl = ctr::tmpl::Template::parse(ctr::tmpl::unescape_format(r["format"].as<std::string>()));

    ctr::preflight::require_store();
    auto store = ctr::store::Store::open();
    ordered_json found = ordered_json::array();
    std::string text;
    int rc = 0;
    for (auto& a : args) {
        std::optional<ordered_json> obj;
        std::string error;
        if (type != "image") obj = find_container(store, a);
        if (!obj && type != "container") {
            try {
                auto img = store.resolve(a);
                img.parent = store.parent(img);
                obj = ctr::store::image_inspect(img);
            } catch (const ctr::Error& e) {
                error = e.what();
            }
        }
        if (!obj) {
            bool missing = error.empty() || error.starts_with("No such image");
            std::cerr << "Error: " << (missing ? "No such object: " + a : error) << "\n";
            rc = 1;
            continue;
        }
        if (tmpl) text += tmpl->render(nlohmann::json::parse(obj->dump())) + "\n";
        else found.push_back(*obj);
    }
    if (tmpl) std::cout << text;
    else std::cout << found.dump(4) << "\n";
    return rc;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-inspect", [&] { return inspect_main(argc, argv); }); }

// ctr-images [ls] [OPTIONS] [REPOSITORY[:TAG]]: the docker images table.
#include <fnmatch.h>

#include <algorithm>
#include <iostream>

#include "cmd/ctr-images/images.h"
#include "libcommon/cli/main.h"
#include "libcommon/cli/units.h"
#include "libcommon/store/inspect.h"
#include "libcommon/store/store.h"
#include "libcommon/template/format.h"

namespace images {

using ctr::store::Image;

int list_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-images", "List the images of the store (subcommands: tag, rm, save, history).");
    opts.custom_help("[ls] [OPTIONS]");
    opts.positional_help("[REPOSITORY[:TAG]]");
    opts.add_options()
        ("a,all", "Show all images, including intermediate ones (untagged, other images built on them)")
        ("q,quiet", "Only show image ids")
        ("no-trunc", "Show full image ids")
        ("digests", "Show manifest digests")
        ("f,filter", "Filter: dangling=true|false, reference=PATTERN, label=KEY[=VALUE]", cxxopts::value<std::vector<std::string>>(), "F")
        ("format", "Format: table, json, or a Go template such as '{{.Repository}}:{{.Tag}}'", cxxopts::value<std::string>(), "FMT");
    cxxopts::ParseResult r;
    if (parse(opts, argc, argv, r,
              "\nSubcommands:\n  ctr-images tag SOURCE TARGET\n  ctr-images rm [-f] IMAGE...\n"
              "  ctr-images save [-o FILE] IMAGE...\n  ctr-images history IMAGE\n"))
        return 0;
    auto args = ctr::cli::positionals(r);
    if (args.size() > 1) throw ctr::ExitError(125, "too many arguments; usage: ctr-images [OPTIONS] [REPOSITORY[:TAG]]");
    std::optional<std::string> want_repo, want_tag;
    if (!args.empty()) {
        std::string a = args[0];
        auto slash = a.rfind('/');
        auto colon = a.rfind(':');
        bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
        auto ref = ctr::oci::Reference::parse(a);
        want_repo = ref.repository();
        if (tagged) want_tag = ref.tag;
    }
    std::optional<bool> dangling;
    std::vector<std::string> ref_patterns;
    std::vector<std::pair<std::string, std::optional<std::string>>> labels;
    if (r.count("filter"))
        for (auto& f : r["filter"].as<std::vector<std::string>>()) {
            auto eq = f.find('=');
            std::string k = f.substr(0, eq), v = eq == std::string::npos ? "" : f.substr(eq + 1);
            if (k == "dangling" && (v == "true" || v == "false")) dangling = v == "true";
            else if (k == "reference" && !v.empty()) ref_patterns.push_back(v);
            else if (k == "label" && !v.empty()) {
                auto e2 = v.find('=');
                labels.emplace_back(v.substr(0, e2), e2 == std::string::npos ? std::nullopt : std::optional(v.substr(e2 + 1)));
            } else
                throw ctr::ExitError(125, "invalid filter \"" + f + "\" (dangling=true|false, reference=PATTERN, label=KEY[=VALUE])");
        }

    auto store = ctr::store::Store::open();
    auto all = store.list_images();
    std::sort(all.begin(), all.end(), [](const Image& a, const Image& b) { return a.created() > b.created(); });
    bool no_trunc = r.count("no-trunc") > 0;
    std::vector<nlohmann::ordered_json> rows;
    for (auto& img : all) {
        // Docker's rules: an untagged image others were built on is
        // intermediate (shown with -a only), never dangling.
        if (img.intermediate() && (!r.count("all") || dangling)) continue;
        if (dangling && (*dangling != img.tags.empty())) continue;
        bool label_ok = true;
        for (auto& [k, v] : labels) {
            auto l = img.config.contains("config") && img.config["config"].is_object() ? img.config["config"].value("Labels", nlohmann::json()) : nlohmann::json();
            if (!l.is_object() || !l.contains(k) || (v && l[k] != *v)) label_ok = false;
        }
        if (!label_ok) continue;
        std::vector<std::string> tags = img.tags;
        if (tags.empty()) tags.push_back("");
        for (auto& t : tags) {
            auto [repo, tag] = ctr::store::split_tag(t);
            if (want_repo && (repo != *want_repo || (want_tag && tag != *want_tag))) continue;
            if (!ref_patterns.empty() &&
                std::none_of(ref_patterns.begin(), ref_patterns.end(), [&](const std::string& p) {
                    return !t.empty() && (::fnmatch(p.c_str(), t.c_str(), 0) == 0 || ::fnmatch(p.c_str(), repo.c_str(), 0) == 0);
                }))
                continue;
            rows.push_back(ctr::store::image_row(img, t, no_trunc));
        }
    }
    if (r.count("quiet")) {
        for (auto& row : rows) std::cout << row["ID"].get<std::string>() << "\n";
        return 0;
    }
    std::string def = r.count("digests") ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                                          : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    std::string format = r.count("format") ? r["format"].as<std::string>() : "";
    std::cout << ctr::tmpl::format_rows(rows, format, def,
                                        {{"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}});
    return 0;
}

}  // namespace images

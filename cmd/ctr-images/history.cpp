// ctr-images history IMAGE: how an image was made, newest step first.
#include <ctime>
#include <iostream>

#include "cmd/ctr-images/images.h"
#include "libcommon/cli/main.h"
#include "libcommon/cli/units.h"
#include "libcommon/store/store.h"
#include "libcommon/template/format.h"

namespace images {

int history_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-images history", "Show the history of an image.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("IMAGE");
    opts.add_options()("no-trunc", "Don't truncate CREATED BY")("q,quiet", "Only show image ids")(
        "H,human", "Sizes and dates in human form", cxxopts::value<bool>()->default_value("true"))(
        "format", "Format: table, json, or a Go template", cxxopts::value<std::string>(), "FMT");
    cxxopts::ParseResult r;
    if (parse(opts, argc, argv, r)) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.size() != 1) throw ctr::ExitError(125, "usage: ctr-images history IMAGE");
    auto store = ctr::store::Store::open();
    auto img = store.resolve(args[0]);
    bool no_trunc = r.count("no-trunc") > 0, human = r["human"].as<bool>();
    auto history = img.config.value("history", nlohmann::json::array());
    if (!history.is_array()) history = nlohmann::json::array();
    // Each history step that is not an empty layer owns the next layer, bottom first.
    std::vector<int64_t> sizes;
    size_t layer = 0;
    for (auto& h : history) {
        bool empty = h.is_object() && h.value("empty_layer", false);
        sizes.push_back(!empty && layer < img.manifest.layers.size() ? img.manifest.layers[layer++].size : 0);
    }
    std::vector<nlohmann::ordered_json> rows;
    double now = static_cast<double>(std::time(nullptr));
    for (size_t i = history.size(); i-- > 0;) {
        auto& h = history[i];
        nlohmann::ordered_json row;
        row["ID"] = i + 1 == history.size() ? (no_trunc ? img.id().str() : img.id().short_hex()) : "<missing>";
        std::string created = h.is_object() ? h.value("created", "") : "";
        auto t = ctr::parse_rfc3339(created);
        row["CreatedAt"] = t ? (human ? ctr::docker_time(*t) : created) : "";
        row["CreatedSince"] = t ? ctr::human_duration(now - *t) + " ago" : "N/A";
        std::string by = h.is_object() ? h.value("created_by", "") : "";
        if (!no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
        row["CreatedBy"] = by;
        row["Size"] = human ? ctr::human_size(static_cast<double>(sizes[i])) : std::to_string(sizes[i]);
        row["Comment"] = h.is_object() ? h.value("comment", "") : "";
        rows.push_back(row);
    }
    if (r.count("quiet")) {
        for (auto& row : rows) std::cout << row["ID"].get<std::string>() << "\n";
        return 0;
    }
    std::string format = r.count("format") ? r["format"].as<std::string>() : "";
    std::cout << ctr::tmpl::format_rows(rows, format,
                                        "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                                        {{"ID", "IMAGE"}, {"CreatedSince", "CREATED"}, {"CreatedBy", "CREATED BY"},
                                         {"CreatedAt", "CREATED AT"}});
    return 0;
}

}  // namespace images

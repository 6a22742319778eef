// ctr-ps [OPTIONS]: docker ps's table of containers, read from their records
// without taking any lock a running container holds.
#include <iostream>
#include <map>
#include <regex>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/store/container_list.h"
#include "libcommon/store/store.h"
#include "libcommon/template/format.h"

namespace {

using ctr::store::ContainerView;
using nlohmann::json;

// One -f/--filter KEY=VALUE; filters of one key are OR'ed, different keys AND'ed.
struct Filters {
    std::map<std::string, std::vector<std::string>> by_key;

    void add(const std::string& f) {
        auto eq = f.find('=');
        if (eq == std::string::npos || eq == 0)
            throw ctr::ExitError(125, "invalid filter \"" + f + "\" (KEY=VALUE)");
        std::string k = f.substr(0, eq);
        static const std::vector<std::string> known = {"status", "name", "id", "label", "ancestor", "exited", "before", "since"};
        if (std::find(known.begin(), known.end(), k) == known.end())
            throw ctr::ExitError(125, "invalid filter \"" + k + "\" (status, name, id, label, ancestor, exited, before, since)");
        std::string v = f.substr(eq + 1);
        if (k == "status") {
            static const std::vector<std::string> states = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};
            if (std::find(states.begin(), states.end(), v) == states.end())
                throw ctr::ExitError(125, "invalid filter 'status=" + v + "' (created, restarting, running, removing, paused, exited, dead)");
        }
        if (k == "exited") {
            try {
                size_t used = 0;
                std::stoi(v, &used);
                if (used != v.size()) throw std::invalid_argument(v);
            } catch (const std::exception&) {
                throw ctr::ExitError(125, "invalid filter 'exited=" + v + "': not an exit code");
            }
        }
        by_key[k].push_back(v);
    }
    bool has(const std::string& k) const { return by_key.count(k) > 0; }
};

bool any_of(const std::vector<std::string>& vs, const std::function<bool(const std::string&)>& f) {
    return std::any_of(vs.begin(), vs.end(), f);
}

bool image_matches(const ctr::store::Store& store, const ContainerView& c, const std::string& want,
                   std::map<std::string, std::string>& resolved) {
    std::string ref = c.record.value("ImageRef", ""), id = c.record.value("Image", "");
    if (ref == want || (ref.find(':') == std::string::npos && ref + ":latest" == want) || ref == want + ":latest")
        return true;
    std::string hex = id.starts_with("sha256:") ? id.substr(7) : id;
    std::string w = want.starts_with("sha256:") ? want.substr(7) : want;
    if (w.size() >= 4 && hex.starts_with(w)) return true;
    auto it = resolved.find(want);
    if (it == resolved.end()) {
        std::string found;
        try {
            found = store.resolve(want).id().str();
        } catch (const std::exception&) {
        }
        it = resolved.emplace(want, found).first;
    }
    return !it->second.empty() && it->second == id;
}

int ps_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-ps", "List containers (running ones unless -a).");
    opts.custom_help("[OPTIONS]");
    opts.add_options()
        ("a,all", "Show all containers (default shows just running)")
        ("q,quiet", "Only display container ids")
        ("n,last", "Show the N last created containers (all states)", cxxopts::value<int>(), "N")
        ("l,latest", "Show the latest created container (all states)")
        ("s,size", "Display total file sizes (writable layer, and virtual with the image)")
        ("no-trunc", "Don't truncate output")
        ("f,filter", "Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, before=, since=",
         cxxopts::value<std::vector<std::string>>(), "F")
        ("format", "Format: table, 'table TEMPLATE', json, or a Go template such as '{{.ID}} {{.Names}}'",
         cxxopts::value<std::string>(), "FMT")
        ("h,help", "Show this help")
        ("version", "Show the version");
    auto r = ctr::cli::parse(opts, argc, argv);
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-ps")) return 0;
    if (!r.unmatched().empty()) throw ctr::ExitError(125, "ctr-ps takes no arguments (got \"" + r.unmatched()[0] + "\")");
    Filters filters;
    if (r.count("filter"))
        for (auto& f : r["filter"].as<std::vector<std::string>>()) filters.add(f);
    int last = -1;
    if (r.count("last")) last = r["last"].as<int>();
    if (r.count("latest")) last = 1;
    bool all = r.count("all") || last >= 0 || filters.has("status") || filters.has("exited");
    bool no_trunc = r.count("no-trunc") > 0;
    double now = ctr::store::now_seconds();

    std::string root = ctr::store::default_root();
    ctr::preflight::require_store(root);
    std::optional<ctr::store::Store> store;
    auto get_store = [&]() -> ctr::store::Store& {
        if (!store) store = ctr::store::Store::open(root);
        return *store;
    };
    std::map<std::string, std::string> resolved;
    std::map<std::string, std::regex> name_res;  // compiled on first use
    // Every filter but before=/since=, which need every container first.
    auto passes = [&](const ContainerView& c) {
        std::string status = c.state.value("Status", "created");
        if (status == "running" && c.state.value("Paused", false)) status = "paused";
        bool running = status == "running" || status == "paused" || status == "restarting";
        if (!all && !running) return false;
        const auto& fk = filters.by_key;
        if (fk.count("status") && !any_of(fk.at("status"), [&](const std::string& v) { return v == status; })) return false;
        if (fk.count("id") && !any_of(fk.at("id"), [&](const std::string& v) { return c.id.starts_with(v); })) return false;
        std::string name = c.record.value("Name", "");
        if (fk.count("name") && !any_of(fk.at("name"), [&](const std::string& v) {
                auto it = name_res.find(v);
                if (it == name_res.end()) {
                    try {
                        it = name_res.emplace(v, std::regex(v.starts_with("/") ? v.substr(1) : v)).first;
                    } catch (const std::regex_error&) {
                        throw ctr::ExitError(125, "invalid filter 'name=" + v + "': not a regular expression");
                    }
                }
                return std::regex_search(name, it->second);
            }))
            return false;
        if (fk.count("exited")) {
            int code = c.state.value("ExitCode", 0);
            if (status != "exited" || !any_of(fk.at("exited"), [&](const std::string& v) { return std::stoi(v) == code; }))
                return false;
        }
        if (fk.count("label")) {
            json labels = c.record.contains("Config") && c.record["Config"].is_object()
                              ? c.record["Config"].value("Labels", json::object()) : json::object();
            if (!labels.is_object()) labels = json::object();
            for (auto& v : fk.at("label")) {
                auto eq = v.find('=');
                std::string k = v.substr(0, eq);
                if (!labels.contains(k) || (eq != std::string::npos && labels[k] != v.substr(eq + 1))) return false;
            }
        }
        if (fk.count("ancestor") &&
            !any_of(fk.at("ancestor"), [&](const std::string& v) { return image_matches(get_store(), c, v, resolved); }))
            return false;
        return true;
    };

    bool quiet = r.count("quiet") > 0;
    bool sizes = r.count("size") > 0;
    std::string def = "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    if (sizes) def += "\t{{.Size}}";
    std::string format = r.count("format") ? r["format"].as<std::string>() : "";
    std::map<std::string, std::string> headers = {
        {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"}, {"RunningFor", "CREATED"},
        {"CreatedAt", "CREATED AT"}, {"Status", "STATUS"}, {"Ports", "PORTS"}, {"Names", "NAMES"},
        {"Size", "SIZE"}, {"Labels", "LABELS"}, {"Mounts", "MOUNTS"}, {"Networks", "NETWORKS"},
        {"State", "STATE"}, {"LocalVolumes", "LOCAL VOLUMES"}};
    std::optional<ctr::tmpl::RowFormatter> out;
    try {
        if (!quiet) out.emplace(format, def, headers);
    } catch (const std::exception&) {
        // A bad template is reported where it always was, after the filters (below).
    }

    // One pass over the records, keeping of each only its line of output
    // (a view lives for one call), so memory stays small with many
    // containers. The row itself is kept where the line must wait: with -s
    // (sizes are measured for the rows shown only) or when the template
    // fails on it (then it fails again at the end, if the row is shown).
    struct Entry {
        double created;
        std::string id, name;
        bool shown;
        std::optional<std::string> line;  // or:
        json row;
        std::string dir, image;  // with -s
    };
    bool named = filters.has("before") || filters.has("since");
    std::vector<std::string> fields;  // every row has ps_row's fields
    std::vector<Entry> entries;
    ctr::store::for_each_container(root + "/containers", ctr::store::RecordFields::Listing, [&](ContainerView& c) {
        Entry e{c.created, c.id, named ? c.record.value("Name", "") : "", passes(c), {}, {}, {}, {}};
        if (e.shown) {
            e.row = ctr::store::ps_row(c, now, no_trunc, std::nullopt);
            if (fields.empty())
                for (auto& [k, v] : e.row.items()) fields.push_back(k);
            if (sizes) {
                e.dir = c.dir, e.image = c.record.value("Image", "");
            } else if (quiet) {
                e.line = e.row["ID"].get<std::string>();
            } else if (out) {
                try {
                    e.line = out->line(e.row);
                } catch (const std::exception&) {
                    // kept: formatted again (and failing) at the end if shown
                }
            }
            if (e.line) e.row = json();
        }
        entries.push_back(std::move(e));
    });
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return ctr::store::newer_first(a.created, a.id, b.created, b.id); });

    // before=/since= name containers; keep those created before/after them.
    std::optional<double> before, since;
    for (auto& [key, dest] : {std::pair{"before", &before}, std::pair{"since", &since}})
        if (filters.has(key))
            for (auto& v : filters.by_key[key]) {
                bool hit = false;
                for (auto& e : entries)
                    if (e.id == v || e.name == v || (v.size() >= 1 && e.id.starts_with(v))) {
                        *dest = e.created;
                        hit = true;
                        break;
                    }
                if (!hit) throw ctr::ExitError(1, "No such container: " + v);
            }

    std::map<std::string, int64_t> image_sizes;  // by image id: resolved once each
    std::vector<Entry*> shown;
    for (auto& e : entries) {
        if (last >= 0 && static_cast<int>(shown.size()) >= last) break;
        if (!e.shown) continue;
        if (before && e.created >= *before) continue;
        if (since && e.created <= *since) continue;
        shown.push_back(&e);
        if (sizes) {
            auto it = image_sizes.find(e.image);
            if (it == image_sizes.end()) {
                int64_t size = 0;
                try {
                    size = get_store().resolve(e.image).size();
                } catch (const std::exception&) {
                }
                it = image_sizes.emplace(e.image, size).first;
            }
            e.row["Size"] = ctr::store::size_text(e.dir, it->second);
        }
    }
    if (quiet) {
        for (auto* e : shown) std::cout << (e->line ? *e->line : e->row["ID"].get<std::string>()) << "\n";
        return 0;
    }
    if (!out) out.emplace(format, def, headers);  // throws the template's error
    std::vector<std::string> lines;
    for (auto* e : shown) lines.push_back(e->line ? std::move(*e->line) : out->line(e->row));
    std::cout << out->str(lines, lines.empty() ? std::vector<std::string>{} : fields);
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-ps", [&] { return ps_main(argc, argv); }); }

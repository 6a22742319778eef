// ctr-prune [OPTIONS]: removes stopped containers, dangling images (-a: all
// unused), build cache, unreferenced blobs and layers, tmp/ garbage; --df
// shows docker's system df table instead.
#include <dirent.h>
#include <sys/mount.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <set>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/cli/units.h"
#include "libcommon/container/record.h"
#include "libcommon/store/container_list.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/inspect.h"
#include "libcommon/store/lock.h"
#include "libcommon/store/log_reader.h"
#include "libcommon/store/store.h"

namespace {

using ctr::store::ContainerView;
using ctr::store::Image;
using nlohmann::json;

// --filter until=T and label=K[=V] / label!=K[=V], as docker's prune takes them.
struct Filters {
    std::optional<double> until;
    std::vector<std::pair<std::string, bool>> labels;  // (K[=V], wanted)

    bool labels_match(const json& labels_obj) const {
        for (auto& [want, positive] : labels) {
            auto eq = want.find('=');
            std::string k = want.substr(0, eq);
            bool has = labels_obj.is_object() && labels_obj.contains(k) &&
                       (eq == std::string::npos || labels_obj[k] == want.substr(eq + 1));
            if (has != positive) return false;
        }
        return true;
    }
    bool match(double created, const json& labels_obj) const {
        if (until && created >= *until) return false;
        return labels_match(labels_obj);
    }
};

json image_labels(const Image& img) {
    if (img.config.contains("config") && img.config["config"].is_object())
        return img.config["config"].value("Labels", json::object());
    return json::object();
}

json container_labels(const ContainerView& c) {
    if (c.record.contains("Config") && c.record["Config"].is_object()) return c.record["Config"].value("Labels", json::object());
    return json::object();
}

bool stopped(const ContainerView& c) {
    std::string s = c.state.value("Status", "created");
    return (s == "created" || s == "exited" || s == "dead") && !c.state.value("MonitorAlive", false);
}

// Removes a stopped container's directory (after its rootfs mount); skips a
// container whose record someone is changing right now.
std::optional<int64_t> remove_container(const ContainerView& c) {
    auto lock = ctr::store::FileLock::try_acquire(c.dir + "/container.lock", ctr::store::FileLock::Mode::Exclusive);
    if (!lock) return std::nullopt;
    auto fresh = ctr::store::load_container(ctr::store::dirname_of(c.dir), c.id);
    if (!stopped(fresh)) return std::nullopt;
    int64_t bytes = ctr::store::disk_usage(c.dir + "/upper");
    for (int i = 0; i < 16 && ::umount2((c.dir + "/rootfs").c_str(), MNT_DETACH) == 0; i++) {
    }
    ctr::store::remove_tree(c.dir);
    return bytes;
}

std::set<std::string> volumes_in_use(const std::vector<ContainerView>& cs) {
    std::set<std::string> used;
    for (auto& c : cs)
        if (c.record.contains("Mounts") && c.record["Mounts"].is_array())
            for (auto& m : c.record["Mounts"])
                if (m.is_object() && m.value("Type", "") == "volume") used.insert(m.value("Name", ""));
    return used;
}

std::vector<std::string> list_dir(const std::string& d) {
    std::vector<std::string> out;
    if (DIR* dir = ::opendir(d.c_str())) {
        while (auto* e = ::readdir(dir))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
        ::closedir(dir);
    }
    return out;
}

std::string with_percent(int64_t part, int64_t whole) {
    std::string s = ctr::human_size(static_cast<double>(part));
    if (whole > 0) s += " (" + std::to_string(part * 100 / whole) + "%)";
    return s;
}

int df(const ctr::store::Store& store, bool verbose) {
    auto cs = ctr::store::load_containers(store.containers_dir());
    std::set<std::string> used;
    for (auto& c : cs) used.insert(c.record.value("Image", ""));
    auto images = store.list_images();
    // Docker's rows: the images `ctr-images` lists (not the intermediate
    // ones), active when a container uses them. The bytes are every blob any
    // image holds, each counted once (intermediate images share their
    // layers with the images built on them); reclaimable is what
    // `ctr-prune -a` frees: what neither an image a container uses nor one of
    // its ancestors holds.
    std::map<std::string, const Image*> by_id;
    for (auto& img : images) by_id[img.id().str()] = &img;
    std::set<std::string> needed;  // image ids: used, and their ancestors
    for (auto& id : used)
        for (auto it = by_id.find(id); it != by_id.end() && needed.insert(it->first).second;
             it = by_id.find(it->second->parent)) {
        }
    std::map<std::string, int64_t> blob_size;
    std::set<std::string> active_blobs;
    int n_images = 0, n_active = 0;
    for (auto& img : images) {
        if (!img.intermediate()) {
            n_images++;
            n_active += used.count(img.id().str()) > 0;
        }
        std::vector<std::pair<std::string, int64_t>> blobs = {{img.manifest.config.digest.str(), img.manifest.config.size}};
        for (auto& l : img.manifest.layers) blobs.emplace_back(l.digest.str(), l.size);
        for (auto& [d, sz] : blobs) {
            blob_size[d] = sz;
            if (needed.count(img.id().str())) active_blobs.insert(d);
        }
    }
    int64_t img_total = 0, img_reclaim = 0;
    for (auto& [d, sz] : blob_size) {
        img_total += sz;
        if (!active_blobs.count(d)) img_reclaim += sz;
    }
    int64_t c_total = 0, c_reclaim = 0;
    int c_active = 0;
    std::vector<std::pair<const ContainerView*, int64_t>> csizes;
    for (auto& c : cs) {
        int64_t sz = ctr::store::disk_usage(c.dir + "/upper");
        csizes.emplace_back(&c, sz);
        c_total += sz;
        if (stopped(c)) c_reclaim += sz;
        else c_active++;
    }
    auto vused = volumes_in_use(cs);
    auto vols = list_dir(store.root() + "/volumes");
    int64_t v_total = 0, v_reclaim = 0;
    int v_active = 0;
    std::map<std::string, int64_t> vsize;
    for (auto& v : vols) {
        int64_t sz = ctr::store::disk_usage(store.root() + "/volumes/" + v);
        vsize[v] = sz;
        v_total += sz;
        if (vused.count(v)) v_active++;
        else v_reclaim += sz;
    }
    ctr::Table t;
    t.add({"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"});
    t.add({"Images", std::to_string(n_images), std::to_string(n_active), ctr::human_size(static_cast<double>(img_total)),
           with_percent(img_reclaim, img_total)});
    t.add({"Containers", std::to_string(cs.size()), std::to_string(c_active), ctr::human_size(static_cast<double>(c_total)),
           with_percent(c_reclaim, c_total)});
    t.add({"Local Volumes", std::to_string(vols.size()), std::to_string(v_active),
           ctr::human_size(static_cast<double>(v_total)), with_percent(v_reclaim, v_total)});
    // ctr-build's cache is its step images, counted above as docker's
    // classic builder counts them: nothing is build cache on its own.
    t.add({"Build Cache", "0", "0", "0B", "0B"});
    if (!verbose) {
        std::cout << t.str();
        return 0;
    }
    double now = ctr::store::now_seconds();
    std::cout << "Images space usage:\n\n";
    ctr::Table ti;
    ti.add({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "CONTAINERS"});
    for (auto& img : images) {
        if (img.intermediate()) continue;
        int n = 0;
        for (auto& c : cs) n += c.record.value("Image", "") == img.id().str();
        auto row = ctr::store::image_row(img, img.tags.empty() ? "" : img.tags[0], false);
        ti.add({row["Repository"], row["Tag"], row["ID"], row["CreatedSince"], row["Size"], std::to_string(n)});
    }
    std::cout << ti.str() << "\nContainers space usage:\n\n";
    ctr::Table tc;
    tc.add({"CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"});
    for (auto& [c, sz] : csizes) {
        auto row = ctr::store::ps_row(*c, now, false, std::nullopt);
        tc.add({row["ID"], row["Image"], row["Command"], row["LocalVolumes"], ctr::human_size(static_cast<double>(sz)),
                row["RunningFor"], row["Status"], row["Names"]});
    }
    std::cout << tc.str() << "\nLocal Volumes space usage:\n\n";
    ctr::Table tv;
    tv.add({"VOLUME NAME", "LINKS", "SIZE"});
    for (auto& v : vols) tv.add({v, vused.count(v) ? "1" : "0", ctr::human_size(static_cast<double>(vsize[v]))});
    std::cout << tv.str() << "\nBuild cache usage: 0B\n";
    return 0;
}

int prune_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-prune", "Remove stopped containers, dangling images, build cache and unreferenced store data.");
    opts.custom_help("[OPTIONS]");
    opts.add_options()
        ("a,all", "Remove every image no container uses, not just dangling ones")
        ("f,force", "Do not prompt for confirmation")
        ("volumes", "Also remove volumes no container uses")
        ("images", "Only images, as docker image prune: dangling ones (with -a, every image no container uses)")
        ("filter", "Filter: until=TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]",
         cxxopts::value<std::vector<std::string>>(), "F")
        ("dry-run", "Show what would be removed, remove nothing")
        ("df", "Show docker's system df table instead of pruning")
        ("v,verbose", "With --df: per image, container and volume")
        ("h,help", "Show this help")
        ("version", "Show the version");
    auto r = ctr::cli::parse(opts, argc, argv);
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-prune")) return 0;
    if (!r.unmatched().empty()) throw ctr::ExitError(125, "ctr-prune takes no arguments (got \"" + r.unmatched()[0] + "\")");
    ctr::preflight::require_store();
    auto store = ctr::store::Store::open();
    if (r.count("df")) return df(store, r.count("verbose") > 0);

    Filters filters;
    double now = ctr::store::now_seconds();
    if (r.count("filter"))
        for (auto& f : r["filter"].as<std::vector<std::string>>()) {
            auto eq = f.find('=');
            std::string k = eq == std::string::npos ? f : f.substr(0, eq), v = eq == std::string::npos ? "" : f.substr(eq + 1);
            if (k == "until" && !v.empty()) {
                try {
                    filters.until = ctr::store::parse_log_time(v, now);
                } catch (const ctr::Error& e) {
                    throw ctr::ExitError(125, "invalid filter \"" + f + "\": " + e.what());
                }
            } else if (k == "label" && !v.empty()) {
                filters.labels.emplace_back(v, true);
            } else if (k == "label!" && !v.empty()) {
                filters.labels.emplace_back(v, false);
            } else {
                throw ctr::ExitError(125, "invalid filter \"" + f + "\" (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE])");
            }
        }
    bool all = r.count("all") > 0, dry = r.count("dry-run") > 0, volumes = r.count("volumes") > 0;
    bool images_only = r.count("images") > 0;
    if (images_only && volumes) throw ctr::ExitError(125, "--images and --volumes don't go together");

    if (!r.count("force") && !dry && ::isatty(0) && ::isatty(2)) {
        if (images_only)
            std::cerr << (all ? "WARNING! This will remove all images without at least one container associated to them.\n"
                              : "WARNING! This will remove all dangling images.\n");
        else
            std::cerr << "WARNING! This will remove:\n  - all stopped containers\n"
                      << (volumes ? "  - all volumes not used by at least one container\n" : "")
                      << (all ? "  - all images without at least one container associated to them\n"
                              : "  - all dangling images\n")
                      << "  - unused build cache\n  - blobs and unpacked layers no image references\n";
        std::cerr << "Are you sure you want to continue? [y/N] " << std::flush;
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") return 0;
    }

    int64_t total = 0;
    auto cs = images_only ? std::vector<ctr::store::ContainerView>{} : ctr::store::load_containers(store.containers_dir());
    std::vector<std::string> gone;
    for (auto& c : cs) {
        if (!stopped(c) || !filters.match(c.created, container_labels(c))) continue;
        if (dry) {
            gone.push_back(c.id);
            total += ctr::store::disk_usage(c.dir + "/upper");
        } else if (auto bytes = remove_container(c)) {
            gone.push_back(c.id);
            total += *bytes;
        }
    }
    if (!gone.empty()) {
        std::cout << (dry ? "Would delete Containers:\n" : "Deleted Containers:\n");
        for (auto& id : gone) std::cout << id << "\n";
        std::cout << "\n";
    }

    if (volumes) {
        auto left = ctr::store::load_containers(store.containers_dir());
        auto used = volumes_in_use(left);
        std::vector<std::string> vgone;
        for (auto& v : list_dir(store.root() + "/volumes")) {
            if (used.count(v)) continue;
            std::string p = store.root() + "/volumes/" + v;
            total += ctr::store::disk_usage(p);
            if (!dry) ctr::store::remove_tree(p);
            vgone.push_back(v);
        }
        if (!vgone.empty()) {
            std::cout << (dry ? "Would delete Volumes:\n" : "Deleted Volumes:\n");
            for (auto& v : vgone) std::cout << v << "\n";
            std::cout << "\n";
        }
    }

    auto rep = store.prune(
        [&](const Image& img) {
            bool pick = img.tags.empty() || all;
            double created = ctr::parse_rfc3339(img.created()).value_or(0);
            return pick && filters.match(created, image_labels(img));
        },
        dry);
    if (!rep.records.empty()) {
        std::cout << (dry ? "Would delete Images:\n" : "Deleted Images:\n");
        for (auto& d : rep.records)
            std::cout << (d.deleted.empty() ? "untagged: " + d.untagged : "deleted: " + d.deleted) << "\n";
        std::cout << "\n";
    }
    total += rep.bytes;
    std::cout << "Total reclaimed space: " << ctr::human_size(static_cast<double>(total)) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-prune", [&] { return prune_main(argc, argv); }); }

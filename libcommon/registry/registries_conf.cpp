#define TOML_HEADER_ONLY 0
#include "libcommon/registry/registries_conf.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "libcommon/sys/error.h"

namespace ctr::registry {

namespace {

std::string where(const std::string& origin, const toml::source_region& src) {
    return origin + ":" + std::to_string(src.begin.line);
}

std::string get_string(const toml::table& t, std::string_view key, const std::string& origin) {
    const toml::node* n = t.get(key);
    if (!n) return "";
    if (!n->is_string()) throw Error(where(origin, n->source()) + ": " + std::string(key) + " must be a string");
    return **n->as_string();
}

bool get_bool(const toml::table& t, std::string_view key, const std::string& origin) {
    const toml::node* n = t.get(key);
    if (!n) return false;
    if (!n->is_boolean()) throw Error(where(origin, n->source()) + ": " + std::string(key) + " must be true or false");
    return **n->as_boolean();
}

// "host/path" matches prefix "host" and "host/path", not "hostname".
bool prefix_matches(std::string_view prefix, std::string_view repository) {
    if (prefix.rfind("*.", 0) == 0) {
        std::string_view host = repository.substr(0, repository.find('/'));
        std::string_view suffix = prefix.substr(1);
        return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
    }
    if (repository.rfind(prefix, 0) != 0) return false;
    return repository.size() == prefix.size() || repository[prefix.size()] == '/';
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_errno("read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// `ref` with the part of its repository that `entry_prefix` matched replaced by `location`.
Reference rewrite(const Reference& ref, std::string_view entry_prefix, std::string_view location) {
    if (location.empty()) return ref;
    std::string repo = ref.repository();
    std::string rest = entry_prefix.rfind("*.", 0) == 0 ? repo.substr(repo.find('/')) : repo.substr(entry_prefix.size());
    std::string rewritten = std::string(location) + rest;
    auto slash = rewritten.find('/');
    if (slash == std::string::npos || slash + 1 == rewritten.size())
        throw Error("registries.conf rewrites " + repo + " to " + rewritten + ", which names no repository");
    Reference out = ref;
    out.domain = rewritten.substr(0, slash);
    out.path = rewritten.substr(slash + 1);
    out.qualified = true;
    return out;
}

}  // namespace

RegistriesConf RegistriesConf::parse(std::string_view text, const std::string& origin) {
    toml::table doc;
    try {
        doc = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        throw Error(origin + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    RegistriesConf conf;
    conf.files.push_back(origin);
    if (doc.contains("registries") && doc["registries"].is_table())
        throw Error(origin + ": version 1 format ([registries.search] tables) is not supported; use version 2 "
                    "(unqualified-search-registries and [[registry]])");
    if (const toml::node* n = doc.get("unqualified-search-registries")) {
        const toml::array* arr = n->as_array();
        if (!arr) throw Error(where(origin, n->source()) + ": unqualified-search-registries must be an array of strings");
        for (const toml::node& item : *arr) {
            if (!item.is_string())
                throw Error(where(origin, item.source()) + ": unqualified-search-registries must be an array of strings");
            conf.unqualified_search.push_back(**item.as_string());
        }
    }
    if (const toml::node* n = doc.get("registry")) {
        const toml::array* arr = n->as_array();
        if (!arr) throw Error(where(origin, n->source()) + ": registry must be an array of tables ([[registry]])");
        for (const toml::node& item : *arr) {
            const toml::table* t = item.as_table();
            if (!t) throw Error(where(origin, item.source()) + ": each [[registry]] must be a table");
            RegistryEntry e;
            e.location = get_string(*t, "location", origin);
            e.prefix = get_string(*t, "prefix", origin);
            e.insecure = get_bool(*t, "insecure", origin);
            e.blocked = get_bool(*t, "blocked", origin);
            if (e.prefix.empty()) e.prefix = e.location;
            if (e.prefix.empty())
                throw Error(where(origin, t->source()) + ": [[registry]] needs a location or a prefix");
            if (e.prefix.rfind("*.", 0) == 0 && !e.location.empty())
                throw Error(where(origin, t->source()) + ": a wildcard prefix (" + e.prefix + ") takes no location");
            while (e.location.size() > 1 && e.location.back() == '/') e.location.pop_back();
            if (const toml::node* m = t->get("mirror")) {
                const toml::array* mirrors = m->as_array();
                if (!mirrors) throw Error(where(origin, m->source()) + ": mirror must be an array of tables ([[registry.mirror]])");
                for (const toml::node& mi : *mirrors) {
                    const toml::table* mt = mi.as_table();
                    if (!mt) throw Error(where(origin, mi.source()) + ": each [[registry.mirror]] must be a table");
                    RegistryEntry::Mirror mirror;
                    mirror.location = get_string(*mt, "location", origin);
                    mirror.insecure = get_bool(*mt, "insecure", origin);
                    mirror.pull_from_mirror = get_string(*mt, "pull-from-mirror", origin);
                    if (mirror.location.empty())
                        throw Error(where(origin, mt->source()) + ": [[registry.mirror]] needs a location");
                    if (!mirror.pull_from_mirror.empty() && mirror.pull_from_mirror != "all" &&
                        mirror.pull_from_mirror != "digest-only" && mirror.pull_from_mirror != "tag-only")
                        throw Error(where(origin, mt->source()) + ": pull-from-mirror must be all, digest-only or tag-only");
                    e.mirrors.push_back(std::move(mirror));
                }
            }
            conf.registries.push_back(std::move(e));
        }
    }
    return conf;
}

void RegistriesConf::merge(RegistriesConf other) {
    if (!other.unqualified_search.empty()) unqualified_search = std::move(other.unqualified_search);
    for (auto& e : other.registries) {
        auto same = std::find_if(registries.begin(), registries.end(), [&](auto& r) { return r.prefix == e.prefix; });
        if (same != registries.end())
            *same = std::move(e);
        else
            registries.push_back(std::move(e));
    }
    files.insert(files.end(), other.files.begin(), other.files.end());
}

RegistriesConf RegistriesConf::load(const std::string& path) {
    std::string explicit_path = path;
    if (explicit_path.empty())
        if (const char* env = std::getenv("CTR_REGISTRIES_CONF"); env && *env) explicit_path = env;
    if (!explicit_path.empty()) return parse(read_file(explicit_path), explicit_path);

    RegistriesConf conf;
    std::string main_file = "/etc/containers/registries.conf";
    if (const char* home = std::getenv("HOME"); home && *home) {
        const char* xdg = std::getenv("XDG_CONFIG_HOME");
        std::string user = (xdg && *xdg ? std::string(xdg) : std::string(home) + "/.config") + "/containers/registries.conf";
        struct stat st;
        if (::stat(user.c_str(), &st) == 0) main_file = user;
    }
    struct stat st;
    if (::stat(main_file.c_str(), &st) == 0) conf = parse(read_file(main_file), main_file);
    std::error_code ec;
    std::vector<std::string> dropins;
    for (auto& d : std::filesystem::directory_iterator("/etc/containers/registries.conf.d", ec))
        if (d.path().extension() == ".conf") dropins.push_back(d.path());
    std::sort(dropins.begin(), dropins.end());
    for (auto& f : dropins) conf.merge(parse(read_file(f), f));
    return conf;
}

const RegistryEntry* RegistriesConf::find(std::string_view repository) const {
    const RegistryEntry* best = nullptr;
    size_t best_len = 0;
    for (auto& e : registries) {
        if (!prefix_matches(e.prefix, repository)) continue;
        // An exact prefix beats a wildcard; a longer one beats a shorter one.
        size_t len = e.prefix.rfind("*.", 0) == 0 ? e.prefix.size() - 2 : e.prefix.size() + 1000;
        if (!best || len > best_len) best = &e, best_len = len;
    }
    return best;
}

std::vector<Endpoint> RegistriesConf::pull_endpoints(const Reference& ref) const {
    const RegistryEntry* e = find(ref.repository());
    if (!e) return {Endpoint{ref, false, false}};
    if (e->blocked) throw Error("registry " + ref.domain + " is blocked in " + (files.empty() ? "registries.conf" : files.back()));
    std::vector<Endpoint> out;
    for (auto& m : e->mirrors) {
        if (m.pull_from_mirror == "digest-only" && ref.digest.empty()) continue;
        if (m.pull_from_mirror == "tag-only" && !ref.digest.empty()) continue;
        out.push_back(Endpoint{rewrite(ref, e->prefix, m.location), m.insecure, true});
    }
    out.push_back(Endpoint{rewrite(ref, e->prefix, e->location), e->insecure, false});
    return out;
}

Endpoint RegistriesConf::push_endpoint(const Reference& ref) const {
    const RegistryEntry* e = find(ref.repository());
    if (!e) return Endpoint{ref, false, false};
    if (e->blocked) throw Error("registry " + ref.domain + " is blocked in " + (files.empty() ? "registries.conf" : files.back()));
    return Endpoint{rewrite(ref, e->prefix, e->location), e->insecure, false};
}

std::vector<std::string> RegistriesConf::search_registries() const {
    if (unqualified_search.empty()) return {std::string(kDockerHub)};
    return unqualified_search;
}

bool RegistriesConf::insecure(std::string_view host) const {
    const RegistryEntry* e = find(host);
    return e && e->insecure;
}

}  // namespace ctr::registry

#include "libcommon/store/containers.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "libcommon/cli/units.h"
#include "libcommon/container/record.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

using nlohmann::json;
using nlohmann::ordered_json;

double now_seconds() {
    if (const char* env = std::getenv("CTR_NOW"); env && *env) {
        if (auto t = parse_rfc3339(env)) return *t;
        char* end = nullptr;
        double v = std::strtod(env, &end);
        if (end && *end == 0) return v;
        throw Error("CTR_NOW=" + std::string(env) + ": neither seconds since the epoch nor an RFC 3339 time");
    }
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration<double>(now).count();
}

ContainerView view_of(const std::string& containers_dir, const std::string& id, nlohmann::json record) {
    ContainerView c;
    c.id = id;
    c.dir = containers_dir + "/" + id;
    c.record = std::move(record);
    if (!c.record.is_object()) throw Error(c.dir + "/container.json: not a JSON object");
    c.state = container::live_state(c.record);
    c.created = parse_rfc3339(c.record.value("Created", "")).value_or(0);
    return c;
}

ContainerView load_container(const std::string& containers_dir, const std::string& id) {
    return view_of(containers_dir, id, container::read_record(container::container_paths(containers_dir, id)));
}

namespace {

std::string str_or(const json& j, const char* key, const std::string& def = "") {
    if (!j.is_object()) return def;
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}

// j[key] if j is an object and j[key] one too, else nullptr.
const json* object_at(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it != j.end() && it->is_object() ? &*it : nullptr;
}

double ago(const json& state, const char* key, double now) {
    auto t = parse_rfc3339(str_or(state, key));
    return t ? std::max(0.0, now - *t) : 0;
}

}  // namespace

std::string status_text(const json& state, double now) {
    std::string status = str_or(state, "Status", "created");
    auto code = std::to_string(state.value("ExitCode", 0));
    if (status == "running") {
        std::string s = "Up " + human_duration(ago(state, "StartedAt", now));
        if (state.value("Paused", false)) s += " (Paused)";
        return s;
    }
    if (status == "paused") return "Up " + human_duration(ago(state, "StartedAt", now)) + " (Paused)";
    if (status == "restarting") return "Restarting (" + code + ") " + human_duration(ago(state, "FinishedAt", now)) + " ago";
    if (status == "exited") {
        if (str_or(state, "FinishedAt", container::zero_time) == container::zero_time) return "Exited (" + code + ")";
        return "Exited (" + code + ") " + human_duration(ago(state, "FinishedAt", now)) + " ago";
    }
    if (status == "dead") return "Dead";
    if (status == "removing") return "Removal In Progress";
    return "Created";
}

std::string ports_text(const json& record, const json& state) {
    std::vector<std::string> parts;
    std::set<std::string> bound;
    bool running = str_or(state, "Status") == "running" || str_or(state, "Status") == "paused" ||
                   str_or(state, "Status") == "restarting";
    const json* network = running ? object_at(record, "NetworkSettings") : nullptr;
    if (const json* ports = network ? object_at(*network, "Ports") : nullptr) {
        for (auto& [port, binds] : ports->items()) {
            if (!binds.is_array()) continue;
            for (auto& b : binds) {
                std::string ip = str_or(b, "HostIp");
                if (ip.empty()) ip = "0.0.0.0";
                parts.push_back(ip + ":" + str_or(b, "HostPort") + "->" + port);
                bound.insert(port);
            }
        }
    }
    const json* config = running ? object_at(record, "Config") : nullptr;
    if (const json* exposed = config ? object_at(*config, "ExposedPorts") : nullptr)
        for (auto& [port, _] : exposed->items())
            if (!bound.count(port)) parts.push_back(port);
    std::string out;
    for (auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

std::string command_text(const json& record) {
    std::string cmd = str_or(record, "Path");
    if (!record.is_object()) return cmd;
    if (auto it = record.find("Args"); it != record.end() && it->is_array())
        for (auto& a : *it)
            if (a.is_string()) cmd += (cmd.empty() ? "" : " ") + a.get_ref<const std::string&>();
    return cmd;
}

namespace {

thread_local int64_t g_usage = 0;
thread_local std::set<std::pair<dev_t, ino_t>>* g_seen = nullptr;

int add_usage(const char*, const struct stat* st, int type, struct FTW*) {
    if (type == FTW_F || type == FTW_SL || type == FTW_D) {
        if (st->st_nlink > 1 && type == FTW_F && !g_seen->insert({st->st_dev, st->st_ino}).second) return 0;
        if (type == FTW_F || type == FTW_SL) g_usage += st->st_size;
    }
    return 0;
}

// Go's quoting of a string (strconv.Quote) for the ASCII cases docker shows.
std::string go_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (ch < 0x20 || ch == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", ch);
                    out += buf;
                } else {
                    out += static_cast<char>(ch);
                }
        }
    }
    return out + "\"";
}

// docker's Ellipsis: at most n characters (UTF-8 aware), the last one "…".
std::string ellipsis(const std::string& s, size_t n) {
    auto char_len = [](unsigned char c) -> size_t { return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1; };
    size_t chars = 0, cut = 0;  // cut: where the (n-1)th character ends
    for (size_t i = 0; i < s.size(); i += char_len(static_cast<unsigned char>(s[i]))) {
        if (++chars == n) cut = i;
    }
    if (chars <= n) return s;
    return s.substr(0, cut) + "…";
}

}  // namespace

int64_t disk_usage(const std::string& dir) {
    std::set<std::pair<dev_t, ino_t>> seen;
    g_usage = 0;
    g_seen = &seen;
    ::nftw(dir.c_str(), add_usage, 32, FTW_PHYS);
    g_seen = nullptr;
    return g_usage;
}

std::string size_text(const std::string& container_dir, int64_t image_size) {
    int64_t rw = disk_usage(container_dir + "/upper");
    int64_t virt = rw + image_size;
    return human_size(static_cast<double>(rw)) + " (virtual " + human_size(static_cast<double>(virt)) + ")";
}

json ps_row(const ContainerView& c, double now, bool no_trunc, std::optional<int64_t> image_size) {
    const json& r = c.record;
    // The fields are added in key order, each at the end: no search.
    json row = json::object();
    auto& fields = row.get_ref<json::object_t&>();
    auto add = [&](const char* key, std::string value) { fields.emplace_hint(fields.end(), key, std::move(value)); };
    const json* config = object_at(r, "Config");
    std::string cmd = command_text(r);
    add("Command", go_quote(no_trunc ? cmd : ellipsis(cmd, 20)));
    add("CreatedAt", docker_time(c.created));
    add("ID", no_trunc ? c.id : c.id.substr(0, 12));
    std::string image = str_or(r, "ImageRef");
    if (image.empty()) image = str_or(r, "Image");
    if (!no_trunc && image.starts_with("sha256:")) image = image.substr(7, 12);
    add("Image", std::move(image));
    std::string labels;
    if (const json* l = config ? object_at(*config, "Labels") : nullptr)
        for (auto& [k, v] : l->items())
            labels += (labels.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    add("Labels", std::move(labels));
    int volumes = 0;
    std::string mounts;
    if (auto it = r.find("Mounts"); it != r.end() && it->is_array())
        for (auto& m : *it) {
            if (str_or(m, "Type") == "volume") volumes++;
            std::string name = str_or(m, "Name");
            if (name.empty()) name = str_or(m, "Source");
            if (!no_trunc) name = ellipsis(name, 15);
            mounts += (mounts.empty() ? "" : ",") + name;
        }
    add("LocalVolumes", std::to_string(volumes));
    add("Mounts", std::move(mounts));
    add("Names", str_or(r, "Name"));
    const json* host = object_at(r, "HostConfig");
    add("Networks", host ? str_or(*host, "NetworkMode") : "");
    add("Ports", ports_text(r, c.state));
    add("RunningFor", human_duration(std::max(0.0, now - c.created)) + " ago");
    add("Size", image_size ? size_text(c.dir, *image_size) : "0B");
    std::string state = str_or(c.state, "Status", "created");
    if (state == "running" && c.state.value("Paused", false)) state = "paused";
    add("State", std::move(state));
    add("Status", status_text(c.state, now));
    return row;
}

ordered_json container_inspect(const ContainerView& c) {
    ordered_json out = ordered_json::parse(c.record.dump());
    ordered_json state = ordered_json::object();
    for (const char* k : {"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode", "Error",
                          "StartedAt", "FinishedAt"}) {
        if (c.state.contains(k)) state[k] = ordered_json::parse(c.state[k].dump());
    }
    if (!state.contains("Running")) state["Running"] = state.value("Status", "") == "running";
    for (const char* k : {"Paused", "Restarting", "OOMKilled", "Dead"})
        if (!state.contains(k)) state[k] = false;
    if (!state.contains("Pid")) state["Pid"] = 0;
    if (!state.contains("ExitCode")) state["ExitCode"] = 0;
    if (!state.contains("Error")) state["Error"] = "";
    if (!state.contains("StartedAt")) state["StartedAt"] = container::zero_time;
    if (!state.contains("FinishedAt")) state["FinishedAt"] = container::zero_time;
    if (out.contains("Name") && out["Name"].is_string()) {
        std::string n = out["Name"];
        if (!n.starts_with("/")) out["Name"] = "/" + n;
    }
    out["State"] = state;
    if (!out.contains("LogPath")) out["LogPath"] = c.dir + "/log.json";
    return out;
}

}  // namespace ctr::store

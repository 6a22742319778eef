#include "libcommon/runtime/cgroup_stats.h"

#include <limits>
#include <sstream>

namespace ctr::runtime::stats {

using nlohmann::json;

namespace {

bool to_u64(const std::string& s, uint64_t& out) {
    if (s.empty()) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        uint64_t next = v * 10 + uint64_t(c - '0');
        if (next / 10 != v) return false;
        v = next;
    }
    out = v;
    return true;
}

}  // namespace

std::map<std::string, uint64_t> parse_key_values(const std::string& text) {
    std::map<std::string, uint64_t> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string key, value;
        if (!(ls >> key >> value)) continue;
        uint64_t v;
        if (to_u64(value, v)) out[key] = v;
    }
    return out;
}

uint64_t parse_value(const std::string& text) {
    std::string s = text;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    if (s == "max") return std::numeric_limits<uint64_t>::max();
    uint64_t v = 0;
    if (to_u64(s, v)) return v;
    // Negative values ("-1" in some v1 files) mean unlimited.
    if (!s.empty() && s[0] == '-') return std::numeric_limits<uint64_t>::max();
    return 0;
}

std::vector<uint64_t> parse_numbers(const std::string& text) {
    std::vector<uint64_t> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) {
        uint64_t v;
        if (to_u64(w, v)) out.push_back(v);
    }
    return out;
}

std::vector<uint16_t> parse_cpu_list(const std::string& text) {
    std::vector<uint16_t> out;
    std::string s;
    for (char c : text)
        if (c != ' ' && c != '\n') s += c;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t end = s.find(',', pos);
        if (end == std::string::npos) end = s.size();
        std::string part = s.substr(pos, end - pos);
        pos = end + 1;
        size_t dash = part.find('-');
        uint64_t a, b;
        if (dash == std::string::npos) {
            if (to_u64(part, a)) out.push_back(uint16_t(a));
        } else if (to_u64(part.substr(0, dash), a) && to_u64(part.substr(dash + 1), b) && a <= b && b < 65536) {
            for (uint64_t i = a; i <= b; ++i) out.push_back(uint16_t(i));
        }
    }
    return out;
}

json parse_blkio_v1(const std::string& text) {
    json out = json::array();
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::vector<std::string> f;
        for (std::string w; ls >> w;) f.push_back(w);
        if (f.size() < 2) continue;
        auto colon = f[0].find(':');
        if (colon == std::string::npos) continue;  // "Total N"
        uint64_t major = 0, minor = 0, value = 0;
        if (!to_u64(f[0].substr(0, colon), major) || !to_u64(f[0].substr(colon + 1), minor)) continue;
        json e = json::object();
        put_nonzero(e, "major", major);
        put_nonzero(e, "minor", minor);
        if (f.size() == 3) {
            e["op"] = f[1];
            if (!to_u64(f[2], value)) continue;
        } else if (!to_u64(f[1], value)) {
            continue;
        }
        put_nonzero(e, "value", value);
        out.push_back(e);
    }
    return out;
}

json parse_io_stat_v2(const std::string& text) {
    json blkio = json::object();
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string dev;
        if (!(ls >> dev)) continue;
        auto colon = dev.find(':');
        uint64_t major = 0, minor = 0;
        if (colon == std::string::npos || !to_u64(dev.substr(0, colon), major) ||
            !to_u64(dev.substr(colon + 1), minor))
            continue;
        for (std::string kv; ls >> kv;) {
            auto eq = kv.find('=');
            if (eq == std::string::npos) continue;
            std::string key = kv.substr(0, eq);
            uint64_t value;
            if (!to_u64(kv.substr(eq + 1), value)) continue;
            const char* table = nullptr;
            const char* op = nullptr;
            if (key == "rbytes") table = "ioServiceBytesRecursive", op = "Read";
            else if (key == "wbytes") table = "ioServiceBytesRecursive", op = "Write";
            else if (key == "rios") table = "ioServicedRecursive", op = "Read";
            else if (key == "wios") table = "ioServicedRecursive", op = "Write";
            else continue;
            json e = json::object();
            put_nonzero(e, "major", major);
            put_nonzero(e, "minor", minor);
            e["op"] = op;
            put_nonzero(e, "value", value);
            blkio[table].push_back(e);
        }
    }
    return blkio;
}

json empty() {
    json memory_entry = {{"limit", 0}, {"failcnt", 0}};
    return {
        {"cpu", {{"usage", {{"kernel", 0}, {"user", 0}}}, {"throttling", json::object()}}},
        {"cpuset",
         {{"cpu_exclusive", 0},
          {"mem_hardwall", 0},
          {"mem_exclusive", 0},
          {"memory_migrate", 0},
          {"memory_spread_page", 0},
          {"memory_spread_slab", 0},
          {"memory_pressure", 0},
          {"sched_load_balance", 0},
          {"sched_relax_domain_level", 0}}},
        {"memory",
         {{"usage", memory_entry}, {"swap", memory_entry}, {"kernel", memory_entry}, {"kernelTCP", memory_entry}}},
        {"pids", json::object()},
        {"blkio", json::object()},
        {"hugetlb", json::object()},
        {"intel_rdt", json::object()},
        {"network_interfaces", nullptr},
    };
}

void put_nonzero(json& obj, const char* key, uint64_t value) {
    if (value != 0) obj[key] = value;
}

}  // namespace ctr::runtime::stats

#include "libcommon/runtime/update_flags.h"

#include <cctype>
#include <cmath>
#include <regex>

#include "libcommon/sys/error.h"

using nlohmann::json;

namespace ctr::runtime {

int64_t parse_ram_bytes(const std::string& text, const std::string& flag) {
    static const std::regex re(R"(^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) throw Error("--" + flag + ": invalid size: '" + text + "'");
    double n = std::stod(m[1].str());
    int shift = 0;
    if (m[2].matched) shift = 10 * (1 + static_cast<int>(std::string("kmgtp").find(
                                             static_cast<char>(std::tolower(m[2].str()[0])))));
    double bytes = std::ldexp(n, shift);
    if (bytes > 9.2e18) throw Error("--" + flag + ": size too large: '" + text + "'");
    return static_cast<int64_t>(bytes);
}

int64_t parse_go_duration_ms(const std::string& text, const std::string& flag) {
    static const std::regex part(R"((\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h))");
    if (text == "0") return 0;
    double ms = 0;
    size_t pos = 0;
    auto begin = text.cbegin();
    std::smatch m;
    while (pos < text.size() && std::regex_search(begin + static_cast<long>(pos), text.cend(), m, part,
                                                  std::regex_constants::match_continuous)) {
        double v = std::stod(m[1].str());
        std::string u = m[2].str();
        ms += v * (u == "h" ? 3600e3 : u == "m" ? 60e3 : u == "s" ? 1e3 : u == "ms" ? 1 : u == "ns" ? 1e-6 : 1e-3);
        pos += static_cast<size_t>(m.length(0));
    }
    if (text.empty() || pos != text.size())
        throw Error("--" + flag + ": invalid duration \"" + text + "\" (like 5s, 500ms, 1m)");
    return static_cast<int64_t>(std::llround(ms));
}

namespace {

int64_t integer(const std::string& text, const std::string& flag) {
    size_t used = 0;
    int64_t v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size()) throw Error("--" + flag + ": \"" + text + "\" is not a number");
    return v;
}

}  // namespace

json update_flags_to_resources(const std::map<std::string, std::string>& flags) {
    json r = json::object();
    for (const auto& [name, value] : flags) {
        auto mem = [&](const char* key) {
            r["memory"][key] = value == "-1" ? int64_t{-1} : parse_ram_bytes(value, name);
        };
        auto num = [&](const char* group, const char* key) { r[group][key] = integer(value, name); };
        auto unum = [&](const char* group, const char* key) {
            int64_t v = integer(value, name);
            if (v < 0) throw Error("--" + name + ": must not be negative");
            r[group][key] = static_cast<uint64_t>(v);
        };
        if (name == "memory") mem("limit");
        else if (name == "memory-reservation") mem("reservation");
        else if (name == "memory-swap") mem("swap");
        else if (name == "kernel-memory") mem("kernel");
        else if (name == "kernel-memory-tcp") mem("kernelTCP");
        else if (name == "cpu-period") unum("cpu", "period");
        else if (name == "cpu-quota") num("cpu", "quota");
        else if (name == "cpu-share") unum("cpu", "shares");
        else if (name == "cpu-rt-period") unum("cpu", "realtimePeriod");
        else if (name == "cpu-rt-runtime") num("cpu", "realtimeRuntime");
        else if (name == "cpu-idle") num("cpu", "idle");
        else if (name == "cpuset-cpus") r["cpu"]["cpus"] = value;
        else if (name == "cpuset-mems") r["cpu"]["mems"] = value;
        else if (name == "blkio-weight") {
            int64_t v = integer(value, name);
            if (v < 10 || v > 1000) throw Error("--blkio-weight: " + value + " is not in 10..1000");
            r["blockIO"]["weight"] = v;
        } else if (name == "pids-limit") num("pids", "limit");
        else if (name == "l3-cache-schema" || name == "mem-bw-schema")
            throw Error("--" + name + ": Intel RDT is not supported by ctr-run");
        else throw Error("update: unknown flag --" + name);
    }
    return r;
}

json merge_resources(const json& base, const json& patch) {
    if (!base.is_object() || !patch.is_object()) return patch;
    json out = base;
    for (const auto& [key, value] : patch.items())
        out[key] = out.contains(key) ? merge_resources(out[key], value) : value;
    return out;
}

}  // namespace ctr::runtime

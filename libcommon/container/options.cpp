#include "libcommon/container/options.h"

#include <csignal>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "libcommon/sys/error.h"

namespace ctr::container {

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

std::optional<uint64_t> parse_uint(std::string_view s) {
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// "80" or "80-81" → [first, last]
std::pair<uint16_t, uint16_t> parse_port_range(std::string_view s, std::string_view spec) {
    auto bad = [&] { return Error("invalid port \"" + std::string(s) + "\" in --publish \"" + std::string(spec) + "\""); };
    std::string_view a = s, b = s;
    if (auto dash = s.find('-'); dash != std::string_view::npos) {
        a = s.substr(0, dash);
        b = s.substr(dash + 1);
    }
    auto lo = parse_uint(a), hi = parse_uint(b);
    if (!lo || !hi || *lo > 65535 || *hi > 65535 || *hi < *lo) throw bad();
    return {static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
}

bool is_propagation(const std::string& o) {
    return o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" || o == "rslave";
}

std::string absolute(const std::string& path, const std::string& cwd) {
    if (!path.empty() && path[0] == '/') return path;
    std::string p = path;
    if (p == ".") return cwd;
    if (p.rfind("./", 0) == 0) p = p.substr(2);
    return cwd + (cwd.size() > 1 ? "/" : "") + p;
}

}  // namespace

std::vector<PortBinding> parse_publish(std::string_view spec) {
    std::string_view rest = spec;
    std::string proto = "tcp";
    if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
        proto = std::string(rest.substr(slash + 1));
        rest = rest.substr(0, slash);
        if (proto != "tcp" && proto != "udp")
            throw Error("invalid protocol \"" + proto + "\" in --publish \"" + std::string(spec) + "\" (tcp or udp)");
    }
    std::string ip;
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            throw Error("invalid IPv6 address in --publish \"" + std::string(spec) + "\"");
        ip = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 2);
    }
    auto parts = split(rest, ':');
    std::string host, ctr;
    if (!ip.empty()) {
        if (parts.size() != 2) throw Error("invalid --publish \"" + std::string(spec) + "\"");
        host = parts[0];
        ctr = parts[1];
    } else if (parts.size() == 1) {
        ctr = parts[0];
    } else if (parts.size() == 2) {
        host = parts[0];
        ctr = parts[1];
    } else if (parts.size() == 3) {
        ip = parts[0];
        host = parts[1];
        ctr = parts[2];
    } else {
        throw Error("invalid --publish \"" + std::string(spec) + "\": want [IP:][HOSTPORT:]PORT[/PROTO]");
    }
    if (ctr.empty()) throw Error("invalid --publish \"" + std::string(spec) + "\": no container port");
    auto [clo, chi] = parse_port_range(ctr, spec);
    if (clo == 0) throw Error("invalid --publish \"" + std::string(spec) + "\": container port 0");
    uint16_t hlo = 0, hhi = 0;
    if (!host.empty()) {
        std::tie(hlo, hhi) = parse_port_range(host, spec);
        if (hhi - hlo != chi - clo && hlo != hhi)
            throw Error("invalid --publish \"" + std::string(spec) + "\": host and container ranges differ in size");
    }
    std::vector<PortBinding> out;
    for (uint32_t p = clo; p <= chi; p++) {
        PortBinding b;
        b.host_ip = ip;
        b.container_port = static_cast<uint16_t>(p);
        b.proto = proto;
        if (hlo != 0) b.host_port = static_cast<uint16_t>(hlo == hhi ? hlo : hlo + (p - clo));
        out.push_back(b);
    }
    return out;
}

PortBinding parse_exposed(std::string_view key) {
    auto b = parse_publish(key);
    if (b.size() != 1) throw Error("invalid exposed port \"" + std::string(key) + "\"");
    return b[0];
}

VolumeSpec parse_volume(std::string_view spec, const std::string& cwd) {
    auto parts = split(spec, ':');
    VolumeSpec v;
    std::string opts;
    if (parts.size() == 1) {
        v.kind = VolumeSpec::Kind::Anonymous;
        v.destination = parts[0];
    } else if (parts.size() == 2 || parts.size() == 3) {
        v.source = parts[0];
        v.destination = parts[1];
        if (parts.size() == 3) opts = parts[2];
        if (v.source.empty()) throw Error("invalid --volume \"" + std::string(spec) + "\": empty source");
        if (v.source[0] == '/' || v.source[0] == '.') {
            v.kind = VolumeSpec::Kind::Bind;
            v.source = absolute(v.source, cwd);
        } else {
            for (char c : v.source)
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
                    throw Error("invalid --volume \"" + std::string(spec) + "\": \"" + v.source +
                                "\" is neither an absolute path nor a volume name");
            v.kind = VolumeSpec::Kind::Volume;
        }
    } else {
        throw Error("invalid --volume \"" + std::string(spec) + "\": want HOST:CONTAINER[:OPTIONS]");
    }
    if (v.destination.empty() || v.destination[0] != '/')
        throw Error("invalid --volume \"" + std::string(spec) + "\": the container path must be absolute");
    if (!opts.empty())
        for (auto& o : split(opts, ',')) {
            if (o == "ro")
                v.read_only = true;
            else if (o == "rw" || o == "z" || o == "Z" || o == "nocopy" || o == "consistent" || o == "cached" ||
                     o == "delegated")
                ;
            else if (is_propagation(o))
                v.options.push_back(o);
            else
                throw Error("invalid --volume \"" + std::string(spec) + "\": unknown option \"" + o + "\"");
        }
    return v;
}

VolumeSpec parse_mount(std::string_view spec, const std::string& cwd) {
    VolumeSpec v;
    std::string type = "volume";
    for (auto& field : split(spec, ',')) {
        auto eq = field.find('=');
        std::string key = field.substr(0, eq);
        std::string val = eq == std::string::npos ? "" : field.substr(eq + 1);
        auto boolean = [&] { return eq == std::string::npos || val == "1" || val == "true"; };
        if (key == "type")
            type = val;
        else if (key == "source" || key == "src")
            v.source = val;
        else if (key == "target" || key == "destination" || key == "dst")
            v.destination = val;
        else if (key == "readonly" || key == "ro")
            v.read_only = boolean();
        else if (key == "bind-propagation") {
            if (!is_propagation(val)) throw Error("invalid --mount \"" + std::string(spec) + "\": bind-propagation " + val);
            v.options.push_back(val);
        } else if (key == "tmpfs-size")
            v.options.push_back("size=" + std::to_string(parse_size(val, "--mount tmpfs-size")));
        else if (key == "tmpfs-mode")
            v.options.push_back("mode=" + val);
        else if (key == "consistency" || key == "volume-nocopy" || key == "bind-nonrecursive")
            ;
        else
            throw Error("invalid --mount \"" + std::string(spec) + "\": unknown field \"" + key + "\"");
    }
    if (v.destination.empty() || v.destination[0] != '/')
        throw Error("invalid --mount \"" + std::string(spec) + "\": target must be an absolute path");
    if (type == "bind") {
        if (v.source.empty()) throw Error("invalid --mount \"" + std::string(spec) + "\": bind needs a source");
        v.kind = VolumeSpec::Kind::Bind;
        v.source = absolute(v.source, cwd);
    } else if (type == "volume") {
        v.kind = v.source.empty() ? VolumeSpec::Kind::Anonymous : VolumeSpec::Kind::Volume;
    } else if (type == "tmpfs") {
        if (!v.source.empty()) throw Error("invalid --mount \"" + std::string(spec) + "\": tmpfs takes no source");
        v.kind = VolumeSpec::Kind::Tmpfs;
    } else {
        throw Error("invalid --mount \"" + std::string(spec) + "\": type " + type + " (bind, volume or tmpfs)");
    }
    return v;
}

VolumeSpec parse_tmpfs(std::string_view spec) {
    VolumeSpec v;
    v.kind = VolumeSpec::Kind::Tmpfs;
    auto colon = spec.find(':');
    v.destination = std::string(spec.substr(0, colon));
    if (v.destination.empty() || v.destination[0] != '/')
        throw Error("invalid --tmpfs \"" + std::string(spec) + "\": the path must be absolute");
    if (colon != std::string_view::npos) {
        for (auto& o : split(spec.substr(colon + 1), ',')) {
            if (o == "ro")
                v.read_only = true;
            else if (!o.empty() && o != "rw")
                v.options.push_back(o);
        }
    }
    return v;
}

std::vector<std::string> parse_env_file(std::string_view text, const std::string& file,
                                        const std::function<std::optional<std::string>(const std::string&)>& lookup) {
    std::vector<std::string> out;
    int n = 0;
    for (auto& raw : split(text, '\n')) {
        n++;
        std::string line = raw;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos) continue;
        line = line.substr(start);
        if (line[0] == '#') continue;
        auto eq = line.find('=');
        std::string key = line.substr(0, eq);
        if (key.empty()) throw Error(file + " line " + std::to_string(n) + ": variable without a name");
        if (key.find_first_of(" \t") != std::string::npos)
            throw Error(file + " line " + std::to_string(n) + ": variable '" + key + "' contains whitespaces");
        if (eq != std::string::npos)
            out.push_back(line);
        else if (auto v = lookup(key))
            out.push_back(key + "=" + *v);
    }
    return out;
}

RestartPolicy parse_restart(std::string_view spec) {
    RestartPolicy p;
    std::string s(spec);
    auto colon = s.find(':');
    p.name = s.substr(0, colon);
    if (p.name == "on-failure") {
        if (colon != std::string::npos) {
            auto n = parse_uint(std::string_view(s).substr(colon + 1));
            if (!n || *n > 1000000) throw Error("invalid --restart \"" + s + "\": bad maximum retry count");
            p.max_retries = static_cast<int>(*n);
        }
    } else if (p.name == "no" || p.name == "always" || p.name == "unless-stopped") {
        if (colon != std::string::npos)
            throw Error("invalid --restart \"" + s + "\": maximum retry count is only for on-failure");
    } else {
        throw Error("invalid --restart \"" + s + "\": want no, always, unless-stopped or on-failure[:N]");
    }
    return p;
}

int64_t parse_size(std::string_view spec, const std::string& flag) {
    std::string s(spec);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) i++;
    std::string num = s.substr(0, i), unit = s.substr(i);
    if (unit.size() == 2 && unit[1] == 'b') unit = unit.substr(0, 1);
    static const std::map<std::string, double> units = {{"", 1},           {"b", 1},
                                                         {"k", 1024.0},    {"m", 1024.0 * 1024},
                                                         {"g", 1024.0 * 1024 * 1024},
                                                         {"t", 1024.0 * 1024 * 1024 * 1024},
                                                         {"p", 1024.0 * 1024 * 1024 * 1024 * 1024}};
    auto it = units.find(unit);
    double v = 0;
    try {
        size_t used = 0;
        v = num.empty() ? -1 : std::stod(num, &used);
        if (used != num.size()) v = -1;
    } catch (...) {
        v = -1;
    }
    if (it == units.end() || v < 0) throw Error("invalid size \"" + std::string(spec) + "\" for " + flag);
    return static_cast<int64_t>(v * it->second);
}

LogOptions parse_log_opts(const std::vector<std::string>& opts) {
    LogOptions lo;
    for (const auto& opt : opts) {
        std::string_view rest = opt;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string kv(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0)
                throw Error("invalid --log-opt \"" + kv + "\": want KEY=VALUE");
            std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
            if (key == "max-size") {
                // docker's json-file reads max-size in decimal units (1k = 1000 bytes).
                std::string v = val;
                for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (v.size() > 1 && v.back() == 'b') v.pop_back();
                static const std::string units = "kmgtp";
                double scale = 1;
                if (!v.empty()) {
                    auto u = units.find(v.back());
                    if (u != std::string::npos) {
                        for (size_t i = 0; i <= u; i++) scale *= 1000;
                        v.pop_back();
                    }
                }
                double n = -1;
                try {
                    size_t used = 0;
                    n = std::stod(v, &used);
                    if (used != v.size()) n = -1;
                } catch (...) {
                }
                lo.max_size = n < 0 ? 0 : static_cast<int64_t>(n * scale);
                if (lo.max_size <= 0) throw Error("invalid --log-opt \"" + kv + "\": max-size must be positive");
            } else if (key == "max-file") {
                auto n = parse_uint(val);
                if (!n || *n < 1 || *n > 10000) throw Error("invalid --log-opt \"" + kv + "\": max-file must be 1 or more");
                lo.max_file = static_cast<int>(*n);
            } else if (key == "compress" || key == "labels" || key == "env" || key == "tag") {
                // accepted as docker does; the log is not compressed and carries no attributes
            } else {
                throw Error("invalid --log-opt \"" + kv + "\": unknown option for the json-file log driver");
            }
            lo.given[key] = val;
        }
    }
    if (lo.given.count("max-file") && !lo.max_size)
        throw Error("invalid --log-opt: max-file needs max-size");
    return lo;
}

int64_t parse_cpus(std::string_view spec) {
    double v = -1;
    try {
        size_t used = 0;
        std::string s(spec);
        v = std::stod(s, &used);
        if (used != s.size()) v = -1;
    } catch (...) {
    }
    if (!(v > 0) || v > 1e6) throw Error("invalid --cpus \"" + std::string(spec) + "\": want a positive number");
    return static_cast<int64_t>(std::llround(v * 1e9));
}

namespace {
const std::vector<std::pair<const char*, int>>& signal_table() {
    static const std::vector<std::pair<const char*, int>> t = {
        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS}};
    return t;
}
}  // namespace

int parse_signal(std::string_view spec) {
    std::string s(spec);
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (auto n = parse_uint(s)) {
        if (*n >= 1 && *n <= 64) return static_cast<int>(*n);
        throw Error("invalid signal \"" + std::string(spec) + "\"");
    }
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    for (auto& [name, num] : signal_table())
        if (s == name) return num;
    if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
        bool min = s[3] == 'I';
        std::string off = s.substr(5);
        int base = min ? SIGRTMIN : SIGRTMAX;
        if (off.empty()) return base;
        auto n = parse_uint(off.substr(1));
        if ((off[0] == '+' || off[0] == '-') && n) {
            int sig = off[0] == '+' ? base + static_cast<int>(*n) : base - static_cast<int>(*n);
            if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
        }
    }
    throw Error("invalid signal \"" + std::string(spec) + "\"");
}

std::string signal_name(int sig) {
    for (auto& [name, num] : signal_table())
        if (num == sig) return name;
    return std::to_string(sig);
}

std::tuple<std::string, uint64_t, uint64_t> parse_ulimit(std::string_view spec) {
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) throw Error("invalid --ulimit \"" + std::string(spec) + "\": want NAME=SOFT[:HARD]");
    std::string name(spec.substr(0, eq));
    auto vals = split(spec.substr(eq + 1), ':');
    auto val = [&](const std::string& v) -> uint64_t {
        if (v == "-1" || v == "unlimited") return UINT64_MAX;
        auto n = parse_uint(v);
        if (!n) throw Error("invalid --ulimit \"" + std::string(spec) + "\": bad value " + v);
        return *n;
    };
    if (vals.size() > 2) throw Error("invalid --ulimit \"" + std::string(spec) + "\"");
    uint64_t soft = val(vals[0]), hard = vals.size() == 2 ? val(vals[1]) : soft;
    if (soft > hard) throw Error("invalid --ulimit \"" + std::string(spec) + "\": soft limit above hard limit");
    return {name, soft, hard};
}

}  // namespace ctr::container

#include "libcommon/oci/change.h"

#include <algorithm>
#include <cctype>

#include "libcommon/sys/error.h"

namespace ctr::oci {

using nlohmann::json;

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> words;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
                cur += s[++i];
            } else {
                cur += c;
            }
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) words.push_back(std::move(cur)), cur.clear(), in_word = false;
            continue;
        }
        in_word = true;
        if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '\\' && i + 1 < s.size()) {
            cur += s[++i];
        } else {
            cur += c;
        }
    }
    if (quote) throw Error(std::string("unterminated quote ") + quote + " in \"" + std::string(s) + "\"");
    if (in_word) words.push_back(std::move(cur));
    return words;
}

std::optional<std::vector<std::string>> parse_exec_form(std::string_view s) {
    auto t = s;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    if (t.empty() || t.front() != '[') return std::nullopt;
    json j = json::parse(t, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (auto& v : j) {
        if (!v.is_string()) return std::nullopt;
        out.push_back(v.get<std::string>());
    }
    return out;
}

namespace {

// key=value pairs (new form) or "key value…" (old form, one pair).
std::vector<std::pair<std::string, std::string>> parse_pairs(const std::string& what, std::string_view args) {
    std::vector<std::pair<std::string, std::string>> pairs;
    auto words = split_words(args);
    if (words.empty()) throw Error(what + " needs at least one argument");
    if (words[0].find('=') == std::string::npos) {
        // Old form: the first word is the key, the rest (as written) the value.
        auto t = args;
        while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
        auto sp = t.find_first_of(" \t");
        if (sp == std::string_view::npos) throw Error(what + " " + words[0] + ": missing value (use KEY=VALUE)");
        auto value = t.substr(sp);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
        auto vw = split_words(value);
        std::string joined;
        for (size_t i = 0; i < vw.size(); i++) joined += (i ? " " : "") + vw[i];
        pairs.emplace_back(words[0], joined);
        return pairs;
    }
    for (auto& w : words) {
        auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0) throw Error(what + ": \"" + w + "\" is not KEY=VALUE");
        pairs.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
    return pairs;
}

json command(std::string_view args, bool shell_ok) {
    if (auto exec = parse_exec_form(args)) return *exec;
    std::string s(args);
    s.erase(0, s.find_first_not_of(" \t"));
    if (s.empty() || !shell_ok) return json::array();
    return json::array({"/bin/sh", "-c", s});
}

}  // namespace

void apply_change(json& config, std::string_view instruction) {
    auto t = instruction;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    auto sp = t.find_first_of(" \t");
    std::string op(t.substr(0, sp));
    std::string_view args = sp == std::string_view::npos ? std::string_view() : t.substr(sp + 1);
    std::transform(op.begin(), op.end(), op.begin(), [](unsigned char c) { return std::toupper(c); });
    if (!config.is_object()) config = json::object();
    try {
        if (op == "CMD") {
            config["Cmd"] = command(args, true);
        } else if (op == "ENTRYPOINT") {
            config["Entrypoint"] = command(args, true);
        } else if (op == "ENV") {
            json& env = config["Env"];
            if (!env.is_array()) env = json::array();
            for (auto& [k, v] : parse_pairs("ENV", args)) {
                std::string entry = k + "=" + v;
                auto it = std::find_if(env.begin(), env.end(), [&](const json& e) {
                    return e.is_string() && e.get<std::string>().starts_with(k + "=");
                });
                if (it != env.end()) *it = entry;
                else env.push_back(entry);
            }
        } else if (op == "LABEL") {
            json& labels = config["Labels"];
            if (!labels.is_object()) labels = json::object();
            for (auto& [k, v] : parse_pairs("LABEL", args)) labels[k] = v;
        } else if (op == "WORKDIR") {
            auto w = split_words(args);
            if (w.size() != 1) throw Error("WORKDIR takes exactly one path");
            std::string dir = w[0];
            if (dir.front() != '/') {
                std::string prev = config.value("WorkingDir", std::string("/"));
                dir = (prev.ends_with("/") ? prev : prev + "/") + dir;
            }
            config["WorkingDir"] = dir;
        } else if (op == "USER") {
            auto w = split_words(args);
            if (w.size() != 1) throw Error("USER takes exactly one user[:group]");
            config["User"] = w[0];
        } else if (op == "EXPOSE") {
            json& ports = config["ExposedPorts"];
            if (!ports.is_object()) ports = json::object();
            auto w = split_words(args);
            if (w.empty()) throw Error("EXPOSE needs at least one port");
            for (auto p : w) {
                auto slash = p.find('/');
                std::string num = p.substr(0, slash), proto = slash == std::string::npos ? "tcp" : p.substr(slash + 1);
                std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
                bool digits = !num.empty() && std::all_of(num.begin(), num.end(), [](unsigned char c) {
                    return std::isdigit(c) || c == '-';
                });
                if (!digits || (proto != "tcp" && proto != "udp" && proto != "sctp"))
                    throw Error("invalid port \"" + p + "\" (want PORT[/tcp|udp|sctp])");
                ports[num + "/" + proto] = json::object();
            }
        } else if (op == "VOLUME") {
            json& vols = config["Volumes"];
            if (!vols.is_object()) vols = json::object();
            auto list = parse_exec_form(args);
            auto paths = list ? *list : split_words(args);
            if (paths.empty()) throw Error("VOLUME needs at least one path");
            for (auto& v : paths) vols[v] = json::object();
        } else if (op == "STOPSIGNAL") {
            auto w = split_words(args);
            if (w.size() != 1) throw Error("STOPSIGNAL takes one signal");
            config["StopSignal"] = w[0];
        } else {
            throw Error("unsupported instruction (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR)");
        }
    } catch (const Error& e) {
        throw Error("--change \"" + std::string(instruction) + "\": " + e.what());
    }
}

}  // namespace ctr::oci

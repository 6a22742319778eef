#include "libcommon/runtime/flags.h"

#include <charconv>

#include "libcommon/sys/error.h"

namespace ctr::runtime {

std::string Flags::get(const std::string& name, const std::string& def) const {
    auto it = values_.find(name);
    return it == values_.end() || it->second.empty() ? def : it->second.back();
}

std::vector<std::string> Flags::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool Flags::on(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return false;
    return it->second.empty() || it->second.back() != "false";
}

long Flags::get_int(const std::string& name, long def) const {
    if (!has(name)) return def;
    std::string v = get(name);
    long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size())
        throw Error("invalid value \"" + v + "\" for flag -" + name + ": parse error");
    return n;
}

static const FlagSpec* find_spec(const std::vector<FlagSpec>& specs, const std::string& name) {
    for (const auto& s : specs)
        for (const auto& n : s.names)
            if (n == name) return &s;
    return nullptr;
}

Flags parse_flags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& argv,
                  bool stop_at_positional, bool stop_after_first_positional) {
    Flags out;
    size_t i = 0;
    auto rest_positional = [&](size_t from) {
        for (size_t j = from; j < argv.size(); ++j) out.args.push_back(argv[j]);
    };
    for (; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") {
            rest_positional(i + 1);
            return out;
        }
        if (a.size() < 2 || a[0] != '-') {
            if (stop_at_positional) {
                rest_positional(i);
                return out;
            }
            out.args.push_back(a);
            if (stop_after_first_positional) {
                rest_positional(i + 1);
                return out;
            }
            continue;
        }
        std::string body = a.substr(a[1] == '-' ? 2 : 1);
        std::optional<std::string> value;
        if (auto eq = body.find('='); eq != std::string::npos) {
            value = body.substr(eq + 1);
            body = body.substr(0, eq);
        }
        if (body.empty() || body[0] == '-' || body[0] == '=')
            throw Error("bad flag syntax: " + a);
        const FlagSpec* spec = find_spec(specs, body);
        if (!spec) {
            if (body == "h" || body == "help") {
                out.values_["help"].push_back("true");
                continue;
            }
            throw Error("flag provided but not defined: -" + body);
        }
        const std::string& key = spec->names.front();
        if (spec->takes_value) {
            if (!value) {
                if (i + 1 >= argv.size()) throw Error("flag needs an argument: -" + body);
                value = argv[++i];
            }
        } else if (value) {
            if (*value != "true" && *value != "false" && *value != "1" && *value != "0")
                throw Error("invalid boolean value \"" + *value + "\" for -" + body);
            value = (*value == "true" || *value == "1") ? "true" : "false";
        } else {
            value = "true";
        }
        auto& slot = out.values_[key];
        if (!spec->repeatable) slot.clear();
        slot.push_back(*value);
    }
    return out;
}

}  // namespace ctr::runtime

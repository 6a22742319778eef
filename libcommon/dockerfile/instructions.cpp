#include "libcommon/dockerfile/instructions.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "libcommon/sys/error.h"

namespace ctr::dockerfile {

namespace {

const std::map<std::string, std::set<std::string>>& allowed_flags() {
    static const std::map<std::string, std::set<std::string>> m = {
        {"FROM", {"platform"}},
        {"RUN", {"network", "mount", "security"}},
        {"COPY", {"from", "chown", "chmod", "link", "parents", "exclude"}},
        {"ADD", {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"}},
        {"HEALTHCHECK", {"interval", "timeout", "start-period", "start-interval", "retries"}},
    };
    return m;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string flag_name(const std::string& f) {
    std::string n = f.substr(2);
    return n.substr(0, n.find('='));
}

[[noreturn]] void fail(const Instruction& ins, const std::string& file, const std::string& what) {
    throw Error(where(file, ins.line) + ": " + what);
}

size_t word_count(const Instruction& ins, char escape = '\\') {
    try {
        return split_raw_words(ins.args, escape).size();
    } catch (const Error&) {
        return 1;
    }
}

}  // namespace

void validate_instruction(const Instruction& ins, const std::string& file) {
    const std::string& kw = ins.keyword;
    auto allowed = allowed_flags().find(kw);
    for (auto& f : ins.flags) {
        std::string n = flag_name(f);
        if (allowed == allowed_flags().end() || !allowed->second.count(n))
            fail(ins, file, kw + ": unknown flag: " + n);
    }
    auto need_args = [&] {
        if (ins.args.empty()) fail(ins, file, kw + " requires at least one argument");
    };
    if (kw == "FROM") {
        size_t n = word_count(ins);
        auto w = split_raw_words(ins.args);
        if (n == 0) fail(ins, file, "FROM requires either one or three arguments");
        if (n != 1 && !(n == 3 && lower(w[1]) == "as")) fail(ins, file, "FROM requires either one or three arguments");
    } else if (kw == "RUN") {
        need_args();
        if (ins.json && ins.json->empty()) fail(ins, file, "RUN requires at least one argument");
        if (auto m = ins.flag("mount")) fail(ins, file, "RUN --mount is not supported by ctr-build");
        if (auto n = ins.flag("network"); n && *n != "none" && *n != "host" && *n != "default")
            fail(ins, file, "RUN: unknown network mode \"" + *n + "\" (none, host or default)");
    } else if (kw == "CMD" || kw == "ENTRYPOINT") {
        need_args();
    } else if (kw == "ENV" || kw == "LABEL") {
        need_args();
        auto w = split_raw_words(ins.args);
        if (w[0].find('=') == std::string::npos) {
            if (w.size() < 2) fail(ins, file, kw + " must have two arguments");
        } else {
            for (auto& kv : w)
                if (kv.find('=') == std::string::npos)
                    fail(ins, file, "Syntax error - can't find = in \"" + kv + "\". Must be of the form: name=value");
        }
    } else if (kw == "ARG") {
        need_args();
        for (auto& a : split_raw_words(ins.args))
            if (a.front() == '=') fail(ins, file, "ARG names can not be blank");
    } else if (kw == "WORKDIR" || kw == "USER" || kw == "STOPSIGNAL" || kw == "MAINTAINER") {
        if (ins.args.empty()) fail(ins, file, kw + " requires exactly one argument");
        if (kw == "STOPSIGNAL" && word_count(ins) != 1) fail(ins, file, "STOPSIGNAL requires exactly one argument");
    } else if (kw == "COPY" || kw == "ADD") {
        size_t n = ins.json ? ins.json->size() : word_count(ins);
        if (n < 2) fail(ins, file, kw + " requires at least two arguments, but only one was provided. Destination could not be determined");
        if (auto c = ins.flag("chmod"); c && c->find('$') == std::string::npos) {
            try {
                parse_chmod(*c);
            } catch (const Error& e) {
                fail(ins, file, kw + ": " + e.what());
            }
        }
    } else if (kw == "EXPOSE" || kw == "VOLUME") {
        need_args();
    } else if (kw == "SHELL") {
        if (!ins.json) fail(ins, file, "SHELL requires the arguments to be in JSON form");
        if (ins.json->empty()) fail(ins, file, "SHELL requires at least one argument");
    } else if (kw == "HEALTHCHECK") {
        need_args();
        try {
            parse_healthcheck(ins, {"/bin/sh", "-c"});
        } catch (const Error& e) {
            fail(ins, file, e.what());
        }
    } else if (kw == "ONBUILD") {
        need_args();
        Instruction inner = parse_instruction(ins.args, '\\', file, ins.line);
        if (inner.keyword == "ONBUILD") fail(ins, file, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (inner.keyword == "FROM" || inner.keyword == "MAINTAINER")
            fail(ins, file, inner.keyword + " isn't allowed as an ONBUILD trigger");
        validate_instruction(inner, file);
    }
}

void validate(const Dockerfile& df) {
    bool in_stage = false;
    std::set<std::string> names;
    for (auto& ins : df.instructions) {
        if (!in_stage && ins.keyword != "ARG" && ins.keyword != "FROM")
            throw Error(where(df.name, ins.line) + ": no build stage in current context (" + ins.keyword +
                        " before the first FROM)");
        if (ins.keyword == "FROM") {
            in_stage = true;
            auto w = split_raw_words(ins.args, df.escape);
            if (w.size() == 3) {
                std::string alias = lower(w[2]);
                if (!names.insert(alias).second)
                    throw Error(where(df.name, ins.line) + ": duplicate stage name \"" + w[2] + "\"");
            }
        }
        validate_instruction(ins, df.name);
    }
    if (!in_stage) throw Error(df.name + ": file with no instructions (no FROM)");
}

From parse_from(const Instruction& ins, const Lookup& vars, char escape) {
    auto w = split_raw_words(ins.args, escape);
    From f;
    f.image = expand_word(w.at(0), vars, escape);
    if (f.image.empty()) throw Error("base name (" + w[0] + ") should not be blank");
    if (w.size() == 3) f.alias = lower(w[2]);
    if (auto p = ins.flag("platform")) f.platform = expand_word(*p, vars, escape);
    return f;
}

std::vector<std::pair<std::string, std::string>> parse_key_values(const Instruction& ins, const Lookup& vars,
                                                                   char escape) {
    std::vector<std::pair<std::string, std::string>> out;
    auto words = split_raw_words(ins.args, escape);
    if (words.empty()) return out;
    if (words[0].find('=') == std::string::npos) {
        // Legacy form: the first word is the key, the rest of the line (as written) the value.
        std::string_view rest = ins.args;
        rest.remove_prefix(std::min(rest.size(), rest.find(words[0]) + words[0].size()));
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        out.emplace_back(expand_word(words[0], vars, escape), expand_word(rest, vars, escape));
        return out;
    }
    for (auto& w : words) {
        auto eq = w.find('=');
        std::string key = expand_word(w.substr(0, eq), vars, escape);
        if (key.empty()) throw Error(ins.keyword + " names can not be blank");
        out.emplace_back(key, expand_word(w.substr(eq + 1), vars, escape));
    }
    return out;
}

std::vector<std::pair<std::string, std::optional<std::string>>> parse_args(const Instruction& ins,
                                                                           const Lookup& vars, char escape) {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    for (auto& w : split_raw_words(ins.args, escape)) {
        auto eq = w.find('=');
        if (eq == std::string::npos) {
            out.emplace_back(w, std::nullopt);
        } else {
            out.emplace_back(w.substr(0, eq), expand_word(w.substr(eq + 1), vars, escape));
        }
    }
    return out;
}

std::vector<std::string> command_of(const Instruction& ins, const std::vector<std::string>& shell) {
    if (ins.json) return *ins.json;
    std::vector<std::string> cmd = shell;
    cmd.push_back(ins.args);
    return cmd;
}

CopyArgs parse_copy(const Instruction& ins, const Lookup& vars, char escape) {
    std::vector<std::string> words;
    if (ins.json) {
        for (auto& w : *ins.json) words.push_back(expand_text(w, vars, escape));
    } else {
        for (auto& w : split_raw_words(ins.args, escape)) {
            if (auto h = heredoc_name(w)) {
                words.push_back("<<" + *h);
                continue;
            }
            words.push_back(expand_word(w, vars, escape));
        }
    }
    if (words.size() < 2) throw Error(ins.keyword + " requires at least two arguments");
    CopyArgs a;
    a.dest = words.back();
    words.pop_back();
    a.sources = std::move(words);
    return a;
}

int64_t parse_duration(std::string_view s) {
    if (s.empty()) throw Error("invalid duration \"\"");
    if (s == "0") return 0;
    int64_t total = 0;
    std::string_view orig = s;
    while (!s.empty()) {
        size_t i = 0;
        double v = 0;
        bool digits = false;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            v = v * 10 + (s[i] - '0');
            i++;
            digits = true;
        }
        if (i < s.size() && s[i] == '.') {
            double scale = 0.1;
            i++;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                v += (s[i] - '0') * scale;
                scale /= 10;
                i++;
                digits = true;
            }
        }
        if (!digits) throw Error("invalid duration \"" + std::string(orig) + "\"");
        size_t j = i;
        while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) j++;
        std::string_view unit = s.substr(i, j - i);
        double mult;
        if (unit == "ns") mult = 1;
        else if (unit == "us" || unit == "µs") mult = 1e3;
        else if (unit == "ms") mult = 1e6;
        else if (unit == "s") mult = 1e9;
        else if (unit == "m") mult = 60e9;
        else if (unit == "h") mult = 3600e9;
        else throw Error("invalid duration \"" + std::string(orig) + "\": unknown unit \"" + std::string(unit) + "\"");
        total += static_cast<int64_t>(v * mult);
        s.remove_prefix(j);
    }
    return total;
}

unsigned parse_chmod(std::string_view s) {
    if (s.empty() || s.size() > 4) throw Error("invalid --chmod=" + std::string(s) + ": expected octal bits like 755");
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '7') throw Error("invalid --chmod=" + std::string(s) + ": expected octal bits like 755");
        v = v * 8 + unsigned(c - '0');
    }
    return v;
}

nlohmann::json parse_healthcheck(const Instruction& ins, const std::vector<std::string>& shell) {
    std::string_view args = ins.args;
    auto w = split_raw_words(args);
    if (w.empty()) throw Error("HEALTHCHECK requires an argument");
    std::string type = w[0];
    for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    nlohmann::json hc = nlohmann::json::object();
    if (type == "NONE") {
        if (w.size() != 1) throw Error("HEALTHCHECK NONE takes no arguments");
        if (!ins.flags.empty()) throw Error("HEALTHCHECK NONE takes no options");
        hc["Test"] = {"NONE"};
        return hc;
    }
    if (type != "CMD") throw Error("Unknown type \"" + w[0] + "\" in HEALTHCHECK (try CMD)");
    std::string rest(args.substr(args.find(w[0]) + w[0].size()));
    rest.erase(0, rest.find_first_not_of(" \t"));
    if (rest.empty()) throw Error("HEALTHCHECK CMD requires a command");
    nlohmann::json test = nlohmann::json::array();
    auto j = nlohmann::json::parse(rest, nullptr, false);
    if (!j.is_discarded() && j.is_array() && std::all_of(j.begin(), j.end(), [](auto& e) { return e.is_string(); })) {
        test.push_back("CMD");
        for (auto& e : j) test.push_back(e);
    } else {
        test.push_back("CMD-SHELL");
        test.push_back(rest);
        (void)shell;
    }
    hc["Test"] = test;
    auto dur = [&](const char* flag, const char* key) {
        if (auto v = ins.flag(flag)) {
            int64_t d = parse_duration(*v);
            if (d < 0 || (d > 0 && d < 1000000)) throw Error(std::string("HEALTHCHECK --") + flag + " must be at least 1ms");
            if (d) hc[key] = d;
        }
    };
    dur("interval", "Interval");
    dur("timeout", "Timeout");
    dur("start-period", "StartPeriod");
    dur("start-interval", "StartInterval");
    if (auto r = ins.flag("retries")) {
        try {
            size_t pos;
            int n = std::stoi(*r, &pos);
            if (pos != r->size() || n < 0) throw std::invalid_argument("");
            if (n) hc["Retries"] = n;
        } catch (const std::exception&) {
            throw Error("HEALTHCHECK --retries must be a non-negative number, not \"" + *r + "\"");
        }
    }
    return hc;
}

}  // namespace ctr::dockerfile

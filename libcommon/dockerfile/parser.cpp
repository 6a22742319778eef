#include "libcommon/dockerfile/parser.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "libcommon/sys/error.h"

namespace ctr::dockerfile {

namespace {

constexpr std::array kKeywords = {"ADD",     "ARG",        "CMD",   "COPY",   "ENTRYPOINT", "ENV",
                                  "EXPOSE",  "FROM",       "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
                                  "RUN",     "SHELL",      "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}
std::string_view trim_right(std::string_view s) {
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}
std::string_view trim(std::string_view s) { return trim_right(trim_left(s)); }

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// Splits on whitespace outside quotes, keeping quotes and escapes as written
// (only to find heredoc markers; the real word splitting happens at expansion).
std::vector<std::string> raw_words(std::string_view s, char escape) {
    std::vector<std::string> words;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (quote) {
            cur += c;
            if (c == escape && quote == '"' && i + 1 < s.size()) {
                cur += s[++i];
            } else if (c == quote) {
                quote = 0;
            }
            continue;
        }
        if (is_space(c)) {
            if (in_word) words.push_back(std::move(cur));
            cur.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        cur += c;
        if (c == escape && i + 1 < s.size()) {
            cur += s[++i];
        } else if (c == '"' || c == '\'') {
            quote = c;
        }
    }
    if (in_word) words.push_back(std::move(cur));
    return words;
}

// If `word` opens a here-document (`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`),
// its delimiter, whether tabs are stripped, and whether the body expands.
struct HeredocMarker {
    std::string name;
    bool strip_tabs = false;
    bool expand = true;
};

std::optional<HeredocMarker> heredoc_marker(std::string_view word) {
    size_t i = 0;
    while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) i++;
    if (word.substr(i, 2) != "<<") return std::nullopt;
    i += 2;
    HeredocMarker m;
    if (i < word.size() && word[i] == '-') {
        m.strip_tabs = true;
        i++;
    }
    std::string_view rest = word.substr(i);
    if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
    for (char c : rest) {
        if (c == '"' || c == '\'') {
            m.expand = false;
            continue;
        }
        if (c == '\\') {
            m.expand = false;
            continue;
        }
        m.name += c;
    }
    if (m.name.empty()) return std::nullopt;
    return m;
}

std::optional<std::vector<std::string>> parse_json_array(std::string_view args) {
    if (args.empty() || args.front() != '[') return std::nullopt;
    auto j = nlohmann::json::parse(args, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (auto& e : j) {
        if (!e.is_string()) return std::nullopt;
        out.push_back(e.get<std::string>());
    }
    return out;
}

// A `# key=value` line at the top of the file.
std::optional<std::pair<std::string, std::string>> directive(std::string_view line) {
    line = trim(line);
    if (line.empty() || line.front() != '#') return std::nullopt;
    line = trim_left(line.substr(1));
    size_t i = 0;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) i++;
    if (i == 0) return std::nullopt;
    std::string key(line.substr(0, i));
    std::string_view rest = trim_left(line.substr(i));
    if (rest.empty() || rest.front() != '=') return std::nullopt;
    std::string value(trim(rest.substr(1)));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::make_pair(key, value);
}

bool ends_with_escape(std::string_view line, char escape) {
    line = trim_right(line);
    return !line.empty() && line.back() == escape;
}

std::string_view strip_escape(std::string_view line) {
    line = trim_right(line);
    line.remove_suffix(1);
    return line;
}

bool is_comment(std::string_view line) {
    auto t = trim_left(line);
    return !t.empty() && t.front() == '#';
}

}  // namespace

std::string where(const std::string& name, int line) { return name + ":" + std::to_string(line); }

std::optional<std::string> heredoc_name(std::string_view word) {
    auto m = heredoc_marker(word);
    if (!m) return std::nullopt;
    return m->name;
}

bool is_known_keyword(std::string_view kw) {
    return std::find(kKeywords.begin(), kKeywords.end(), kw) != kKeywords.end();
}

std::optional<std::string> Instruction::flag(std::string_view name) const {
    std::optional<std::string> out;
    for (auto& f : flags) {
        std::string_view v = f;
        v.remove_prefix(2);
        if (v.substr(0, name.size()) != name) continue;
        v.remove_prefix(name.size());
        if (v.empty()) out = "";
        else if (v.front() == '=') out = std::string(v.substr(1));
    }
    return out;
}

Instruction parse_instruction(std::string_view text, char escape, const std::string& name, int line) {
    Instruction ins;
    ins.line = line;
    std::string_view s = trim(text);
    ins.original = std::string(s);
    size_t i = 0;
    while (i < s.size() && !is_space(s[i])) i++;
    std::string kw = upper(s.substr(0, i));
    if (!is_known_keyword(kw))
        throw Error(where(name, line) + ": unknown instruction: " + std::string(s.substr(0, i)));
    ins.keyword = kw;
    std::string_view rest = trim_left(s.substr(i));
    // Leading --flags; they end at the first word that is not one.
    while (rest.substr(0, 2) == "--") {
        size_t j = 0;
        char quote = 0;
        while (j < rest.size() && (quote || !is_space(rest[j]))) {
            if (quote && rest[j] == quote) quote = 0;
            else if (!quote && (rest[j] == '"' || rest[j] == '\'')) quote = rest[j];
            j++;
        }
        std::string f(rest.substr(0, j));
        if (f.size() == 2) throw Error(where(name, line) + ": " + kw + ": empty flag \"--\"");
        ins.flags.push_back(f);
        rest = trim_left(rest.substr(j));
    }
    ins.args = std::string(rest);
    if (kw == "RUN" || kw == "CMD" || kw == "ENTRYPOINT" || kw == "SHELL" || kw == "COPY" || kw == "ADD" ||
        kw == "VOLUME" || kw == "HEALTHCHECK")
        ins.json = parse_json_array(ins.args);
    (void)escape;
    return ins;
}

Dockerfile parse(std::string_view text, const std::string& name) {
    Dockerfile df;
    df.name = name;
    std::vector<std::string_view> lines;
    for (size_t start = 0; start <= text.size();) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) {
            if (start < text.size()) lines.push_back(text.substr(start));
            break;
        }
        std::string_view l = text.substr(start, nl - start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        lines.push_back(l);
        start = nl + 1;
    }
    if (!lines.empty() && lines[0].substr(0, 3) == "\xEF\xBB\xBF") lines[0].remove_prefix(3);

    size_t i = 0;
    // Parser directives: only at the very top, before any comment, blank line or instruction.
    bool seen_escape = false, seen_syntax = false;
    for (; i < lines.size(); i++) {
        auto d = directive(lines[i]);
        if (!d) break;
        auto& [key, value] = *d;
        if (key == "escape") {
            if (seen_escape) throw Error(where(name, int(i) + 1) + ": only one escape parser directive can be used");
            if (value != "\\" && value != "`")
                throw Error(where(name, int(i) + 1) + ": invalid escape token '" + value +
                            "' does not match ` or \\");
            df.escape = value[0];
            seen_escape = true;
        } else if (key == "syntax") {
            if (seen_syntax) throw Error(where(name, int(i) + 1) + ": only one syntax parser directive can be used");
            df.syntax = value;
            seen_syntax = true;
        } else if (key != "check") {
            break;  // an unknown directive is a comment, and ends the directives
        }
    }

    while (i < lines.size()) {
        std::string_view line = lines[i];
        if (trim(line).empty() || is_comment(line)) {
            i++;
            continue;
        }
        int first = int(i) + 1;
        std::string joined;
        // Continuation: a trailing escape joins the next line; comment and
        // blank lines inside a continued instruction are skipped.
        while (true) {
            if (!ends_with_escape(line, df.escape)) {
                joined += line;
                i++;
                break;
            }
            joined += strip_escape(line);
            i++;
            while (i < lines.size() && (is_comment(lines[i]) || trim(lines[i]).empty())) i++;
            if (i >= lines.size()) break;
            line = lines[i];
        }
        Instruction ins = parse_instruction(joined, df.escape, name, first);
        if (!ins.json && (ins.keyword == "RUN" || ins.keyword == "COPY" || ins.keyword == "ADD")) {
            for (auto& w : raw_words(ins.args, df.escape)) {
                auto m = heredoc_marker(w);
                if (!m) continue;
                Heredoc h{.name = m->name, .content = {}, .expand = m->expand};
                bool closed = false;
                for (; i < lines.size(); i++) {
                    std::string_view body = lines[i];
                    if (m->strip_tabs)
                        while (!body.empty() && body.front() == '\t') body.remove_prefix(1);
                    if (body == m->name) {
                        closed = true;
                        i++;
                        break;
                    }
                    h.content += body;
                    h.content += '\n';
                }
                if (!closed)
                    throw Error(where(name, first) + ": unterminated heredoc: no line \"" + m->name + "\" ends it");
                ins.heredocs.push_back(std::move(h));
            }
        }
        df.instructions.push_back(std::move(ins));
    }
    return df;
}

}  // namespace ctr::dockerfile

#include "libcommon/dockerfile/dockerignore.h"

#include "libcommon/sys/error.h"

namespace ctr::dockerfile {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Matches one character against a class starting after '['; sets `len` to the
// class's length (up to and including ']').
bool class_match(std::string_view p, char c, size_t& len) {
    size_t i = 0;
    bool negate = false;
    if (i < p.size() && (p[i] == '^' || p[i] == '!')) {
        negate = true;
        i++;
    }
    bool matched = false;
    bool first = true;
    while (i < p.size() && (first || p[i] != ']')) {
        first = false;
        char lo = p[i];
        if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
        i++;
        char hi = lo;
        if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
            hi = p[i + 1];
            if (hi == '\\' && i + 2 < p.size()) {
                hi = p[i + 2];
                i++;
            }
            i += 2;
        }
        if (lo <= c && c <= hi) matched = true;
    }
    if (i >= p.size()) throw Error("syntax error in pattern: unclosed '['");
    len = i + 1;
    return matched != negate && c != '/';
}

bool match_at(std::string_view p, std::string_view s) {
    while (!p.empty()) {
        char c = p.front();
        if (c == '*') {
            if (p.size() >= 2 && p[1] == '*') {
                // "**": any number of characters, slashes included; "**/" may match nothing.
                size_t k = 0;
                while (k < p.size() && p[k] == '*') k++;
                std::string_view rest = p.substr(k);
                if (rest.empty()) return true;
                if (rest.front() == '/') {
                    std::string_view after = rest.substr(1);
                    if (match_at(after, s)) return true;
                    for (size_t i = 0; i < s.size(); i++)
                        if (s[i] == '/' && match_at(after, s.substr(i + 1))) return true;
                    return false;
                }
                for (size_t i = 0; i <= s.size(); i++)
                    if (match_at(rest, s.substr(i))) return true;
                return false;
            }
            std::string_view rest = p.substr(1);
            for (size_t i = 0; i <= s.size(); i++) {
                if (match_at(rest, s.substr(i))) return true;
                if (i < s.size() && s[i] == '/') break;
            }
            return false;
        }
        if (s.empty()) return false;
        if (c == '?') {
            if (s.front() == '/') return false;
            p.remove_prefix(1);
        } else if (c == '[') {
            size_t len = 0;
            if (!class_match(p.substr(1), s.front(), len)) return false;
            p.remove_prefix(1 + len);
        } else if (c == '\\' && p.size() > 1) {
            if (p[1] != s.front()) return false;
            p.remove_prefix(2);
        } else {
            if (c != s.front()) return false;
            p.remove_prefix(1);
        }
        s.remove_prefix(1);
    }
    return s.empty();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) { return match_at(pattern, path); }

bool has_glob(std::string_view s) {
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\') {
            i++;
            continue;
        }
        if (s[i] == '*' || s[i] == '?' || s[i] == '[') return true;
    }
    return false;
}

std::string clean_path(std::string_view p) {
    bool abs = !p.empty() && p.front() == '/';
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string_view part = p.substr(i, j - i);
        if (part.empty() || part == ".") {
        } else if (part == "..") {
            if (!parts.empty() && parts.back() != "..") parts.pop_back();
            else if (!abs) parts.push_back(part);
        } else {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out = abs ? "/" : "";
    for (size_t k = 0; k < parts.size(); k++) {
        if (k) out += '/';
        out += parts[k];
    }
    if (out.empty()) out = ".";
    return out;
}

IgnoreMatcher IgnoreMatcher::parse(std::string_view text) {
    IgnoreMatcher m;
    size_t start = 0;
    while (start <= text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(start, nl - start);
        start = nl + 1;
        if (!line.empty() && line.front() == '#') continue;
        line = trim(line);
        if (line.empty()) continue;
        Pattern pat;
        if (line.front() == '!') {
            pat.exception = true;
            line = trim(line.substr(1));
            if (line.empty()) continue;
        }
        std::string g = clean_path(line);
        while (!g.empty() && g.front() == '/') g.erase(0, 1);
        if (g.empty()) g = ".";
        pat.glob = g;
        glob_match(pat.glob, "");  // refuse malformed patterns now
        m.patterns_.push_back(std::move(pat));
    }
    return m;
}

bool IgnoreMatcher::excluded(std::string_view path) const {
    bool matched = false;
    std::vector<std::string_view> parents;
    for (size_t i = 0; i < path.size(); i++)
        if (path[i] == '/') parents.push_back(path.substr(0, i));
    for (auto& pat : patterns_) {
        if (pat.exception != matched) continue;  // only a change of verdict matters
        bool m = glob_match(pat.glob, path);
        for (size_t i = 0; !m && i < parents.size(); i++) m = glob_match(pat.glob, parents[i]);
        if (m) matched = !pat.exception;
    }
    return matched;
}

bool IgnoreMatcher::may_include_below(std::string_view dir) const {
    std::string prefix = std::string(dir) + "/";
    for (auto& pat : patterns_) {
        if (!pat.exception) continue;
        // An exception that starts with a glob, or names something under dir, may bring things back.
        if (pat.glob.starts_with(prefix) || has_glob(pat.glob.substr(0, std::min(pat.glob.size(), prefix.size()))))
            return true;
    }
    return false;
}

}  // namespace ctr::dockerfile

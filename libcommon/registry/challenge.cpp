#include "libcommon/registry/challenge.h"

namespace ctr::registry {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

void skip_space(std::string_view s, size_t& i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

}  // namespace

Challenge parse_challenge(std::string_view h) {
    Challenge c;
    size_t i = 0;
    skip_space(h, i);
    size_t start = i;
    while (i < h.size() && h[i] != ' ' && h[i] != '\t') ++i;
    c.scheme = lower(h.substr(start, i - start));
    while (i < h.size()) {
        skip_space(h, i);
        size_t ks = i;
        while (i < h.size() && h[i] != '=' && h[i] != ',' && h[i] != ' ') ++i;
        std::string key = lower(h.substr(ks, i - ks));
        skip_space(h, i);
        if (i >= h.size() || h[i] != '=') {
            // A token without a value (token68) or a stray comma: skip it.
            while (i < h.size() && h[i] != ',') ++i;
            if (i < h.size()) ++i;
            continue;
        }
        ++i;
        skip_space(h, i);
        std::string value;
        if (i < h.size() && h[i] == '"') {
            ++i;
            while (i < h.size() && h[i] != '"') {
                if (h[i] == '\\' && i + 1 < h.size()) ++i;
                value += h[i++];
            }
            if (i < h.size()) ++i;
        } else {
            size_t vs = i;
            while (i < h.size() && h[i] != ',') ++i;
            value = std::string(h.substr(vs, i - vs));
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        }
        if (!key.empty()) c.params[key] = value;
        skip_space(h, i);
        if (i < h.size() && h[i] == ',') ++i;
    }
    return c;
}

}  // namespace ctr::registry

#include "libcommon/registry/reference.h"

#include <regex>

#include "libcommon/sys/error.h"

namespace ctr::registry {

namespace {

const std::regex& path_component_re() {
    static const std::regex re("[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*");
    return re;
}

const std::regex& domain_re() {
    static const std::regex re(
        "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
        "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
        "|\\[[0-9a-fA-F:.]+\\])"
        "(?::[0-9]+)?");
    return re;
}

bool is_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return !s.empty();
}

[[noreturn]] void bad(std::string_view text, const std::string& why) {
    throw Error("invalid reference \"" + std::string(text) + "\": " + why);
}

Reference parse(std::string_view text, std::string_view default_domain) {
    if (text.empty()) bad(text, "empty");
    if (text.size() == 64 && is_hex(text))
        bad(text, "a 64-character hexadecimal string is an image id, not a repository name");

    std::string_view rest = text;
    Reference ref;

    if (auto at = rest.find('@'); at != std::string_view::npos) {
        ref.digest = std::string(rest.substr(at + 1));
        rest = rest.substr(0, at);
        if (!valid_digest(ref.digest)) bad(text, "malformed digest \"" + ref.digest + "\"");
    }
    // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = std::string(rest.substr(colon + 1));
        ref.tagged = true;
        rest = rest.substr(0, colon);
        if (!valid_tag(ref.tag)) bad(text, "malformed tag \"" + ref.tag + "\"");
    }

    std::string_view name = rest;
    auto first_slash = name.find('/');
    if (first_slash != std::string_view::npos) {
        std::string_view first = name.substr(0, first_slash);
        bool has_upper = false;
        for (char c : first) has_upper |= (c >= 'A' && c <= 'Z');
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
            first.front() == '[' || has_upper) {
            ref.domain = std::string(first);
            ref.qualified = true;
            name = name.substr(first_slash + 1);
            if (!std::regex_match(ref.domain, domain_re()))
                bad(text, "malformed registry host \"" + ref.domain + "\"");
        }
    }
    if (!ref.qualified) ref.domain = std::string(default_domain);
    if (ref.domain == "index.docker.io" || ref.domain == "registry-1.docker.io") ref.domain = kDockerHub;

    if (name.empty()) bad(text, "no repository name");
    std::string_view components = name;
    while (true) {
        auto s = components.find('/');
        std::string component(components.substr(0, s));
        if (component.empty()) bad(text, "empty path component");
        if (!std::regex_match(component, path_component_re())) {
            for (char c : component)
                if (c >= 'A' && c <= 'Z') bad(text, "repository name must be lowercase");
            bad(text, "invalid repository name component \"" + component + "\"");
        }
        if (s == std::string_view::npos) break;
        components = components.substr(s + 1);
    }
    ref.path = std::string(name);
    if (ref.domain == kDockerHub && ref.path.find('/') == std::string::npos) ref.path = "library/" + ref.path;
    if (ref.domain.size() + 1 + ref.path.size() > 255) bad(text, "repository name longer than 255 characters");

    if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
    return ref;
}

}  // namespace

bool valid_digest(std::string_view digest) {
    auto colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view algo = digest.substr(0, colon), hex = digest.substr(colon + 1);
    for (char c : algo)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '_' || c == '-'))
            return false;
    if (algo == "sha256") return hex.size() == 64 && is_hex(hex);
    if (algo == "sha512") return hex.size() == 128 && is_hex(hex);
    if (hex.size() < 32) return false;
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '=' ||
              c == '_' || c == '-'))
            return false;
    return true;
}

bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128) return false;
    auto word = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    if (!word(tag.front())) return false;
    for (char c : tag)
        if (!word(c) && c != '.' && c != '-') return false;
    return true;
}

Reference parse_reference(std::string_view text) { return parse(text, kDockerHub); }

Reference parse_reference_in(std::string_view text, std::string_view domain) { return parse(text, domain); }

std::string Reference::repository() const { return domain + "/" + path; }

std::string Reference::str() const {
    std::string s = repository();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string Reference::familiar() const {
    std::string s;
    if (domain == kDockerHub)
        s = path.rfind("library/", 0) == 0 && path.find('/', 8) == std::string::npos ? path.substr(8) : path;
    else
        s = repository();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

Reference Reference::with_tag(std::string t) const {
    Reference r = *this;
    r.tag = std::move(t);
    r.digest.clear();
    return r;
}

Reference Reference::with_digest(std::string d) const {
    Reference r = *this;
    r.digest = std::move(d);
    r.tag.clear();
    return r;
}

}  // namespace ctr::registry

#include "libcommon/oci/reference.h"

#include <cctype>

#include "libcommon/sys/error.h"

namespace ctr::oci {

namespace {

bool alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool valid_path_component(std::string_view s) {
    if (s.empty() || !alnum_lower(s.front()) || !alnum_lower(s.back())) return false;
    size_t i = 0;
    while (i < s.size()) {
        if (alnum_lower(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s.size() && !alnum_lower(s[j])) j++;
        std::string_view sep = s.substr(i, j - i);
        bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
        i = j;
    }
    return true;
}

bool valid_domain(std::string_view s) {
    std::string_view host = s, port;
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos) return false;
        host = s.substr(0, close + 1);
        if (close + 1 < s.size()) {
            if (s[close + 1] != ':') return false;
            port = s.substr(close + 2);
            if (port.empty()) return false;
        }
        for (char c : host.substr(1, host.size() - 2))
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') return false;
    } else {
        auto colon = s.rfind(':');
        if (colon != std::string_view::npos) {
            host = s.substr(0, colon);
            port = s.substr(colon + 1);
            if (port.empty()) return false;
        }
        size_t start = 0;
        while (start <= host.size()) {
            auto dot = host.find('.', start);
            auto comp = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
            if (comp.empty() || !std::isalnum(static_cast<unsigned char>(comp.front())) ||
                !std::isalnum(static_cast<unsigned char>(comp.back())))
                return false;
            for (char c : comp)
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
            if (dot == std::string_view::npos) break;
            start = dot + 1;
        }
    }
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace

bool is_valid_tag(std::string_view s) {
    if (s.empty() || s.size() > 128) return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(s.front())) return false;
    for (char c : s)
        if (!word(c) && c != '.' && c != '-') return false;
    return true;
}

std::optional<Reference> Reference::try_parse(std::string_view s) {
    try {
        return parse(s);
    } catch (const Error&) {
        return std::nullopt;
    }
}

Reference Reference::parse(std::string_view input) {
    auto fail = [&](const std::string& why) -> Reference {
        throw Error("invalid reference \"" + std::string(input) + "\": " + why);
    };
    if (input.empty()) fail("empty name");
    std::string_view s = input;
    Reference r;
    if (auto at = s.find('@'); at != std::string_view::npos) {
        auto d = Digest::try_parse(s.substr(at + 1));
        if (!d) fail("bad digest after '@' (want sha256:<64 hex>)");
        r.digest = d;
        s = s.substr(0, at);
    }
    // A tag is after the last ':' that comes after the last '/'.
    auto slash = s.rfind('/');
    auto colon = s.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        auto tag = s.substr(colon + 1);
        if (!is_valid_tag(tag))
            fail("invalid tag \"" + std::string(tag) + "\" (allowed: letters, digits, _ . -, at most 128, not starting with . or -)");
        r.tag = tag;
        s = s.substr(0, colon);
    }
    if (s.empty()) fail("empty repository name");
    if (s.size() > 255) fail("repository name longer than 255 characters");
    // The first component is a registry when it has a '.' or ':' or is localhost.
    auto first_slash = s.find('/');
    if (first_slash != std::string_view::npos) {
        auto first = s.substr(0, first_slash);
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || first.front() == '[') {
            if (!valid_domain(first)) fail("invalid registry \"" + std::string(first) + "\"");
            r.domain = first;
            s = s.substr(first_slash + 1);
        }
    }
    size_t start = 0;
    while (true) {
        auto next = s.find('/', start);
        auto comp = s.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
        if (!valid_path_component(comp)) {
            bool upper = false;
            for (char c : comp) upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
            if (upper) fail("repository name must be lowercase");
            fail("invalid repository name component \"" + std::string(comp) +
                 "\" (allowed: a-z 0-9 separated by . _ __ or -)");
        }
        if (next == std::string_view::npos) break;
        start = next + 1;
    }
    r.path = s;
    if (r.domain == "docker.io" || r.domain == "index.docker.io" || r.domain == "registry-1.docker.io") r.domain = "";
    if (r.domain.empty() && r.path.starts_with("library/") && r.path.find('/', 8) == std::string::npos)
        r.path = r.path.substr(8);
    if (r.tag.empty() && !r.digest) r.tag = "latest";
    return r;
}

std::string Reference::repository() const { return domain.empty() ? path : domain + "/" + path; }

std::string Reference::tag_name() const { return tag.empty() ? "" : repository() + ":" + tag; }

std::string Reference::registry() const { return domain.empty() ? "registry-1.docker.io" : domain; }

std::string Reference::remote_path() const {
    if (domain.empty() && path.find('/') == std::string::npos) return "library/" + path;
    return path;
}

std::string Reference::full_name() const {
    std::string s = (domain.empty() ? "docker.io" : domain) + "/" + remote_path();
    if (!tag.empty()) s += ":" + tag;
    if (digest) s += "@" + digest->str();
    return s;
}

std::string Reference::str() const {
    std::string s = repository();
    if (!tag.empty()) s += ":" + tag;
    if (digest) s += "@" + digest->str();
    return s;
}

std::optional<std::string> image_id_prefix(std::string_view s) {
    if (s.starts_with("sha256:")) s = s.substr(7);
    if (s.empty() || s.size() > 64) return std::nullopt;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    return std::string(s);
}

}  // namespace ctr::oci

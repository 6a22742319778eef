#include "libcommon/sys/text.h"

#include <fcntl.h>
#include <unistd.h>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace ctr {

std::string read_text(const std::string& path) {
    UniqueFd f(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!f) throw_errno("open " + path);
    std::string text;
    char buf[16384];
    ssize_t n;
    while ((n = read(f.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    if (n < 0) throw_errno("read " + path);
    return text;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (size_t start = 0;;) {
        size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) return out;
        start = pos + 1;
    }
}

std::vector<std::string_view> fields(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

}  // namespace ctr

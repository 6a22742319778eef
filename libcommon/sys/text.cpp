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
    constexpr std::string_view blanks = " \t\n\r\f\v";
    std::vector<std::string_view> out;
    for (size_t start = s.find_first_not_of(blanks); start != std::string_view::npos;) {
        size_t end = s.find_first_of(blanks, start);
        out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
        start = end == std::string_view::npos ? end : s.find_first_not_of(blanks, end);
    }
    return out;
}

}  // namespace ctr

#include "libcommon/cli/units.h"

#include <cmath>
#include <cstdio>

namespace ctr {

std::string human_size(double bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (bytes >= 1000 && u < 5) bytes /= 1000, u++;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g%s", bytes, units[u]);
    return buf;
}

std::string human_duration(double seconds) {
    auto s = static_cast<int64_t>(seconds);
    auto plural = [](int64_t n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return plural(s, "second");
    int64_t m = s / 60;
    if (m == 1) return "About a minute";
    if (m < 60) return plural(m, "minute");
    int64_t h = static_cast<int64_t>(std::lround(seconds / 3600));
    if (h == 1) return "About an hour";
    if (h < 48) return plural(h, "hour");
    if (h < 24 * 7 * 2) return plural(h / 24, "day");
    if (h < 24 * 30 * 2) return plural(h / 24 / 7, "week");
    if (h < 24 * 365 * 2) return plural(h / 24 / 30, "month");
    return plural(h / 24 / 365, "year");
}

std::optional<double> parse_rfc3339(std::string_view s) {
    struct tm tm {};
    int y, mo, d, h, mi, sec, consumed = 0;
    std::string str(s);
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6) return std::nullopt;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    double t = static_cast<double>(::timegm(&tm));
    size_t i = static_cast<size_t>(consumed);
    if (i < str.size() && str[i] == '.') {
        size_t j = i + 1;
        double scale = 0.1, frac = 0;
        while (j < str.size() && std::isdigit(static_cast<unsigned char>(str[j]))) frac += (str[j++] - '0') * scale, scale /= 10;
        t += frac;
        i = j;
    }
    if (i < str.size() && (str[i] == '+' || str[i] == '-')) {
        int oh = 0, om = 0;
        if (std::sscanf(str.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) t -= (str[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
    return t;
}

std::string docker_time(double epoch) {
    time_t t = static_cast<time_t>(epoch);
    struct tm tm;
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    return buf;
}

void Table::add_tabbed(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        auto nl = text.find('\n', i);
        auto line = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
        std::vector<std::string> row;
        size_t j = 0;
        while (true) {
            auto tab = line.find('\t', j);
            row.emplace_back(line.substr(j, tab == std::string_view::npos ? std::string_view::npos : tab - j));
            if (tab == std::string_view::npos) break;
            j = tab + 1;
        }
        rows_.push_back(std::move(row));
        if (nl == std::string_view::npos) break;
        i = nl + 1;
    }
}

namespace {
// Characters, not bytes: "…" is one column wide, as Go's tabwriter counts.
size_t columns(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xc0) != 0x80;
    return n;
}
}  // namespace

std::string Table::str() const {
    std::vector<size_t> width;
    for (auto& r : rows_)
        for (size_t c = 0; c + 1 < r.size(); c++) {
            if (width.size() <= c) width.resize(c + 1, 0);
            width[c] = std::max(width[c], std::max<size_t>(10, columns(r[c]) + 3));
        }
    std::string out;
    for (auto& r : rows_) {
        std::string line;
        for (size_t c = 0; c < r.size(); c++) {
            line += r[c];
            if (c + 1 < r.size()) line += std::string(width[c] - columns(r[c]), ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

}  // namespace ctr

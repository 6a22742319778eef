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

namespace {

// "YYYY-MM-DDTHH:MM:SS" all in digits, month 1-12 (what every record holds):
// the seconds timegm() would give, counted directly (days from the civil
// date, proleptic Gregorian; days, hours, minutes, seconds out of range carry
// over as timegm's do). sscanf and timegm cost some 5000 instructions a time,
// and ctr-ps reads a thousand of these.
std::optional<double> plain_rfc3339(std::string_view s) {
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
    auto num = [&](int at, int n) {
        int64_t v = 0;
        for (int i = at; i < at + n; i++) v = v * 10 + (s[i] - '0');
        return v;
    };
    int64_t y = num(0, 4), mo = num(5, 2), d = num(8, 2);
    if (mo < 1 || mo > 12) return std::nullopt;
    y -= mo <= 2;  // years start in March: leap days come last
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return static_cast<double>(days * 86400 + num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2));
}

}  // namespace

std::optional<double> parse_rfc3339(std::string_view s) {
    std::string str(s);
    int consumed = 19;
    auto fast = plain_rfc3339(s);
    double t = fast.value_or(0);
    if (!fast) {
        struct tm tm {};
        int y, mo, d, h, mi, sec;
        if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6)
            return std::nullopt;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = static_cast<double>(::timegm(&tm));
    }
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

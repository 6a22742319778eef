#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "libcommon/cli/units.h"
#include "libcommon/store/containers.h"
#include "libcommon/store/log_reader.h"
#include "libcommon/sys/error.h"

using nlohmann::json;

namespace {
// A temp file holding `text`, open for reading.
struct TempFile {
    std::string path;
    int fd = -1;
    explicit TempFile(const std::string& text) {
        char tmpl[] = "/tmp/ctr-unit-log.XXXXXX";
        fd = ::mkstemp(tmpl);
        path = tmpl;
        REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
    ~TempFile() {
        ::close(fd);
        ::unlink(path.c_str());
    }
    int64_t tail(int64_t n, int64_t& found) { return ctr::store::tail_offset(fd, static_cast<int64_t>(::lseek(fd, 0, SEEK_END)), n, found); }
};
}  // namespace

TEST_CASE("tail_offset finds the last N lines from the end") {
    TempFile f("a\nbb\nccc\n");
    int64_t found = 0;
    CHECK(f.tail(1, found) == 5);
    CHECK(found == 1);
    CHECK(f.tail(2, found) == 2);
    CHECK(f.tail(3, found) == 0);
    CHECK(found == 3);
    CHECK(f.tail(10, found) == 0);
    CHECK(found == 3);
    CHECK(f.tail(0, found) == 9);
    TempFile partial("a\nbb\ncc");  // a last line still being written does not count
    CHECK(partial.tail(1, found) == 2);
    CHECK(found == 1);
    std::string big;
    for (int i = 0; i < 100000; i++) big += std::to_string(i) + "\n";
    TempFile b(big);
    int64_t off = b.tail(3, found);
    CHECK(big.substr(static_cast<size_t>(off)) == "99997\n99998\n99999\n");
}

TEST_CASE("parse_log_time: RFC 3339, epoch seconds, dates, Go durations") {
    double now = 1767268800;  // 2026-01-01T12:00:00Z
    CHECK(ctr::store::parse_log_time("2026-01-01T12:00:00Z", now) == doctest::Approx(now));
    CHECK(ctr::store::parse_log_time("2026-01-01", now) == doctest::Approx(now - 12 * 3600));
    CHECK(ctr::store::parse_log_time("1767268800.5", now) == doctest::Approx(now + 0.5));
    CHECK(ctr::store::parse_log_time("10m", now) == doctest::Approx(now - 600));
    CHECK(ctr::store::parse_log_time("1h30m", now) == doctest::Approx(now - 5400));
    CHECK_THROWS_AS(ctr::store::parse_log_time("yesterday", now), ctr::Error);
    CHECK_THROWS_AS(ctr::store::parse_log_time("5x", now), ctr::Error);
}

TEST_CASE("parse_log_line reads docker's json-file lines") {
    auto e = ctr::store::parse_log_line(R"({"log":"hi\n","stream":"stderr","time":"2026-01-01T00:00:00Z","attrs":{"a":"b"}})", "f");
    CHECK(e.text == "hi\n");
    CHECK(e.stream == "stderr");
    CHECK(e.attrs == "a=b");
    CHECK_THROWS_WITH_AS(ctr::store::parse_log_line("{\"log\": 3}", "x/log.json"),
                         doctest::Contains("x/log.json"), ctr::Error);
}

TEST_CASE("parse_rfc3339: the plain-digits path gives what sscanf and timegm give") {
    auto reference = [](const std::string& s) {
        struct tm tm {};
        int y, mo, d, h, mi, sec;
        REQUIRE(std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) == 6);
        tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
        return static_cast<double>(::timegm(&tm));
    };
    for (const char* s : {"2026-01-01T12:00:00Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
                          "2000-02-29T10:20:30Z", "2100-02-28T23:59:59Z", "2024-02-31T00:00:00Z", "2023-12-00T99:99:60Z",
                          "1600-03-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2026-11-29T22:15:04Z"})
        CHECK(*ctr::parse_rfc3339(s) == reference(s));
    for (int i = 0; i < 20000; i++) {  // every day of 1950-2080, at a changing time of day
        time_t t = static_cast<time_t>(-631152000) + static_cast<time_t>(i) * 86400 + (i * 7919) % 86400;
        struct tm tm;
        ::gmtime_r(&t, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        REQUIRE(*ctr::parse_rfc3339(buf) == static_cast<double>(t));
    }
    CHECK(*ctr::parse_rfc3339("2026-01-01T12:00:00.25+01:00") == reference("2026-01-01T12:00:00") + 0.25 - 3600);
    CHECK(*ctr::parse_rfc3339("2026-1-1T12:00:00Z") == reference("2026-1-1T12:00:00"));  // not plain: sscanf's way
    CHECK(*ctr::parse_rfc3339("2026-13-01T00:00:00Z") == reference("2026-13-01T00:00:00"));
    CHECK_FALSE(ctr::parse_rfc3339("yesterday").has_value());
}

TEST_CASE("status_text speaks docker") {
    double now = 1767268800;
    CHECK(ctr::store::status_text(json{{"Status", "created"}}, now) == "Created");
    CHECK(ctr::store::status_text(json{{"Status", "running"}, {"StartedAt", "2026-01-01T11:59:56Z"}}, now) == "Up 4 seconds");
    CHECK(ctr::store::status_text(json{{"Status", "running"}, {"Paused", true}, {"StartedAt", "2026-01-01T10:00:00Z"}}, now) ==
          "Up 2 hours (Paused)");
    CHECK(ctr::store::status_text(json{{"Status", "exited"}, {"ExitCode", 137}, {"FinishedAt", "2026-01-01T11:59:00Z"}}, now) ==
          "Exited (137) About a minute ago");
    CHECK(ctr::store::status_text(json{{"Status", "restarting"}, {"ExitCode", 1}, {"FinishedAt", "2026-01-01T11:59:57Z"}}, now) ==
          "Restarting (1) 3 seconds ago");
}

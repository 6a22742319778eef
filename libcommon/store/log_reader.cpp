#include "libcommon/store/log_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "libcommon/cli/units.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/sys/error.h"

namespace ctr::store {

LogEntry parse_log_line(std::string_view line, const std::string& where) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + ": not a json-file log line: " + e.what());
    }
    if (!j.is_object() || !j.contains("log") || !j["log"].is_string())
        throw Error(where + ": not a json-file log line (no \"log\" string)");
    LogEntry e;
    e.text = j["log"].get<std::string>();
    e.stream = j.value("stream", "stdout");
    e.time = j.value("time", "");
    if (j.contains("attrs") && j["attrs"].is_object())
        for (auto& [k, v] : j["attrs"].items())
            e.attrs += (e.attrs.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    return e;
}

std::vector<std::string> log_files(const std::string& log_path) {
    std::vector<std::string> rotated;
    for (int i = 1;; i++) {
        std::string p = log_path + "." + std::to_string(i);
        if (!path_exists(p)) break;
        rotated.push_back(p);
    }
    std::vector<std::string> out(rotated.rbegin(), rotated.rend());
    out.push_back(log_path);
    return out;
}

int64_t tail_offset(int fd, int64_t size, int64_t n, int64_t& found) {
    found = 0;
    if (n <= 0 || size <= 0) return size;
    constexpr int64_t block = 64 * 1024;
    char buf[block];
    // Only lines that end in a newline count; a partial last line is skipped.
    int64_t end = size;
    {
        char last;
        if (::pread(fd, &last, 1, size - 1) != 1) throw_errno("read the log");
        if (last != '\n') {
            // Find the newline before the partial line: the lines end there.
            int64_t pos = size - 1;
            bool hit = false;
            while (pos > 0 && !hit) {
                int64_t start = std::max<int64_t>(0, pos - block);
                ssize_t got = ::pread(fd, buf, static_cast<size_t>(pos - start), start);
                if (got < 0) throw_errno("read the log");
                for (int64_t i = got - 1; i >= 0; i--)
                    if (buf[i] == '\n') {
                        end = start + i + 1;
                        hit = true;
                        break;
                    }
                pos = start;
            }
            if (!hit) return 0;
        }
    }
    // Count newlines backwards from just before the one ending the last line.
    int64_t pos = end - 1;
    while (pos > 0) {
        int64_t start = std::max<int64_t>(0, pos - block);
        ssize_t got = ::pread(fd, buf, static_cast<size_t>(pos - start), start);
        if (got < 0) throw_errno("read the log");
        for (int64_t i = got - 1; i >= 0; i--)
            if (buf[i] == '\n' && ++found == n) return start + i + 1;
        pos = start;
    }
    found++;  // the first line of the file
    return 0;
}

double parse_log_time(const std::string& value, double now) {
    if (value.empty()) throw Error("empty time");
    if (auto t = parse_rfc3339(value)) return *t;
    if (value.size() == 10 && value[4] == '-' && value[7] == '-')
        if (auto t = parse_rfc3339(value + "T00:00:00Z")) return *t;
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(value.c_str(), &end);
    if (end && *end == 0 && errno == 0 && value.find_first_not_of("0123456789.") == std::string::npos) return v;
    // A Go duration: a sequence of number+unit.
    double total = 0;
    const char* p = value.c_str();
    bool neg = false;
    if (*p == '-') neg = true, p++;
    if (!*p) throw Error("invalid time \"" + value + "\"");
    while (*p) {
        char* e = nullptr;
        double num = std::strtod(p, &e);
        if (e == p) throw Error("invalid time \"" + value + "\" (RFC 3339, seconds since the epoch, or a duration like 10m)");
        p = e;
        std::string unit;
        while (*p && (std::isalpha(static_cast<unsigned char>(*p)) || *p == '\xc2' || *p == '\xb5')) unit += *p++;
        double mult;
        if (unit == "h") mult = 3600;
        else if (unit == "m") mult = 60;
        else if (unit == "s") mult = 1;
        else if (unit == "ms") mult = 1e-3;
        else if (unit == "us" || unit == "\xc2\xb5s") mult = 1e-6;
        else if (unit == "ns") mult = 1e-9;
        else throw Error("invalid time \"" + value + "\" (RFC 3339, seconds since the epoch, or a duration like 10m)");
        total += num * mult;
    }
    return neg ? now + total : now - total;
}

int64_t read_lines(int fd, int64_t offset, const std::function<void(std::string_view)>& emit) {
    std::string carry;
    // Not zero-filled: a tail of a few lines touches one page of it, not 256.
    constexpr size_t size = 1 << 20;
    std::unique_ptr<char[]> buf(new char[size]);
    int64_t pos = offset, done = offset;
    for (;;) {
        ssize_t got = ::pread(fd, buf.get(), size, pos);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw_errno("read the log");
        }
        if (got == 0) break;
        pos += got;
        std::string_view chunk(buf.get(), static_cast<size_t>(got));
        size_t start = 0;
        for (;;) {
            size_t nl = chunk.find('\n', start);
            if (nl == std::string_view::npos) break;
            if (!carry.empty()) {
                carry.append(chunk.substr(start, nl - start));
                emit(carry);
                carry.clear();
            } else {
                emit(chunk.substr(start, nl - start));
            }
            done = pos - got + static_cast<int64_t>(nl) + 1;
            start = nl + 1;
        }
        carry.append(chunk.substr(start));
    }
    return done;
}

}  // namespace ctr::store

#include "libcommon/container/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "libcommon/container/record.h"
#include "libcommon/sys/error.h"

namespace ctr::container {

namespace {
constexpr size_t max_line = 16 * 1024;
}

JsonLog::JsonLog(const std::string& path) : path_(path) {
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!fd_) throw_errno("open " + path);
}

std::string JsonLog::format_line(std::string_view text, const std::string& stream, const std::string& time) {
    nlohmann::json j = {{"log", std::string(text)}, {"stream", stream}, {"time", time}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void JsonLog::emit(const std::string& stream, std::string_view text) {
    std::string line = format_line(text, stream, now_rfc3339nano());
    // One write(2) per line with O_APPEND: readers never see half a line.
    size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(fd_.get(), line.data() + off, line.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // a full disk loses log lines, never the container
        }
        off += static_cast<size_t>(n);
    }
}

void JsonLog::write(const std::string& stream, std::string_view data) {
    std::string& pending = stream == "stderr" ? pending_err_ : pending_out_;
    pending.append(data);
    size_t start = 0;
    while (true) {
        size_t nl = pending.find('\n', start);
        if (nl == std::string::npos) break;
        emit(stream, std::string_view(pending).substr(start, nl + 1 - start));
        start = nl + 1;
    }
    pending.erase(0, start);
    while (pending.size() >= max_line) {
        emit(stream, std::string_view(pending).substr(0, max_line));
        pending.erase(0, max_line);
    }
}

void JsonLog::flush(const std::string& stream) {
    std::string& pending = stream == "stderr" ? pending_err_ : pending_out_;
    if (!pending.empty()) emit(stream, pending);
    pending.clear();
}

void JsonLog::flush_all() {
    flush("stdout");
    flush("stderr");
}

}  // namespace ctr::container

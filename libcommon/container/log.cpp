#include "libcommon/container/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

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
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0) size_ = st.st_size;
}

void JsonLog::set_rotation(int64_t max_size, int max_file) {
    max_size_ = max_size;
    max_file_ = max_file < 1 ? 1 : max_file;
}

void JsonLog::rotate() {
    if (max_file_ == 1) {
        if (::ftruncate(fd_.get(), 0) == 0) size_ = 0;
        return;
    }
    for (int k = max_file_ - 2; k >= 1; k--) {
        std::string from = path_ + "." + std::to_string(k), to = path_ + "." + std::to_string(k + 1);
        if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT) return;
    }
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) < 0) return;  // keep writing where we are
    UniqueFd fresh(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640));
    if (!fresh) return;
    fd_ = std::move(fresh);
    size_ = 0;
}

std::string JsonLog::format_line(std::string_view text, const std::string& stream, const std::string& time) {
    nlohmann::json j = {{"log", std::string(text)}, {"stream", stream}, {"time", time}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void JsonLog::emit(const std::string& stream, std::string_view text) {
    std::string line = format_line(text, stream, now_rfc3339nano());
    if (max_size_ > 0 && size_ > 0 && size_ + static_cast<int64_t>(line.size()) > max_size_) rotate();
    // One write(2) per line with O_APPEND: readers never see half a line.
    size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(fd_.get(), line.data() + off, line.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // a full disk loses log lines, never the container
        }
        off += static_cast<size_t>(n);
        size_ += n;
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

#include "libcommon/runtime/proc.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <vector>

namespace ctr::runtime {

std::optional<ProcStat> parse_proc_stat(const std::string& text) {
    auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) return std::nullopt;
    // After ") " come fields 3 (state), 4, ... 22 (starttime).
    std::vector<std::string_view> fields;
    std::string_view rest(text);
    rest.remove_prefix(close + 2);
    while (!rest.empty() && fields.size() < 20) {
        auto sp = rest.find(' ');
        fields.push_back(rest.substr(0, sp));
        if (sp == std::string_view::npos) break;
        rest.remove_prefix(sp + 1);
    }
    if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
    ProcStat st;
    st.state = fields[0][0];
    auto f = fields[19];
    auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), st.start_time);
    if (ec != std::errc()) return std::nullopt;
    return st;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    return parse_proc_stat(std::string(buf, static_cast<size_t>(n)));
}

int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

bool process_matches(pid_t pid, uint64_t start_time) {
    auto st = read_proc_stat(pid);
    return st && st->state != 'Z' && st->state != 'X' && st->start_time == start_time;
}

}  // namespace ctr::runtime

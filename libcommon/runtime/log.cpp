#include "libcommon/runtime/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "libcommon/runtime/state.h"
#include "libcommon/sys/error.h"

namespace ctr::runtime::log {

namespace {
int g_fd = -1;
bool g_json = false;
bool g_debug = false;

void emit(const char* level, const std::string& msg) {
    std::string line;
    if (g_json) {
        line = nlohmann::json{{"level", level}, {"msg", msg}, {"time", rfc3339_now()}}.dump() + "\n";
    } else {
        line = "time=\"" + rfc3339_now() + "\" level=" + level + " msg=" + nlohmann::json(msg).dump() + "\n";
    }
    int fd = g_fd >= 0 ? g_fd : STDERR_FILENO;
    (void)!write(fd, line.data(), line.size());
}
}  // namespace

void configure(const std::string& path, const std::string& format, bool debug) {
    if (format != "text" && format != "json") throw Error("invalid log format \"" + format + "\" (text or json)");
    g_json = format == "json";
    g_debug = debug;
    if (!path.empty()) {
        g_fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (g_fd < 0) throw_errno("open the log " + path);
    }
}

void error(const std::string& msg) {
    if (g_fd >= 0) emit("error", msg);
}
void warn(const std::string& msg) { emit("warning", msg); }
void debug(const std::string& msg) {
    if (g_debug) emit("debug", msg);
}
bool to_file() { return g_fd >= 0; }

}  // namespace ctr::runtime::log

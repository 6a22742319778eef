#include "libcommon/container/runtime.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"
#include "libcommon/sys/spawn.h"

namespace ctr::container {

using json = nlohmann::json;

namespace {

// The last error message a runtime wrote to its --log file (JSON lines), if any.
std::string last_log_error(const std::string& path, size_t from) {
    std::ifstream in(path);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(from));
    std::string line, msg;
    while (std::getline(in, line)) {
        try {
            auto j = json::parse(line);
            if (j.value("level", "") == "error" || j.value("level", "") == "fatal") msg = j.value("msg", "");
        } catch (const std::exception&) {
            if (!line.empty()) msg = line;
        }
    }
    return msg;
}

size_t file_size(const std::string& path) {
    std::ifstream in(path, std::ios::ate);
    return in ? static_cast<size_t>(in.tellg()) : 0;
}

}  // namespace

std::vector<std::string> Runtime::argv(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {path_};
    if (!root_.empty()) {
        a.push_back("--root");
        a.push_back(root_);
    }
    if (!log_.empty()) {
        a.push_back("--log");
        a.push_back(log_);
        a.push_back("--log-format");
        a.push_back("json");
    }
    a.insert(a.end(), args.begin(), args.end());
    return a;
}

int Runtime::run(const std::vector<std::string>& args, int in, int out, int err, const std::string& cwd,
                 std::string* msg) const {
    // The runtime's own stderr is captured for the error message, unless the
    // caller gave it a stderr of its own (the container's).
    int errpipe[2] = {-1, -1};
    if (err < 0 && ::pipe2(errpipe, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd err_r(errpipe[0]), err_w(errpipe[1]);
    size_t log_from = log_.empty() ? 0 : file_size(log_);

    SpawnOptions so;
    so.in = in;
    so.out = out;
    so.err = err >= 0 ? err : errpipe[1];
    so.cwd = cwd;
    // No root: the runtime's own default, whatever CTR_RUNTIME_ROOT says
    // where this runs (ctr-run would take it as its root).
    if (root_.empty()) so.env_drop = {"CTR_RUNTIME_ROOT"};
    pid_t pid;
    try {
        pid = spawn(argv(args), so);
    } catch (const Error& e) {
        if (msg) *msg = e.what();
        return 127;
    }
    err_w.reset();
    std::string captured = err_r ? read_until_eof(err_r.get(), 65536) : std::string();
    int code = wait_exit(pid);
    if (msg) {
        std::string logged = log_.empty() ? "" : last_log_error(log_, log_from);
        while (!captured.empty() && (captured.back() == '\n' || captured.back() == ' ')) captured.pop_back();
        *msg = !logged.empty() ? logged : captured;
    }
    return code;
}

void Runtime::create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                     const std::string& console_socket, int in, int out, int err, const std::string& cwd) const {
    std::vector<std::string> args = {"create", "--bundle", bundle, "--pid-file", pid_file};
    if (!console_socket.empty()) {
        args.push_back("--console-socket");
        args.push_back(console_socket);
    }
    args.push_back(id);
    std::string msg;
    if (int rc = run(args, in, out, err, cwd, &msg); rc != 0)
        throw Error(path_ + " create: " + (msg.empty() ? "exit status " + std::to_string(rc) : msg));
}

void Runtime::start(const std::string& id) const {
    std::string msg;
    if (int rc = run({"start", id}, -1, -1, -1, "", &msg); rc != 0)
        throw Error(path_ + " start: " + (msg.empty() ? "exit status " + std::to_string(rc) : msg));
}

bool Runtime::kill(const std::string& id, int signal, bool all) const {
    std::vector<std::string> args = {"kill"};
    if (all) args.push_back("--all");
    args.push_back(id);
    args.push_back(std::to_string(signal));
    std::string msg;
    return run(args, -1, -1, -1, "", &msg) == 0;
}

void Runtime::remove(const std::string& id) const {
    std::string msg;
    run({"delete", "--force", id}, -1, -1, -1, "", &msg);
}

}  // namespace ctr::container

// ctr-logs [OPTIONS] CONTAINER: what a container printed, from its json-file
// log (and the rotated files before it); stdout lines to stdout, stderr lines
// to stderr.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "libcommon/cli/main.h"
#include "libcommon/cli/options.h"
#include "libcommon/cli/preflight.h"
#include "libcommon/cli/units.h"
#include "libcommon/container/record.h"
#include "libcommon/store/containers.h"
#include "libcommon/store/fsutil.h"
#include "libcommon/store/log_reader.h"
#include "libcommon/sys/error.h"
#include "libcommon/sys/fd.h"

namespace {

using ctr::UniqueFd;
using ctr::store::LogEntry;

// Buffers the two streams, flushing one before the other is written to so
// that a terminal showing both sees them in the log's order.
class Output {
public:
    void put(const std::string& stream, std::string_view text) {
        int fd = stream == "stderr" ? 2 : 1;
        if (fd != fd_) flush();
        fd_ = fd;
        buf_.append(text);
        if (buf_.size() > (1 << 16)) flush();
    }
    void flush() {
        if (!buf_.empty()) ctr::store::write_all(fd_, buf_.data(), buf_.size(), fd_ == 1 ? "standard output" : "standard error");
        buf_.clear();
    }

private:
    int fd_ = 1;
    std::string buf_;
};

struct Options {
    bool timestamps = false, details = false;
    std::optional<double> since, until;
};

struct Printer {
    Options opt;
    Output out;
    std::string where;

    void line(std::string_view raw) {
        if (raw.empty()) return;
        LogEntry e = ctr::store::parse_log_line(raw, where);
        if (opt.since || opt.until) {
            auto t = ctr::parse_rfc3339(e.time);
            if (t && opt.since && *t < *opt.since) return;
            if (t && opt.until && *t > *opt.until) return;
        }
        std::string prefix;
        if (opt.timestamps) prefix = e.time + " ";
        if (opt.details) prefix += e.attrs + " ";
        if (prefix.empty()) {
            out.put(e.stream, e.text);
        } else {
            out.put(e.stream, prefix);
            out.put(e.stream, e.text);
        }
    }
};

UniqueFd open_log(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd && errno != ENOENT) ctr::throw_errno("open " + path);
    return fd;
}

ino_t inode_of_fd(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

ino_t inode_of_path(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

int logs_main(int argc, char** argv) {
    cxxopts::Options opts("ctr-logs", "Fetch the logs of a container.");
    opts.custom_help("[OPTIONS]");
    opts.positional_help("CONTAINER");
    opts.add_options()
        ("f,follow", "Follow log output (ends when the container exits)")
        ("n,tail", "Number of lines to show from the end of the logs (or \"all\")", cxxopts::value<std::string>()->default_value("all"), "N")
        ("t,timestamps", "Show timestamps")
        ("since", "Show logs since a time (RFC 3339, seconds since the epoch, or relative: 42m)", cxxopts::value<std::string>(), "T")
        ("until", "Show logs before a time (same forms as --since)", cxxopts::value<std::string>(), "T")
        ("details", "Show extra details provided to logs")
        ("h,help", "Show this help")
        ("version", "Show the version")
        ("args", "", cxxopts::value<std::vector<std::string>>());
    opts.parse_positional({"args"});
    auto r = ctr::cli::parse(opts, argc, argv);
    if (ctr::cli::answered_help_or_version(opts, r, "ctr-logs")) return 0;
    auto args = ctr::cli::positionals(r);
    if (args.size() != 1) throw ctr::ExitError(125, "usage: ctr-logs [OPTIONS] CONTAINER (exactly one container)");
    int64_t tail = -1;
    std::string tail_s = r["tail"].as<std::string>();
    if (tail_s != "all") {
        try {
            size_t used = 0;
            tail = std::stoll(tail_s, &used);
            if (used != tail_s.size()) throw std::invalid_argument(tail_s);
        } catch (const std::exception&) {
            throw ctr::ExitError(125, "invalid --tail \"" + tail_s + "\": a number or \"all\"");
        }
        if (tail < 0) tail = -1;
    }
    Printer pr;
    double now = ctr::store::now_seconds();
    try {
        if (r.count("since")) pr.opt.since = ctr::store::parse_log_time(r["since"].as<std::string>(), now);
        if (r.count("until")) pr.opt.until = ctr::store::parse_log_time(r["until"].as<std::string>(), now);
    } catch (const ctr::Error& e) {
        throw ctr::ExitError(125, std::string("--since/--until: ") + e.what());
    }
    pr.opt.timestamps = r.count("timestamps") > 0;
    pr.opt.details = r.count("details") > 0;
    bool follow = r.count("follow") > 0;

    ctr::preflight::require_store();
    std::string cdir = ctr::container::containers_dir();
    std::string id = ctr::container::resolve(cdir, args[0]);
    auto paths = ctr::container::container_paths(cdir, id);
    std::string log = paths.log();
    if (auto rec = ctr::container::read_record(paths); rec.contains("LogPath") && rec["LogPath"].is_string() &&
                                                       !rec["LogPath"].get<std::string>().empty())
        log = rec["LogPath"].get<std::string>();

    // Inotify first, so nothing written between reading and watching is missed.
    UniqueFd ino;
    if (follow) {
        ino = UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        if (!ino) ctr::throw_errno("inotify_init1");
        if (::inotify_add_watch(ino.get(), paths.dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
            ctr::throw_errno("watch " + paths.dir);
    }

    // The files, oldest first, each with the offset to start from.
    auto files = ctr::store::log_files(log);
    std::vector<std::pair<UniqueFd, int64_t>> open;
    for (auto& f : files) open.emplace_back(open_log(f), 0);
    if (tail >= 0) {
        int64_t need = tail;
        for (size_t i = open.size(); i-- > 0;) {
            auto& [fd, off] = open[i];
            if (!fd) continue;
            struct stat st;
            if (::fstat(fd.get(), &st) < 0) ctr::throw_errno("stat " + files[i]);
            if (need == 0) {
                off = st.st_size;
                continue;
            }
            int64_t found = 0;
            off = ctr::store::tail_offset(fd.get(), st.st_size, need, found);
            need -= std::min(need, found);
        }
    }
    for (size_t i = 0; i + 1 < open.size(); i++) {
        auto& [fd, off] = open[i];
        if (!fd) continue;
        pr.where = files[i];
        ctr::store::read_lines(fd.get(), off, [&](std::string_view l) { pr.line(l); });
    }
    UniqueFd cur = std::move(open.back().first);
    int64_t pos = open.back().second;
    pr.where = log;
    if (cur) pos = ctr::store::read_lines(cur.get(), pos, [&](std::string_view l) { pr.line(l); });
    pr.out.flush();
    if (!follow) return 0;

    for (;;) {
        auto state = ctr::container::live_state(ctr::container::read_record(paths));
        std::string status = state.value("Status", "created");
        bool monitor = state.value("MonitorAlive", false);
        // Drain after reading the state: what was logged before it changed is printed.
        if (cur) pos = ctr::store::read_lines(cur.get(), pos, [&](std::string_view l) { pr.line(l); });
        if (inode_of_path(log) != (cur ? inode_of_fd(cur.get()) : 0)) {
            UniqueFd next = open_log(log);
            if (next) {
                cur = std::move(next);
                pos = 0;
                continue;
            }
        }
        pr.out.flush();
        bool alive = status == "running" || status == "paused" || status == "restarting";
        if (!alive && !monitor) break;
        struct pollfd p = {ino.get(), POLLIN, 0};
        int rc = ::poll(&p, 1, alive ? 1000 : 100);
        if (rc < 0 && errno != EINTR) ctr::throw_errno("poll inotify");
        char ev[4096];
        while (::read(ino.get(), ev, sizeof ev) > 0) {
        }
    }
    pr.out.flush();
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return ctr::run_main("ctr-logs", [&] { return logs_main(argc, argv); }); }

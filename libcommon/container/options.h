// Pure parsers for docker-create flags whose values have a syntax of their
// own: -p, -v, --mount, --env-file, --restart, sizes, --cpus, signals.
// Each throws ctr::Error naming the flag and the value it refuses.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <tuple>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/bundle/spec.h"

namespace ctr::container {

// One published port: host [ip:]port → container port/protocol.
struct PortBinding {
    std::string host_ip;      // "" = every address (docker's 0.0.0.0)
    uint16_t host_port = 0;   // 0 = any free port, chosen when the container starts
    uint16_t container_port = 0;
    std::string proto = "tcp";  // "tcp" or "udp"

    // "80/tcp", docker's key in PortBindings and ExposedPorts.
    std::string key() const { return std::to_string(container_port) + "/" + proto; }
};

// -p/--publish: [IP:][HOSTPORT:]CTRPORT[/PROTO], ports or equal-length ranges
// ("8080-8081:80-81"), IPv6 addresses in brackets ("[::1]:8080:80").
std::vector<PortBinding> parse_publish(std::string_view spec);

// An ExposedPorts key ("80/tcp", "53/udp", "8080") as a binding to any free port.
PortBinding parse_exposed(std::string_view key);

// What -v and --mount ask for.
struct VolumeSpec {
    enum class Kind { Bind, Volume, Anonymous, Tmpfs } kind = Kind::Bind;
    std::string source;  // host path (Bind) or volume name (Volume)
    std::string destination;
    bool read_only = false;
    std::vector<std::string> options;  // propagation, tmpfs size=/mode=, ...
};

// -v/--volume: HOST:CTR[:OPTS], NAME:CTR[:OPTS] or CTR (anonymous). HOST is
// absolute or starts with "." (made absolute against `cwd`). OPTS: ro, rw,
// z, Z (ignored), nocopy, and propagation modes.
VolumeSpec parse_volume(std::string_view spec, const std::string& cwd);
// --mount type=bind|volume|tmpfs,source=…,target=…,readonly,bind-propagation=…,
// tmpfs-size=…,tmpfs-mode=… (docker's key=value syntax, with its aliases
// src, dst, destination, ro).
VolumeSpec parse_mount(std::string_view spec, const std::string& cwd);
// --tmpfs CTR[:OPTS]
VolumeSpec parse_tmpfs(std::string_view spec);

// --env-file contents: KEY=VALUE lines; "#" comments and blank lines skipped;
// a bare KEY takes its value from `lookup` (skipped when unset there).
// `file` names the file in errors ("FILE line N: …").
std::vector<std::string> parse_env_file(std::string_view text, const std::string& file,
                                        const std::function<std::optional<std::string>(const std::string&)>& lookup);

// --restart: no | always | unless-stopped | on-failure[:MAX].
struct RestartPolicy {
    std::string name = "no";
    int max_retries = 0;  // on-failure only; 0 = unlimited
};
RestartPolicy parse_restart(std::string_view spec);

// --log-opt for the json-file log: max-size (0 = never rotate) and max-file
// (how many files in all, log.json included). Each option is KEY=VALUE, or
// several joined by commas.
struct LogOptions {
    int64_t max_size = 0;
    int max_file = 1;
    std::map<std::string, std::string> given;  // as given, for HostConfig.LogConfig.Config
};
LogOptions parse_log_opts(const std::vector<std::string>& opts);

// "512m", "1g", "64k", "1024", "2gb": bytes (docker's RAMInBytes).
int64_t parse_size(std::string_view spec, const std::string& flag);
// --cpus "1.5" → nanocpus (1500000000).
int64_t parse_cpus(std::string_view spec);
// "SIGTERM", "TERM", "15", "SIGRTMIN+3" → signal number.
int parse_signal(std::string_view spec);
// "TERM" for 15, for messages and StopSignal.
std::string signal_name(int sig);

// --ulimit NAME=SOFT[:HARD]
std::tuple<std::string, uint64_t, uint64_t> parse_ulimit(std::string_view spec);

}  // namespace ctr::container

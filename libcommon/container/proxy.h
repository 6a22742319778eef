// Published ports without iptables or a bridge: the monitor listens on the
// host's ports and, for each connection (TCP) or client (UDP), opens a socket
// inside the container's network namespace to 127.0.0.1:PORT and relays bytes
// both ways (what docker's userland-proxy does, minus the bridge).
#pragma once

#include <sys/socket.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/container/event_loop.h"
#include "libcommon/container/options.h"

namespace ctr::container {

class PortProxy {
public:
    // Binds every host port now, so a port already in use fails the start
    // ("Bind for 0.0.0.0:8081 failed: port is already allocated").
    PortProxy(EventLoop& loop, const std::vector<PortBinding>& ports);
    ~PortProxy();
    PortProxy(const PortProxy&) = delete;
    PortProxy& operator=(const PortProxy&) = delete;

    // docker's NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8081"}]},
    // with a second entry {"HostIp": "::", ...} for a dual-stack socket.
    nlohmann::json bound_ports() const;
    // Where connections go: the container's netns (an fd the caller keeps
    // open), or -1 while it has none (connections are refused and open ones
    // closed).
    void set_target(int netns_fd);

private:
    struct Listener;
    struct Conn;
    struct UdpPeer;
    void accept_tcp(Listener& l);
    void udp_from_host(Listener& l);
    void close_conn(Conn* c);
    void update(Conn* c);
    void pump(Conn* c);

    EventLoop& loop_;
    int netns_ = -1;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::map<Conn*, std::unique_ptr<Conn>> conns_;
};

}  // namespace ctr::container

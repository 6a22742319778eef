#include "libcommon/container/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libcommon/bundle/netns.h"
#include "libcommon/sys/error.h"

namespace ctr::container {

using json = nlohmann::json;

namespace {

constexpr size_t buffer_cap = 256 * 1024;

// A bound, listening (TCP) or receiving (UDP) socket for one host address:port.
UniqueFd bind_host(const PortBinding& b, int& family, uint16_t& port) {
    int type = (b.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    std::string shown = b.host_ip.empty() ? "0.0.0.0" : b.host_ip;
    auto fail = [&](int err) {
        if (err == EADDRINUSE)
            return Error("Bind for " + shown + ":" + std::to_string(b.host_port) + " failed: port is already allocated");
        return Error("bind " + shown + ":" + std::to_string(b.host_port) + ": " + std::strerror(err));
    };
    auto try_bind = [&](int fam, const std::string& ip) -> UniqueFd {
        UniqueFd fd(::socket(fam, type, 0));
        if (!fd) return fd;
        int one = 1, zero = 0;
        if (b.proto == "tcp") ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_storage ss = {};
        socklen_t len;
        if (fam == AF_INET6) {
            ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, ip.empty() ? &zero : &one, sizeof one);
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(b.host_port);
            a->sin6_addr = in6addr_any;
            if (!ip.empty() && ::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) != 1)
                throw Error("invalid host IP \"" + ip + "\"");
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_port = htons(b.host_port);
            a->sin_addr.s_addr = htonl(INADDR_ANY);
            if (!ip.empty() && ::inet_pton(AF_INET, ip.c_str(), &a->sin_addr) != 1)
                throw Error("invalid host IP \"" + ip + "\"");
            len = sizeof *a;
        }
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) throw fail(errno);
        if (b.proto == "tcp" && ::listen(fd.get(), 128) < 0) throw fail(errno);
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
        port = ntohs(fam == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        family = fam;
        return fd;
    };
    if (b.host_ip.empty()) {
        // Every address: one dual-stack socket, or IPv4 alone on hosts without IPv6.
        if (auto fd = try_bind(AF_INET6, "")) return fd;
        return try_bind(AF_INET, "");
    }
    auto fd = try_bind(b.host_ip.find(':') != std::string::npos ? AF_INET6 : AF_INET, b.host_ip);
    if (!fd) throw_errno("socket for " + shown);
    return fd;
}

}  // namespace

struct PortProxy::UdpPeer {
    UniqueFd inner;
    struct sockaddr_storage client;
    socklen_t len;
};

struct PortProxy::Listener {
    PortBinding b;
    UniqueFd fd;
    int family = AF_INET;
    uint16_t port = 0;
    std::map<std::string, std::unique_ptr<UdpPeer>> peers;
};

struct PortProxy::Conn {
    UniqueFd a;  // the host's client
    UniqueFd b;  // inside the container
    bool connected = false;
    std::string ab, ba;  // bytes on their way a→b, b→a
    bool a_eof = false, b_eof = false, a_shut = false, b_shut = false;
};

PortProxy::PortProxy(EventLoop& loop, const std::vector<PortBinding>& ports) : loop_(loop) {
    for (auto& p : ports) {
        auto l = std::make_unique<Listener>();
        l->b = p;
        l->fd = bind_host(p, l->family, l->port);
        Listener* raw = l.get();
        loop_.add(raw->fd.get(), EPOLLIN, [this, raw](uint32_t) {
            if (raw->b.proto == "udp")
                udp_from_host(*raw);
            else
                accept_tcp(*raw);
        });
        listeners_.push_back(std::move(l));
    }
}

PortProxy::~PortProxy() {
    set_target(-1);
    for (auto& l : listeners_) loop_.remove(l->fd.get());
}

json PortProxy::bound_ports() const {
    json out = json::object();
    for (auto& l : listeners_) {
        std::string port = std::to_string(l->port);
        json& list = out[l->b.key()];
        if (!l->b.host_ip.empty()) {
            list.push_back({{"HostIp", l->b.host_ip}, {"HostPort", port}});
            continue;
        }
        // Every address: docker lists IPv4's and, when the socket is
        // dual-stack, IPv6's ("0.0.0.0:8081->80/tcp, :::8081->80/tcp").
        list.push_back({{"HostIp", "0.0.0.0"}, {"HostPort", port}});
        if (l->family == AF_INET6) list.push_back({{"HostIp", "::"}, {"HostPort", port}});
    }
    return out;
}

void PortProxy::set_target(int netns_fd) {
    netns_ = netns_fd;
    if (netns_fd >= 0) return;
    while (!conns_.empty()) close_conn(conns_.begin()->first);
    for (auto& l : listeners_) {
        for (auto& [k, p] : l->peers) loop_.remove(p->inner.get());
        l->peers.clear();
    }
}

void PortProxy::accept_tcp(Listener& l) {
    while (true) {
        UniqueFd client(::accept4(l.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!client) return;
        if (netns_ < 0) continue;  // no container to reach: the client sees the connection closed
        auto c = std::make_unique<Conn>();
        c->a = std::move(client);
        try {
            c->b = bundle::socket_in_netns(netns_, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
        } catch (const std::exception&) {
            continue;
        }
        struct sockaddr_in to = {};
        to.sin_family = AF_INET;
        to.sin_port = htons(l.b.container_port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c->b.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0 && errno != EINPROGRESS) continue;
        Conn* raw = c.get();
        conns_[raw] = std::move(c);
        loop_.add(raw->a.get(), 0, [this, raw](uint32_t) { pump(raw); });
        loop_.add(raw->b.get(), EPOLLOUT, [this, raw](uint32_t) { pump(raw); });
    }
}

void PortProxy::close_conn(Conn* c) {
    loop_.remove(c->a.get());
    loop_.remove(c->b.get());
    conns_.erase(c);
}

void PortProxy::update(Conn* c) {
    uint32_t ea = 0, eb = 0;
    if (c->connected) {
        if (!c->a_eof && c->ab.size() < buffer_cap) ea |= EPOLLIN;
        if (!c->ba.empty()) ea |= EPOLLOUT;
        if (!c->b_eof && c->ba.size() < buffer_cap) eb |= EPOLLIN;
        if (!c->ab.empty()) eb |= EPOLLOUT;
    } else {
        eb = EPOLLOUT;
    }
    loop_.modify(c->a.get(), ea);
    loop_.modify(c->b.get(), eb);
}

void PortProxy::pump(Conn* c) {
    if (!c->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c->b.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return close_conn(c);
        struct sockaddr_storage peer;
        len = sizeof peer;
        if (::getpeername(c->b.get(), reinterpret_cast<sockaddr*>(&peer), &len) < 0) {
            if (errno == ENOTCONN) return update(c);  // still connecting
            return close_conn(c);
        }
        c->connected = true;
    }
    char buf[65536];
    // Each direction: read what fits, write what is buffered, pass EOF on.
    auto move = [&](int from, int to, std::string& q, bool& from_eof, bool& to_shut) -> bool {
        while (!from_eof && q.size() < buffer_cap) {
            ssize_t n = ::read(from, buf, sizeof buf);
            if (n > 0) {
                q.append(buf, static_cast<size_t>(n));
                continue;
            }
            if (n == 0) from_eof = true;
            else if (errno != EAGAIN && errno != EINTR) return false;
            break;
        }
        while (!q.empty()) {
            ssize_t n = ::send(to, q.data(), q.size(), MSG_NOSIGNAL);
            if (n > 0) {
                q.erase(0, static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
            break;
        }
        if (from_eof && q.empty() && !to_shut) {
            ::shutdown(to, SHUT_WR);
            to_shut = true;
        }
        return true;
    };
    if (!move(c->a.get(), c->b.get(), c->ab, c->a_eof, c->b_shut) ||
        !move(c->b.get(), c->a.get(), c->ba, c->b_eof, c->a_shut))
        return close_conn(c);
    if (c->a_shut && c->b_shut) return close_conn(c);
    update(c);
}

void PortProxy::udp_from_host(Listener& l) {
    char buf[65536];
    while (true) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(l.fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return;
        if (netns_ < 0) continue;
        std::string key(reinterpret_cast<char*>(&from), len);
        auto it = l.peers.find(key);
        if (it == l.peers.end()) {
            auto p = std::make_unique<UdpPeer>();
            try {
                p->inner = bundle::socket_in_netns(netns_, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
            } catch (const std::exception&) {
                continue;
            }
            struct sockaddr_in to = {};
            to.sin_family = AF_INET;
            to.sin_port = htons(l.b.container_port);
            to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(p->inner.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) continue;
            p->client = from;
            p->len = len;
            UdpPeer* raw = p.get();
            Listener* lp = &l;
            loop_.add(raw->inner.get(), EPOLLIN, [raw, lp](uint32_t) {
                char rbuf[65536];
                ssize_t m;
                while ((m = ::recv(raw->inner.get(), rbuf, sizeof rbuf, 0)) >= 0)
                    ::sendto(lp->fd.get(), rbuf, static_cast<size_t>(m), 0,
                             reinterpret_cast<sockaddr*>(&raw->client), raw->len);
            });
            it = l.peers.emplace(key, std::move(p)).first;
        }
        ::send(it->second->inner.get(), buf, static_cast<size_t>(n), 0);
    }
}

}  // namespace ctr::container

#!/usr/bin/env bats
# Published ports: a userspace proxy from the host into the container's own
# network namespace (loopback only, no bridge, no iptables).

load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

# httpd_container HOSTPORT TEXT: busybox httpd serving TEXT at /index.html.
httpd_container() {
    ctr-create -p "127.0.0.1:$1:80" busybox sh -c "mkdir -p /www && echo $2 >/www/index.html && exec httpd -f -p 80 -h /www" |
        ctr-start -d
}

@test "-p 127.0.0.1:PORT:80 with busybox httpd answers curl on the host; the container has its own netns" {
    port=$(free_port)
    id=$(httpd_container "$port" hello-world)
    wait_until 10 status_is "$id" running
    wait_until 10 curl -sf "http://127.0.0.1:$port/"
    [ "$(curl -s "http://127.0.0.1:$port/")" = hello-world ]
    pid=$(record "$id" .State.Pid)
    [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ]
    [ "$(record "$id" '.NetworkSettings.Ports["80/tcp"][0].HostPort')" = "$port" ]
    # port 80 on the host is not the container's
    ! curl -sf --max-time 1 "http://127.0.0.1:80/" | grep -q hello-world
    # a big response goes through intact
    ctr-exec "$id" sh -c 'head -c 3000000 /dev/zero | tr "\0" x >/www/big'
    [ "$(curl -s "http://127.0.0.1:$port/big" | wc -c)" = 3000000 ]
}

@test "two containers on the same container port, different host ports" {
    p1=$(free_port)
    p2=$(free_port)
    a=$(httpd_container "$p1" one)
    b=$(httpd_container "$p2" two)
    wait_until 10 curl -sf "http://127.0.0.1:$p1/"
    wait_until 10 curl -sf "http://127.0.0.1:$p2/"
    [ "$(curl -s "http://127.0.0.1:$p1/")" = one ]
    [ "$(curl -s "http://127.0.0.1:$p2/")" = two ]
    ctr-stop -t 1 "$a" "$b"
    ! curl -sf --max-time 1 "http://127.0.0.1:$p1/"
}

@test "a host port in use: the start fails with docker's words, nothing left running" {
    port=$(free_port)
    a=$(httpd_container "$port" first)
    wait_until 10 status_is "$a" running
    b=$(ctr-create -p "127.0.0.1:$port:80" busybox httpd -f -p 80)
    run ctr-start "$b"
    [ "$status" -ne 0 ]
    [[ $output == *"port is already allocated"* ]]
    [ "$(record "$b" .State.Status)" = created ]
    [ "$(mounts_under "$CTR_ROOT/containers/$b")" -eq 0 ]
}

@test "-p with no host port takes a free one; udp is proxied too" {
    # busybox has no UDP server: a static echo server, bind-mounted in.
    cat >"$TEST_DIR/udpecho.c" <<'C'
#include <netinet/in.h>
#include <sys/socket.h>
int main(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {AF_INET, htons(5353), {htonl(INADDR_ANY)}};
    bind(s, (struct sockaddr *)&a, sizeof a);
    char buf[512]; struct sockaddr_in from; socklen_t len;
    for (;;) {
        len = sizeof from;
        long n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
        if (n > 0) sendto(s, buf, n, 0, (struct sockaddr *)&from, len);
    }
}
C
    cc -static -O2 -o "$TEST_DIR/udpecho" "$TEST_DIR/udpecho.c"
    id=$(ctr-create -p 127.0.0.1::80 -p "127.0.0.1::5353/udp" -v "$TEST_DIR/udpecho:/udpecho:ro" busybox sh -c \
        'echo ok >/tmp/index.html; httpd -p 80 -h /tmp; exec /udpecho' | ctr-start -d)
    wait_until 10 status_is "$id" running
    port=$(record "$id" '.NetworkSettings.Ports["80/tcp"][0].HostPort')
    [ "$port" -gt 0 ]
    wait_until 10 curl -sf "http://127.0.0.1:$port/index.html"
    uport=$(record "$id" '.NetworkSettings.Ports["5353/udp"][0].HostPort')
    [ "$uport" -gt 0 ]
    run python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(10):
    s.sendto(b'ping', ('127.0.0.1', $uport))
    try:
        print(s.recvfrom(100)[0].decode()); break
    except socket.timeout:
        pass"
    [ "$output" = ping ]
}

@test "-p PORT:80 (every address) listens dual-stack, and shows both as docker does" {
    port=$(free_port)
    id=$(ctr-create -p "$port:80" busybox sh -c 'echo both >/tmp/index.html; exec httpd -f -p 80 -h /tmp' | ctr-start -d)
    wait_until 10 status_is "$id" running
    wait_until 10 curl -sf "http://127.0.0.1:$port/index.html"
    [ "$(record "$id" '.NetworkSettings.Ports["80/tcp"] | map(.HostIp + ":" + .HostPort) | join(" ")')" = "0.0.0.0:$port :::$port" ]
    [ "$(curl -s -g "http://[::1]:$port/index.html")" = both ]
    [ "$(ctr-ps --format '{{.Ports}}' --filter "id=$id")" = "0.0.0.0:$port->80/tcp, :::$port->80/tcp" ]
}

@test "--network host: the host's netns; --network none: loopback only, no proxy" {
    id=$(ctr-create --network host busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$id" running
    pid=$(record "$id" .State.Pid)
    [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]
    id2=$(ctr-create --network none busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$id2" running
    pid2=$(record "$id2" .State.Pid)
    [ "$(readlink /proc/$pid2/ns/net)" != "$(readlink /proc/self/ns/net)" ]
    ctr-kill "$id" "$id2"
}

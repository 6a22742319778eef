#!/usr/bin/env bats
# ctr-run's namespaces: every kind the config asks for is new (its
# /proc/self/ns link differs from the host's), one given by path is joined,
# and a user namespace gets the configured uid/gid mappings.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    # Root in a user namespace is an unprivileged host uid: it must reach the rootfs.
    chmod 755 "$TEST_DIR"
}
teardown() { ctr_teardown; }

NS_KINDS="pid net ipc uts mnt cgroup user time"
ns_links() { for n in $NS_KINDS; do readlink /proc/${1:-self}/ns/$n; done; }

USERNS='.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'

@test "every namespace kind asked for is new" {
    cfg '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"},{"type":"user"},{"type":"time"}]'
    cfg "$USERNS"
    set_args sh -c "for n in $NS_KINDS; do readlink /proc/self/ns/\$n; done"
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    mapfile -t host < <(ns_links)
    [ "${#lines[@]}" -eq 8 ]
    for i in $(seq 0 7); do
        [ "${lines[$i]%%:*}" = "${host[$i]%%:*}" ]
        [ "${lines[$i]}" != "${host[$i]}" ] || { echo "not new: ${lines[$i]}"; false; }
    done
}

@test "a network namespace of its own has its loopback up, as runc and crun make it" {
    cfg '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"mount"}] | del(.hostname)'
    set_args sh -c 'echo $(( $(cat /sys/class/net/lo/flags) & 1 ))'
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "$output" = 1 ]
}

@test "namespaces not asked for are the host's" {
    cfg '.linux.namespaces = [{"type":"mount"}] | del(.hostname)'
    set_args sh -c "for n in pid net ipc uts cgroup user time; do readlink /proc/self/ns/\$n; done"
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "$output" = "$(for n in pid net ipc uts cgroup user time; do readlink /proc/self/ns/$n; done)" ]
}

@test "the pid namespace makes the program pid 1; hostname and domainname are set" {
    cfg '.hostname = "box-one" | .domainname = "example.test"'
    set_args sh -c 'echo $$; hostname; cat /proc/sys/kernel/domainname'
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '1\nbox-one\nexample.test')" ]
    [ "$(hostname)" != box-one ]
}

@test "namespaces given by path are joined" {
    set_args sleep 60
    cfg '.linux.namespaces += [{"type":"cgroup"}]'
    rt run -d --bundle "$BUNDLE" "$CID"
    a=$(rt state "$CID" | jq -r .pid)
    b=$(test_name b)
    make_bundle "$TEST_DIR/b" >/dev/null
    jq --arg p /proc/$a/ns '.process.terminal = false
        | .process.args = ["sh", "-c", "for n in pid net ipc uts cgroup; do readlink /proc/self/ns/$n; done; ps -o pid,args | grep -c \"sleep 60\""]
        | .linux.namespaces = [{"type":"mount"}, {"type":"pid","path":($p+"/pid")}, {"type":"network","path":($p+"/net")},
                               {"type":"ipc","path":($p+"/ipc")}, {"type":"uts","path":($p+"/uts")}, {"type":"cgroup","path":($p+"/cgroup")}]' \
        "$TEST_DIR/b/config.json" >"$TEST_DIR/b/c" && mv "$TEST_DIR/b/c" "$TEST_DIR/b/config.json"
    run --separate-stderr rt run --bundle "$TEST_DIR/b" "$b"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "${lines[@]:0:5}")" = "$(for n in pid net ipc uts cgroup; do readlink /proc/$a/ns/$n; done)" ]
    # In A's pid namespace, A's sleep is visible.
    [ "${lines[5]}" -ge 1 ]
    rt delete --force "$CID"
}

@test "a bad namespace path fails create with the path named and leaves nothing" {
    cfg '.linux.namespaces += [{"type":"ipc","path":"/nonexistent/ns"}] | .linux.namespaces |= map(select(.type != "ipc" or .path))'
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"/nonexistent/ns"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "a user namespace gets its uid and gid mappings; root inside is 100000 outside" {
    cfg '.linux.namespaces += [{"type":"user"}]'
    cfg "$USERNS"
    set_args sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; exec sleep 60'
    rt run -d --bundle "$BUNDLE" "$CID" >"$TEST_DIR/out" 2>&1
    pid=$(rt state "$CID" | jq -r .pid)
    for i in $(seq 50); do [ "$(wc -l <"$TEST_DIR/out")" -ge 4 ] && break; sleep 0.05; done
    run cat "$TEST_DIR/out"
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [ "$(echo ${lines[2]})" = "0 100000 65536" ]
    [ "$(echo ${lines[3]})" = "0 100000 65536" ]
    [ "$(stat -c %u /proc/$pid)" = 100000 ]
    [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 100000 ]
    # A process exec'd into it is root inside and 100000 on the host too.
    [ "$(rt exec "$CID" id -u)" = 0 ]
    rt exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" sleep 60
    [ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$(cat "$TEST_DIR/exec.pid")/status)" = "100000 100000 100000 100000" ]
    rt delete --force "$CID"
}

@test "a user namespace with a non-root user and mapped groups" {
    cfg '.linux.namespaces += [{"type":"user"}]'
    cfg "$USERNS"
    cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}'
    set_args sh -c 'id -u; id -g; id -G'
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = 1000 ]
    [ "${lines[2]}" = "1000 10 20" ]
}

@test "a time namespace applies timeOffsets" {
    cfg '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"monotonic": {"secs": 864000, "nanosecs": 0}, "boottime": {"secs": 864000, "nanosecs": 0}}'
    set_args cat /proc/uptime
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    inside=${output%%.*}
    host=$(cut -d. -f1 /proc/uptime)
    [ $((inside - host)) -ge 863990 ]
}

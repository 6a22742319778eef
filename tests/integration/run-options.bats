#!/usr/bin/env bats
# ctr-run's less common create/run options and config shapes: --no-pivot,
# `spec --rootless` bundles, joining a user namespace by path, LISTEN_FDS
# socket activation, the --log/--log-format/--debug log.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() { run_setup; }
teardown() { ctr_teardown; }

@test "--no-pivot runs the container with the rootfs moved to / (chroot)" {
    set_args sh -c 'ls /bin/busybox && awk '"'"'$5 == "/"'"'"' /proc/self/mountinfo | wc -l'
    run --separate-stderr rt run --no-pivot --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = /bin/busybox ]
}

@test "a bundle from spec --rootless runs (as root: a user namespace mapping our uid)" {
    rm "$BUNDLE/config.json"
    (cd "$BUNDLE" && ctr-run spec --rootless)
    chmod 755 "$TEST_DIR"
    jq -e '.linux.namespaces | map(.type) | index("user")' "$BUNDLE/config.json"
    [ "$(jq -r '.linux.uidMappings[0].hostID' "$BUNDLE/config.json")" = "$(id -u)" ]
    cfg '.process.terminal = false'
    set_args sh -c 'id -u; cat /proc/self/uid_map'
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "$(echo ${lines[1]})" = "0 $(id -u) 1" ]
}

@test "a user namespace given by path is joined, with the namespaces it owns" {
    chmod 755 "$TEST_DIR"
    cfg '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]'
    set_args sleep 60
    rt run -d --bundle "$BUNDLE" "$CID"
    a=$(rt state "$CID" | jq -r .pid)
    b=$(test_name b)
    make_bundle "$TEST_DIR/b" >/dev/null
    jq --arg p /proc/$a/ns '.process.terminal = false
        | .process.args = ["sh", "-c", "readlink /proc/self/ns/user; readlink /proc/self/ns/net; cat /proc/self/uid_map"]
        | .linux.namespaces = [{"type":"mount"}, {"type":"pid"}, {"type":"uts"}, {"type":"ipc"}, {"type":"user","path":($p+"/user")}, {"type":"network","path":($p+"/net")}]' \
        "$TEST_DIR/b/config.json" >"$TEST_DIR/b/c" && mv "$TEST_DIR/b/c" "$TEST_DIR/b/config.json"
    run --separate-stderr rt run --bundle "$TEST_DIR/b" "$b"
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
    [ "${lines[0]}" = "$(readlink /proc/$a/ns/user)" ]
    [ "${lines[1]}" = "$(readlink /proc/$a/ns/net)" ]
    [ "$(echo ${lines[2]})" = "0 200000 1000" ]
    rt delete --force "$CID"
}

@test "LISTEN_FDS: socket-activated fds and their variables reach the container" {
    set_args sh -c 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3'
    echo activated >"$TEST_DIR/fd3"
    run --separate-stderr env LISTEN_FDS=1 LISTEN_PID=$$ ctr-run --root "$RUN_ROOT" run --bundle "$BUNDLE" "$CID" 3<"$TEST_DIR/fd3"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '1 1\nactivated')" ]
}

@test "--log with text and json formats; --debug adds the steps; errors from the init are logged" {
    set_args no-such-program
    run rt --log "$TEST_DIR/log.json" --log-format json --debug run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *'"no-such-program": executable file not found'* ]]
    # Every line is a JSON object; the last is the error; debug lines came before it.
    jq -e . "$TEST_DIR/log.json" >/dev/null
    [ "$(tail -1 "$TEST_DIR/log.json" | jq -r .level)" = error ]
    [[ $(tail -1 "$TEST_DIR/log.json" | jq -r .msg) == *no-such-program* ]]
    [ "$(jq -r .level "$TEST_DIR/log.json" | grep -c debug)" -ge 1 ]
    run rt --log "$TEST_DIR/log.txt" run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    grep -q '^time=".*" level=error msg=".*no-such-program.*"$' "$TEST_DIR/log.txt"
    ! grep -q level=debug "$TEST_DIR/log.txt"
    run rt --log-format yaml list
    [ "$status" -ne 0 ]
    [[ $output == *yaml* ]]
}

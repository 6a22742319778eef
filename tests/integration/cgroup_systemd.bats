#!/usr/bin/env bats
# --systemd-cgroup over real D-Bus. No systemd runs on this machine, so each
# test starts a private dbus-daemon and build/tests/tools/ctr-fake-systemd,
# which answers StartTransientUnit/StopUnit as systemd does and makes the
# unit's cgroup in a test-owned directory of the real cgroup2 mount. What is
# real: the sd-bus client, the D-Bus protocol and its errors, the job
# signals, the cgroup. What is not: systemd's own handling of the unit.

load helpers
bats_require_minimum_version 1.5.0

PROBE=$CTR_SRC/build/tests/tools/ctr-runtime-probe
FAKE=$CTR_SRC/build/tests/tools/ctr-fake-systemd

setup() {
    ctr_setup
    command -v dbus-daemon >/dev/null || skip "dbus-daemon is not installed"
    UNIFIED=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
    [ -n "$UNIFIED" ] || skip "no cgroup2 mount on this host"
    TOP=$UNIFIED/$TEST_ID
    mkdir "$TOP"
    cat >"$TEST_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$TEST_DIR/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
    dbus-daemon --config-file="$TEST_DIR/bus.conf" --nofork --nopidfile >/dev/null 2>&1 &
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TEST_DIR/bus
    for _ in $(seq 100); do [ -S "$TEST_DIR/bus" ] && break; sleep 0.02; done
}
teardown() { ctr_teardown; }

start_fake() {
    "$FAKE" --root "$TOP" --log "$TEST_DIR/calls.log" --ready "$TEST_DIR/ready" 2>"$TEST_DIR/fake.err" &
    for _ in $(seq 100); do [ -e "$TEST_DIR/ready" ] && break; sleep 0.02; done
    [ -e "$TEST_DIR/ready" ]
}

config() {
    jq -n --argjson r "$1" --arg p "$2" --argjson a "${3:-{\}}" \
        '{annotations: $a, linux: {resources: $r, cgroupsPath: $p}}' >"$TEST_DIR/config.json"
}

@test "systemd: a transient scope with the init in it, Delegate=yes, removed on destroy" {
    start_fake
    config '{}' "machine.slice:ctrtest:$TEST_ID" '{"org.systemd.property.TimeoutStopSec": "5", "org.systemd.property.CollectMode": "'"'inactive-or-failed'"'"}'
    run "$PROBE" cgroup run --systemd --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- cat /proc/self/cgroup
    [ "$status" -eq 0 ]
    [[ $output == *"0::${TOP#$UNIFIED}/machine.slice/ctrtest-$TEST_ID.scope"* ]]
    call=$(grep StartTransientUnit "$TEST_DIR/calls.log")
    [ "$(jq -r .unit <<<"$call")" = "ctrtest-$TEST_ID.scope" ]
    [ "$(jq -r .properties.Slice.value <<<"$call")" = machine.slice ]
    [ "$(jq -r .properties.Delegate.value <<<"$call")" = true ]
    [ "$(jq -r '.properties.PIDs.value | length' <<<"$call")" = 1 ]
    [ "$(jq -r .properties.TimeoutStopUSec.value <<<"$call")" = 5000000 ]
    [ "$(jq -r .properties.CollectMode.value <<<"$call")" = inactive-or-failed ]
    [ "$(jq -r .driver "$TEST_DIR/state")" = systemd ]
    [ -d "$TOP/machine.slice/ctrtest-$TEST_ID.scope" ]

    run "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ "$status" -eq 0 ]
    grep -q '"call":"StopUnit"' "$TEST_DIR/calls.log"
    [ ! -d "$TOP/machine.slice/ctrtest-$TEST_ID.scope" ]
    run "$PROBE" cgroup destroy "$TEST_DIR/state"  # NoSuchUnit: already gone is fine
    [ "$status" -eq 0 ]
}

@test "systemd: the settings are written at the unit's cgroup, freeze and kill work there" {
    start_fake
    config '{}' "system.slice:ctr:$TEST_ID"
    pid=$("$PROBE" cgroup run --detach --systemd --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- sleep 100)
    [ "$("$PROBE" cgroup pids "$TEST_DIR/state")" = "$pid" ]
    "$PROBE" cgroup freeze "$TEST_DIR/state"
    grep -qx 'frozen 1' "$TOP/system.slice/ctr-$TEST_ID.scope/cgroup.events"
    "$PROBE" cgroup thaw "$TEST_DIR/state"
    "$PROBE" cgroup kill "$TEST_DIR/state" 9
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ ! -d "$TOP/system.slice/ctr-$TEST_ID.scope" ]
}

@test "systemd: a bus without systemd on it, and a bad annotation, are clear errors" {
    config '{}' "system.slice:ctr:$TEST_ID"
    run "$PROBE" cgroup run --systemd --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -ne 0 ]
    [[ $output == *"--systemd-cgroup: systemd is not on the system bus"* ]]
    start_fake
    config '{}' "system.slice:ctr:$TEST_ID" '{"org.systemd.property.CPUWeight": "lots"}'
    run "$PROBE" cgroup run --systemd --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -ne 0 ]
    [[ $output == *'annotations.org.systemd.property.CPUWeight: can'"'"'t read the value "lots"'* ]]
    [ -z "$(find "$TOP" -mindepth 1 -type d)" ]
}

# ctr-run itself with --systemd-cgroup: the D-Bus calls go through its
# helper, build/libexec/ctr/ctr-run-systemd (PREFIX/libexec/ctr/ installed).
systemd_bundle() {
    BUNDLE=$(make_bundle)
    CID=$(test_name)
    jq --arg p "$TEST_ID.slice:ctrtest:$CID" \
        '.process.terminal = false | .process.args = ["sleep", "100"] | .linux.cgroupsPath = $p' \
        "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
}

# create with the ctr-run given; the init keeps the stdout it was given
# until start, so not bats' pipe (run would wait for it).
create_with() {
    "$1" --root "$RUN_ROOT" --systemd-cgroup create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/create.out"
}

# Nothing of the container is left: no state, no process in its rootfs, no
# scope cgroup in any hierarchy, no unit. (The slice stays, as systemd's
# slices do; teardown removes it.)
nothing_left() {
    [ -z "$(ctr-run --root "$RUN_ROOT" list -q)" ]
    [ -z "$(find /proc -mindepth 2 -maxdepth 2 -name root -lname "$BUNDLE*" 2>/dev/null)" ]
    [ -z "$(find /sys/fs/cgroup -name "ctrtest-$CID.scope" ! -path "$TOP/*" 2>/dev/null)" ]
    [ -z "$(find "$TOP" -mindepth 1 -name '*.scope')" ]
}

@test "ctr-run --systemd-cgroup: create starts the scope through ctr-run-systemd, delete stops it" {
    start_fake
    systemd_bundle
    run --separate-stderr create_with ctr-run
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
    pid=$(ctr-run --root "$RUN_ROOT" state "$CID" | jq -r .pid)
    call=$(grep StartTransientUnit "$TEST_DIR/calls.log")
    [ "$(jq -r .unit <<<"$call")" = "ctrtest-$CID.scope" ]
    [ "$(jq -c .properties.PIDs.value <<<"$call")" = "[$pid]" ]
    [ "$(jq -r .properties.Slice.value <<<"$call")" = "$TEST_ID.slice" ]
    [ "$(jq -r .properties.Delegate.value <<<"$call")" = true ]
    grep -qx "[0-9]*:memory:/$TEST_ID.slice/ctrtest-$CID.scope" "/proc/$pid/cgroup"
    [ "$(jq -r .owner < <(ctr-run --root "$RUN_ROOT" state "$CID"))" = root ]
    ctr-run --root "$RUN_ROOT" start "$CID"
    ctr-run --root "$RUN_ROOT" delete --force "$CID"
    grep -q "\"call\":\"StopUnit\".*\"unit\":\"ctrtest-$CID.scope\"" "$TEST_DIR/calls.log"
    nothing_left
}

@test "ctr-run --systemd-cgroup: without its helper, one line naming where it belongs; nothing is made" {
    start_fake
    systemd_bundle
    # ctr-run as `make install` lays it out, but without the helper.
    mkdir -p "$TEST_DIR/prefix/bin"
    cp "$BIN/ctr-run" "$TEST_DIR/prefix/bin/"
    run --separate-stderr create_with "$TEST_DIR/prefix/bin/ctr-run"
    [ "$status" -eq 1 ]
    [ "$stderr" = "ctr-run: --systemd-cgroup needs the helper program $TEST_DIR/prefix/libexec/ctr/ctr-run-systemd, which is missing: reinstall ctr (make install)" ]
    ! grep -q StartTransientUnit "$TEST_DIR/calls.log"
    nothing_left
    # Where make install puts it, it is found.
    install -D "$CTR_SRC/build/libexec/ctr/ctr-run-systemd" "$TEST_DIR/prefix/libexec/ctr/ctr-run-systemd"
    run --separate-stderr create_with "$TEST_DIR/prefix/bin/ctr-run"
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
    grep -q StartTransientUnit "$TEST_DIR/calls.log"
    "$TEST_DIR/prefix/bin/ctr-run" --root "$RUN_ROOT" delete --force "$CID"
    nothing_left
}

@test "ctr-run --systemd-cgroup: no D-Bus, or no systemd on it: one line, nothing left behind" {
    systemd_bundle
    DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TEST_DIR/no-bus \
        run --separate-stderr create_with ctr-run
    [ "$status" -eq 1 ]
    [ "$stderr" = "ctr-run: --systemd-cgroup: can't reach systemd over D-Bus (connect to the system bus at unix:path=$TEST_DIR/no-bus: No such file or directory); is systemd running? Without it, run without --systemd-cgroup" ]
    nothing_left
    # The bus is there; systemd is not on it.
    run --separate-stderr create_with ctr-run
    [ "$status" -eq 1 ]
    [[ $stderr == "ctr-run: --systemd-cgroup: systemd is not on the system bus ("*"); is systemd running? Without it, run without --systemd-cgroup" ]]
    [ "$(wc -l <<<"$stderr")" = 1 ]
    nothing_left
}

@test "ctr-run --systemd-cgroup: a helper that dies is named in the error; nothing left behind" {
    start_fake
    systemd_bundle
    mkdir -p "$TEST_DIR/prefix/bin" "$TEST_DIR/prefix/libexec/ctr"
    cp "$BIN/ctr-run" "$TEST_DIR/prefix/bin/"
    helper=$TEST_DIR/prefix/libexec/ctr/ctr-run-systemd
    printf '#!/bin/sh\n[ "$1" = stop ] && exec %s "$@"\nkill -9 $$\n' "$CTR_SRC/build/libexec/ctr/ctr-run-systemd" >"$helper"
    chmod +x "$helper"
    run --separate-stderr create_with "$TEST_DIR/prefix/bin/ctr-run"
    [ "$status" -eq 1 ]
    [ "$stderr" = "ctr-run: --systemd-cgroup: start the systemd unit ctrtest-$CID.scope: $helper failed (killed by signal 9)" ]
    nothing_left
}

@test "ctr-run-systemd: --help, and a bad request is exit status 2 with one line" {
    helper=$CTR_SRC/build/libexec/ctr/ctr-run-systemd
    run "$helper" --help
    [ "$status" -eq 0 ]
    [[ $output == "Usage: ctr-run-systemd start|stop < REQUEST"* ]]
    run "$helper" restart </dev/null
    [ "$status" -eq 2 ]
    [ "$output" = "ctr-run-systemd: usage: ctr-run-systemd start|stop < REQUEST (see --help)" ]
    run "$helper" stop <<<'{"name": "x"}'
    [ "$status" -eq 2 ]
    [ "$output" = 'ctr-run-systemd: the request on stdin has no "unit"' ]
    start_fake
    run "$helper" start <<<'{"unit": "x.scope", "properties": [{"name": "PIDs", "type": "au", "value": ["one"]}]}'
    [ "$status" -eq 2 ]
    [ "$output" = 'ctr-run-systemd: properties[0] (PIDs): a value of type "au" expected' ]
    ! grep -q StartTransientUnit "$TEST_DIR/calls.log"
    run "$helper" stop <<<'{"unit": "x.scope"}'
    [ "$status" -eq 0 ]
    [ "$output" = '{"result":"no-such-unit"}' ]
}

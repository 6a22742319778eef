#!/usr/bin/env bats
# --systemd-cgroup over real D-Bus. No systemd runs on this machine, so each
# test starts a private dbus-daemon and build/tests/tools/ctr-fake-systemd,
# which answers StartTransientUnit/StopUnit as systemd does and makes the
# unit's cgroup in a test-owned directory of the real cgroup2 mount. What is
# real: the sd-bus client, the D-Bus protocol and its errors, the job
# signals, the cgroup. What is not: systemd's own handling of the unit.

load helpers

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

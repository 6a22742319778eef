#!/usr/bin/env bats
# Cgroups v1, for real, on this hybrid host: libcommon/runtime's Cgroup driven
# through build/tests/tools/ctr-runtime-probe (ctr-run calls the same code).
# Every cgroup is named after TEST_ID; teardown removes leftovers.

load helpers

PROBE=$CTR_SRC/build/tests/tools/ctr-runtime-probe

setup() {
    ctr_setup
    [ -d /sys/fs/cgroup/pids ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ] ||
        skip "this host has no cgroup v1 hierarchies"
}
teardown() { ctr_teardown; }

# config RESOURCES_JSON [CGROUPS_PATH]: a config.json in TEST_DIR.
config() {
    jq -n --argjson r "$1" --arg p "${2:-}" \
        '{linux: ({resources: $r} + (if $p == "" then {} else {cgroupsPath: $p} end))}' >"$TEST_DIR/config.json"
}

# The directory of a v1 controller's cgroup as this shell sees it (relative paths hang from our own cgroup).
own_v1() { sed -n "s/^[0-9]*:\([^:]*,\)*$1\(,[^:]*\)*:\(.*\)/\3/p" /proc/self/cgroup; }

@test "limits land in every v1 controller, and destroy removes the cgroup" {
    config '{"memory":{"limit":104857600,"swap":209715200,"reservation":52428800,"swappiness":10},
             "cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0","mems":"0"},
             "pids":{"limit":32},
             "blockIO":{"throttleReadBpsDevice":[{"major":254,"minor":0,"rate":1048576}]}}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- cat /proc/self/cgroup
    [ "$status" -eq 0 ]
    [[ $output == *"pids:/$TEST_ID"* ]]
    [[ $output == *"memory:/$TEST_ID"* ]]
    [[ $output == *"0::/$TEST_ID"* ]]  # the hybrid unified hierarchy too, as runc does
    cg=/sys/fs/cgroup
    [ "$(cat $cg/memory/$TEST_ID/memory.limit_in_bytes)" = 104857600 ]
    [ "$(cat $cg/memory/$TEST_ID/memory.memsw.limit_in_bytes)" = 209715200 ]
    [ "$(cat $cg/memory/$TEST_ID/memory.soft_limit_in_bytes)" = 52428800 ]
    [ "$(cat $cg/memory/$TEST_ID/memory.swappiness)" = 10 ]
    [ "$(cat $cg/cpu/$TEST_ID/cpu.shares)" = 512 ]
    [ "$(cat $cg/cpu/$TEST_ID/cpu.cfs_quota_us)" = 50000 ]
    [ "$(cat $cg/cpuset/$TEST_ID/cpuset.cpus)" = 0 ]
    [ "$(cat $cg/pids/$TEST_ID/pids.max)" = 32 ]
    [ "$(cat $cg/blkio/$TEST_ID/blkio.throttle.read_bps_device)" = "254:0 1048576" ]

    run "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ "$status" -eq 0 ]
    [ -z "$(find /sys/fs/cgroup -maxdepth 2 -name "$TEST_ID")" ]
    run "$PROBE" cgroup destroy "$TEST_DIR/state"  # idempotent
    [ "$status" -eq 0 ]
}

@test "a relative cgroupsPath hangs from the runtime's own cgroup in each hierarchy" {
    config '{}' "$TEST_ID/rel"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -eq 0 ]
    own=$(own_v1 memory)
    [ -d "/sys/fs/cgroup/memory${own%/}/$TEST_ID/rel" ]
    [ "$(jq -r '.paths.memory' "$TEST_DIR/state")" = "/sys/fs/cgroup/memory${own%/}/$TEST_ID/rel" ]
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ ! -d "/sys/fs/cgroup/memory${own%/}/$TEST_ID/rel" ]
}

@test "the pids limit stops a fork bomb" {
    config '{"pids":{"limit":4}}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- \
        sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait'
    [[ $output == *"fork"* || $output == *"Resource temporarily unavailable"* ]]
    [ "$(cat /sys/fs/cgroup/pids/$TEST_ID/pids.events | awk '{print $2}')" -gt 0 ]
    "$PROBE" cgroup kill "$TEST_DIR/state" 9
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "the memory limit OOM-kills a process that goes over it" {
    config '{"memory":{"limit":16777216,"swap":16777216}}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- \
        sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
    [ "$status" -ne 0 ]
    [[ $output != *survived* ]]
    grep -q '^oom_kill [1-9]' "$(jq -r .paths.memory "$TEST_DIR/state")/memory.oom_control"
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "devices: the config's rules plus the default devices, nothing else" {
    # /dev/loop-control (c 10:237) may be read but not written; /dev/zram0 is not listed.
    config '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":237,"access":"r"}]}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- sh -c '
        echo x >/dev/null && echo null-ok
        head -c1 /dev/urandom >/dev/null && echo urandom-ok
        true </dev/loop-control && echo lc-read-ok
        { true >/dev/loop-control; } 2>/dev/null || echo lc-write-denied
        { true </dev/zram0; } 2>/dev/null || echo zram-denied'
    [ "$status" -eq 0 ]
    [[ $output == *null-ok* && $output == *urandom-ok* && $output == *lc-read-ok* ]]
    [[ $output == *lc-write-denied* && $output == *zram-denied* ]]
    grep -qx 'c 10:237 r' /sys/fs/cgroup/devices/$TEST_ID/devices.list

    # update swaps loop-control for /dev/kmsg, entry by entry.
    echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}' >"$TEST_DIR/up.json"
    "$PROBE" cgroup update "$TEST_DIR/state" "$TEST_DIR/up.json"
    grep -qx 'c 1:11 r' /sys/fs/cgroup/devices/$TEST_ID/devices.list
    ! grep -q 'c 10:237' /sys/fs/cgroup/devices/$TEST_ID/devices.list
    grep -qx 'c 1:3 rwm' /sys/fs/cgroup/devices/$TEST_ID/devices.list
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "freeze, thaw, kill every process, list pids" {
    config '{}' "/$TEST_ID"
    pid=$("$PROBE" cgroup run --detach "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- sh -c 'sleep 100 & sleep 100')
    for _ in $(seq 50); do [ "$("$PROBE" cgroup pids "$TEST_DIR/state" | wc -l)" -ge 2 ] && break; sleep 0.02; done
    run "$PROBE" cgroup pids "$TEST_DIR/state"
    [ "${#lines[@]}" -ge 2 ]
    [[ " ${lines[*]} " == *" $pid "* ]]

    "$PROBE" cgroup freeze "$TEST_DIR/state"
    [ "$("$PROBE" cgroup frozen "$TEST_DIR/state")" = frozen ]
    [ "$(cat /sys/fs/cgroup/freezer/$TEST_ID/freezer.state)" = FROZEN ]
    "$PROBE" cgroup thaw "$TEST_DIR/state"
    [ "$("$PROBE" cgroup frozen "$TEST_DIR/state")" = thawed ]

    "$PROBE" cgroup kill "$TEST_DIR/state" 15
    for _ in $(seq 100); do [ -z "$("$PROBE" cgroup pids "$TEST_DIR/state")" ] && break; sleep 0.02; done
    [ -z "$("$PROBE" cgroup pids "$TEST_DIR/state")" ]
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "update raises memory and swap together, in an order the kernel takes" {
    config '{"memory":{"limit":104857600,"swap":209715200}}' "/$TEST_ID"
    "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    echo '{"memory":{"limit":314572800,"swap":419430400}}' >"$TEST_DIR/up.json"
    "$PROBE" cgroup update "$TEST_DIR/state" "$TEST_DIR/up.json"
    [ "$(cat /sys/fs/cgroup/memory/$TEST_ID/memory.limit_in_bytes)" = 314572800 ]
    echo '{"memory":{"limit":52428800,"swap":62914560},"pids":{"limit":7}}' >"$TEST_DIR/down.json"
    "$PROBE" cgroup update "$TEST_DIR/state" "$TEST_DIR/down.json"
    [ "$(cat /sys/fs/cgroup/memory/$TEST_ID/memory.memsw.limit_in_bytes)" = 62914560 ]
    [ "$(cat /sys/fs/cgroup/pids/$TEST_ID/pids.max)" = 7 ]
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "stats have the shape of runc's events --stats" {
    make_bundle "$TEST_DIR/bundle" >/dev/null
    name=$(test_name runc)
    jq --arg p "/$name" '.process.args = ["sleep", "100"] | .process.terminal = false |
        .linux.cgroupsPath = $p | .linux.resources.pids = {limit: 50} |
        .linux.resources.memory = {limit: 104857600}' \
        "$TEST_DIR/bundle/config.json" >"$TEST_DIR/c" && mv "$TEST_DIR/c" "$TEST_DIR/bundle/config.json"
    runc --root "$RUN_ROOT" run -d --bundle "$TEST_DIR/bundle" "$name" </dev/null >/dev/null 2>&1
    runc --root "$RUN_ROOT" events --stats "$name" >"$TEST_DIR/runc.json"

    config '{"pids":{"limit":50},"memory":{"limit":104857600}}' "/$TEST_ID"
    pid=$("$PROBE" cgroup run --detach "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- sleep 100)
    # Until sleep runs, the cgroup has used no memory and the zero fields are left out.
    for _ in $(seq 100); do [ "$(cat /proc/$pid/comm)" = sleep ] && break; sleep 0.01; done
    "$PROBE" cgroup stats "$TEST_DIR/state" >"$TEST_DIR/ours.json"
    runc --root "$RUN_ROOT" delete -f "$name"

    shape() { jq -S -c "$1 | keys" "$2"; }
    [ "$(shape .data "$TEST_DIR/runc.json")" = "$(shape . "$TEST_DIR/ours.json")" ]
    # (memory.cache is left out when zero, by both)
    [ "$(shape '.data.memory | del(.cache)' "$TEST_DIR/runc.json")" = "$(shape '.memory | del(.cache)' "$TEST_DIR/ours.json")" ]
    [ "$(shape .data.memory.usage "$TEST_DIR/runc.json")" = "$(shape .memory.usage "$TEST_DIR/ours.json")" ]
    [ "$(shape .data.cpuset "$TEST_DIR/runc.json")" = "$(shape .cpuset "$TEST_DIR/ours.json")" ]
    [ "$(shape .data.pids "$TEST_DIR/runc.json")" = "$(shape .pids "$TEST_DIR/ours.json")" ]
    [ "$(jq .pids.limit "$TEST_DIR/ours.json")" = 50 ]
    [ "$(jq .memory.usage.limit "$TEST_DIR/ours.json")" -le 104857600 ]
    [ "$(jq '.cpu.usage.percpu | length' "$TEST_DIR/ours.json")" -eq "$(nproc)" ]
    "$PROBE" cgroup kill "$TEST_DIR/state" 9
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "bad resources fail with the field named and leave no cgroup" {
    config '{"unified":{"memory.high":"1000000"}}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -ne 0 ]
    [[ $output == *"linux.resources.unified: cgroup v2 settings can't be applied on this cgroup v1 host"* ]]

    config '{"memory":{"swappiness":150}}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [[ $output == *"linux.resources.memory.swappiness: 150 is not in 0..100"* ]]

    # The kernel refuses a memory+swap limit below the memory limit.
    config '{"memory":{"limit":104857600,"swap":52428800}}' "/$TEST_ID"
    run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -ne 0 ]
    [[ $output == *"memory.memsw.limit_in_bytes"*"Invalid argument"* ]]

    if [ ! -d /sys/fs/cgroup/hugetlb ]; then
        config '{"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]}' "/$TEST_ID"
        run "$PROBE" cgroup run "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
        [[ $output == *"linux.resources.hugepageLimits: the hugetlb cgroup controller is not mounted"* ]]
    fi
    [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$TEST_ID*")" ]
    [ ! -e "$TEST_DIR/state" ]
}

@test "--systemd-cgroup without systemd is a clear error" {
    pidof systemd >/dev/null && skip "systemd is running here"
    config '{}' "system.slice:ctr:$TEST_ID"
    DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TEST_DIR/no-bus run "$PROBE" cgroup run --systemd "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -ne 0 ]
    [[ $output == *"--systemd-cgroup: can't reach systemd over D-Bus"* ]]
    config '{}' "/not/a/slice/path"
    run "$PROBE" cgroup run --systemd "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [[ $output == *'linux.cgroupsPath: expected "slice:prefix:name"'* ]]
    [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "*$TEST_ID*")" ]
}

#!/usr/bin/env bats
# Cgroups v2. This host is hybrid: its cgroup2 mount (/sys/fs/cgroup/unified)
# has no controllers, but everything else of v2 is real there, so each test
# makes its own directory in it and hands that to the driver as the top of
# the hierarchy (ctr-runtime-probe --v2-root): creating, cgroup.procs,
# freeze, kill, removal and the eBPF device program run against the kernel.
# Controller files (memory.max, cpu.weight, io.max ...) are checked against
# a fake tree here and in tests/unit/cgroup_test.cpp.

load helpers

PROBE=$CTR_SRC/build/tests/tools/ctr-runtime-probe

setup() {
    ctr_setup
    UNIFIED=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
    [ -n "$UNIFIED" ] || skip "no cgroup2 mount on this host"
    TOP=$UNIFIED/$TEST_ID
    mkdir "$TOP"
}
teardown() { ctr_teardown; }

config() {
    jq -n --argjson r "$1" --arg p "${2:-}" \
        '{linux: ({resources: $r} + (if $p == "" then {} else {cgroupsPath: $p} end))}' >"$TEST_DIR/config.json"
}

@test "v2 for real: create, join, list, destroy" {
    config '{}' "/box/c1"
    run "$PROBE" cgroup run --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- cat /proc/self/cgroup
    [ "$status" -eq 0 ]
    [[ $output == *"0::${TOP#$UNIFIED}/box/c1"* ]]
    [ "$(jq -r .version "$TEST_DIR/state")" = 2 ]
    [ -d "$TOP/box/c1" ]
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ ! -d "$TOP/box/c1" ]
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "v2 for real: cgroup.freeze pauses and resumes every task" {
    config '{}'
    pid=$("$PROBE" cgroup run --detach --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- sleep 100)
    [ "$("$PROBE" cgroup pids "$TEST_DIR/state")" = "$pid" ]
    "$PROBE" cgroup freeze "$TEST_DIR/state"
    grep -qx 'frozen 1' "$TOP/c1/cgroup.events"
    [ "$("$PROBE" cgroup frozen "$TEST_DIR/state")" = frozen ]
    "$PROBE" cgroup thaw "$TEST_DIR/state"
    grep -qx 'frozen 0' "$TOP/c1/cgroup.events"
    "$PROBE" cgroup kill "$TEST_DIR/state" 9
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ ! -d "$TOP/c1" ]
}

@test "v2 for real: kill reaches forked children (cgroup.kill, and signals under freeze)" {
    config '{}'
    "$PROBE" cgroup run --detach --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- \
        sh -c 'sleep 100 & sleep 100 & sleep 100' >/dev/null
    for _ in $(seq 50); do [ "$("$PROBE" cgroup pids "$TEST_DIR/state" | wc -l)" -ge 3 ] && break; sleep 0.02; done
    "$PROBE" cgroup kill "$TEST_DIR/state" 9
    for _ in $(seq 100); do grep -qx 'populated 0' "$TOP/c1/cgroup.events" && break; sleep 0.02; done
    grep -qx 'populated 0' "$TOP/c1/cgroup.events"

    "$PROBE" cgroup run --detach --v2-root "$TOP" "$TEST_DIR/config.json" c2 "$TEST_DIR/state2" -- \
        sh -c 'sleep 100 & sleep 100' >/dev/null
    for _ in $(seq 50); do [ "$("$PROBE" cgroup pids "$TEST_DIR/state2" | wc -l)" -ge 2 ] && break; sleep 0.02; done
    "$PROBE" cgroup kill "$TEST_DIR/state2" 15
    for _ in $(seq 100); do grep -qx 'populated 0' "$TOP/c2/cgroup.events" && break; sleep 0.02; done
    grep -qx 'populated 0' "$TOP/c2/cgroup.events"
    grep -qx 'frozen 0' "$TOP/c2/cgroup.events"  # thawed again after signalling
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    "$PROBE" cgroup destroy "$TEST_DIR/state2"
}

@test "v2 for real: the eBPF device program allows the listed devices only" {
    # /dev/loop-control (c 10:237) may be read but not written; /dev/zram0 is not listed.
    config '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":237,"access":"r"}]}'
    run "$PROBE" cgroup run --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- sh -c '
        echo x >/dev/null && echo null-ok
        head -c1 /dev/zero >/dev/null && echo zero-ok
        true </dev/loop-control && echo lc-read-ok
        { true >/dev/loop-control; } 2>/dev/null || echo lc-write-denied
        { true </dev/zram0; } 2>/dev/null || echo zram-denied
        mknod '"$TEST_DIR"'/node b 8 0 && echo mknod-ok'
    [ "$status" -eq 0 ]
    [[ $output == *null-ok* && $output == *zero-ok* && $output == *lc-read-ok* ]]
    [[ $output == *lc-write-denied* && $output == *zram-denied* && $output == *mknod-ok* ]]

    # update replaces the program: now loop-control is refused too.
    pid=$("$PROBE" cgroup run --detach --v2-root "$TOP" "$TEST_DIR/config.json" c2 "$TEST_DIR/state2" -- sleep 100)
    echo '{"devices":[{"allow":false,"access":"rwm"}]}' >"$TEST_DIR/up.json"
    "$PROBE" cgroup update "$TEST_DIR/state2" "$TEST_DIR/up.json"
    # A process joins c2 through enter(), then tries the disk.
    mkfifo "$TEST_DIR/go"
    sh -c 'read x <"$1/go"; true 2>"$1/err" </dev/loop-control; echo $? >"$1/rc"' _ "$TEST_DIR" &
    waiter=$!
    "$PROBE" cgroup enter "$TEST_DIR/state2" "$waiter"
    echo go >"$TEST_DIR/go"
    wait "$waiter"
    [ "$(cat "$TEST_DIR/rc")" -ne 0 ]
    grep -q "Operation not permitted" "$TEST_DIR/err"
    "$PROBE" cgroup kill "$TEST_DIR/state2" 9
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    "$PROBE" cgroup destroy "$TEST_DIR/state2"
}

@test "v2 for real: a controller the parent does not offer is a clear error" {
    config '{"memory":{"limit":104857600}}'
    run "$PROBE" cgroup run --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -ne 0 ]
    [[ $output == *"linux.resources.memory.limit: the memory controller is not available in $TOP/c1"* ]]
    [ ! -d "$TOP/c1" ]
}

@test "v2 stats: cpu usage from cpu.stat, in runc's shape" {
    config '{}'
    "$PROBE" cgroup run --v2-root "$TOP" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- \
        sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
    run "$PROBE" cgroup stats "$TEST_DIR/state"
    [ "$status" -eq 0 ]
    [ "$(jq '.cpu.usage.total' <<<"$output")" -gt 0 ]
    [ "$(jq -c 'keys' <<<"$output")" = '["blkio","cpu","cpuset","hugetlb","intel_rdt","memory","network_interfaces","pids"]' ]
    "$PROBE" cgroup destroy "$TEST_DIR/state"
}

@test "v2 on a fake tree: controller files get runc's v2 values" {
    fake=$TEST_DIR/fake
    mkdir -p "$fake"
    echo "cpu memory pids io" >"$fake/cgroup.controllers"
    config '{"memory":{"limit":104857600,"swap":157286400},"cpu":{"shares":2048,"quota":20000,"period":50000},
             "pids":{"limit":10},"blockIO":{"weight":100},"unified":{"memory.high":"90000000"}}' "/ct"
    run "$PROBE" cgroup run --fake-v2 "$fake" "$TEST_DIR/config.json" c1 "$TEST_DIR/state" -- true
    [ "$status" -eq 0 ]
    [ "$(cat "$fake/ct/memory.max")" = 104857600 ]
    [ "$(cat "$fake/ct/memory.swap.max")" = 52428800 ]
    [ "$(cat "$fake/ct/cpu.weight")" = 79 ]
    [ "$(cat "$fake/ct/cpu.max")" = "20000 50000" ]
    [ "$(cat "$fake/ct/pids.max")" = 10 ]
    [ "$(cat "$fake/ct/io.weight")" = 910 ]
    [ "$(cat "$fake/ct/memory.high")" = 90000000 ]
    grep -q '+memory' "$fake/cgroup.subtree_control"
    "$PROBE" cgroup destroy "$TEST_DIR/state"
    [ ! -d "$fake/ct" ]
}

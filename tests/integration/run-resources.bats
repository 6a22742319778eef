#!/usr/bin/env bats
# ctr-run and the container's cgroup: linux.resources applied at create,
# ps, pause/resume, update, events, features; the cgroup goes with delete.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    set_args sleep 1000
}
teardown() { ctr_teardown; }

start_bg() {
    rt run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 3>&-
    wait_status "$CID" running
    INIT=$(rt state "$CID" | jq -r .pid)
}

# The container's directory for a v1 controller (from its init's /proc/PID/cgroup).
cg_dir() {
    local rel
    rel=$(sed -n "s/^[0-9]*:\([^:]*,\)*$1\(,[^:]*\)*:\(.*\)/\3/p" /proc/$INIT/cgroup)
    echo "/sys/fs/cgroup/$1$rel"
}

@test "linux.resources apply at create; the cgroup is removed on delete" {
    cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 33}, "cpu": {"shares": 512, "quota": 20000, "period": 100000}}'
    start_bg
    [ "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$(cg_dir pids)/pids.max")" = 33 ]
    [ "$(cat "$(cg_dir cpu)/cpu.shares")" = 512 ]
    [ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" = 20000 ]
    # The limit holds inside: a fork bomb stops at the pids limit.
    run rt exec "$CID" sh -c 'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done'
    [ "$status" -ne 0 ]
    [[ $output == *fork* ]]
    [ "$(cat "$(cg_dir pids)/pids.current")" -le 33 ]
    dir=$(cg_dir pids)
    rt kill "$CID" KILL
    wait_status "$CID" stopped
    rt delete "$CID"
    [ ! -d "$dir" ]
}

@test "ps lists the container's processes (table and json)" {
    start_bg
    rt exec -d --pid-file "$TEST_DIR/p" "$CID" sleep 300
    extra=$(cat "$TEST_DIR/p")
    [ "$(rt ps --format json "$CID" | jq -c 'sort')" = "$(jq -cn --argjson a "$INIT" --argjson b "$extra" '[$a,$b] | sort')" ]
    run rt ps "$CID"
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == *PID* ]]
    [ "${#lines[@]}" -eq 3 ]
    run rt ps "$CID" -o pid,comm
    [ "${#lines[@]}" -eq 3 ]
    [[ $output == *"$extra sleep"* ]]
}

@test "pause freezes, resume thaws; the status follows" {
    start_bg
    rt pause "$CID"
    [ "$(status_of "$CID")" = paused ]
    [ "$(cat "$(cg_dir freezer)/freezer.state")" = FROZEN ]
    grep -q '^State:.*(stopped)\|^State:.*D' /proc/$INIT/status || grep -q FROZEN "$(cg_dir freezer)/freezer.state"
    run rt pause "$CID"
    [ "$status" -ne 0 ]
    rt resume "$CID"
    [ "$(status_of "$CID")" = running ]
    [ "$(cat "$(cg_dir freezer)/freezer.state")" = THAWED ]
    run rt resume "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"not paused"* ]]
    # runc lists the paused state too.
    rt pause "$CID"
    [ "$(rt list --format json | jq -r --arg id "$CID" '.[] | select(.id == $id) | .status')" = paused ]
    rt resume "$CID"
}

@test "delete --force and kill KILL end a paused container at once; nothing is left" {
    start_bg
    rt exec -d --pid-file "$TEST_DIR/p" "$CID" sleep 300
    extra=$(cat "$TEST_DIR/p")
    freezer=$(cg_dir freezer)
    rt pause "$CID"
    [ "$(status_of "$CID")" = paused ]
    # A frozen task dies of SIGKILL only once thawed: without the thaw,
    # delete waited its 10 s for the init and left the frozen cgroup.
    timeout 5 ctr-run --root "$RUN_ROOT" delete --force "$CID"
    [ -z "$(status_of "$CID")" ]
    gone "$INIT"
    gone "$extra"
    [ ! -d "$freezer" ]
    [ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ]
    [ -z "$(ls "$RUN_ROOT")" ]

    # kill KILL (and kill --all KILL) of a paused container stops it too.
    for all in "" --all; do
        start_bg
        rt pause "$CID"
        timeout 5 ctr-run --root "$RUN_ROOT" kill $all "$CID" KILL
        wait_status "$CID" stopped
        gone "$INIT"
        rt delete "$CID"
        [ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ]
    done
}

@test "update: runc's flags and --resources (file and stdin) change the live cgroup and are kept" {
    cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
    start_bg
    rt update --memory 128m --pids-limit 40 --cpu-share 256 "$CID"
    [ "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" = 134217728 ]
    [ "$(cat "$(cg_dir pids)/pids.max")" = 40 ]
    [ "$(cat "$(cg_dir cpu)/cpu.shares")" = 256 ]
    echo '{"pids": {"limit": 25}, "cpu": {"quota": 30000, "period": 100000}}' >"$TEST_DIR/r.json"
    rt update --resources "$TEST_DIR/r.json" "$CID"
    [ "$(cat "$(cg_dir pids)/pids.max")" = 25 ]
    [ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" = 30000 ]
    echo '{"pids": {"limit": 21}}' | rt update -r - "$CID"
    [ "$(cat "$(cg_dir pids)/pids.max")" = 21 ]
    # Earlier updates are kept: memory still 128m after later ones.
    [ "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" = 134217728 ]
    # Bad values: a clear error naming the flag, nothing changed.
    run rt update --memory lots "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *--memory* ]]
    run rt update --pids-limit x "$CID"
    [ "$status" -ne 0 ]
    echo '{broken' >"$TEST_DIR/bad.json"
    run rt update -r "$TEST_DIR/bad.json" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *bad.json* ]]
    [ "$(cat "$(cg_dir pids)/pids.max")" = 21 ]
}

@test "events --stats prints the cgroup's statistics; events streams them until the container stops" {
    cfg '.linux.resources = {"pids": {"limit": 50}}'
    start_bg
    run rt events --stats "$CID"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --arg id "$CID" '.type == "stats" and .id == $id'
    echo "$output" | jq -e '.data.pids.current >= 1 and .data.pids.limit == 50'
    echo "$output" | jq -e '.data.memory.usage.usage > 0 and .data.cpu.usage.total > 0'
    rt events --interval 100ms "$CID" >"$TEST_DIR/events" &
    ev=$!
    for i in $(seq 100); do [ "$(wc -l <"$TEST_DIR/events")" -ge 2 ] && break; sleep 0.05; done
    rt kill "$CID" KILL
    # It ends by itself once the container stops.
    for i in $(seq 100); do kill -0 $ev 2>/dev/null || break; sleep 0.05; done
    ! kill -0 $ev 2>/dev/null
    [ "$(jq -s 'length' "$TEST_DIR/events")" -ge 2 ]
    run rt events --interval 5 "$CID"
    [ "$status" -ne 0 ]
}

@test "events reports an OOM kill" {
    cfg '.linux.resources = {"memory": {"limit": 16777216, "swap": 16777216}}'
    start_bg
    rt events --interval 100ms "$CID" >"$TEST_DIR/events" &
    ev=$!
    run rt exec "$CID" sh -c 'x=a; while :; do x=$x$x; done'
    [ "$status" -eq 137 ]
    for i in $(seq 60); do grep -q '"oom"' "$TEST_DIR/events" && break; sleep 0.05; done
    kill $ev
    grep -q "{\"id\":\"$CID\",\"type\":\"oom\"}" "$TEST_DIR/events"
}

@test "features prints what the runtime supports, as runc does" {
    run rt features
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.ociVersionMin == "1.0.0"'
    echo "$output" | jq -e '.linux.namespaces | index("user") != null and index("cgroup") != null'
    echo "$output" | jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null'
    echo "$output" | jq -e '.linux.cgroup.v1 and .linux.cgroup.v2'
    echo "$output" | jq -e '.linux.seccomp.enabled and (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null)'
    echo "$output" | jq -e '.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null'
    echo "$output" | jq -e '.mountOptions | index("rbind") != null and index("rro") != null'
    echo "$output" | jq -e '.hooks | length == 6'
}

@test "pause, update and events on a container without one fail clearly" {
    for cmd in pause resume "update --memory 1m" "events --stats" ps; do
        run rt $cmd nosuch-ctrtest
        [ "$status" -ne 0 ]
        [[ $output == *"does not exist"* ]]
    done
}

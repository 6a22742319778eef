#!/usr/bin/env bats
# ctr-run when it dies: killed -9 at each stage of create, start, run and
# delete, `state` and `list` still tell the truth and `delete` still removes
# everything (state, processes, cgroup). And nothing leaks over many cycles.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() { run_setup; }
teardown() { ctr_teardown; }

# stage_hook KIND: a KIND hook that saves its stdin, marks $MARKS/at-KIND,
# then waits until $MARKS/go-KIND exists (10 s at most). MARKS is TEST_DIR,
# or the rootfs for startContainer (it runs in the container, paths there).
stage_hook() {
    local kind=$1 dir=$TEST_DIR seen=$TEST_DIR
    if [ "$kind" = startContainer ]; then
        dir=$BUNDLE/rootfs seen=""
        cfg '.root.readonly = false'
    fi
    MARKS=$dir
    cat >"$dir/hook-$kind" <<EOF
#!/bin/sh
cat >"$seen/state-$kind"
touch "$seen/at-$kind"
i=0
while [ ! -e "$seen/go-$kind" ] && [ \$i -lt 500 ]; do sleep 0.02; i=\$((i + 1)); done
EOF
    chmod 755 "$dir/hook-$kind"
    cfg ".hooks.$kind = [{\"path\": \"$seen/hook-$kind\"}]"
}

wait_file() {
    local i
    for i in $(seq 250); do
        [ -e "$1" ] && return 0
        sleep 0.02
    done
    echo "$1 never appeared" >&2
    return 1
}

# Processes whose root is the bundle's rootfs (the container's).
container_procs() {
    find /proc -mindepth 2 -maxdepth 2 -name root -lname "$BUNDLE/rootfs" 2>/dev/null | wc -l
}

cgroups_of() { find /sys/fs/cgroup -type d -name "*$1*" 2>/dev/null | wc -l; }

# Everything of container $1 is gone: state, processes, cgroups.
all_gone() {
    run rt state "$1"
    [ "$status" -ne 0 ]
    [ ! -e "$RUN_ROOT/$1" ]
    [ "$(container_procs)" = 0 ]
    [ "$(cgroups_of "$1")" = 0 ]
}

# kill_at KIND ctr-run ARGS...: starts ctr-run, kills it -9 once it is in
# the KIND hook, then lets the hook finish.
kill_at() {
    local kind=$1
    shift
    "$@" 3>&- &
    local pid=$!
    wait_file "$MARKS/at-$kind"
    kill -9 $pid
    wait $pid || true
    touch "$MARKS/go-$kind"
}

@test "killed -9 during prestart, createRuntime or createContainer: stopped, and delete removes everything" {
    set_args sleep 60
    for kind in prestart createRuntime createContainer; do
        cfg 'del(.hooks)'
        stage_hook $kind
        rm -f "$MARKS"/at-* "$MARKS"/go-*
        id=$(test_name $kind)
        kill_at $kind ctr-run --root "$RUN_ROOT" create --bundle "$BUNDLE" "$id"
        # The init dies with the runtime that was making it.
        for i in $(seq 100); do [ "$(container_procs)" = 0 ] && break; sleep 0.02; done
        [ "$(container_procs)" = 0 ]
        [ "$(status_of "$id")" = stopped ]
        [ "$(rt state "$id" | jq -r .pid)" = 0 ]
        [ "$(rt list --format json | jq -r --arg id "$id" '.[] | select(.id == $id) | .status')" = stopped ]
        run rt start "$id"
        [ "$status" -ne 0 ]
        rt delete "$id"
        all_gone "$id"
    done
}

@test "killed -9 during startContainer or poststart: the container runs and state says so" {
    set_args sleep 60
    for kind in startContainer poststart; do
        cfg 'del(.hooks)'
        stage_hook $kind
        rm -f "$MARKS"/at-* "$MARKS"/go-*
        id=$(test_name $kind)
        rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$id"
        kill_at $kind ctr-run --root "$RUN_ROOT" start "$id"
        wait_status "$id" running
        [ "$(rt state "$id" | jq -r .pid)" = "$(cat "$TEST_DIR/pid")" ]
        [ "$(rt list --format json | jq -r --arg id "$id" '.[] | select(.id == $id) | .status')" = running ]
        rt delete --force "$id"
        all_gone "$id"
    done
}

@test "a foreground run killed -9: the container keeps running, state and delete --force work" {
    set_args sleep 60
    ctr-run --root "$RUN_ROOT" run --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID" 3>&- &
    runpid=$!
    wait_file "$TEST_DIR/pid"
    wait_status "$CID" running
    kill -9 $runpid
    wait $runpid || true
    [ "$(status_of "$CID")" = running ]
    kill -0 "$(cat "$TEST_DIR/pid")"
    rt delete --force "$CID"
    all_gone "$CID"
}

@test "killed -9 during poststop in delete: still stopped, a second delete finishes" {
    set_args true
    stage_hook poststop
    rt run --detach --bundle "$BUNDLE" "$CID"
    wait_status "$CID" stopped
    kill_at poststop ctr-run --root "$RUN_ROOT" delete "$CID"
    [ "$(status_of "$CID")" = stopped ]
    rt delete "$CID"
    all_gone "$CID"
}

@test "killed -9 at any moment of create: the state is consistent and delete --force cleans up" {
    set_args sleep 60
    for i in $(seq 25); do
        id=$(test_name $i)
        ctr-run --root "$RUN_ROOT" create --bundle "$BUNDLE" "$id" 3>&- &
        pid=$!
        sleep "0.00$((RANDOM % 10))"
        kill -9 $pid 2>/dev/null || true
        wait $pid || true
        s=$(status_of "$id")
        case "$s" in
        "" | stopped | created) ;;
        *) echo "after kill -9: status '$s'" >&2; false ;;
        esac
        if [ -n "$s" ]; then rt delete --force "$id"; fi
        all_gone "$id"
    done
}

@test "200 create/start/delete cycles leave no mount, cgroup, process or state behind" {
    set_args true
    mounts_before=$(grep -c "$TEST_DIR" /proc/self/mountinfo || true)
    for i in $(seq 200); do
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        rt delete --force "$CID"
    done
    [ "$(grep -c "$TEST_DIR" /proc/self/mountinfo || true)" = "$mounts_before" ]
    [ -z "$(ls -A "$RUN_ROOT")" ]
    [ "$(container_procs)" = 0 ]
    [ "$(cgroups_of "$CID")" = 0 ]
    [ "$(pgrep -f "$TEST_DIR" | wc -l)" = 0 ]
}

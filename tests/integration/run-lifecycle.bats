#!/usr/bin/env bats
# ctr-run's lifecycle as engines drive it: create, start, state, kill, delete,
# list, run; runc's flags, exit codes and wording.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() { run_setup; }
teardown() { ctr_teardown; }

@test "run in the foreground passes stdio through and returns the exit status" {
    set_args sh -c 'echo out; echo err >&2; exit 7'
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 7 ]
    [ "$output" = out ]
    [ "$stderr" = err ]
    # The container is gone after a foreground run.
    run rt state "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"does not exist"* ]]
}

@test "a container killed by a signal: run exits 128+N" {
    set_args sleep 100
    rt run -b "$BUNDLE" "$CID" 3>&- &
    runpid=$!
    wait_status "$CID" running
    rt kill "$CID" KILL
    rc=0
    wait $runpid || rc=$?
    [ "$rc" -eq 137 ]
}

@test "create leaves the init waiting; start runs the program; the state follows" {
    set_args sh -c 'echo started > /tmp/mark; exec sleep 60'
    cfg '.root.readonly = false'
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
    [ "$(status_of "$CID")" = created ]
    pid=$(cat "$TEST_DIR/pid")
    [ "$(rt state "$CID" | jq -r .pid)" = "$pid" ]
    [ "$(rt state "$CID" | jq -r .bundle)" = "$BUNDLE" ]
    [ "$(rt state "$CID" | jq -r .id)" = "$CID" ]
    # Not started: the program hasn't run.
    [ ! -e "$BUNDLE/rootfs/tmp/mark" ]
    rt start "$CID"
    wait_status "$CID" running
    for i in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/mark" ] && break; sleep 0.05; done
    [ "$(cat "$BUNDLE/rootfs/tmp/mark")" = started ]
    # The pid is the container's init, now running sleep.
    [ "$(cat /proc/$pid/comm)" = sleep ]
    rt kill "$CID" KILL
    wait_status "$CID" stopped
    [ "$(rt state "$CID" | jq -r .pid)" = 0 ]
    rt delete "$CID"
    run rt state "$CID"
    [ "$status" -ne 0 ]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "the pid file is written the way runc writes it: the number, no newline" {
    set_args sleep 60
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
    run cat "$TEST_DIR/pid"
    [[ $output =~ ^[0-9]+$ ]]
    [ "$(wc -c <"$TEST_DIR/pid")" -eq "${#output}" ]
    [ ! -e "$TEST_DIR/.pid" ]
    rt delete --force "$CID"
}

@test "operations in the wrong state fail and change nothing" {
    set_args sleep 60
    rt create --bundle "$BUNDLE" "$CID"
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"exists"* ]]
    [ "$(status_of "$CID")" = created ]
    rt start "$CID"
    run rt start "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"running"* ]]
    run rt delete "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"not stopped"* ]]
    [ "$(status_of "$CID")" = running ]
    rt kill "$CID" 9
    wait_status "$CID" stopped
    run rt kill "$CID" KILL
    [ "$status" -ne 0 ]
    [[ $output == *"not running"* ]]
    run rt start "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"stopped"* ]]
    rt delete "$CID"
}

@test "delete of a created container kills its init; delete --force kills a running one" {
    set_args sleep 60
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/p1" "$CID"
    p1=$(cat "$TEST_DIR/p1")
    rt delete "$CID"
    for i in $(seq 50); do [ ! -d /proc/$p1 ] || grep -q '^State:.*Z' /proc/$p1/status && break; sleep 0.05; done
    ! [ -d /proc/$p1 ] || grep -q '^State:.*Z' /proc/$p1/status
    rt run -d --bundle "$BUNDLE" --pid-file "$TEST_DIR/p2" "$CID"
    [ "$(status_of "$CID")" = running ]
    rt delete -f "$CID"
    run rt state "$CID"
    [ "$status" -ne 0 ]
    # --force on a container that doesn't exist is not an error (as runc).
    rt delete --force "$CID"
    run rt delete "$CID"
    [ "$status" -ne 0 ]
}

@test "kill takes names and numbers; the default is SIGTERM" {
    set_args sh -c 'trap "echo got-usr1 > /tmp/sig" USR1; trap "exit 42" TERM; while :; do sleep 0.05; done'
    cfg '.root.readonly = false'
    rt run -d --bundle "$BUNDLE" "$CID"
    sleep 0.2
    rt kill "$CID" usr1
    for i in $(seq 50); do [ -s "$BUNDLE/rootfs/tmp/sig" ] && break; sleep 0.05; done
    [ "$(cat "$BUNDLE/rootfs/tmp/sig")" = got-usr1 ]
    rt kill "$CID"
    wait_status "$CID" stopped
    run rt kill "$CID" NOSUCHSIG
    [ "$status" -ne 0 ]
    rt delete "$CID"
}

@test "kill --all reaches every process of the container" {
    set_args sh -c 'trap "echo term" TERM; sleep 100 & sleep 100 & while :; do sleep 0.2; done'
    rt run -d --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
    pid=$(cat "$TEST_DIR/pid")
    for i in $(seq 50); do [ "$(pgrep -P "$pid" | wc -l)" -ge 2 ] && break; sleep 0.05; done
    kids=$(pgrep -P "$pid")
    [ -n "$kids" ]
    rt kill --all "$CID" TERM
    for k in $kids; do
        for i in $(seq 50); do [ -d /proc/$k ] || break; sleep 0.05; done
        [ ! -d /proc/$k ]
    done
    # The init ignored TERM and still runs.
    [ "$(status_of "$CID")" = running ]
    rt delete -f "$CID"
}

@test "list shows every container as a table, json or ids" {
    set_args sleep 60
    rt create --bundle "$BUNDLE" "${CID}-a"
    rt run -d --bundle "$BUNDLE" "${CID}-b"
    run rt list
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "ID "*"PID "*"STATUS "*"BUNDLE "*"CREATED "*"OWNER" ]]
    [[ $output == *"${CID}-a"*created*"$BUNDLE"* ]]
    [[ $output == *"${CID}-b"*running*"$BUNDLE"* ]]
    run rt list -q
    [ "$output" = "$(printf '%s\n%s' "${CID}-a" "${CID}-b")" ]
    run rt list --format json
    [ "$(echo "$output" | jq -r '.[] | select(.id == "'"${CID}-b"'") | .status')" = running ]
    [ "$(echo "$output" | jq length)" = 2 ]
    rt delete -f "${CID}-a"
    rt delete -f "${CID}-b"
}

@test "CTR_RUNTIME_ROOT is the root when --root is not given; an explicit --root wins" {
    set_args sleep 60
    mkdir -p "$TEST_DIR/other"
    CTR_RUNTIME_ROOT=$RUN_ROOT ctr-run create --bundle "$BUNDLE" "$CID"
    [ -d "$RUN_ROOT/$CID" ]
    [ "$(CTR_RUNTIME_ROOT=$RUN_ROOT ctr-run state "$CID" | jq -r .status)" = created ]
    [ "$(CTR_RUNTIME_ROOT=$RUN_ROOT ctr-run list -q)" = "$CID" ]
    [ "$(CTR_RUNTIME_ROOT=$TEST_DIR/other ctr-run --root "$RUN_ROOT" list -q)" = "$CID" ]
    [ -z "$(CTR_RUNTIME_ROOT=$RUN_ROOT ctr-run --root "$TEST_DIR/other" list -q)" ]
    run env CTR_RUNTIME_ROOT="$TEST_DIR/other" ctr-run state "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"does not exist"* ]]
    CTR_RUNTIME_ROOT=$RUN_ROOT ctr-run start "$CID"
    wait_status "$CID" running
    CTR_RUNTIME_ROOT=$RUN_ROOT ctr-run delete --force "$CID"
    [ -z "$(ls -A "$RUN_ROOT")$(ls -A "$TEST_DIR/other")" ]
    ctr-run --help | grep -q 'CTR_RUNTIME_ROOT'
}

@test "runc's flag forms: --flag=value, -flag value, flags after the id" {
    set_args true
    ctr-run -root "$RUN_ROOT" -log "$TEST_DIR/log" run -bundle "$BUNDLE" "$CID"
    ctr-run --root="$RUN_ROOT" --log-format=json run "$CID" --bundle="$BUNDLE"
    ctr-run --root "$RUN_ROOT" --debug --systemd-cgroup=false run "$CID" -b "$BUNDLE"
    run ctr-run --root "$RUN_ROOT" run --no-such-flag "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"flag provided but not defined: -no-such-flag"* ]]
}

@test "errors go to stderr and, with --log-format json, to the log as runc writes them" {
    run ctr-run --root "$RUN_ROOT" --log "$TEST_DIR/log.json" --log-format json state nosuch
    [ "$status" -eq 1 ]
    [[ $output == *"container does not exist"* ]]
    [ "$(jq -r .level "$TEST_DIR/log.json")" = error ]
    [ "$(jq -r .msg "$TEST_DIR/log.json")" = "container does not exist" ]
    jq -e '.time' "$TEST_DIR/log.json"
}

@test "a bad config fails create with the field named, and leaves nothing behind" {
    cfg '.process.args = []'
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"config.json: process.args"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
    cfg '.process.args = ["/no/such/program"]'
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *'exec: "/no/such/program"'*"no such file or directory"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
    cfg '.process.args = ["nosuchprogram"]'
    run rt create --bundle "$BUNDLE" "$CID"
    [[ $output == *'executable file not found in $PATH'* ]]
    echo '{ not json' >"$BUNDLE/config.json"
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"config.json: invalid JSON"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
    [ "$(grep -c "$TEST_DIR" /proc/self/mountinfo)" -eq 0 ]
}

@test "unknown fields and annotations are ignored, annotations show in the state" {
    set_args sleep 60
    cfg '.somethingNew = {"x": 1} | .linux.somethingElse = true | .annotations = {"org.example/key": "v"}'
    rt create --bundle "$BUNDLE" "$CID"
    [ "$(rt state "$CID" | jq -r '.annotations["org.example/key"]')" = v ]
    rt delete -f "$CID"
}

@test "spec writes runc's default config, and a bundle from runc spec runs" {
    mkdir "$TEST_DIR/s"
    ctr-run spec --bundle "$TEST_DIR/s"
    mkdir "$TEST_DIR/r" && (cd "$TEST_DIR/r" && runc spec)
    diff <(jq -S . "$TEST_DIR/s/config.json") <(jq -S . "$TEST_DIR/r/config.json")
    run ctr-run spec --bundle "$TEST_DIR/s"
    [ "$status" -ne 0 ]
    [[ $output == *exists* ]]
    mkdir "$TEST_DIR/x" && ctr-run spec --rootless -b "$TEST_DIR/x"
    jq -e '.linux.namespaces | map(.type) | index("user")' "$TEST_DIR/x/config.json" >/dev/null
    jq -e '.linux.uidMappings[0].size == 1' "$TEST_DIR/x/config.json" >/dev/null
    # The runc spec bundle itself (terminal off) runs unchanged otherwise.
    set_args hostname
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "$output" = runc ]
}

@test "--help and --version" {
    run ctr-run --version
    [[ ${lines[0]} == "ctr-run version "* ]]
    for c in create start run state kill delete list spec; do
        run ctr-run $c --help
        [ "$status" -eq 0 ]
        [[ $output == *"Usage: ctr-run $c"* ]]
    done
}

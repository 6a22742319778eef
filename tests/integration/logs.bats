#!/usr/bin/env bats
# ctr-logs: stdout and stderr kept apart, --tail from the end, -t, --since,
# --until, --details, rotated files, and -f until the container exits.

load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

# logline STREAM TEXT TIME: one docker json-file line.
logline() { jq -cn --arg s "$1" --arg l "$2" --arg t "$3" '{log: ($l + "\n"), stream: $s, time: $t}'; }

# A created container whose log files are written by hand.
fake_log_container() {
    id=$(ctr-create --name "$(test_name logs)" busybox true)
    dir=$CTR_ROOT/containers/$id
}

@test "stdout to stdout, stderr to stderr; the file's order kept on one terminal" {
    id=$(ctr-create busybox sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2')
    ctr-start -a "$id" >/dev/null 2>&1 || true
    wait_until 10 status_is "$id" exited
    [ "$(ctr-logs "$id" 2>/dev/null)" = "out1
out2" ]
    [ "$(ctr-logs "$id" 2>&1 >/dev/null)" = "err1
err2" ]
    # The order of the file is kept when both go to one place.
    fake_log_container
    for i in 1 2 3; do logline stdout "o$i" 2026-01-01T10:00:0${i}Z; logline stderr "e$i" 2026-01-01T10:00:0${i}Z; done >"$dir/log.json"
    [ "$(ctr-logs "$id" 2>&1 | tr '\n' ' ')" = "o1 e1 o2 e2 o3 e3 " ]
}

@test "100k lines: --tail 5 reads from the end; --tail 0 and all" {
    id=$(ctr-create busybox seq 1 100000)
    ctr-start -a "$id" >/dev/null
    wait_until 20 status_is "$id" exited
    [ "$(ctr-logs --tail 5 "$id" | tr '\n' ' ')" = "99996 99997 99998 99999 100000 " ]
    [ -z "$(ctr-logs --tail 0 "$id")" ]
    [ "$(ctr-logs --tail all "$id" | wc -l)" = 100000 ]
    [ "$(ctr-logs -n 1 "$id")" = 100000 ]
    run ctr-logs --tail lots "$id"
    [ "$status" -eq 125 ]
    [[ $output == *'invalid --tail "lots"'* ]]
}

@test "-t, --since, --until, --details over known times" {
    fake_log_container
    {
        logline stdout one 2026-01-01T10:00:00.000000001Z
        logline stderr two 2026-01-01T11:00:00.5Z
        logline stdout three 2026-01-01T12:00:00Z
    } >"$dir/log.json"
    [ "$(ctr-logs -t "$id" 2>&1)" = "2026-01-01T10:00:00.000000001Z one
2026-01-01T11:00:00.5Z two
2026-01-01T12:00:00Z three" ]
    [ "$(ctr-logs --since 2026-01-01T10:30:00Z "$id" 2>&1 | tr '\n' ' ')" = "two three " ]
    [ "$(ctr-logs --until 2026-01-01T11:30:00Z "$id" 2>&1 | tr '\n' ' ')" = "one two " ]
    [ "$(ctr-logs --since 1767265200 --until 2026-01-01T11:59:00Z "$id" 2>&1)" = "two" ]
    [ "$(CTR_NOW=2026-01-01T12:30:00Z ctr-logs --since 45m "$id" 2>&1)" = "three" ]
    [ "$(ctr-logs --details --tail 1 "$id")" = " three" ]
    run ctr-logs --since yesterday "$id"
    [ "$status" -eq 125 ]
    [[ $output == *'invalid time "yesterday"'* ]]
}

@test "rotated files log.json.N … log.json.1, log.json read in order; --tail spans them" {
    fake_log_container
    for i in 1 2 3; do logline stdout "old$i" 2026-01-01T10:00:0${i}Z; done >"$dir/log.json.2"
    for i in 1 2; do logline stdout "mid$i" 2026-01-01T11:00:0${i}Z; done >"$dir/log.json.1"
    logline stdout new1 2026-01-01T12:00:00Z >"$dir/log.json"
    [ "$(ctr-logs "$id" | tr '\n' ' ')" = "old1 old2 old3 mid1 mid2 new1 " ]
    [ "$(ctr-logs --tail 4 "$id" | tr '\n' ' ')" = "old3 mid1 mid2 new1 " ]
    [ "$(ctr-logs --tail 1 "$id")" = new1 ]
}

@test "a corrupt line is an error naming the file; a missing container too" {
    fake_log_container
    { logline stdout fine 2026-01-01T10:00:00Z; echo '{"log": 12'; } >"$dir/log.json"
    run ctr-logs "$id"
    [ "$status" -ne 0 ]
    [[ $output == *"$dir/log.json: not a json-file log line"* ]]
    run ctr-logs nosuchcontainer
    [ "$status" -ne 0 ]
    [[ $output == *"No such container: nosuchcontainer"* ]]
}

@test "-f follows a running container and ends when it exits" {
    id=$(ctr-create busybox sh -c 'echo first; sleep 1; echo second; sleep 1; echo bye >&2' | ctr-start -d)
    run timeout 20 ctr-logs -f "$id"
    [ "$status" -eq 0 ]
    [ "$output" = "first
second
bye" ]
    [ "$(record "$id" .State.Status)" = exited ]
}

@test "-f across a restart: lines of both runs, ends when the policy gives up" {
    id=$(ctr-create --restart on-failure:1 busybox sh -c 'echo run; sleep 0.5; exit 3' | ctr-start -d)
    run timeout 30 ctr-logs -f "$id"
    [ "$status" -eq 0 ]
    [ "$output" = "run
run" ] || { echo "$output"; false; }
    [ "$(record "$id" .RestartCount)" = 1 ]
}

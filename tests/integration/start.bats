#!/usr/bin/env bats
# ctr-start: the monitor runs the container, keeps its output and exit status.

bats_require_minimum_version 1.5.0
load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

@test "ctr-create | ctr-start -d: runs detached, output in log.json, exit code recorded" {
    id=$(ctr-create busybox sh -c 'echo out; echo err >&2; exit 3' | ctr-start -d)
    [[ $id =~ ^[0-9a-f]{64}$ ]]
    wait_until 10 status_is "$id" exited
    [ "$(record "$id" .State.ExitCode)" = 3 ]
    [ "$(record "$id" .State.FinishedAt)" != "0001-01-01T00:00:00Z" ]
    log=$CTR_ROOT/containers/$id/log.json
    [ "$(jq -r 'select(.stream == "stdout") | .log' "$log")" = out ]
    [ "$(jq -r 'select(.stream == "stderr") | .log' "$log")" = err ]
    jq -r .time "$log" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$'
    # the rootfs is unmounted once the container has stopped
    [ "$(mounts_under "$CTR_ROOT/containers/$id")" -eq 0 ]
}

@test "ctr-start -a: streams kept apart, exit status is the container's" {
    id=$(ctr-create busybox sh -c 'echo to-out; echo to-err >&2; exit 7')
    run --separate-stderr ctr-start -a "$id"
    [ "$status" -eq 7 ]
    [ "$output" = to-out ]
    [ "$stderr" = to-err ]
}

@test "the container's command starts with no signal ignored or blocked, whatever its starter ignored" {
    id=$(ctr-create busybox grep -E '^Sig(Blk|Ign)' /proc/self/status)
    # The monitor ignores SIGPIPE for itself; neither that nor the caller's
    # ignored signals may reach the container (a pipeline in it would not end).
    run bash -c "trap '' PIPE QUIT HUP; ctr-start -a $id | tr -d '\t'"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = SigBlk:0000000000000000 ]
    [ "${lines[1]}" = SigIgn:0000000000000000 ]
}

@test "ctr-start -ai: stdin reaches the container" {
    id=$(ctr-create -i busybox sh -c 'read line; echo "got $line"')
    run ctr-start -ai "$id" <<<"hello"
    [ "$status" -eq 0 ]
    [ "$output" = "got hello" ]
}

@test "start -ai on an exited container sees the file it wrote before" {
    id=$(ctr-create -i busybox sh -c 'cat /I-was-here 2>/dev/null; echo covfefe >/I-was-here')
    run ctr-start -ai "$id" </dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
    run ctr-start -ai "$id" </dev/null
    [ "$status" -eq 0 ]
    [ "$output" = covfefe ]
    [ "$(cat "$CTR_ROOT/containers/$id/upper/I-was-here")" = covfefe ]
}

@test "a command that does not exist: 127 and the runtime's reason" {
    id=$(ctr-create busybox /no/such/cmd)
    run -127 ctr-start -a "$id"
    [[ $output == *"/no/such/cmd"* ]]
    [ "$(record "$id" .State.ExitCode)" = 127 ]
    [ "$(mounts_under "$CTR_ROOT/containers/$id")" -eq 0 ]
}

@test "the container survives its shell; killing the monitor -9 leaves it running, ctr-start adopts it" {
    id=$(setsid sh -c 'ctr-create busybox sleep 1000 | ctr-start -d')
    wait_until 10 status_is "$id" running
    pid=$(record "$id" .State.Pid)
    mon=$(record "$id" .State.MonitorPid)
    [ "$(cat /proc/"$mon"/comm)" = ctr-start ]
    kill -9 "$mon"
    wait_until 5 sh -c "! kill -0 $mon 2>/dev/null"
    kill -0 "$pid"
    [ "$(record "$id" .State.Status)" = running ]
    run ctr-start "$id"
    [ "$status" -eq 0 ]
    mon2=$(record "$id" .State.MonitorPid)
    [ "$mon2" != "$mon" ]
    kill -0 "$mon2"
    [ "$(record "$id" .State.Pid)" = "$pid" ]
    ctr-stop -t 1 "$id"
    wait_until 10 status_is "$id" exited
    [ "$(record "$id" .State.MonitorPid)" = 0 ]
}

@test "ctr-start on a running container does nothing; unknown names fail" {
    id=$(ctr-create busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$id" running
    pid=$(record "$id" .State.Pid)
    run ctr-start "$id"
    [ "$status" -eq 0 ]
    [ "$(record "$id" .State.Pid)" = "$pid" ]
    run ctr-start nosuchcontainer
    [ "$status" -ne 0 ]
    [[ $output == *"No such container: nosuchcontainer"* ]]
    ctr-kill "$id"
}

@test "--log-opt max-size/max-file: the monitor rotates log.json as docker's json-file does; ctr-logs reads all of it" {
    id=$(ctr-create --log-opt max-size=1k --log-opt max-file=3 busybox \
        sh -c 'i=1; while [ $i -le 100 ]; do echo "line $i"; i=$((i+1)); done' | ctr-start -d)
    wait_until 10 status_is "$id" exited
    dir=$CTR_ROOT/containers/$id
    [ "$(record "$id" .HostConfig.LogConfig.Config.\"max-size\")" = 1k ]
    [ -f "$dir/log.json" ] && [ -f "$dir/log.json.1" ] && [ -f "$dir/log.json.2" ]
    [ ! -e "$dir/log.json.3" ]
    for f in "$dir"/log.json*; do [ "$(stat -c %s "$f")" -le 1000 ]; done
    # oldest to newest, the kept lines are whole and consecutive, ending with the last
    lines=$(cat "$dir/log.json.2" "$dir/log.json.1" "$dir/log.json" | jq -j .log)
    [ "$(tail -n1 <<<"$lines")" = "line 100" ]
    first=$(head -n1 <<<"$lines" | cut -d' ' -f2)
    [ "$lines" = "$(seq "$first" 100 | sed 's/^/line /')" ]
    [ "$(ctr-logs "$id")" = "$lines" ]
    # max-file=1 keeps one file, emptied when full
    id=$(ctr-create --log-opt max-size=1k busybox sh -c 'i=1; while [ $i -le 100 ]; do echo "line $i"; i=$((i+1)); done' | ctr-start -d)
    wait_until 10 status_is "$id" exited
    [ ! -e "$CTR_ROOT/containers/$id/log.json.1" ]
    [ "$(jq -j .log "$CTR_ROOT/containers/$id/log.json" | tail -n1)" = "line 100" ]
    run ctr-create --log-opt max-size=big busybox true
    [ "$status" -eq 125 ]
    [[ $output == *"max-size"* ]]
    run ctr-create --log-driver syslog busybox true
    [ "$status" -eq 125 ]
}

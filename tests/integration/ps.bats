#!/usr/bin/env bats
# ctr-ps: docker's table from the records, with times injected (CTR_NOW) for
# golden output; filters; formats; a container whose processes died unseen.

load helpers
load container-helpers
load store_helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

NOW=2026-01-01T12:00:00Z

# fake ID NAME CREATED STATUS EXITCODE STARTED FINISHED [PID STARTTIME]: a
# record as ctr-create and the monitor write it, without any process.
fake() {
    local dir=$CTR_ROOT/containers/$1
    mkdir -p "$dir"
    jq -n --arg id "$1" --arg name "$2" --arg created "$3" --arg status "$4" --argjson code "$5" \
        --arg started "$6" --arg finished "$7" --argjson pid "${8:-0}" --argjson st "${9:-0}" '{
        Id: $id, Name: $name, Created: $created,
        Image: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        ImageRef: "busybox", Path: "sh", Args: ["-c", "while :; do echo hello; sleep 1; done"],
        State: {Status: $status, Running: ($status == "running"), Paused: false, Restarting: false,
                OOMKilled: false, Dead: false, Pid: $pid, PidStartTime: $st, ExitCode: $code, Error: "",
                StartedAt: $started, FinishedAt: $finished, MonitorPid: 0, MonitorStartTime: 0},
        HostConfig: {NetworkMode: "private"},
        Config: {Labels: {tier: $name}, ExposedPorts: {"80/tcp": {}}},
        NetworkSettings: {Ports: {"80/tcp": [{HostIp: "0.0.0.0", HostPort: "8081"}]}},
        Mounts: []}' >"$dir/container.json"
}

# The bats shell itself stands in for a running container's process.
self_start() { awk '{ sub(/.*\) /, ""); print $20 }' /proc/$$/stat; }

fixtures() {
    z=0001-01-01T00:00:00Z
    fake aaaa000000000000000000000000000000000000000000000000000000000001 web 2026-01-01T11:55:00Z running 0 2026-01-01T11:59:56Z $z $$ "$(self_start)"
    fake bbbb000000000000000000000000000000000000000000000000000000000002 done 2026-01-01T10:00:00Z exited 3 2026-01-01T10:00:01Z 2026-01-01T11:59:55Z
    fake cccc000000000000000000000000000000000000000000000000000000000003 fresh 2025-12-01T12:00:00Z created 0 $z $z
    # Says running, but its process is gone and no monitor watches: exited (-1).
    fake dddd000000000000000000000000000000000000000000000000000000000004 ghost 2026-01-01T09:00:00Z running 0 2026-01-01T09:00:01Z $z 999999999 12345
}

@test "golden table: running only, then -a with docker's wording" {
    fixtures
    run env CTR_NOW=$NOW ctr-ps
    [ "$status" -eq 0 ]
    [ "$output" = "CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS                  NAMES
aaaa00000000   busybox   \"sh -c while :; do e…\"   5 minutes ago   Up 4 seconds   0.0.0.0:8081->80/tcp   web" ] || { echo "$output"; false; }
    run env CTR_NOW=$NOW ctr-ps -a
    [ "$output" = "CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS                     PORTS                  NAMES
aaaa00000000   busybox   \"sh -c while :; do e…\"   5 minutes ago   Up 4 seconds               0.0.0.0:8081->80/tcp   web
bbbb00000000   busybox   \"sh -c while :; do e…\"   2 hours ago     Exited (3) 5 seconds ago                          done
dddd00000000   busybox   \"sh -c while :; do e…\"   3 hours ago     Exited (-1)                                       ghost
cccc00000000   busybox   \"sh -c while :; do e…\"   4 weeks ago     Created                                           fresh" ] || { echo "$output"; false; }
}

@test "-q, -n, -l, --no-trunc, --format json and table TEMPLATE" {
    fixtures
    run ctr-ps -aq
    [ "$output" = "aaaa00000000
bbbb00000000
dddd00000000
cccc00000000" ]
    [ "$(ctr-ps -l -q)" = aaaa00000000 ]
    [ "$(ctr-ps -n 2 -q | wc -l)" = 2 ]
    [ "$(ctr-ps -q --no-trunc)" = aaaa000000000000000000000000000000000000000000000000000000000001 ]
    [ "$(CTR_NOW=$NOW ctr-ps -a --no-trunc --format '{{.Command}}' | head -1)" = "\"sh -c while :; do echo hello; sleep 1; done\"" ]
    run env CTR_NOW=$NOW ctr-ps --format json
    [ "$(echo "$output" | jq -r .Names)" = web ]
    [ "$(echo "$output" | jq -r .State)" = running ]
    [ "$(echo "$output" | jq -r .Status)" = "Up 4 seconds" ]
    [ "$(echo "$output" | jq -r .Labels)" = "tier=web" ]
    [ "$(echo "$output" | jq -r .CreatedAt)" = "2026-01-01 11:55:00 +0000 UTC" ]
    run ctr-ps -a --format 'table {{.Names}}\t{{.State}}'
    [ "$output" = "NAMES     STATE
web       running
done      exited
ghost     exited
fresh     created" ] || { echo "$output"; false; }
    [ "$(ctr-ps -a --format '{{.ID}}:{{.Names}}' | tail -1)" = "cccc00000000:fresh" ]
}

@test "filters: status, name, id, label, exited, ancestor, before, since" {
    fixtures
    [ "$(ctr-ps -q -f status=exited | tr '\n' ' ')" = "bbbb00000000 dddd00000000 " ]
    [ "$(ctr-ps -q -f status=created)" = cccc00000000 ]
    [ "$(ctr-ps -aq -f name=^gh)" = dddd00000000 ]
    [ "$(ctr-ps -aq -f id=bbbb)" = bbbb00000000 ]
    [ "$(ctr-ps -aq -f label=tier=fresh)" = cccc00000000 ]
    [ "$(ctr-ps -aq -f label=tier | wc -l)" = 4 ]
    [ "$(ctr-ps -q -f exited=3)" = bbbb00000000 ]
    [ "$(ctr-ps -q -f exited=-1)" = dddd00000000 ]
    [ "$(ctr-ps -aq -f ancestor=busybox | wc -l)" = 4 ]
    [ -z "$(ctr-ps -aq -f ancestor=alpine)" ]
    [ "$(ctr-ps -aq -f status=exited -f status=created | wc -l)" = 3 ]
    [ "$(ctr-ps -aq -f before=done | tr '\n' ' ')" = "dddd00000000 cccc00000000 " ]
    [ "$(ctr-ps -aq -f since=done)" = aaaa00000000 ]
    run ctr-ps -f color=red
    [ "$status" -ne 0 ]
    [[ $output == *'invalid filter "color"'* ]]
    run ctr-ps -f status=sleepy
    [ "$status" -ne 0 ]
    [[ $output == *"status=sleepy"* ]]
}

@test "a corrupt record is skipped with a warning; the rest are listed" {
    fixtures
    mkdir -p "$CTR_ROOT/containers/eeee000000000000000000000000000000000000000000000000000000000005"
    echo '{"Id": ' >"$CTR_ROOT/containers/eeee000000000000000000000000000000000000000000000000000000000005/container.json"
    run ctr-ps -aq
    [ "$status" -eq 0 ]
    [[ $output == *"warning: skipping container eeee"* ]]
    [[ $output == *cccc00000000* ]]
}

@test "real containers: Up, ports, -s; after kill -9 of monitor and process: Exited (-1)" {
    name=$(test_name web)
    id=$(ctr-create --name "$name" -p 127.0.0.1:$(free_port):80 busybox sh -c 'echo hi >/f; sleep 1000' | ctr-start -d)
    wait_until 10 status_is "$id" running
    run ctr-ps --format '{{.Names}} {{.Status}} {{.Ports}}'
    [[ $output == "$name Up "*" 127.0.0.1:"*"->80/tcp" ]] || { echo "$output"; false; }
    wait_until 10 test -e "$CTR_ROOT/containers/$id/upper/f"
    run ctr-ps -s --format '{{.Size}}'
    [[ $output == "3B (virtual "*")" ]] || { echo "$output"; false; }
    # ctr-ps never waits for a container's lock.
    exec {lockfd}>"$CTR_ROOT/containers/$id/container.lock"
    flock -x $lockfd
    timeout 5 ctr-ps -q | grep -q "${id:0:12}"
    exec {lockfd}>&-
    kill -9 "$(record "$id" .State.MonitorPid)"
    kill -9 "$(record "$id" .State.Pid)"
    wait_until 10 sh -c "! kill -0 $(record "$id" .State.Pid) 2>/dev/null"
    [ -z "$(ctr-ps -q)" ]
    run ctr-ps -a --format '{{.Names}} {{.Status}} {{.State}}'
    [[ $output == "$name Exited (-1)"*" exited" ]] || { echo "$output"; false; }
    ctr-rm -f "$id" >/dev/null || umount "$CTR_ROOT/containers/$id/rootfs" || true
}

@test "1000 created containers, 200 images: ctr-ps -a lists them all" {
    fixtures
    src=$CTR_ROOT/containers/cccc000000000000000000000000000000000000000000000000000000000003/container.json
    python3 - "$src" "$CTR_ROOT/containers" <<'PY'
import json, os, sys
rec = json.load(open(sys.argv[1]))
for i in range(1000, 2000):
    rec["Id"] = "f%063d" % i
    rec["Name"] = "c%d" % i
    os.mkdir(os.path.join(sys.argv[2], rec["Id"]))
    with open(os.path.join(sys.argv[2], rec["Id"], "container.json"), "w") as f:
        json.dump(rec, f)
PY
    make_images 200
    [ "$(ctr-images -q | wc -l)" -ge 200 ]
    run ctr-ps -a
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" = 1005 ]
    [ "$(ctr-ps -aq -f status=created | wc -l)" = 1001 ]
    [ "$(ctr-ps -aq -f name=c1999)" = "$(printf 'f%063d' 1999 | cut -c1-12)" ]
}

#!/usr/bin/env bats
# ctr-run started by an unprivileged user (rootless): `spec --rootless` makes
# a config that runs, the state goes to $XDG_RUNTIME_DIR/ctr-run, the user's
# uid is root in the container and stays the user's on the host, and no
# cgroup is touched unless the config asks for limits (then a clear error).
# The users are uids without a login: setpriv switches to them, nothing is
# added to the machine.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    # nobody, and a uid with no passwd entry.
    U=65534
    NOUSER=54321
    while getent passwd "$NOUSER" >/dev/null; do NOUSER=$((NOUSER + 1)); done
    chmod 711 "$TEST_DIR"
}
teardown() { ctr_teardown; }

# as UID CMD...: runs CMD as UID (gid the same, no groups) with
# XDG_RUNTIME_DIR=$TEST_DIR/home-UID/xdg, a directory the user owns.
as() {
    local uid=$1
    shift
    setpriv --reuid="$uid" --regid="$uid" --clear-groups \
        env XDG_RUNTIME_DIR="$TEST_DIR/home-$uid/xdg" HOME="$TEST_DIR/home-$uid" "$@"
}

# user_bundle UID: a bundle the user owns, its config.json written by the
# user's own `ctr-run spec --rootless`; sets UBUNDLE.
user_bundle() {
    UBUNDLE=$TEST_DIR/home-$1/bundle
    mkdir -p "$TEST_DIR/home-$1/xdg" "$UBUNDLE"
    cp -al "$BUSYBOX_ROOTFS" "$UBUNDLE/rootfs"
    chown "$1:$1" "$TEST_DIR/home-$1" "$TEST_DIR/home-$1/xdg" "$UBUNDLE"
    cd "$UBUNDLE"
    as "$1" ctr-run spec --rootless
    ucfg '.process.terminal = false'
}

# wait_stopped ID: polls (up to 5 s) until the user's container ID is stopped.
wait_stopped() {
    local i
    for i in $(seq 100); do
        [ "$(as $U ctr-run state "$1" | jq -r .status)" = stopped ] && return 0
        sleep 0.05
    done
    return 1
}

# ucfg JQ_FILTER: edits the user's config.json in place (the user keeps it).
ucfg() {
    jq "$1" "$UBUNDLE/config.json" >"$TEST_DIR/config.json.new" && cat "$TEST_DIR/config.json.new" >"$UBUNDLE/config.json"
}

@test "rootless: spec --rootless maps the caller's uid and gid to root in a user namespace, no network namespace, no limits" {
    user_bundle $U
    [ "$(stat -c %u "$UBUNDLE/config.json")" = $U ]
    run jq -c '[.linux.uidMappings, .linux.gidMappings, [.linux.namespaces[].type], .linux.resources,
                [.mounts[] | select(.type == "cgroup")]]' "$UBUNDLE/config.json"
    [ "$output" = "[[{\"containerID\":0,\"hostID\":$U,\"size\":1}],[{\"containerID\":0,\"hostID\":$U,\"size\":1}],[\"pid\",\"ipc\",\"uts\",\"mount\",\"user\"],null,[]]" ]
}

@test "rootless: run, create/start/state/exec/kill/delete as an unprivileged uid; root inside, the user's uid outside" {
    user_bundle $U
    ucfg '.process.args = ["id"]'
    run --separate-stderr as $U ctr-run run "$CID"
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
    [ "$output" = "uid=0(root) gid=0(root)" ]

    ucfg '.process.args = ["sleep", "1000"]'
    as $U ctr-run create "$CID" </dev/null
    # The state is the user's, under $XDG_RUNTIME_DIR/ctr-run.
    xdg=$TEST_DIR/home-$U/xdg/ctr-run
    [ -d "$xdg/$CID" ]
    [ "$(stat -c %u "$xdg/$CID")" = $U ]
    [ "$(as $U ctr-run state "$CID" | jq -r .status)" = created ]
    as $U ctr-run start "$CID"
    state=$(as $U ctr-run state "$CID")
    [ "$(echo "$state" | jq -r .status)" = running ]
    [ "$(echo "$state" | jq -r .owner)" = nobody ]
    pid=$(echo "$state" | jq -r .pid)
    # On the host the program runs as the user, every id of it.
    [ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$pid/status)" = "$U $U $U $U" ]
    [ "$(awk '/^Gid:/ {print $2, $3, $4, $5}' /proc/$pid/status)" = "$U $U $U $U" ]
    [ "$(cat /proc/$pid/uid_map | xargs)" = "0 $U 1" ]
    # An exec'd process is root in the container too, and the user outside.
    [ "$(as $U ctr-run exec "$CID" id)" = "uid=0(root) gid=0(root)" ]
    as $U ctr-run exec -d --pid-file "$TEST_DIR/home-$U/exec.pid" "$CID" sleep 100
    [ "$(awk '/^Uid:/ {print $2}' /proc/$(cat "$TEST_DIR/home-$U/exec.pid")/status)" = $U ]
    [ "$(as $U ctr-run list -q)" = "$CID" ]
    # Root's default state directory knows nothing of it.
    [ -z "$(ctr-run list -q | grep -x "$CID")" ]
    # No cgroup was made: the user may write none.
    [ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ]
    [ "$(cat /proc/$pid/cgroup)" = "$(cat /proc/self/cgroup)" ]
    as $U ctr-run kill "$CID" KILL
    wait_stopped "$CID"
    as $U ctr-run delete "$CID"
    gone "$pid"
    [ -z "$(ls "$xdg")" ]
}

@test "rootless: delete --force of a running container; kill --all without a cgroup" {
    user_bundle $U
    ucfg '.process.args = ["sh", "-c", "sleep 1000 & exec sleep 1000"]'
    as $U ctr-run run -d "$CID" </dev/null >/dev/null
    pid=$(as $U ctr-run state "$CID" | jq -r .pid)
    [ "$(as $U ctr-run state "$CID" | jq -r .status)" = running ]
    as $U ctr-run kill --all "$CID" KILL
    wait_stopped "$CID"
    as $U ctr-run delete "$CID"
    as $U ctr-run run -d "$CID" </dev/null >/dev/null
    pid=$(as $U ctr-run state "$CID" | jq -r .pid)
    timeout 5 setpriv --reuid=$U --regid=$U --clear-groups env XDG_RUNTIME_DIR="$TEST_DIR/home-$U/xdg" \
        ctr-run delete --force "$CID"
    gone "$pid"
    [ -z "$(ls "$TEST_DIR/home-$U/xdg/ctr-run")" ]
}

@test "rootless: a uid with no passwd entry works too; the owner is #UID" {
    user_bundle $NOUSER
    ucfg '.process.args = ["sleep", "1000"]'
    as $NOUSER ctr-run run -d "$CID" </dev/null >/dev/null
    state=$(as $NOUSER ctr-run state "$CID")
    [ "$(echo "$state" | jq -r .owner)" = "#$NOUSER" ]
    pid=$(echo "$state" | jq -r .pid)
    [ "$(stat -c %u /proc/$pid)" = $NOUSER ]
    [ "$(as $NOUSER ctr-run exec "$CID" id -u)" = 0 ]
    as $NOUSER ctr-run delete --force "$CID"
    gone "$pid"
}

@test "rootless: limits without a cgroup the user may write fail in one line naming the cgroup; nothing is left" {
    user_bundle $U
    ucfg '.process.args = ["true"] | .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 10}}'
    run --separate-stderr as $U ctr-run run "$CID"
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ $stderr == *"linux.resources"*"rootless (uid $U)"*"/sys/fs/cgroup/"*"$CID"*"memory, pids"* ]]
    [ -z "$(ls "$TEST_DIR/home-$U/xdg/ctr-run")" ]
    [ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ]
    # Device rules alone ask for no limit: the user namespace already keeps
    # the container from making device nodes, so they run without a cgroup.
    ucfg '.linux.resources = {"devices": [{"allow": false, "access": "rwm"}]}'
    as $U ctr-run run "$CID"
    [ -z "$(ls "$TEST_DIR/home-$U/xdg/ctr-run")" ]
}

@test "rootless: mapping more than the user's own id needs newuidmap and a subordinate range; refused clearly" {
    user_bundle $U
    ucfg '.process.args = ["true"] | .linux.uidMappings += [{"containerID": 1, "hostID": 200000, "size": 1000}]'
    run --separate-stderr as $U ctr-run run "$CID"
    [ "$status" -ne 0 ]
    [[ ${stderr_lines[-1]} == *"linux.uidMappings"*"newuidmap"* ]]
    [ -z "$(ls "$TEST_DIR/home-$U/xdg/ctr-run")" ]
    [ -z "$(pgrep -u $U -f "$TEST_DIR")" ]
}

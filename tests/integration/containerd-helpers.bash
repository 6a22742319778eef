# A private containerd for a test (load after helpers): its own config, root,
# state and sockets under TEST_DIR/containerd. Name containers and
# namespaces after the test (TEST_ID) so teardown finds their cgroups.
#   start_containerd [TOML]   starts it (TOML: more config, e.g. the CRI plugin's)
#   cr ARGS...                ctr on it, in the namespace TEST_ID
#   stop_containerd           kills and deletes every task and container in
#                             every namespace, then stops containerd (teardown)

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
    local tries=$(($1 * 10))
    shift
    while [ "$tries" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        tries=$((tries - 1))
    done
    echo "timed out waiting for: $*" >&2
    return 1
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# start_containerd [TOML]: a private containerd; TOML is appended to its config.
start_containerd() {
    CONTAINERD_DIR=$TEST_DIR/containerd
    mkdir -p "$CONTAINERD_DIR"
    local d=$CONTAINERD_DIR
    cat >"$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/sock"
[ttrpc]
  address = "$d/sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
    if [ -n "${1:-}" ]; then
        sed -i 's/^disabled_plugins = .*/disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]/' "$d/config.toml"
        printf '%s\n' "$1" >>"$d/config.toml"
    fi
    containerd --config "$d/config.toml" >"$d/log" 2>&1 &
    CONTAINERD_PID=$!
    CONTAINERD_SOCK=$d/sock
    if ! wait_for 10 ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
        cat "$d/log" >&2
        return 1
    fi
}

# cr ARGS...: containerd's ctr on this test's containerd, in the namespace TEST_ID.
cr() { ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" "$@"; }

stop_containerd() {
    [ -n "${CONTAINERD_PID:-}" ] || return 0
    local t c ns
    for ns in $(ctr -a "$CONTAINERD_SOCK" namespaces ls -q 2>/dev/null); do
        for t in $(ctr -a "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
            ctr -a "$CONTAINERD_SOCK" -n "$ns" tasks kill -s KILL "$t" >/dev/null 2>&1
        done
        for t in $(ctr -a "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
            wait_for 5 task_stopped "$t" "$ns" 2>/dev/null
            ctr -a "$CONTAINERD_SOCK" -n "$ns" tasks delete "$t" >/dev/null 2>&1
        done
        for c in $(ctr -a "$CONTAINERD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
            ctr -a "$CONTAINERD_SOCK" -n "$ns" containers rm "$c" >/dev/null 2>&1
        done
    done
    kill "$CONTAINERD_PID" 2>/dev/null
    wait_for 5 pid_gone "$CONTAINERD_PID" 2>/dev/null || kill -9 "$CONTAINERD_PID" 2>/dev/null
    CONTAINERD_PID=
}

# task_status ID [NAMESPACE]: RUNNING, PAUSED, STOPPED... as `ctr tasks ls` shows it.
task_status() {
    ctr -a "$CONTAINERD_SOCK" -n "${2:-$TEST_ID}" tasks ls | awk -v id="$1" '$1 == id {print $3}'
}
task_stopped() { [ "$(task_status "$@")" = STOPPED ]; }

# Helpers for run-engines.bats: real engines (containerd, podman) driving an
# OCI runtime, ctr-run or runc (load after helpers).
#
# Every test names its runtime with use_runtime, then starts its engine with
# its state inside TEST_DIR:
#   containerd: own config, root, state and socket; namespace = TEST_ID (so
#               its cgroups are /sys/fs/cgroup/*/TEST_ID/...); the runtime's
#               --root is RT_ROOT (--runc-root, or Root in the config).
#   podman:     own --root, --runroot, --tmpdir, network config and volume
#               dirs; containers under --cgroup-parent /TEST_ID. podman gives
#               its runtime no --root (nor does the cleanup conmon runs), so
#               the runtime keeps its state where it does for every user
#               (/run/ctr-run, /run/runc); engines_teardown deletes any
#               container of the test that is still there.
# engines_teardown stops all of it, then ctr_teardown removes what is left.

ENGINE_IMAGE=docker.io/library/busybox:latest

# Once per file: the busybox fixture as an OCI archive (ctr-import, ctr-images save).
engines_setup_file() {
    local store=$BATS_FILE_TMPDIR/store
    CTR_ROOT=$store ctr-import -q -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:latest >/dev/null
    CTR_ROOT=$store ctr-images save -o "$BATS_FILE_TMPDIR/busybox-oci.tar" busybox:latest
}

# use_runtime ctr-run|runc: RT_NAME, RT_BIN (absolute path) and RT_ROOT.
use_runtime() {
    RT_NAME=$1
    case $1 in
        ctr-run) RT_BIN=$BIN/ctr-run ;;
        runc) RT_BIN=$(command -v runc) ;;
        *) echo "use_runtime: unknown runtime $1" >&2; return 1 ;;
    esac
    RT_ROOT=$TEST_DIR/runtime-root
}

engines_teardown() {
    stop_containerd
    stop_podman
    [ -n "${TMUX_SOCK:-}" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
    ctr_teardown
}

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

# ---- containerd

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
        sed -i '/^disabled_plugins/d' "$d/config.toml"
        printf '%s\n' "$1" >>"$d/config.toml"
    fi
    containerd --config "$d/config.toml" >"$d/log" 2>&1 &
    CONTAINERD_PID=$!
    CONTAINERD_SOCK=$d/sock
    if ! wait_for 10 ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
        cat "$d/log" >&2
        return 1
    fi
    cr images import "$BATS_FILE_TMPDIR/busybox-oci.tar" >/dev/null
}

# cr ARGS...: containerd's ctr on this test's containerd and namespace.
cr() { ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" "$@"; }

# The ctr run flags that make the test's runtime the one containerd's runc shim calls.
runc_flags() { echo "--runc-binary $RT_BIN --runc-root $RT_ROOT"; }

# The runtime's view of a containerd container (its --root is RT_ROOT/namespace).
containerd_rt_state() { "$RT_BIN" --root "$RT_ROOT/$TEST_ID" state "$1"; }

# The container's cgroup under a v1 controller (containerd's default path /namespace/id).
containerd_cgroup() { echo "/sys/fs/cgroup/$1/$TEST_ID/$2"; }

stop_containerd() {
    [ -n "${CONTAINERD_PID:-}" ] || return 0
    local t c
    for t in $(cr tasks ls -q 2>/dev/null); do
        cr tasks kill -s KILL "$t" >/dev/null 2>&1
    done
    for t in $(cr tasks ls -q 2>/dev/null); do
        wait_for 5 task_stopped "$t" 2>/dev/null
        cr tasks delete "$t" >/dev/null 2>&1
    done
    for c in $(cr containers ls -q 2>/dev/null); do
        cr containers rm "$c" >/dev/null 2>&1
    done
    kill "$CONTAINERD_PID" 2>/dev/null
    wait_for 5 pid_gone "$CONTAINERD_PID" 2>/dev/null || kill -9 "$CONTAINERD_PID" 2>/dev/null
    CONTAINERD_PID=
}

# task_status ID: RUNNING, PAUSED, STOPPED... as `ctr tasks ls` shows it.
task_status() { cr tasks ls | awk -v id="$1" '$1 == id {print $3}'; }
task_stopped() { [ "$(task_status "$1")" = STOPPED ]; }

# ---- podman

# start_podman: private podman storage with the busybox image loaded, and
# $PODMAN_DIR/podman, a script running podman on it (for tmux windows).
start_podman() {
    PODMAN_DIR=$TEST_DIR/podman
    mkdir -p "$PODMAN_DIR/tmp"
    local d=$PODMAN_DIR
    cat >"$d/podman" <<SH
#!/bin/sh
# podman on the test's private storage; these global flags are also passed on
# to the \`podman container cleanup\` conmon runs when a container exits.
TMPDIR=$d/tmp exec podman --root $d/root --runroot $d/runroot --storage-driver overlay \\
    --cgroup-manager cgroupfs --events-backend file --tmpdir $d/tmp \\
    --network-config-dir $d/networks --volumepath $d/volumes "\$@"
SH
    chmod +x "$d/podman"
    pm load -q -i "$BATS_FILE_TMPDIR/busybox-oci.tar" >/dev/null
}

# pm ARGS...: the test's podman with the test's runtime (--runtime), unless
# PM_RUNTIME is set to "" (the runtime then comes from containers.conf).
pm() {
    if [ -n "${PM_RUNTIME-x}" ]; then
        "$PODMAN_DIR/podman" --runtime "$RT_BIN" "$@"
    else
        "$PODMAN_DIR/podman" "$@"
    fi
}

# The flags every `podman run` of the tests takes: no network, the test's cgroup
# parent, and rlimits at or under this machine's hard limits (podman's
# defaults for nofile and nproc are above them and setrlimit would fail).
pm_run_flags() {
    local nofile
    nofile=$(ulimit -Hn)
    [ "$nofile" = unlimited ] || [ "$nofile" -gt 1024 ] && nofile=1024
    echo "--network none --cgroup-parent /$TEST_ID --ulimit nofile=$nofile:$nofile --ulimit nproc=1024:1024"
}

# The podman container's cgroup under a v1 controller.
podman_cgroup() { echo "/sys/fs/cgroup/$1/$TEST_ID/libpod-$2"; }

stop_podman() {
    [ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR/root" ] || return 0
    local ids id
    ids=$(pm ps -aq --no-trunc 2>/dev/null)
    pm rm -af -t 0 >/dev/null 2>&1
    # The runtime's own state of anything podman failed to remove.
    for id in $ids; do
        "$RT_BIN" delete --force "$id" >/dev/null 2>&1
    done
    pm rmi -af >/dev/null 2>&1
    PODMAN_DIR=
}

# ---- terminals: a private tmux server drives programs that want a tty

# tmux_start WINDOW_CMD: a detached 100x30 session running WINDOW_CMD.
tmux_start() {
    TMUX_SOCK=$TEST_DIR/tmux.sock
    tmux -S "$TMUX_SOCK" new-session -d -x 100 -y 30 "$1"
}
tmux_new_window() { tmux -S "$TMUX_SOCK" new-window -d "$1"; }
# tmux_type WINDOW TEXT: types TEXT and Enter into window WINDOW (0, 1...).
tmux_type() { tmux -S "$TMUX_SOCK" send-keys -t ":$1" "$2" Enter; }
tmux_screen() { tmux -S "$TMUX_SOCK" capture-pane -p -t ":$1"; }
tmux_shows() { tmux_screen "$1" | grep -Eq -- "$2"; }
# tmux_wait WINDOW REGEX: waits (10 s) until the window shows a line matching REGEX.
tmux_wait() {
    if ! wait_for 10 tmux_shows "$1" "$2" 2>/dev/null; then
        echo "window $1 never showed /$2/; it shows:" >&2
        tmux_screen "$1" >&2
        return 1
    fi
}

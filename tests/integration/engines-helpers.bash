# Helpers for run-engines.bats: real engines (containerd, podman) driving an
# OCI runtime, ctr-run or runc (load after helpers and containerd-helpers).
#
# Every test names its runtime with use_runtime, then starts its engine with
# its state inside TEST_DIR:
#   containerd: containerd-helpers' private containerd; namespace = TEST_ID
#               (so its cgroups are /sys/fs/cgroup/*/TEST_ID/...), or the
#               CRI's k8s.io with pods under /TEST_ID/pod; the runtime's
#               --root is RT_ROOT (--runc-root, or Root in the config).
#   podman:     own --root, --runroot, --tmpdir, network config and volume
#               dirs; containers under --cgroup-parent /TEST_ID. podman gives
#               its runtime no --root (nor does the cleanup conmon runs), so
#               the runtime keeps its state where it does for every user
#               (/run/ctr-run, /run/runc); engines_teardown deletes any
#               container of the test that is still there.
# engines_teardown stops all of it, then ctr_teardown removes what is left.

ENGINE_IMAGE=docker.io/library/busybox:latest
# The CRI's pod sandbox image: busybox that sleeps (a pause container).
SANDBOX_IMAGE=docker.io/library/busybox:ctrtest-pause

# Once per file: the busybox fixture as OCI archives (ctr-import, ctr-images
# save): busybox-oci.tar for podman (which loads one image per archive),
# cri-oci.tar with the sandbox image too for containerd. Both images have
# PATH in their config as real images do (the CRI adds none, and runc, unlike
# ctr-run, then finds no `sleep`).
engines_setup_file() {
    local store=$BATS_FILE_TMPDIR/store path='ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'
    CTR_ROOT=$store ctr-import -q -c "$path" -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:latest >/dev/null
    CTR_ROOT=$store ctr-import -q -c "$path" -c 'CMD ["sleep", "2147483647"]' "$BUSYBOX_TAR" busybox:ctrtest-pause >/dev/null
    CTR_ROOT=$store ctr-images save -o "$BATS_FILE_TMPDIR/busybox-oci.tar" busybox:latest
    CTR_ROOT=$store ctr-images save -o "$BATS_FILE_TMPDIR/cri-oci.tar" busybox:latest busybox:ctrtest-pause
}

# use_runtime ctr-run|runc: RT_BIN (the runtime, an absolute path) and RT_ROOT.
use_runtime() {
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


# ---- containerd

# start_engine_containerd: a private containerd with busybox in the test's namespace.
start_engine_containerd() {
    start_containerd
    cr images import "$BATS_FILE_TMPDIR/busybox-oci.tar" >/dev/null
}

# The ctr run flags that make the test's runtime the one containerd's runc shim calls.
runc_flags() { echo "--runc-binary $RT_BIN --runc-root $RT_ROOT"; }

# The runtime's view of a containerd container (its --root is RT_ROOT/namespace).
containerd_rt_state() { "$RT_BIN" --root "$RT_ROOT/$TEST_ID" state "$1"; }

# The container's cgroup under a v1 controller (containerd's default path /namespace/id).
containerd_cgroup() { echo "/sys/fs/cgroup/$1/$TEST_ID/$2"; }

# start_containerd_cri: containerd with its CRI plugin on, the test's runtime
# as the runtime class "ctrtest" (runc shim, options BinaryName and Root),
# and both images in the CRI's namespace (k8s.io).
start_containerd_cri() {
    local d=$TEST_DIR/containerd cri='plugins."io.containerd.grpc.v1.cri"'
    /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null ||
        skip "the CRI client needs python3-grpcio and python3-grpc-tools (scripts/ctr-install-deps installs them)"
    mkdir -p "$d/cni/bin" "$d/cni/conf"
    start_containerd "[$cri]
  sandbox_image = \"$SANDBOX_IMAGE\"
  stream_server_address = \"127.0.0.1\"
  stream_server_port = \"0\"
  enable_selinux = false
  disable_apparmor = true
  restrict_oom_score_adj = true
[$cri.cni]
  bin_dir = \"$d/cni/bin\"
  conf_dir = \"$d/cni/conf\"
[$cri.containerd]
  snapshotter = \"overlayfs\"
  default_runtime_name = \"ctrtest\"
[$cri.containerd.runtimes.ctrtest]
  runtime_type = \"io.containerd.runc.v2\"
[$cri.containerd.runtimes.ctrtest.options]
  BinaryName = \"$RT_BIN\"
  Root = \"$RT_ROOT\""
    ctr -a "$CONTAINERD_SOCK" -n k8s.io images import "$BATS_FILE_TMPDIR/cri-oci.tar" >/dev/null
}

# cri METHOD [REQUEST_JSON]: one CRI call (tests/integration/cri-client.py).
cri() { /usr/bin/python3 "$BATS_TEST_DIRNAME/cri-client.py" "$CONTAINERD_SOCK" "$@"; }

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
# From the test's directory: conmon writes a file "oom" into its working
# directory when the container is OOM-killed.
cd $d || exit 125
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

# terminal_story RUN_CMD EXEC_CMD: RUN_CMD starts a shell in a container on a
# terminal (tmux's 100x30 window), EXEC_CMD a second one in the same
# container. In each a typed command answers, on /dev/pts/0, sized like the
# window; each exit code comes back to the engine's command.
terminal_story() {
    tmux_start "$1; echo run-exit=\$?; sleep 600"
    tmux_wait 0 '^/ #'
    # shellcheck disable=SC2016 # typed into the container's shell
    tmux_type 0 'echo $((6 * 7)); tty; stty size'
    tmux_wait 0 '^42'
    tmux_wait 0 '^/dev/pts/0'
    tmux_wait 0 '^30 100'

    tmux_new_window "$2; echo exec-exit=\$?; sleep 600"
    tmux_wait 1 '^/ #'
    tmux_type 1 'echo in-exec; stty size; exit 9'
    tmux_wait 1 '^in-exec'
    tmux_wait 1 '^30 100'
    tmux_wait 1 '^exec-exit=9'

    tmux_type 0 'exit 3'
    tmux_wait 0 '^run-exit=3'
}

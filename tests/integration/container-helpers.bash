# Helpers for the container stories (create, start, lifecycle, ports); load
# after helpers.
#
# The busybox image is built once per file (container_setup_file) with
# ctr-build from the fixture tar, and hard-linked into each test's store.
# Containers use the runtime $CTR_TEST_RUNTIME (default: ctr-create's own
# choice), keep the runtime's state in $RUN_ROOT and their cgroups under
# /$TEST_ID, so teardown finds whatever a failed test left.

container_setup_file() {
    local ctx=$BATS_FILE_TMPDIR/base-ctx
    mkdir -p "$ctx"
    ln -f "$BUSYBOX_TAR" "$ctx/busybox.tar" 2>/dev/null || cp "$BUSYBOX_TAR" "$ctx/busybox.tar"
    printf 'FROM scratch\nADD busybox.tar /\nENV GREETING="Hello from"\nCMD ["sh"]\n' >"$ctx/Dockerfile"
    CTR_ROOT=$BATS_FILE_TMPDIR/base-store ctr-build -q -t busybox:latest "$ctx" >/dev/null
}

container_setup() {
    ctr_setup
    mkdir -p "$CTR_ROOT"
    cp -al "$BATS_FILE_TMPDIR/base-store/." "$CTR_ROOT/"
    rm -rf "$CTR_ROOT/locks" "$CTR_ROOT/tmp" "$CTR_ROOT/containers"
    cp --remove-destination "$BATS_FILE_TMPDIR/base-store/oci/index.json" "$CTR_ROOT/oci/index.json"
    export CTR_RUNTIME_ROOT=$RUN_ROOT
    export CTR_CGROUP_PARENT=/$TEST_ID
    if [ -n "${CTR_TEST_RUNTIME:-}" ]; then export CTR_RUNTIME=$CTR_TEST_RUNTIME; fi
}

# record ID JQ-FILTER: a field of the container's container.json.
record() {
    jq -r "$2" "$CTR_ROOT/containers/$1/container.json"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_until() {
    local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
    shift
    until "$@"; do
        [ $(($(date +%s%N) / 1000000)) -lt $deadline ] || return 1
        sleep 0.05
    done
}

# status_is ID STATUS: the record says so.
status_is() { [ "$(record "$1" .State.Status)" = "$2" ]; }

# free_port: a TCP port nobody listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# mounts_under DIR: how many mounts lie under DIR.
mounts_under() {
    awk -v d="$1" 'index($5, d) == 1' /proc/self/mountinfo | wc -l
}

#!/usr/bin/env bats
# What ctr-build makes is a standard OCI image: containerd loads and runs it,
# podman runs it (copied with skopeo into a private containers-storage).

load helpers
load build-helpers

setup_file() { build_base_store; }
setup() {
    ctr_setup
    use_base_store
    CTX=$TEST_DIR/ctx
    mkdir -p "$CTX"
    printf '#!/bin/sh\necho "hello from $(cat /etc/built-by)"\nls /doomed 2>/dev/null || echo doomed-gone\n' >"$CTX/hello.sh"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo ctr-build > /etc/built-by && echo x > /doomed
COPY --chmod=755 hello.sh /usr/local/bin/hello
RUN rm /doomed
CMD ["hello"]
EOF
    ctr_build -q -t peers:1 "$CTX" >/dev/null
}
teardown() {
    stop_containerd
    if [ -n "${PODMAN_DIR:-}" ]; then
        podman_cmd system reset -f >/dev/null 2>&1 || true
    fi
    ctr_teardown
}

start_containerd() {
    local d=$TEST_DIR/containerd
    mkdir -p "$d"
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
    containerd --config "$d/config.toml" >"$d/log" 2>&1 &
    CONTAINERD_PID=$!
    CONTAINERD_SOCK=$d/sock
    local i
    for i in $(seq 100); do
        [ -S "$CONTAINERD_SOCK" ] && ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$d/log" >&2
    return 1
}

stop_containerd() {
    [ -n "${CONTAINERD_PID:-}" ] || return 0
    ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" tasks kill -s KILL "$(test_name c)" >/dev/null 2>&1 || true
    kill "$CONTAINERD_PID" 2>/dev/null
    local i
    for i in $(seq 50); do kill -0 "$CONTAINERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CONTAINERD_PID" 2>/dev/null || true
    CONTAINERD_PID=
}

podman_cmd() {
    podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/runroot" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend none --tmpdir "$PODMAN_DIR/tmp" "$@"
}

@test "containerd imports the built image and runs it" {
    skopeo copy -q "oci:$CTR_ROOT/oci:peers:1" "oci-archive:$TEST_DIR/peers.tar:docker.io/library/peers:1"
    start_containerd
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" images import "$TEST_DIR/peers.tar"
    [ "$status" -eq 0 ]
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" run --rm --runc-binary runc docker.io/library/peers:1 "$(test_name c)"
    [ "$status" -eq 0 ]
    [[ "$output" == *"hello from ctr-build"* ]]
    [[ "$output" == *"doomed-gone"* ]]
}

@test "podman runs the built image from its own storage (skopeo copy)" {
    PODMAN_DIR=$TEST_DIR/podman
    mkdir -p "$PODMAN_DIR"
    skopeo copy -q "oci:$CTR_ROOT/oci:peers:1" \
        "containers-storage:[overlay@$PODMAN_DIR/root+$PODMAN_DIR/runroot]localhost/peers:1"
    run podman_cmd run --rm --runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        --name "$(test_name p)" localhost/peers:1
    [ "$status" -eq 0 ]
    [[ "$output" == *"hello from ctr-build"* ]]
    [[ "$output" == *"doomed-gone"* ]]
}

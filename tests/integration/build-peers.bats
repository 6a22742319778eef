#!/usr/bin/env bats
# What ctr-build makes is a standard OCI image: containerd loads and runs it,
# podman runs it (copied with skopeo into a private containers-storage).

load helpers
load build-helpers
load containerd-helpers

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

podman_cmd() {
    podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/runroot" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend none --tmpdir "$PODMAN_DIR/tmp" "$@"
}

@test "containerd imports the built image and runs it" {
    skopeo copy -q "oci:$CTR_ROOT/oci:peers:1" "oci-archive:$TEST_DIR/peers.tar:docker.io/library/peers:1"
    start_containerd
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" images import "$TEST_DIR/peers.tar"
    [ "$status" -eq 0 ]
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" run --rm --runc-binary runc --runc-root "$TEST_DIR/runc" docker.io/library/peers:1 "$(test_name c)"
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

#!/usr/bin/env bats
# ctr-push: images of the store to a registry, checked with skopeo and podman.

load helpers
load registry_helpers

setup_file() { registry_setup_file; }
teardown_file() { registry_teardown_file; }
setup() {
    ctr_setup
    export REGISTRY_AUTH_FILE=$TEST_DIR/auth.json
    # A repository namespace of this test's own (repository names are lower case).
    NS=$(echo "$TEST_ID" | tr A-Z a-z)
}
teardown() { registry_teardown; }

remote_digest() {
    skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | sed 's/ .*//;s/^/sha256:/'
}

@test "pull then push under another name keeps the digest; skopeo and podman read what we pushed" {
    ctr-pull -q "$REG_PLAIN/busybox:3layers" >/dev/null
    src=$(remote_digest "$REG_PLAIN/busybox:3layers")
    run ctr-push "$REG_PLAIN/busybox:3layers" "$REG_PLAIN/$NS/pushed:v1"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$src" ]
    [[ $output == *"v1: digest: $src size: "* ]]
    [ "$(remote_digest "$REG_PLAIN/$NS/pushed:v1")" = "$src" ]

    env -u REGISTRY_AUTH_FILE podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" --storage-driver vfs \
        pull -q --tls-verify=false "$REG_PLAIN/$NS/pushed:v1" >/dev/null
    run env -u REGISTRY_AUTH_FILE podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" --storage-driver vfs \
        image inspect --format '{{.Digest}}' "$REG_PLAIN/$NS/pushed:v1"
    [ "$output" = "$src" ]
}

@test "blobs the registry has are skipped, blobs of another repository mounted, the rest uploaded" {
    ctr-pull -q "$REG_PLAIN/busybox:3layers" >/dev/null
    px=$(start_proxy "$TEST_DIR/proxy" "$REG_PLAIN")
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$px" >"$TEST_DIR/r.conf"
    export CTR_REGISTRIES_CONF=$TEST_DIR/r.conf
    # Known to the store as living in busybox on that registry: mounted, not uploaded.
    ctr-pull -q "$px/busybox:3layers" >/dev/null
    : >"$TEST_DIR/proxy/port.log"
    run ctr-push "$px/busybox:3layers" "$px/$NS/mounted:1"
    [ "$status" -eq 0 ]
    [ "$(grep -c "^POST /v2/$NS/mounted/blobs/uploads/?mount=sha256.*&from=busybox" "$TEST_DIR/proxy/port.log")" -eq 4 ]
    ! grep -q "^PUT /v2/$NS/mounted/blobs/" "$TEST_DIR/proxy/port.log"

    : >"$TEST_DIR/proxy/port.log"
    run ctr-push "$px/busybox:3layers" "$px/$NS/mounted:2"
    [ "$status" -eq 0 ]
    [ "$(grep -c "^HEAD /v2/$NS/mounted/blobs/sha256:" "$TEST_DIR/proxy/port.log")" -eq 4 ]
    ! grep -q "^POST" "$TEST_DIR/proxy/port.log"
    grep -q "^PUT /v2/$NS/mounted/manifests/2" "$TEST_DIR/proxy/port.log"
}

@test "chunked upload to the TLS registry with credentials" {
    ctr-pull -q "$REG_PLAIN/busybox:3layers" >/dev/null
    src=$(remote_digest "$REG_PLAIN/busybox:3layers")
    run ctr-push --cert-dir "$REG_CA_DIR" --chunk-size 300000 "$REG_PLAIN/busybox:3layers" "$REG_TLS/$NS/chunked:1"
    [ "$status" -eq 1 ]
    [[ $output == *"authentication required"* ]]
    run ctr-push --cert-dir "$REG_CA_DIR" --creds "$REG_USER:$REG_PASS" --chunk-size 300000 \
        --digestfile "$TEST_DIR/digest" "$REG_PLAIN/busybox:3layers" "$REG_TLS/$NS/chunked:1"
    [ "$status" -eq 0 ]
    [ "$(cat "$TEST_DIR/digest")" = "$src" ]
    run skopeo inspect --cert-dir "$REG_CA_DIR" --creds "$REG_USER:$REG_PASS" "docker://$REG_TLS/$NS/chunked:1"
    [[ $output == *"\"Digest\": \"$src\""* ]]
    # And back: the chunked upload reassembled every byte.
    CTR_ROOT=$TEST_DIR/store2 run ctr-pull --cert-dir "$REG_CA_DIR" --creds "$REG_USER:$REG_PASS" "$REG_TLS/$NS/chunked:1"
    [ "$status" -eq 0 ]
}

@test "a multi-platform image with every platform in the store goes up as the same index" {
    ctr-pull -q --platform linux/arm64 "$REG_PLAIN/multi" >/dev/null
    ctr-pull -q "$REG_PLAIN/multi" >/dev/null
    index=$(remote_digest "$REG_PLAIN/multi:latest")
    run ctr-push "$REG_PLAIN/multi:latest" "$REG_PLAIN/$NS/multi:copy"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$index" ]
    run skopeo inspect --tls-verify=false --raw "docker://$REG_PLAIN/$NS/multi:copy"
    [[ $output == *arm64* ]]
}

@test "push of an unknown image or without a destination name fails clearly" {
    run ctr-push "$REG_PLAIN/nothing:here"
    [ "$status" -eq 1 ]
    [[ $output == *"No such image"* ]]
    id=$(ctr-pull -q "$REG_PLAIN/busybox:3layers")
    run ctr-push "$id"
    [ "$status" -eq 1 ]
    [[ $output == *"name a destination"* ]]
    run ctr-push "$id" "$REG_PLAIN/$NS/byid:1"
    [ "$status" -eq 0 ]
}

#!/usr/bin/env bats
# ctr-pull when things break: a transfer cut short (resumed with Range), a
# registry killed mid-download, a full disk, Ctrl-C. Each must leave no image
# and no moved tag, and the next pull must complete, reusing what was verified.

load helpers
load registry_helpers

setup_file() {
    registry_setup_file
    # big:1 = busybox + 8 MB of random bytes (incompressible), to catch a pull mid-way.
    head -c 8000000 /dev/urandom >"$REG_DIR/random"
    tar -C "$REG_DIR" --owner=0 --group=0 -cf "$REG_DIR/layers/big.tar" random
    MKIMAGE_GZIP_LEVEL=1 python3 "$MKIMAGE" "$REG_LAYOUT" big "$REG_DIR/layers/base.tar" "$REG_DIR/layers/big.tar" >/dev/null
    seed_plain "$REG_LAYOUT:big" big:1
    export BASE_LAYER BIG_LAYER
    BASE_LAYER=$(skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/big:1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
    BIG_LAYER=$(skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/big:1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][1]["digest"])')
}
teardown_file() { registry_teardown_file; }
setup() { ctr_setup; }
teardown() { registry_teardown; }

# A registry of this test's own over the shared storage, behind a proxy: both may be killed.
own_registry() {
    mkdir -p "$TEST_DIR/reg"
    ln -s "$REG_DIR/plain/data" "$TEST_DIR/reg/data"
    OWN=$(start_registry "$TEST_DIR/reg")
    PX=$(start_proxy "$TEST_DIR/proxy" "$OWN" "$@")
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$PX" >"$TEST_DIR/r.conf"
    export CTR_REGISTRIES_CONF=$TEST_DIR/r.conf
}

# Waits until the base layer is in the store and the big one is arriving in tmp/.
wait_mid_download() {
    wait_for test -e "$CTR_ROOT/oci/blobs/sha256/${BASE_LAYER#sha256:}"
    wait_for sh -c "find '$CTR_ROOT/tmp' -type f -size +100k | grep -q ."
}

no_image() {
    ! grep -q 'big:1' "$CTR_ROOT/oci/index.json"
    [ ! -e "$CTR_ROOT/oci/blobs/sha256/${BIG_LAYER#sha256:}" ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
}

@test "a transfer cut short resumes with Range" {
    own_registry --cut 3000000
    run ctr-pull --jobs 1 "$PX/big:1"
    [ "$status" -eq 0 ]
    grep -q "GET /v2/big/blobs/$BIG_LAYER range=bytes=3000000-$" "$TEST_DIR/proxy/port.log"
    [ -e "$CTR_ROOT/oci/blobs/sha256/${BIG_LAYER#sha256:}" ]
}

@test "a registry killed mid-download: clear error, no image; the next pull completes and reuses what was verified" {
    own_registry --rate 2000000
    ctr-pull --jobs 1 "$PX/big:1" >"$TEST_DIR/out" 2>"$TEST_DIR/err" &
    pid=$!
    wait_mid_download
    stop_registry "$TEST_DIR/reg"
    status=0
    wait $pid || status=$?
    [ "$status" -eq 1 ]
    [ "$(wc -l <"$TEST_DIR/err")" -eq 1 ]
    grep -q "^ctr-pull: pull $PX/big:1: fetch blob $BIG_LAYER from $PX/big: " "$TEST_DIR/err"
    [ ! -s "$TEST_DIR/out" ]
    no_image

    start_registry "$TEST_DIR/reg" >/dev/null
    : >"$TEST_DIR/proxy/port.log"
    run ctr-pull "$PX/big:1"
    [ "$status" -eq 0 ]
    ! grep -q "GET /v2/big/blobs/$BASE_LAYER" "$TEST_DIR/proxy/port.log"
    grep -q "GET /v2/big/blobs/$BIG_LAYER" "$TEST_DIR/proxy/port.log"
}

@test "Ctrl-C: exit 130, no image, nothing left in tmp/" {
    own_registry --rate 2000000
    ctr-pull --jobs 1 "$PX/big:1" >"$TEST_DIR/out" 2>"$TEST_DIR/err" &
    pid=$!
    wait_mid_download
    kill -INT $pid
    status=0
    wait $pid || status=$?
    [ "$status" -eq 130 ]
    grep -q "^ctr-pull: pull $PX/big:1: interrupted" "$TEST_DIR/err"
    no_image
}

@test "a full disk: clear error, no image, tmp/ emptied" {
    mkdir "$TEST_DIR/small"
    mount -t tmpfs -o size=4m tmpfs "$TEST_DIR/small"
    export CTR_ROOT=$TEST_DIR/small/store
    run ctr-pull "$REG_PLAIN/big:1"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == "ctr-pull: pull $REG_PLAIN/big:1: "*"No space left on device"* ]]
    no_image
    umount "$TEST_DIR/small"
}

@test "on a terminal, docker's per-layer progress" {
    run script -qec "ctr-pull $REG_PLAIN/big:1" /dev/null
    [ "$status" -eq 0 ]
    [[ $output == *"1: Pulling from big"* ]]
    [[ $output == *"${BIG_LAYER:7:12}: Downloading ["* ]]
    [[ $output == *"${BIG_LAYER:7:12}: Pull complete"* ]]
    [[ $output == *"Status: Downloaded newer image for $REG_PLAIN/big:1"* ]]
    run script -qec "ctr-pull $REG_PLAIN/big:1" /dev/null
    [[ $output == *"Image is up to date"* ]]
}

#!/usr/bin/env bats
# The programs that pull on their own: ctr-create (--pull missing|always|never,
# as docker run) and ctr-build (FROM an image the store lacks; --pull,
# --pull=false), against Debian's docker-registry on 127.0.0.1.

load helpers
load registry_helpers

setup_file() { registry_setup_file; }
teardown_file() { registry_teardown_file; }
setup() {
    ctr_setup
    export REGISTRY_AUTH_FILE=$TEST_DIR/auth.json
    export CTR_RUNTIME_ROOT=$RUN_ROOT
    export CTR_CGROUP_PARENT=/$TEST_ID
}
teardown() { registry_teardown; }

@test "ctr-create pulls a missing image, which then runs; --pull never refuses a missing one" {
    ref=$REG_PLAIN/busybox:3layers
    run ctr-create --pull never "$ref"
    [ "$status" -ne 0 ]
    [[ $output == *"$ref"* ]]
    [ ! -e "$CTR_ROOT/containers" ] || [ -z "$(ls -A "$CTR_ROOT/containers")" ]

    run ctr-create "$ref"
    [ "$status" -eq 0 ]
    [[ $output == *"Unable to find image '$ref' locally"* ]]
    # ctr-pull's own lines come through once, as docker prints them.
    [ "$(grep -c '^Status: Downloaded newer image for ' <<<"$output")" -eq 1 ]
    [ "$(grep -c '^Digest: sha256:' <<<"$output")" -eq 1 ]
    id=${lines[-1]}
    [[ $id =~ ^[0-9a-f]{64}$ ]]
    run ctr-start -a "$id"
    [ "$status" -eq 0 ]
    [ "$output" = "hello from layer three" ]

    # Present now: no pull by default, and --pull always asks the registry again.
    run ctr-create --rm "$ref"
    [ "$status" -eq 0 ]
    [[ $output != *"Unable to find image"* ]]
    run ctr-create --rm --pull always "$ref"
    [ "$status" -eq 0 ]
    [[ $output == *"Image is up to date"* ]]
}

@test "ctr-build pulls a FROM image the store lacks; --pull=false refuses it" {
    ref=$REG_PLAIN/busybox:3layers
    mkdir "$TEST_DIR/ctx"
    printf 'FROM %s\nRUN cat /hello.txt >/copied\nCMD ["cat", "/copied"]\n' "$ref" >"$TEST_DIR/ctx/Dockerfile"
    run ctr-build --pull=false -t app:1 "$TEST_DIR/ctx"
    [ "$status" -ne 0 ]
    [[ $output == *"$ref"* ]]
    run ctr-images -q app:1
    [ -z "$output" ] || [ "$status" -ne 0 ]

    run ctr-build -t app:1 "$TEST_DIR/ctx"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"Successfully tagged app:1"* ]]
    run ctr-create app:1
    [ "$status" -eq 0 ]
    run ctr-start -a "${lines[-1]}"
    [ "$output" = "hello from layer three" ]
}

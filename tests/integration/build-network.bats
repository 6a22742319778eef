#!/usr/bin/env bats
# ctr-build --network: what the RUN steps' network is.

load helpers
load build-helpers

setup_file() { build_base_store; }
setup() {
    ctr_setup
    use_base_store
}
teardown() { ctr_teardown; }

@test "--network none: RUN sees only loopback; host (the default) sees the host's interfaces; anything else is refused" {
    mkdir "$TEST_DIR/ctx"
    printf 'FROM busybox:test\nRUN ls /sys/class/net | sort | tr "\\n" " " >/ifaces\n' >"$TEST_DIR/ctx/Dockerfile"
    run ctr_build --network none -t none:1 "$TEST_DIR/ctx"
    [ "$status" -eq 0 ]
    run ctr_build --no-cache -t host:1 "$TEST_DIR/ctx"
    [ "$status" -eq 0 ]
    id=$(ctr-create none:1 cat /ifaces)
    [ "$(ctr-start -a "$id")" = "lo " ]
    id=$(ctr-create host:1 cat /ifaces)
    [ "$(ctr-start -a "$id")" = "$(ls /sys/class/net | sort | tr '\n' ' ')" ]
    run ctr_build --network frobnet -t bad:1 "$TEST_DIR/ctx"
    [ "$status" -ne 0 ]
    [[ $output == *"--network"* ]]
}

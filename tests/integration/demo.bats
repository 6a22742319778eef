#!/usr/bin/env bats
# scripts/demo (what `make demo` runs after building): every stage works and
# says what the tutorial says the reader will see.

load helpers

setup() { ctr_setup; }
teardown() { ctr_teardown; }

@test "the demo builds the web app, two replicas answer with their own greeting, nothing is left running" {
    run env CTR_ROOT="$CTR_ROOT" "$BATS_TEST_DIRNAME/../../scripts/demo"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"Successfully tagged demo:1.0.0"* ]]
    [[ $output =~ Hello\ from\ [0-9a-f]{12} ]]
    [[ $output =~ Hi\ from\ [0-9a-f]{12} ]]
    [[ $output == *'"status": "running"'* ]]
    # Both replicas were --rm: stopped and gone, their mounts too.
    [ -z "$(ls -A "$CTR_ROOT/containers" 2>/dev/null)" ]
    ! grep -q " $CTR_ROOT/" /proc/self/mountinfo
    # The runtime keeps no container (only its '@' cache directories).
    [ -z "$(ls -A "$CTR_ROOT/run" 2>/dev/null | grep -v @)" ]
}

@test "the demo refuses to run without root, saying why" {
    command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$BATS_TEST_DIRNAME/../../scripts/demo"
    [ "$status" -eq 1 ]
    [[ $output == *"run me as root"* ]]
}

#!/usr/bin/env bats
# docs/tutorials/00-running-containers.md, run as its reader types it.

load tutorial-helpers

setup() { tutorial_setup; }
teardown() { tutorial_teardown; }

@test "00 running containers: build, run + Ctrl-C, run -d, ps, exec -it, logs, kill, attach + Ctrl-C, layers" {
    run_tutorial 00-running-containers.md
    # run-tutorial held every output to what the document shows; these make
    # sure the document goes on showing what the tutorial promises.
    shown 'alive...'
    shown '    1 root     ash scripts/script.sh'
    shown '{"log":"alive...\n","stream":"stdout"'
    shown '"status": "running"'
    grep -qE '^[0-9a-f]{12} +demo:4 +"ash scripts/script.…" .* Exited \(137\) ' "$TRANSCRIPT"
    grep -qE '^[0-9a-f]{12} +demo:4 +"ash scripts/script.…" .* Exited \(130\) ' "$TRANSCRIPT"
    [ "$(grep -c -- ' ---> Using cache' "$TRANSCRIPT")" -eq 3 ]
    [ "$(grep -cE '^<none> +<none> +[0-9a-f]{12} ' "$TRANSCRIPT")" -eq 2 ]
    shown '/ # ls scripts'
    shown 'script.sh'
    # container prune took every container the tutorial made.
    [ -z "$(ls "$CTR_ROOT/containers")" ]
}

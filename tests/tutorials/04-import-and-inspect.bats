#!/usr/bin/env bats
# docs/tutorials/04-import-and-inspect.md, run as its reader types it (two
# terminals).

load tutorial-helpers

setup() { tutorial_setup; }
teardown() { tutorial_teardown; }

@test "04 import and inspect: tar | import -, run -it, hostname, /.dockerenv, /etc, cgroups, ps -a, start -ai, system df, system prune" {
    run_tutorial 04-import-and-inspect.md
    grep -qE '^sha256:[0-9a-f]{64}$' "$TRANSCRIPT"
    # The hostname is the container's short id, as ps shows it.
    host=$(grep -A1 -m1 '^/ # hostname$' "$TRANSCRIPT" | tail -1)
    grep -qE "^$host +container:1.0 +\"/bin/sh\" .* Exited \(0\) " "$TRANSCRIPT"
    shown '.dockerenv'
    shown 'mtab -> /proc/mounts'
    shown 'Running inside a container: /.dockerenv is here.'
    # start -ai found the file written before; a new run did not.
    shown 'ls: I*: No such file or directory'
    [ "$(grep -cx covfefe "$TRANSCRIPT")" -ge 3 ]
    shown 'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE'
    shown 'Deleted Containers:'
    shown 'Total reclaimed space: 8B'
    [ -z "$(ls "$CTR_ROOT/containers")" ]
}

#!/usr/bin/env bats
# docs/tutorials/03-run-containers.md, run as its reader types it.

load tutorial-helpers

setup() { tutorial_setup; }
teardown() { tutorial_teardown; }

@test "03 run containers: --detach --rm --publish, curl both replicas, --env, exec kill 1, overlay files, stop" {
    run_tutorial 03-run-containers.md
    # Two replicas, each answering with its own hostname on its own host port.
    one=$(grep -m1 -oE '^Hello from [0-9a-f]{12}$' "$TRANSCRIPT" | cut -d' ' -f3)
    two=$(grep -m1 -oE '^Hi from [0-9a-f]{12}$' "$TRANSCRIPT" | cut -d' ' -f3)
    [ -n "$one" ] && [ -n "$two" ] && [ "$one" != "$two" ]
    p1=$(grep -m1 -oE "^$one +demo:1.0.0 .* 0\.0\.0\.0:[0-9]+->80/tcp" "$TRANSCRIPT" | grep -oE '[0-9]+->80' | cut -d- -f1)
    p2=$(grep -m1 -oE "^$two +demo:1.0.0 .* 0\.0\.0\.0:[0-9]+->80/tcp" "$TRANSCRIPT" | grep -oE '[0-9]+->80' | cut -d- -f1)
    [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" != "$p2" ]
    shown "curl http://localhost:$p1"
    shown "curl http://localhost:$p2"
    shown 'ctr-docker exec -it ${container_id_two} kill 1'
    shown '/upper/TOP_SECRET_INFO_ONE.txt'
    shown '/upper/TOP_SECRET_INFO_TWO.txt'
    # Stopped with --rm: nothing left, and nobody listens on the ports.
    [ -z "$(ls "$CTR_ROOT/containers")" ]
    ! curl -s "http://127.0.0.1:$p1/"
    ! curl -s "http://127.0.0.1:$p2/"
}

#!/usr/bin/env bats
# docs/tutorials/01-altering-container-processes.md, run as its reader types
# it (two terminals).

load tutorial-helpers

setup() { tutorial_setup; }
teardown() { tutorial_teardown; }

@test "01 altering container processes: CMD/ENTRYPOINT, inspect -f, CMD override, a container ends with its process, -it, logs, exec -it" {
    run_tutorial 01-altering-container-processes.md
    shown '[sh current/index.sh]'
    shown '[docker-entrypoint.sh]'
    shown 'INFO Creating table: posts'
    shown '<h1>My blog</h1>'
    shown '["docker-entrypoint.sh","ls"]'
    shown 'content.orig'
    grep -qE '^[0-9a-f]{12} +blog +"docker-entrypoint.s…" .* Up .* 2368/tcp ' "$TRANSCRIPT"
    [ "$(grep -cE '^[0-9a-f]{12} +blog .* Exited \(0\) ' "$TRANSCRIPT")" -eq 4 ]
    shown '    1 root     sh current/index.sh'
    shown 'INFO Blog is shutting down'
    [ -z "$(ls "$CTR_ROOT/containers")" ]
}

#!/usr/bin/env bats
# docs/tutorials/02-container-lifecycle.md, run as its reader types it.

load tutorial-helpers

setup() { tutorial_setup; }
teardown() { tutorial_teardown; }

@test "02 container lifecycle: build -t name:tag ., run -it --rm -v --name, PID 1, Ctrl-P Ctrl-Q, attach, stop" {
    run_tutorial 02-container-lifecycle.md
    shown 'missing: python3'
    shown 'Successfully tagged qsnyder/dnebase3.7:0.1'
    shown '[dnebase] /mycode # ls'
    shown '    1 root     /bin/sh'
    grep -qE '^Hello from [0-9a-f]{12}, running hello.sh in /mycode$' "$TRANSCRIPT"
    # Detached, then attached again: the prompt came back by itself, and
    # the second detach said so.
    shown '[dnebase] /mycode # ls made*'
    shown 'read escape sequence'
    grep -qE '^[0-9a-f]{12} +qsnyder/dnebase3.7:0.1 +"/bin/sh" .* Up .* dnebase$' "$TRANSCRIPT"
    # What the container wrote to the shared folder is on the host.
    [ -n "$(find "$TEST_DIR" -path '*/dnebase/made-in-the-container')" ]
    # --rm: stop and exit both removed their containers.
    [ -z "$(ls "$CTR_ROOT/containers")" ]
}

#!/usr/bin/env bats
# ctr-docker: the seeds' docker commands, word for word.

load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

@test "run, run -d, ps-less checks, exec, logs file, kill, rm (seed 000, 001)" {
    run ctr-docker run busybox echo hello
    [ "$status" -eq 0 ]
    [ "$output" = hello ]
    id=$(ctr-docker run -d busybox sh -c 'while :; do echo alive...; sleep 0.2; done')
    [[ $id =~ ^[0-9a-f]{64}$ ]]
    wait_until 10 status_is "$id" running
    run ctr-docker exec "$id" ps
    [ "$status" -eq 0 ]
    [[ $output == *"while :"* ]]
    wait_until 10 grep -q alive "$CTR_ROOT/containers/$id/log.json"
    run ctr-docker kill "$id"
    [ "$status" -eq 0 ]
    wait_until 10 status_is "$id" exited
    [ "$(record "$id" .State.ExitCode)" = 137 ]
    run ctr-docker rm "$id"
    [ "$status" -eq 0 ]
    [ ! -e "$CTR_ROOT/containers/$id" ]
    run ctr-docker run busybox ls /
    [[ $output == *bin* ]]
}

@test "run --detach --rm --publish, --env override, exec kill 1, stop (seed 003)" {
    p1=$(free_port)
    p2=$(free_port)
    cmd='mkdir -p /www && echo "$GREETING $(hostname)" >/www/index.html && exec httpd -f -p 80 -h /www'
    one=$(ctr-docker run --detach --rm --publish "127.0.0.1:$p1:80" busybox sh -c "$cmd")
    two=$(ctr-docker run --env "GREETING=Hi from" --detach --rm --publish "127.0.0.1:$p2:80" busybox sh -c "$cmd")
    wait_until 10 curl -sf "http://127.0.0.1:$p1/"
    wait_until 10 curl -sf "http://127.0.0.1:$p2/"
    [ "$(curl -s "http://127.0.0.1:$p1/")" = "Hello from ${one:0:12}" ]
    [ "$(curl -s "http://127.0.0.1:$p2/")" = "Hi from ${two:0:12}" ]
    run ctr-docker exec "$one" wget -qO- localhost:80
    [ "$output" = "Hello from ${one:0:12}" ]
    ctr-docker exec "$two" touch /TOP_SECRET_INFO_TWO.txt
    [ -f "$CTR_ROOT/containers/$two/upper/TOP_SECRET_INFO_TWO.txt" ]
    run ctr-docker stop "$one" "$two"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$one" ]
    wait_until 10 sh -c "[ ! -e $CTR_ROOT/containers/$one ] && [ ! -e $CTR_ROOT/containers/$two ]"
}

@test "run -it, exit, start -ai keeps the written file (seed 004)" {
    id=$(ctr-docker create -it --name "$(test_name vibrant)" busybox /bin/sh)
    run ctr-docker start -ai "$(test_name vibrant)" <<<'echo covfefe >I-was-here; hostname; ls -a /; exit'
    [ "$status" -eq 0 ]
    [[ $output == *"${id:0:12}"* ]]
    [[ $output == *".dockerenv"* ]]
    run ctr-docker start -ai "$(test_name vibrant)" <<<'cat I-was-here; exit 4'
    [ "$status" -eq 4 ]
    [[ $output == *covfefe* ]]
}

@test "run -it and exec -it with a stdin that is not a terminal: docker's 'the input device is not a TTY', nothing made or run" {
    run ctr-docker run -it busybox touch /ran </dev/null
    [ "$status" -eq 1 ]
    [ "$output" = "the input device is not a TTY" ]
    [ -z "$(ls -A "$CTR_ROOT/containers" 2>/dev/null)" ]
    run ctr-docker run -a stdin -t busybox true </dev/null
    [ "$status" -eq 1 ]
    [ "$output" = "the input device is not a TTY" ]
    # With -d there is nothing to read; -i alone needs no terminal.
    id=$(ctr-docker run -itd busybox sh </dev/null)
    wait_until 10 status_is "$id" running
    [ "$(ctr-docker run --rm -i busybox cat <<<piped)" = piped ]
    for via in "ctr-docker exec" ctr-exec; do
        run $via -it "$id" touch /ran </dev/null
        [ "$status" -eq 1 ]
        [ "$output" = "the input device is not a TTY" ]
    done
    run ctr-docker exec "$id" test -e /ran
    [ "$status" -eq 1 ]
    # A missing container is named first, as docker looks it up first.
    run ctr-docker exec -it nosuch true </dev/null
    [ "$status" -eq 1 ]
    [ "$output" = "No such container: nosuch" ]
    run ctr-docker exec -i "$id" cat <<<piped
    [ "$output" = piped ]
    ctr-docker rm -f "$id" >/dev/null
}

@test "unknown commands fail clearly; container/image subcommands map through" {
    run ctr-docker frobnicate
    [ "$status" -eq 125 ]
    [[ $output == *"unknown command"* ]]
    id=$(ctr-docker container create busybox true)
    run ctr-docker container rm "$id"
    [ "$status" -eq 0 ]
}

@test "container prune removes stopped and created containers, keeps running ones; image prune keeps containers" {
    done_id=$(ctr-docker run -d busybox true)
    wait_until 10 status_is "$done_id" exited
    created=$(ctr-docker create busybox true)
    up=$(ctr-docker run -d busybox sleep 100)
    wait_until 10 status_is "$up" running
    run ctr-docker container prune -f
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Deleted Containers:" ]
    [[ $output == *"$done_id"* && $output == *"$created"* && $output != *"$up"* ]]
    [ ! -e "$CTR_ROOT/containers/$done_id" ] && [ ! -e "$CTR_ROOT/containers/$created" ]
    [ -e "$CTR_ROOT/containers/$up" ]
    ctr-docker rm -f "$up" >/dev/null
    # image prune leaves containers alone (ctr-prune --images; prune.bats).
    stopped=$(ctr-docker create busybox true)
    run ctr-docker image prune -f
    [ "$status" -eq 0 ]
    [[ ${lines[-1]} == "Total reclaimed space: "* ]]
    [ -e "$CTR_ROOT/containers/$stopped" ]
}

@test "attach redraws a waiting shell's prompt; Ctrl-P Ctrl-Q says read escape sequence and exits 1; kill returns once ended" {
    s=$(test_name tmux)
    sock=$TEST_DIR/tmux.sock
    id=$(ctr-docker run -dit --name "$s" -e 'PS1=ready# ' busybox sh)
    wait_until 10 status_is "$id" running
    tmux -S "$sock" new-session -d -s "$s" -x 100 -y 30 "ctr-docker attach $s; echo EXITED=\$? >$TEST_DIR/rc; sleep 600"
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q '^ready#'"
    tmux -S "$sock" send-keys -t "$s" C-p C-q
    wait_until 10 test -f "$TEST_DIR/rc"
    [ "$(cat "$TEST_DIR/rc")" = EXITED=1 ]
    tmux -S "$sock" capture-pane -p -t "$s" | grep -q 'read escape sequence'
    [ "$(record "$id" .State.Status)" = running ]
    # Again, at the same size: nothing typed, on a cleared screen, the shell
    # redraws its prompt because attach nudged the size (as docker's does).
    rm -f "$TEST_DIR/rc"
    tmux -S "$sock" respawn-pane -k -t "$s" "clear; ctr-docker attach $s; echo EXITED=\$? >$TEST_DIR/rc; sleep 600"
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q '^ready#'"
    tmux -S "$sock" send-keys -t "$s" 'exit 5' Enter
    wait_until 10 test -f "$TEST_DIR/rc"
    [ "$(cat "$TEST_DIR/rc")" = EXITED=5 ]
    tmux -S "$sock" kill-server
    # docker kill (KILL) returns once the container has ended: ps says so at once.
    id=$(ctr-docker run -d busybox sleep 100)
    wait_until 10 status_is "$id" running
    run ctr-docker kill "$id"
    [ "$status" -eq 0 ]
    [[ $(ctr-docker ps -a --filter "id=$id" --format '{{.Status}}') == "Exited (137)"* ]]
}

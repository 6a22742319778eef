#!/usr/bin/env bats
# The docker-style lifecycle over the scripts: stop, kill, rm, exec, restart,
# attach, the restart policy, --rm, volumes, and a real terminal.

load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

@test "ctr-stop: the stop signal, then KILL after the timeout" {
    polite=$(ctr-create busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' | ctr-start -d)
    stubborn=$(ctr-create --name "$(test_name stubborn)" busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$polite" running
    wait_until 10 status_is "$stubborn" running
    run ctr-stop "$polite"
    [ "$status" -eq 0 ]
    [ "$output" = "$polite" ]
    [ "$(record "$polite" .State.ExitCode)" = 0 ]
    start=$(date +%s)
    run ctr-stop -t 1 "$(test_name stubborn)"
    [ "$status" -eq 0 ]
    [ $(($(date +%s) - start)) -lt 8 ]
    [ "$(record "$stubborn" .State.ExitCode)" = 137 ]
    [ "$(record "$stubborn" .State.Status)" = exited ]
}

@test "ctr-exec: runs in the container; kill 1 inside ends it with the right code" {
    id=$(ctr-create busybox sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done' | ctr-start -d)
    wait_until 10 status_is "$id" running
    run ctr-exec "$id" hostname
    [ "$status" -eq 0 ]
    [ "$output" = "${id:0:12}" ]
    run ctr-exec -e FOO=bar -w /tmp "$id" sh -c 'echo $FOO $(pwd); exit 4'
    [ "$status" -eq 4 ]
    [ "$output" = "bar /tmp" ]
    run ctr-exec -u ghostuser "$id" id
    [ "$status" -ne 0 ]
    ctr-exec "$id" kill 1
    wait_until 10 status_is "$id" exited
    [ "$(record "$id" .State.ExitCode)" = 143 ]
    run ctr-exec "$id" true
    [ "$status" -ne 0 ]
    [[ $output == *"is not running"* ]]
}

@test "ctr-exec -dt: the command gets a terminal and runs on after ctr-exec returns; one that can't start is an error" {
    id=$(ctr-create --runtime "$BIN/ctr-run" busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id" running
    run ctr-exec -dt "$id" sh -c 'tty >/tmp/tty; sleep 0.5; echo done >>/tmp/tty'
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    wait_until 10 sh -c "ctr-exec $id cat /tmp/tty | grep -q done"
    [ "$(ctr-exec "$id" head -1 /tmp/tty)" = /dev/pts/0 ]
    # Nothing stays behind once the command is done.
    wait_until 10 sh -c "! pgrep -f '[e]xec --pid-file .* $id'"
    run ctr-exec -dit "$id" no-such-command
    [ "$status" -ne 0 ]
    [[ $output == *no-such-command* ]]
    # runc detaches from a terminal only through a console socket.
    id2=$(ctr-create --runtime runc busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id2" running
    run ctr-exec -d -t "$id2" true
    [ "$status" -eq 1 ]
    [ "$output" = "ctr-exec: -d with -t needs ctr-run as the container's runtime ($(command -v runc) detaches from a terminal only through a console socket)" ]
    ctr-rm -f "$id" "$id2" >/dev/null
}

@test "a container made with no runtime root stays at the runtime's default, whatever CTR_RUNTIME_ROOT says later" {
    # A runtime that logs the CTR_RUNTIME_ROOT it sees, then runs ctr-run
    # with the test's root (its "own default" here).
    cat >"$TEST_DIR/rt" <<EOF
#!/bin/sh
echo "\${CTR_RUNTIME_ROOT-unset} \$*" >>"$TEST_DIR/rt.log"
exec ctr-run --root "$RUN_ROOT" "\$@"
EOF
    chmod +x "$TEST_DIR/rt"
    id=$(CTR_RUNTIME_ROOT='' ctr-create --runtime "$TEST_DIR/rt" busybox sleep 1000)
    [ "$(record "$id" .HostConfig.RuntimeRoot)" = "" ]
    export CTR_RUNTIME_ROOT=$TEST_DIR/elsewhere
    ctr-start "$id" >/dev/null
    wait_until 10 status_is "$id" running
    [ "$(ctr-exec "$id" echo in)" = in ]
    ctr-kill -s USR1 "$id"
    ctr-rm -f "$id" >/dev/null
    cat "$TEST_DIR/rt.log"
    for op in create start exec kill delete; do grep -q "^unset .*--log.* $op\|^unset $op" "$TEST_DIR/rt.log"; done
    [ -z "$(grep -v '^unset ' "$TEST_DIR/rt.log")" ]
}

@test "--restart always brings it back after kill 1; ctr-stop ends it for good" {
    id=$(ctr-create --restart always busybox sh -c 'trap "exit 1" TERM; while :; do sleep 0.1; done' | ctr-start -d)
    wait_until 10 status_is "$id" running
    pid=$(record "$id" .State.Pid)
    ctr-exec "$id" kill 1
    wait_until 10 sh -c "[ \"\$(jq -r .RestartCount $CTR_ROOT/containers/$id/container.json)\" = 1 ]"
    wait_until 10 status_is "$id" running
    [ "$(record "$id" .State.Pid)" != "$pid" ]
    ctr-stop -t 1 "$id"
    wait_until 10 status_is "$id" exited
    sleep 0.5
    [ "$(record "$id" .State.Status)" = exited ]
    [ "$(record "$id" .RestartCount)" = 1 ]
}

@test "--restart on-failure:2 gives up after two restarts" {
    id=$(ctr-create --restart on-failure:2 busybox sh -c 'exit 5' | ctr-start -d)
    wait_until 15 sh -c "[ \"\$(jq -r '.State.Status + \" \" + (.RestartCount|tostring)' $CTR_ROOT/containers/$id/container.json)\" = 'exited 2' ]"
    [ "$(record "$id" .State.ExitCode)" = 5 ]
}

@test "--rm leaves nothing: no directory, mount, process or cgroup" {
    id=$(ctr-create --rm busybox echo bye)
    run ctr-start -a "$id"
    [ "$status" -eq 0 ]
    [ "$output" = bye ]
    [ ! -e "$CTR_ROOT/containers/$id" ]
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]
    [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$id" 2>/dev/null)" ]
    ! pgrep -f "$id"
    # and stopped by ctr-stop, as in the tutorial
    id=$(ctr-create --rm busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$id" running
    ctr-stop -t 1 "$id"
    wait_until 10 sh -c "[ ! -e $CTR_ROOT/containers/$id ]"
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]
}

@test "ctr-kill and ctr-rm: refuse a running container without -f" {
    id=$(ctr-create --name "$(test_name victim)" busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$id" running
    run ctr-rm "$(test_name victim)"
    [ "$status" -ne 0 ]
    [[ $output == *"cannot remove a running container"* ]]
    run ctr-kill -s TERM "$id"
    [ "$status" -eq 0 ]
    sleep 0.2
    [ "$(record "$id" .State.Status)" = running ]   # sleep as PID 1 ignores TERM
    run ctr-rm -f "$id"
    [ "$status" -eq 0 ]
    [ ! -e "$CTR_ROOT/containers/$id" ]
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]
    run ctr-kill "$id"
    [ "$status" -ne 0 ]
}

@test "-v shares files both ways; -v NAME keeps a named volume; ctr-rm -v drops anonymous ones" {
    mkdir -p "$TEST_DIR/code"
    echo from-host >"$TEST_DIR/code/in"
    id=$(ctr-create -v "$TEST_DIR/code:/mycode" -v cache:/cache -v /anon busybox \
        sh -c 'cat /mycode/in; echo from-container >/mycode/out; echo kept >/cache/k; echo x >/anon/x')
    run ctr-start -a "$id"
    [ "$status" -eq 0 ]
    [ "$output" = from-host ]
    [ "$(cat "$TEST_DIR/code/out")" = from-container ]
    [ "$(cat "$CTR_ROOT/volumes/cache/_data/k")" = kept ]
    anon=$(record "$id" '.AnonymousVolumes[0]')
    [ -f "$CTR_ROOT/volumes/$anon/_data/x" ]
    ctr-rm -v "$id"
    [ ! -e "$CTR_ROOT/volumes/$anon" ]
    [ -e "$CTR_ROOT/volumes/cache/_data/k" ]
}

@test "ctr-restart: a new process, same container" {
    id=$(ctr-create busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' | ctr-start -d)
    wait_until 10 status_is "$id" running
    pid=$(record "$id" .State.Pid)
    run ctr-restart -t 2 "$id"
    [ "$status" -eq 0 ]
    wait_until 10 status_is "$id" running
    [ "$(record "$id" .State.Pid)" != "$pid" ]
    ctr-stop "$id"
}

@test "-it through a real terminal: typing, resize, Ctrl-P Ctrl-Q detach, attach again, exit" {
    s=$(test_name tmux)
    sock=$TEST_DIR/tmux.sock
    id=$(ctr-create -it --name "$s" busybox sh)
    tmux -S "$sock" new-session -d -s "$s" -x 100 -y 30 "ctr-start -ai $id; echo EXITED=\$? >$TEST_DIR/rc; sleep 600"
    wait_until 10 status_is "$id" running
    tmux -S "$sock" send-keys -t "$s" 'echo typed-$((6*7))' Enter
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q typed-42"
    tmux -S "$sock" send-keys -t "$s" 'stty size' Enter
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q '^30 100'"
    tmux -S "$sock" resize-window -t "$s" -x 120 -y 40
    tmux -S "$sock" send-keys -t "$s" 'clear; stty size' Enter
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q '^40 120'"
    # Ctrl-C goes to the container's shell, not to ctr-start
    tmux -S "$sock" send-keys -t "$s" 'sleep 100' Enter
    wait_until 10 sh -c "ctr-exec $id ps | grep -q 'sleep 100'"
    tmux -S "$sock" send-keys -t "$s" C-c
    tmux -S "$sock" send-keys -t "$s" 'echo after-ctrl-c' Enter
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q '^after-ctrl-c'"
    # detach: the container keeps running
    tmux -S "$sock" send-keys -t "$s" C-p C-q
    wait_until 10 test -f "$TEST_DIR/rc"
    [ "$(cat "$TEST_DIR/rc")" = EXITED=0 ]
    [ "$(record "$id" .State.Status)" = running ]
    # attach again, leave with exit 3
    rm -f "$TEST_DIR/rc"
    tmux -S "$sock" respawn-pane -k -t "$s" "ctr-attach $s; echo EXITED=\$? >$TEST_DIR/rc; sleep 600"
    sleep 0.3
    tmux -S "$sock" send-keys -t "$s" 'echo again-$((5+5))' Enter
    wait_until 10 sh -c "tmux -S $sock capture-pane -p -t $s | grep -q again-10"
    tmux -S "$sock" send-keys -t "$s" 'exit 3' Enter
    wait_until 10 test -f "$TEST_DIR/rc"
    [ "$(cat "$TEST_DIR/rc")" = EXITED=3 ]
    wait_until 10 status_is "$id" exited
    [ "$(record "$id" .State.ExitCode)" = 3 ]
    tmux -S "$sock" kill-server
    grep -q typed-42 "$CTR_ROOT/containers/$id/log.json"
}

@test "ctr-attach refuses a stopped container" {
    id=$(ctr-create busybox true)
    run ctr-attach "$id"
    [ "$status" -ne 0 ]
    [[ $output == *"cannot attach to a stopped container"* ]]
}

@test "limits, security and --init are in force in the running container" {
    id=$(ctr-create --memory 64m --cpus 0.5 --pids-limit 50 busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id" running
    cg=$(record "$id" .HostConfig.CgroupsPath)
    [ "$(cat /sys/fs/cgroup/memory"$cg"/memory.limit_in_bytes)" = 67108864 ]
    [ "$(cat /sys/fs/cgroup/pids"$cg"/pids.max)" = 50 ]
    [ "$(cat /sys/fs/cgroup/cpu"$cg"/cpu.cfs_quota_us)" = 50000 ]
    [ "$(cat /sys/fs/cgroup/cpu"$cg"/cpu.cfs_period_us)" = 100000 ]
    # the default: docker's capability set and the seccomp filter (mode 2)
    [ "$(ctr-exec "$id" grep CapEff /proc/self/status | awk '{print $2}')" = 00000000a80425fb ]
    [ "$(ctr-exec "$id" grep '^Seccomp:' /proc/self/status | awk '{print $2}')" = 2 ]
    ctr-stop -t 0 "$id" >/dev/null

    id=$(ctr-create --read-only --cap-drop ALL --cap-add NET_ADMIN --security-opt seccomp=unconfined busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id" running
    [ "$(ctr-exec "$id" grep CapEff /proc/self/status | awk '{print $2}')" = 0000000000001000 ]
    [ "$(ctr-exec "$id" grep '^Seccomp:' /proc/self/status | awk '{print $2}')" = 0 ]
    run ctr-exec "$id" touch /newfile
    [ "$status" -ne 0 ]
    [[ $output == *"Read-only file system"* ]]
    ctr-stop -t 0 "$id" >/dev/null

    id=$(ctr-create --privileged busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id" running
    [ "$(ctr-exec "$id" grep '^Seccomp:' /proc/self/status | awk '{print $2}')" = 0 ]
    capeff=$(ctr-exec "$id" grep CapEff /proc/self/status | awk '{print $2}')
    [ "$capeff" != 00000000a80425fb ] && [[ $capeff == 000001ff* || $capeff == 0000003f* || $capeff == 000000ff* ]]
    ctr-stop -t 0 "$id" >/dev/null

    # --init: PID 1 is the init, the command its child; a signal reaches the command
    id=$(ctr-create --init busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id" running
    [ "$(ctr-exec "$id" cat /proc/1/cmdline | tr "\\0" " ")" = "/sbin/docker-init -- sleep 100 " ]
    ctr-exec "$id" ps -o pid,comm | grep -q sleep
    ctr-kill "$id" >/dev/null
    wait_until 10 status_is "$id" exited
    [ "$(record "$id" .State.ExitCode)" = 137 ]
}

@test "--restart unless-stopped brings it back after kill 1; ctr-stop ends it for good" {
    id=$(ctr-create --restart unless-stopped busybox sleep 100 | ctr-start -d)
    wait_until 10 status_is "$id" running
    pid=$(record "$id" .State.Pid)
    kill -9 "$pid"  # from outside, as the OOM killer would
    wait_until 10 sh -c "[ \"\$(jq -r .RestartCount $CTR_ROOT/containers/$id/container.json)\" -ge 1 ]"
    wait_until 10 status_is "$id" running
    [ "$(record "$id" .State.Pid)" != "$pid" ]
    ctr-stop -t 1 "$id" >/dev/null
    wait_until 10 status_is "$id" exited
    sleep 0.3
    status_is "$id" exited
}

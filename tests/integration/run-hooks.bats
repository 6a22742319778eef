#!/usr/bin/env bats
# ctr-run's OCI hooks: all six kinds run at their point of the lifecycle, in
# order, with the container's state on stdin; failures and timeouts abort
# create and leave nothing behind.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    cfg '.root.readonly = false'
    LOG=$TEST_DIR/hooks.log
    # A host hook: logs "KIND STATUS PID ID" and its environment variable HOOKVAR.
    cat >"$TEST_DIR/hook" <<EOS
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | jq -r '[.status, (.pid|tostring), .id, .bundle, .annotations.a] | join(" ")') \${HOOKVAR:-}" >>$LOG
EOS
    chmod +x "$TEST_DIR/hook"
    # startContainer runs in the container: a busybox script there.
    printf '#!/bin/sh\necho "$1 $(cat)" >>/hooks-in.log\n' >"$BUNDLE/rootfs/hook-in"
    chmod +x "$BUNDLE/rootfs/hook-in"
    cfg '.annotations.a = "b"'
}
teardown() { ctr_teardown; }

# host_hook KIND [EXTRA JSON FIELDS]: appends a host hook of that kind.
host_hook() {
    cfg ".hooks.$1 += [{\"path\": \"$TEST_DIR/hook\", \"args\": [\"hook\", \"$1\"], \"env\": [\"HOOKVAR=v-$1\"]${2:+, $2}}]"
}

@test "the six kinds run in the lifecycle's order with the state on stdin" {
    set_args sleep 60
    for k in prestart createRuntime createContainer poststart poststop; do host_hook $k; done
    cfg '.hooks.startContainer = [{"path": "/hook-in", "args": ["hook-in", "startContainer"]}]'
    rt create --bundle "$BUNDLE" "$CID"
    pid=$(rt state "$CID" | jq -r .pid)
    run cat "$LOG"
    [ "${lines[0]}" = "prestart creating $pid $CID $BUNDLE b v-prestart" ]
    [ "${lines[1]}" = "createRuntime creating $pid $CID $BUNDLE b v-createRuntime" ]
    [ "${lines[2]}" = "createContainer creating $pid $CID $BUNDLE b v-createContainer" ]
    [ "${#lines[@]}" = 3 ]
    # startContainer: not yet; then in the container, before the program.
    [ ! -e "$BUNDLE/rootfs/hooks-in.log" ]
    rt start "$CID"
    run cat "$BUNDLE/rootfs/hooks-in.log"
    [[ $output == "startContainer {"* ]]
    [ "$(echo "${output#startContainer }" | jq -r .id)" = "$CID" ]
    run cat "$LOG"
    [ "${lines[3]}" = "poststart running $pid $CID $BUNDLE b v-poststart" ]
    [ "${#lines[@]}" = 4 ]
    rt kill "$CID" KILL
    wait_status "$CID" stopped
    rt delete "$CID"
    run cat "$LOG"
    [ "${lines[4]}" = "poststop stopped $pid $CID $BUNDLE b v-poststop" ]
    [ "${#lines[@]}" = 5 ]
}

@test "createContainer runs in the container's mount namespace, createRuntime in the runtime's" {
    cat >"$TEST_DIR/nshook" <<EOS
#!/bin/sh
echo "\$1 \$(readlink /proc/self/ns/mnt)" >>$LOG
EOS
    chmod +x "$TEST_DIR/nshook"
    cfg ".hooks.createRuntime = [{\"path\": \"$TEST_DIR/nshook\", \"args\": [\"x\", \"runtime\"]}]"
    cfg ".hooks.createContainer = [{\"path\": \"$TEST_DIR/nshook\", \"args\": [\"x\", \"container\"]}]"
    set_args true
    rt create --bundle "$BUNDLE" "$CID"
    pid=$(rt state "$CID" | jq -r .pid)
    [ "$(grep runtime "$LOG" | cut -d' ' -f2)" = "$(readlink /proc/self/ns/mnt)" ]
    [ "$(grep container "$LOG" | cut -d' ' -f2)" = "$(readlink /proc/$pid/ns/mnt)" ]
    rt delete --force "$CID"
}

@test "several hooks of a kind run in their order" {
    for i in 1 2 3; do
        cfg ".hooks.prestart += [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo $i >>$LOG\"]}]"
    done
    set_args true
    rt run --bundle "$BUNDLE" "$CID"
    [ "$(cat "$LOG" | tr '\n' ' ')" = "1 2 3 " ]
}

@test "a failing hook fails create with its output, and leaves nothing behind" {
    cfg '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo broken >&2; exit 3"]}]'
    set_args sleep 60
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"createRuntime hook #0"*"exit status 3"*"broken"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
    ! pgrep -f "sleep 60" -P $$ >/dev/null
    [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "*$CID*" 2>/dev/null)" ]
}

@test "a hook that can't be started fails create naming it, and only its own environment reaches one that can" {
    cfg '.hooks.prestart = [{"path": "/nonexistent/hook"}]'
    set_args true
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"prestart hook #0 (/nonexistent/hook): exec /nonexistent/hook: No such file or directory"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
    # path and args[0] differ; env replaces ours entirely.
    cfg ".hooks.prestart = [{\"path\": \"/bin/sh\", \"args\": [\"hook-name\", \"-c\", \"echo \$0 \$HOOKVAR \${HOME:-nohome} >$LOG\"], \"env\": [\"HOOKVAR=given\"]}]"
    HOME=/root rt run --bundle "$BUNDLE" "$CID"
    [ "$(cat "$LOG")" = "hook-name given nohome" ]
}

@test "a hook past its timeout is killed and create fails quickly" {
    cfg '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
    set_args true
    start=$(date +%s)
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"prestart hook #0"*"timed out after 1s"* ]]
    [ $(($(date +%s) - start)) -lt 5 ]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "a failing startContainer hook fails start; poststart and poststop failures only warn" {
    cfg '.hooks.poststart = [{"path": "/bin/false"}]'
    cfg '.hooks.poststop = [{"path": "/bin/false"}]'
    set_args sleep 60
    rt create --bundle "$BUNDLE" "$CID"
    run --separate-stderr rt start "$CID"
    [ "$status" -eq 0 ]
    [[ $stderr == *"poststart hook #0"* ]]
    run --separate-stderr rt delete --force "$CID"
    [ "$status" -eq 0 ]
    [[ $stderr == *"poststop hook #0"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]

    cfg 'del(.hooks)'
    cfg '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]'
    rt create --bundle "$BUNDLE" "$CID"
    run rt start "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"startContainer hook #0"*"exit status 4"* ]]
    rt delete --force "$CID"
}

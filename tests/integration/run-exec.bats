#!/usr/bin/env bats
# ctr-run exec: another process in a running container, in all its
# namespaces and its cgroup, with the container's (or the given) process
# attributes; ctr-run's exit status is the process's.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    set_args sleep 1000
}
teardown() { ctr_teardown; }

start_bg() {
    rt run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 3>&-
    wait_status "$CID" running
    INIT=$(rt state "$CID" | jq -r .pid)
}

@test "exec: stdio, exit status, every namespace and the cgroup of the init" {
    start_bg
    run --separate-stderr rt exec "$CID" sh -c 'echo out; echo err >&2; exit 5'
    [ "$status" -eq 5 ]
    [ "$output" = out ]
    [ "$stderr" = err ]
    for ns in ipc mnt net pid uts cgroup; do
        want=$(readlink /proc/$INIT/ns/$ns)
        got=$(rt exec "$CID" readlink /proc/self/ns/$ns)
        [ "$got" = "$want" ]
    done
    # In the pid namespace the init is 1; the exec'd process is another pid.
    [ "$(rt exec "$CID" sh -c 'cat /proc/1/comm')" = sleep ]
    # In the container's cgroup (the same line for each controller as the init).
    run rt exec "$CID" sh -c 'cat /proc/self/cgroup'
    [ "$output" = "$(cat /proc/$INIT/cgroup)" ]
    # Killed by a signal: 128+N.
    run rt exec "$CID" sh -c 'kill -9 $$'
    [ "$status" -eq 137 ]
}

@test "exec: --env, --cwd, --user, --additional-gids over the container's process" {
    cfg '.process.env += ["FROM_CONFIG=1"]'
    start_bg
    run rt exec --env A=b -e C=d --cwd /tmp --user 1000:1001 -g 7 "$CID" sh -c 'echo $A$C$FROM_CONFIG; pwd; id -u; id -g; id -G'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = bd1 ]
    [ "${lines[1]}" = /tmp ]
    [ "${lines[2]}" = 1000 ]
    [ "${lines[3]}" = 1001 ]
    [[ " ${lines[4]} " == *" 7 "* ]]
}

@test "exec --process FILE runs that process object" {
    start_bg
    cat >"$TEST_DIR/process.json" <<'JSON'
{"terminal": false, "user": {"uid": 123, "gid": 456}, "cwd": "/etc",
 "args": ["sh", "-c", "echo $X; pwd; id -u; id -g; exit 3"], "env": ["X=from-file", "PATH=/bin:/usr/bin"]}
JSON
    run rt exec --process "$TEST_DIR/process.json" "$CID"
    [ "$status" -eq 3 ]
    [ "${lines[*]}" = "from-file /etc 123 456" ]
    # A command and --process together, or neither, is an error.
    run rt exec --process "$TEST_DIR/process.json" "$CID" true
    [ "$status" -ne 0 ]
    run rt exec "$CID"
    [ "$status" -ne 0 ]
    echo '{not json' >"$TEST_DIR/bad.json"
    run rt exec --process "$TEST_DIR/bad.json" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *bad.json* ]]
}

@test "exec: capabilities, rlimits, noNewPrivileges and seccomp of the process apply" {
    cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]'
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    start_bg
    [ "$(rt exec "$CID" sh -c 'ulimit -n; ulimit -Hn' | tr '\n' ' ')" = "321 654 " ]
    # The filter of the container holds for exec'd processes too.
    run rt exec "$CID" mkdir /tmp/x
    [ "$status" -ne 0 ]
    [[ $output == *"ermission denied"* ]]
    # runc spec's capabilities: no CAP_SYS_ADMIN (bit 21) until --cap adds it.
    eff=$(rt exec "$CID" sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
    (( (0x$eff >> 21 & 1) == 0 ))
    eff=$(rt exec --cap CAP_SYS_ADMIN "$CID" sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
    (( (0x$eff >> 21 & 1) == 1 ))
    # noNewPrivileges from the flag (runc spec sets it already; clear it first).
    rt kill "$CID" KILL; wait_status "$CID" stopped; rt delete "$CID"
    cfg '.process.noNewPrivileges = false | del(.linux.seccomp)'
    start_bg
    [ "$(rt exec "$CID" sh -c 'grep NoNewPrivs /proc/self/status' | awk '{print $2}')" = 0 ]
    [ "$(rt exec --no-new-privs "$CID" sh -c 'grep NoNewPrivs /proc/self/status' | awk '{print $2}')" = 1 ]
}

@test "exec --detach --pid-file: returns at once; the pid is the process, in the container" {
    start_bg
    rt exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" sleep 200
    pid=$(cat "$TEST_DIR/exec.pid")
    [ "$(cat /proc/$pid/comm)" = sleep ]
    [ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$INIT/ns/pid)" ]
    rt ps --format json "$CID" | jq -e --argjson p "$pid" 'any(.[]; . == $p)'
}

@test "exec --preserve-fds passes fd 3 on; other fds stay out" {
    start_bg
    echo passed-on >"$TEST_DIR/fd3"
    run rt exec --preserve-fds 1 "$CID" sh -c 'cat <&3; ls /proc/self/fd | wc -l' 3<"$TEST_DIR/fd3" 4<"$TEST_DIR/fd3"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = passed-on ]
    # 0, 1, 2, 3 and the one ls opens.
    [ "${lines[1]}" = 5 ]
}

@test "exec --tty in the foreground relays a pty; --console-socket receives its master" {
    start_bg
    run script -qec "ctr-run --root '$RUN_ROOT' exec -t '$CID' sh -c 'tty; exit 4'" /dev/null
    [ "$status" -eq 4 ]
    [[ $output == */dev/pts/* ]]
    # --tty with --detach needs a console socket.
    run rt exec -t -d "$CID" true
    [ "$status" -ne 0 ]
    [[ $output == *"console socket"* ]]
    sock=$TEST_DIR/console.sock
    python3 - "$sock" >"$TEST_DIR/console.out" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
data = b""
deadline = time.time() + 5
while b"pty-ok" not in data and time.time() < deadline:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:  # EIO: no slave open (yet, or any more)
        time.sleep(0.05)
        continue
    if not chunk: break
    data += chunk
print("got", "pty-ok" in data.decode(errors="replace"), flush=True)
PY
    receiver=$!
    for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
    rt exec -t -d --console-socket "$sock" "$CID" sh -c 'echo pty-ok; sleep 1'
    wait $receiver
    grep -qx 'got True' "$TEST_DIR/console.out"
}

@test "exec: a process that fails to start says why, every time" {
    start_bg
    run sh -c "for i in \$(seq 20); do ctr-run --root '$RUN_ROOT' exec '$CID' /nonexistent 2>&1; echo rc=\$?; done"
    [ "$(echo "$output" | grep -c 'exec: "/nonexistent": stat /nonexistent: no such file or directory')" -eq 20 ] || { echo "$output"; false; }
    [ "$(echo "$output" | grep -c '^rc=1$')" -eq 20 ]
    run rt exec --cwd /nonexistent "$CID" true
    [ "$status" -eq 1 ]
    [[ $output == *'chdir to cwd ("/nonexistent")'* ]]
}

@test "exec into a stopped, paused or missing container fails and says why" {
    start_bg
    rt pause "$CID"
    run rt exec "$CID" true
    [ "$status" -ne 0 ]
    [[ $output == *paused* ]]
    rt resume "$CID"
    rt kill "$CID" KILL
    wait_status "$CID" stopped
    run rt exec "$CID" true
    [ "$status" -ne 0 ]
    [[ $output == *stopped* ]]
    run rt exec nosuch-ctrtest true
    [ "$status" -ne 0 ]
    [[ $output == *"does not exist"* ]]
}

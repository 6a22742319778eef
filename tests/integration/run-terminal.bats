#!/usr/bin/env bats
# ctr-run's terminals: with --console-socket the pty master goes to the
# socket (SCM_RIGHTS, as runc sends it) and the container's stdio is the pty;
# `run` in the foreground relays the pty to its own terminal.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    cfg '.process.terminal = true'
    SOCK=$TEST_DIR/console.sock
}
teardown() { ctr_teardown; }

# recvtty [INPUT]: a console socket at $SOCK, its output in $TEST_DIR/tty.out.
recvtty() {
    python3 "$BATS_TEST_DIRNAME/run-recvtty.py" "$SOCK" "$@" >"$TEST_DIR/tty.out" 2>&1 &
    RECV=$!
    for i in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
    return 1
}

wait_recvtty() {
    for i in $(seq 200); do kill -0 $RECV 2>/dev/null || return 0; sleep 0.05; done
    return 1
}

@test "create --console-socket: the socket receives a working pty master; the size is set" {
    cfg '.process.consoleSize = {"height": 31, "width": 101}'
    set_args sh -c 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; stat -c "%t" /dev/console'
    recvtty
    rt create --bundle "$BUNDLE" --console-socket "$SOCK" "$CID"
    rt start "$CID"
    wait_recvtty
    run cat "$TEST_DIR/tty.out"
    [[ ${lines[0]} == /dev/pts/* ]]
    [ "$(echo "${lines[1]}" | tr -d '\r')" = /dev/pts/0 ]
    [ "$(echo "${lines[2]}" | tr -d '\r')" = "31 101" ]
    [ "$(echo "${lines[3]}" | tr -d '\r')" = all-tty ]
    # /dev/console is the pty (major 136 = 0x88).
    [ "$(echo "${lines[4]}" | tr -d '\r')" = 88 ]
    wait_status "$CID" stopped
    rt delete "$CID"
}

@test "run -d --console-socket: input typed on the master reaches the shell, its exit ends the container" {
    set_args sh
    recvtty 'echo $((6*7))\nexit 3\n'
    rt run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$CID"
    wait_recvtty
    grep -q '^42' <(tr -d '\r' <"$TEST_DIR/tty.out")
    wait_status "$CID" stopped
    rt delete "$CID"
}

@test "run in the foreground relays the pty and returns the exit status" {
    set_args sh -c 'read line; echo "got $line"; [ -t 0 ] && echo is-tty; exit 5'
    run bash -c "printf 'hello\n' | script -qec 'ctr-run --root $RUN_ROOT run --bundle $BUNDLE $CID' /dev/null"
    [ "$status" -eq 5 ]
    [[ $output == *"got hello"* ]]
    [[ $output == *is-tty* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "terminal misuse fails like runc: detached without a socket, a socket without a terminal" {
    run rt run -d --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"cannot allocate tty if ctr-run will detach without setting console socket"* ]]
    run rt create --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    cfg '.process.terminal = false'
    run rt create --bundle "$BUNDLE" --console-socket "$SOCK" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"cannot use console socket"* ]]
    cfg '.process.terminal = true'
    run rt create --bundle "$BUNDLE" --console-socket "$TEST_DIR/nobody-listens" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *nobody-listens* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "run in the foreground passes its terminal's size at start and on resize (SIGWINCH)" {
    set_args sh -c 'stty size; while read x; do stty size; [ "$(stty size)" = "40 120" ] && exit 0; done'
    run python3 - "$BATS_TEST_DIRNAME/run-pty.py" "$RUN_ROOT" "$BUNDLE" "$CID" <<'EOS'
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("run_pty", sys.argv[1])
tty = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tty)
root, bundle, cid = sys.argv[2:5]
pid, fd = tty.spawn(20, 70, ["ctr-run", "--root", root, "run", "--bundle", bundle, cid])
out = bytearray()
tty.read_until(fd, out, b"20 70", 10)
tty.set_size(fd, 40, 120)
for _ in range(40):
    os.write(fd, b"go\r")
    if not tty.read_until(fd, out, b"40 120", 0.25) or b"40 120" in out:
        break
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
EOS
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ $output == *"20 70"*"40 120"* ]] || { echo "$output"; false; }
}

# exec_bg: the container runs `sleep 1000` detached, without a terminal.
exec_bg() {
    cfg '.process.terminal = false'
    set_args sleep 1000
    rt run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null
    wait_status "$CID" running
}

@test "exec -t in the foreground: the program starts on a pty of the caller's size" {
    exec_bg
    # The size must be there before the program runs, not just soon after:
    # stty reads it at once. A late resize loses a race now and then, hence
    # 30 runs (a size of 0 makes busybox's stty fail).
    run python3 "$BATS_TEST_DIRNAME/run-pty.py" 23 77 sh -c "
        for i in \$(seq 30); do ctr-run --root '$RUN_ROOT' exec -t '$CID' stty size || exit 1; done"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(echo "$output" | sort | uniq -c | awk '{print $1, $2, $3}')" = "30 23 77" ] || { echo "$output"; false; }
    # A resize of the caller's terminal reaches the exec'd program.
    run python3 "$BATS_TEST_DIRNAME/run-pty.py" 9 33 ctr-run --root "$RUN_ROOT" exec -t "$CID" sh -c 'stty size; exit 6'
    [ "$status" -eq 6 ]
    [ "$output" = "9 33" ]
}

@test "exec -t --console-socket: the pty has process.consoleSize before the program starts, as runc" {
    # From the container's config (runc keeps it for an exec given on the command line) ...
    cfg '.process.consoleSize = {"height": 31, "width": 101}'
    exec_bg
    recvtty
    rt exec -t -d --console-socket "$SOCK" "$CID" stty size
    wait_recvtty
    [ "$(sed -n 2p "$TEST_DIR/tty.out" | tr -d '\r')" = "31 101" ]
    # ... and from a --process file.
    jq -n '{args: ["stty", "size"], cwd: "/", terminal: true, env: ["PATH=/bin"],
            user: {uid: 0, gid: 0}, consoleSize: {height: 17, width: 53}}' >"$TEST_DIR/process.json"
    rm -f "$SOCK"
    recvtty
    rt exec -d --console-socket "$SOCK" --process "$TEST_DIR/process.json" "$CID"
    wait_recvtty
    [ "$(sed -n 2p "$TEST_DIR/tty.out" | tr -d '\r')" = "17 53" ]
}

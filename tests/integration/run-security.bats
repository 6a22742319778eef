#!/usr/bin/env bats
# ctr-run against the attack classes that hit runtimes before: the host's
# runtime binary reached through /proc/self/exe, runtime descriptors leaked
# into the container (and cwd pointed at one), and mount destinations or
# masked paths resolved through symlinks out of the rootfs, statically or by
# swapping a directory for a symlink while the runtime mounts.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() { run_setup; }
teardown() { ctr_teardown; }

@test "a #!/proc/self/exe program can't re-run the host's runtime" {
    printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
    chmod 755 "$BUNDLE/rootfs/evil"
    set_args /evil --version
    before=$(sha256sum <"$BIN/ctr-run")
    # The trampoline runs itself as the interpreter, finds no program: 127.
    run -127 rt run --bundle "$BUNDLE" "$CID"
    # The interpreter is the sealed trampoline, never the host's ctr-run.
    [[ $output != *"$(ctr-run --version | head -1)"* ]]
    [ "$(sha256sum <"$BIN/ctr-run")" = "$before" ]
}

@test "the init waiting in created can't be opened through /proc/PID/exe from the container" {
    set_args sleep 60
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
    pid=$(cat "$TEST_DIR/pid")
    # Until it execs, the init's image is ctr-run itself.
    [ "$(readlink /proc/$pid/exe)" = "$(readlink -f "$BIN/ctr-run")" ]

    # A second container in the first one's pid namespace (pid 1 there is
    # the waiting init) tries to read, write and resolve its exe.
    B=$TEST_DIR/b
    make_bundle "$B" >/dev/null
    jq --arg ns /proc/$pid/ns/pid '.process.terminal = false
        | .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)
        | .process.args = ["sh", "-c",
            "cat /proc/1/exe >/dev/null 2>&1 && echo READ; echo x >>/proc/1/exe 2>/dev/null && echo WROTE; readlink /proc/1/exe 2>/dev/null; echo done"]' \
        "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
    before=$(sha256sum <"$BIN/ctr-run")
    run --separate-stderr rt run --bundle "$B" "$(test_name b)"
    [ "$status" -eq 0 ]
    [ "$output" = done ]
    [ "$(sha256sum <"$BIN/ctr-run")" = "$before" ]
    rt delete --force "$CID"
}

@test "no runtime descriptor reaches the container, whatever the caller leaked" {
    set_args ls /proc/self/fd
    # The caller leaks descriptors: a file, the state root, a pipe.
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID" 5</etc/hostname 7<"$RUN_ROOT" 9> >(cat >/dev/null)
    [ "$status" -eq 0 ]
    # 0-2 and the directory ls itself reads.
    [ "$(echo $output)" = "0 1 2 3" ]

    # --preserve-fds N passes exactly 3..N+2.
    run --separate-stderr rt run --preserve-fds 2 --bundle "$BUNDLE" "$CID" 3</etc/hostname 4</etc/hostname 5</etc/hostname
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "0 1 2 3 4 5" ]

    # A started init holds stdio only (no state dir, lock, socket or trampoline).
    set_args sleep 60
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID" 8</etc/hostname
    rt start "$CID"
    pid=$(cat "$TEST_DIR/pid")
    for i in $(seq 100); do [ "$(cat /proc/$pid/comm)" = sleep ] && break; sleep 0.02; done
    [ "$(ls /proc/$pid/fd | sort -n | xargs)" = "0 1 2" ]
    rt delete --force "$CID"
}

@test "cwd can't be a magic link (/proc/self/fd/N, /proc/self/cwd, /proc/1/root)" {
    set_args pwd
    for cwd in /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5 /proc/self/fd/6 /proc/self/cwd /proc/1/root /proc/self/root/etc; do
        cfg ".process.cwd = \"$cwd\""
        run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        [[ $stderr == *cwd* ]]
        [ -z "$output" ]
        [ -z "$(ls "$RUN_ROOT")" ]
    done
}

@test "cwd through symlinks that point out of the rootfs stays inside it" {
    echo inside >"$BUNDLE/rootfs/etc/ctr-marker"
    ln -s / "$BUNDLE/rootfs/abs"
    ln -s ../../../../../../../../etc "$BUNDLE/rootfs/rel"
    set_args sh -c 'pwd; cat ctr-marker'
    for cwd in /abs/etc /rel; do
        cfg ".process.cwd = \"$cwd\""
        run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "/etc inside" ]
    done
}

@test "mount destinations, masked and read-only paths are resolved inside the rootfs" {
    R=$BUNDLE/rootfs
    mkdir "$R/escaped"
    echo secret >"$R/secret"
    # Symlinks naming the host's path of rootfs directories: followed on the
    # host they would land in the rootfs at /escaped and /secret.
    ln -s "$R/escaped" "$R/abs"
    ln -s "../../../../../../../../../../$R/escaped" "$R/rel"
    ln -s "$R/secret" "$R/masked"
    ln -s "$R/secret" "$R/ro"
    cfg '.mounts += [{"destination": "/abs/m", "type": "tmpfs", "source": "tmpfs"},
                     {"destination": "/rel/m", "type": "tmpfs", "source": "tmpfs"}]
         | .linux.maskedPaths += ["/masked"] | .linux.readonlyPaths += ["/ro"] | .root.readonly = false'
    set_args sh -c 'awk "{print \$5}" /proc/self/mountinfo | grep escaped; cat /secret; echo x >>/secret && echo writable'
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    echo "$output" "$stderr"
    [ "$status" -eq 0 ]
    # The tmpfs went where the link points inside the root; none at /escaped.
    [[ $output == *"$R/escaped/m"* ]]
    [[ $output != *$'\n/escaped'* && $output != "/escaped"* ]]
    [[ $output == *$'secret\nwritable'* ]]
    # Nothing was created or mounted on the host side of the links.
    [ -z "$(ls "$R/escaped")" ]
    [ "$(cat "$R/secret")" = "$(printf 'secret\nx')" ]
}

@test "a directory swapped with a symlink while mounting never sends the mount out of the root" {
    R=$BUNDLE/rootfs
    mkdir -p "$R/escaped/m" "$R/vol/a/m"
    ln -s "$R/escaped" "$R/vol/b"
    cfg '.mounts += [{"destination": "/vol/a/m", "type": "tmpfs", "source": "tmpfs"},
                     {"destination": "/vol/a/m", "type": "bind", "source": "/etc", "options": ["bind", "ro"]}]
         | .root.readonly = false'
    set_args sh -c 'awk "{print \$5}" /proc/self/mountinfo | grep "^/escaped" || true'
    # The attacker (another container sharing the volume would do the same)
    # exchanges vol/a and vol/b (dir <-> symlink) as fast as it can.
    perl -e 'chdir $ARGV[0] or die; my ($x, $y) = ("a", "b"); syscall(316, -100, $x, -100, $y, 2) while 1' "$R/vol" &
    swapper=$!
    escaped=0 ran=0
    for i in $(seq 40); do
        out=$(rt run --bundle "$BUNDLE" "$CID" 2>/dev/null) && ran=$((ran + 1))
        [ -n "$out" ] && escaped=$((escaped + 1))
        rt delete --force "$CID" 2>/dev/null || true
    done
    kill $swapper
    wait $swapper || true
    echo "ran $ran, escaped $escaped"
    echo "ran $ran, escaped $escaped" >&3
    [ "$escaped" -eq 0 ]
    [ "$ran" -gt 0 ]
    [ -z "$(ls "$R/escaped/m")" ]
}

#!/usr/bin/env bats
# ctr-run against the known container-escape classes, one story each:
#  - /proc/self/exe overwrite (CVE-2019-5736): the runtime binary on the host
#    can't be reached for writing or re-executed from inside;
#  - leaked descriptors (CVE-2024-21626): no runtime fd reaches the container,
#    and a cwd through /proc/self/fd/N is refused;
#  - mount destinations through symlinks, and the symlink-exchange race
#    (CVE-2021-30465): every destination resolves inside the rootfs.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    cfg '.root.readonly = false'
    # The runtime under attack is a copy: if an attack worked, the build stays sane.
    cp "$(command -v ctr-run)" "$TEST_DIR/ctr-run"
    sha256sum "$TEST_DIR/ctr-run" | cut -d' ' -f1 >"$TEST_DIR/ctr-run.sum"
}
teardown() { ctr_teardown; }

rtc() { "$TEST_DIR/ctr-run" --root "$RUN_ROOT" "$@"; }
intact() { [ "$(sha256sum "$TEST_DIR/ctr-run" | cut -d' ' -f1)" = "$(cat "$TEST_DIR/ctr-run.sum")" ]; }

@test "exe class: a #!/proc/self/exe program never runs the runtime in the container" {
    printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
    chmod +x "$BUNDLE/rootfs/evil"
    set_args /evil
    run -127 --separate-stderr rtc run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output != *Usage* && $stderr != *Usage* && $output != *ctr-run* ]]
    # Asking for /proc/self/exe directly is refused by name.
    set_args /proc/self/exe
    run rtc run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"magic link"* ]]
    intact
}

@test "exe class: the container can't open the runtime's exe while create waits, nor during exec" {
    # An attacker in a running container tries every process it sees, in a loop.
    cat >"$BUNDLE/rootfs/attack" <<'EOS'
#!/bin/sh
while :; do
    for p in /proc/[0-9]*; do
        for f in $p/exe $p/fd/*; do
            (echo pwned >>"$f") 2>/dev/null && echo "wrote $f" >>/hits
        done
    done
done
EOS
    chmod +x "$BUNDLE/rootfs/attack"
    cfg '.process.capabilities = {"bounding": ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_KILL"], "effective": ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_KILL"], "permitted": ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_KILL"]}'
    set_args /attack
    rtc run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
    # Execs keep a runtime process inside the container's namespaces for a moment.
    for i in $(seq 15); do rtc exec "$CID" true; done
    rtc delete --force "$CID"
    intact
    # Whatever it managed to write to was its own (pipes, /dev/null), never an exe.
    [ ! -e "$BUNDLE/rootfs/hits" ] || ! grep -q '/exe$' "$BUNDLE/rootfs/hits"
}

@test "fd class: no descriptor of the runtime or its caller reaches the container" {
    set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
    run --separate-stderr rtc run --bundle "$BUNDLE" "$CID" 7<"$BUNDLE/config.json" 8<"$TEST_DIR" 9>"$TEST_DIR/nine"
    [ "$status" -eq 0 ]
    # 0-2 and the fd ls uses for the directory.
    [ "$output" = "0 1 2 3 " ]
    # --preserve-fds N passes exactly 3..3+N-1.
    set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "; cat <&3'
    echo passed >"$TEST_DIR/three"
    run --separate-stderr rtc run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3<"$TEST_DIR/three" 8<"$TEST_DIR"
    [ "$status" -eq 0 ]
    [ "$output" = "0 1 2 3 4 passed" ]
}

@test "fd class: the waiting init holds only stdio; a created container's fds are all the container's" {
    set_args sleep 60
    rtc create --bundle "$BUNDLE" "$CID" 8<"$TEST_DIR" </dev/null >/dev/null 2>&1
    pid=$(rtc state "$CID" | jq -r .pid)
    for fd in /proc/$pid/fd/*; do
        n=${fd##*/}
        [ "$n" -le 2 ] && continue
        t=$(readlink "$fd")
        # Only the start socket and the sealed exec trampoline may be open.
        [[ $t == socket:* || $t == "/memfd:ctr-run-dmz (deleted)" ]] || { echo "init holds fd $n -> $t"; false; }
    done
    rtc delete --force "$CID"
}

@test "fd class: a cwd through /proc/self/fd/N is refused; a cwd resolves inside the root" {
    cfg '.process.cwd = "/proc/self/fd/8"'
    set_args pwd
    run rtc run --bundle "$BUNDLE" "$CID" 8<"$TEST_DIR"
    [ "$status" -ne 0 ]
    [[ $output == *cwd* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
    # A symlink in the rootfs that points at a host path stays inside the root.
    mkdir -p "$BUNDLE/rootfs$TEST_DIR/inside"
    ln -s "$TEST_DIR" "$BUNDLE/rootfs/escape"
    cfg '.process.cwd = "/escape/inside"'
    set_args sh -c 'ls'
    touch "$BUNDLE/rootfs$TEST_DIR/inside/in-root"
    run --separate-stderr rtc run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [ "$output" = in-root ]
}

@test "symlink class: mount destinations and masked paths through symlinks stay in the rootfs" {
    mkdir -p "$TEST_DIR/hostdir" "$TEST_DIR/data"
    echo host >"$TEST_DIR/hostdir/file"
    echo data >"$TEST_DIR/data/file"
    ln -s "$TEST_DIR/hostdir" "$BUNDLE/rootfs/abs"
    ln -s ../../../../../../..$TEST_DIR/hostdir "$BUNDLE/rootfs/rel"
    mkdir -p "$BUNDLE/rootfs/etc2"
    ln -s /proc/self/root/etc "$BUNDLE/rootfs/magic"
    cfg ".mounts += [
        {\"destination\": \"/abs\", \"type\": \"bind\", \"source\": \"$TEST_DIR/data\", \"options\": [\"bind\"]},
        {\"destination\": \"/rel/sub\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]
        | .linux.maskedPaths = [\"/abs/file\"]"
    set_args sh -c "echo [\$(cat $TEST_DIR/hostdir/file)]; grep -c ' $TEST_DIR/hostdir/sub ' /proc/self/mountinfo; grep -c ' $TEST_DIR/hostdir ' /proc/self/mountinfo"
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    # Inside: /abs resolved to <rootfs>$TEST_DIR/hostdir, where the bind landed
    # (and the mask: the file reads empty); /rel/sub became a tmpfs there too.
    [ "$output" = "$(printf '[]\n1\n1')" ]
    # The host's directory was never touched.
    [ "$(cat "$TEST_DIR/hostdir/file")" = host ]
    [ ! -e "$TEST_DIR/hostdir/sub" ]
    # A destination through a magic link is refused.
    cfg ".mounts += [{\"destination\": \"/magic/x\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "symlink-exchange race: a container swapping a shared directory for a symlink can't move another's mounts" {
    mkdir -p "$TEST_DIR/vol/d"
    chmod 777 "$TEST_DIR/vol"
    # A: swaps /vol/d between a directory and a symlink to / as fast as it can.
    cfg ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$TEST_DIR/vol\", \"options\": [\"rbind\"]}]"
    set_args sh -c 'mkdir -p /vol/real; while :; do mv /vol/d /vol/real 2>/dev/null; ln -s / /vol/d; rm -f /vol/d; mv /vol/real /vol/d 2>/dev/null; done'
    rt run -d --bundle "$BUNDLE" "$CID"
    # B: the same volume, and a tmpfs mounted below the contested directory.
    b=$(test_name b)
    make_bundle "$TEST_DIR/b" >/dev/null
    jq --arg v "$TEST_DIR/vol" '.process.terminal = false | .root.readonly = false
        | .mounts += [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind"]},
                      {"destination": "/vol/d/proc", "type": "tmpfs", "source": "tmpfs", "options": ["size=1k"]}]
        | .process.args = ["sh", "-c", "grep \" /proc \" /proc/self/mountinfo | cut -d\" \" -f9; cat /proc/self/stat >/dev/null && echo proc-ok"]' \
        "$TEST_DIR/b/config.json" >"$TEST_DIR/b/c" && mv "$TEST_DIR/b/c" "$TEST_DIR/b/config.json"
    for i in $(seq 25); do
        run --separate-stderr rt run --bundle "$TEST_DIR/b" "$b"
        # Either B starts with a real /proc, or it fails cleanly; its /proc is never the tmpfs.
        if [ "$status" -eq 0 ]; then
            [ "$(printf '%s ' "${lines[@]}")" = "proc proc-ok " ] || { echo "run $i: $output"; false; }
        fi
        [ -z "$(ls "$RUN_ROOT" | grep -v "^$CID\$")" ]
    done
    rt delete --force "$CID"
}

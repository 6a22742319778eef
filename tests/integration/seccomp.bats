#!/usr/bin/env bats
# Seccomp, for real: libcommon/runtime's SeccompFilter loaded into processes
# through build/tests/tools/ctr-runtime-probe, and share/seccomp/default.json
# under a busybox shell, both through the probe and under runc.

load helpers

PROBE=$CTR_SRC/build/tests/tools/ctr-runtime-probe
PROFILE=$CTR_SRC/share/seccomp/default.json
DOCKER_CAPS="CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_NET_RAW CAP_SETGID CAP_SETUID
CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_KILL CAP_AUDIT_WRITE"

setup() { ctr_setup; }
teardown() { ctr_teardown; }

# The default profile resolved for docker's default capabilities (plus any given).
default_seccomp() {
    # shellcheck disable=SC2086 # the capability list is meant to split
    "$PROBE" seccomp profile "$PROFILE" $DOCKER_CAPS "$@" >"$TEST_DIR/seccomp.json"
}

@test "a busybox shell runs fine under the default profile" {
    default_seccomp
    make_bundle "$TEST_DIR/bundle" >/dev/null
    run "$PROBE" seccomp run "$TEST_DIR/seccomp.json" -- chroot "$TEST_DIR/bundle/rootfs" /bin/sh -c '
        set -e
        echo hello | cat
        mkdir -p /tmp/d && echo data >/tmp/d/f && cat /tmp/d/f && rm -r /tmp/d
        ls /bin | wc -l >/dev/null
        sleep 0.01 & wait
        tar -cf /tmp/etc.tar /etc 2>/dev/null && tar -tf /tmp/etc.tar >/dev/null && rm /tmp/etc.tar
        seq 1 100 | sort -rn | head -1
        date >/dev/null; uname -s; id -u
        chmod 600 /tmp && chmod 1777 /tmp
        echo done'
    [ "$status" -eq 0 ]
    [[ $output == *hello* && $output == *data* && $output == *100* && $output == *Linux* ]]
    [ "${lines[-1]}" = done ]
}

@test "runc runs busybox under ctr's default profile (the profile is a valid linux.seccomp)" {
    make_bundle "$TEST_DIR/bundle" >/dev/null
    # runc spec's capabilities: the profile is resolved for those.
    caps=$(jq -r '.process.capabilities.bounding[]' "$TEST_DIR/bundle/config.json")
    # shellcheck disable=SC2086
    "$PROBE" seccomp profile "$PROFILE" $caps >"$TEST_DIR/seccomp.json"
    jq --slurpfile s "$TEST_DIR/seccomp.json" '.linux.seccomp = $s[0] | .process.terminal = false | .root.readonly = false |
        .process.args = ["sh", "-c", "mkdir /tmp/x && rmdir /tmp/x && echo inside-ok; busybox unshare -u true || echo unshare-refused"]' \
        "$TEST_DIR/bundle/config.json" >"$TEST_DIR/c" && mv "$TEST_DIR/c" "$TEST_DIR/bundle/config.json"
    run runc --root "$RUN_ROOT" run --bundle "$TEST_DIR/bundle" "$(test_name)"
    [ "$status" -eq 0 ]
    [[ $output == *inside-ok* ]]
    [[ $output == *unshare-refused* ]]
}

@test "the default profile refuses namespaces without CAP_SYS_ADMIN, allows them with it" {
    default_seccomp
    run "$PROBE" seccomp run "$TEST_DIR/seccomp.json" -- unshare -u true
    [ "$status" -ne 0 ]
    [[ $output == *"Operation not permitted"* ]]
    default_seccomp CAP_SYS_ADMIN
    run "$PROBE" seccomp run "$TEST_DIR/seccomp.json" -- unshare -u true
    [ "$status" -eq 0 ]
}

@test "actions for real: errno with errnoRet, kill, trap, log, allow by default" {
    rule() {
        jq -n --arg a "$1" --argjson e "${2:-null}" \
            '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: $a, errnoRet: $e}]}' \
            >"$TEST_DIR/p.json"
    }
    rule SCMP_ACT_ERRNO 30
    run "$PROBE" seccomp run "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [ "$status" -ne 0 ]
    [[ $output == *"Read-only file system"* ]]
    rule SCMP_ACT_ERRNO
    run "$PROBE" seccomp run "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [[ $output == *"Operation not permitted"* ]]
    rule SCMP_ACT_KILL_PROCESS
    run "$PROBE" seccomp run "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [ "$status" -eq $((128 + 31)) ]  # SIGSYS
    rule SCMP_ACT_TRAP
    run "$PROBE" seccomp run "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [ "$status" -eq $((128 + 31)) ]
    rule SCMP_ACT_LOG
    run "$PROBE" seccomp run "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [ "$status" -eq 0 ]
    [ -d "$TEST_DIR/x" ]
}

@test "SCMP_ACT_NOTIFY: load returns the listener fd and an agent decides" {
    jq -n '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock",
            syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' >"$TEST_DIR/p.json"
    run "$PROBE" seccomp run --agent 28 "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [ "$status" -ne 0 ]
    [[ $output == *"got the notify fd"* ]]
    [[ $output == *"No space left on device"* ]]
    [ ! -d "$TEST_DIR/x" ]
}

@test "without no_new_privs the kernel refuses, and the error says why" {
    jq -n '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO"}]}' >"$TEST_DIR/p.json"
    run "$PROBE" seccomp run --no-nnp "$TEST_DIR/p.json" -- true
    [ "$status" -eq 125 ]
    [[ $output == *"needs no_new_privs or CAP_SYS_ADMIN"* ]]
}

@test "bad profiles: the field is named; unknown syscall names are skipped" {
    jq -n '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_EXPLODE"}]}' >"$TEST_DIR/p.json"
    run "$PROBE" seccomp compile "$TEST_DIR/p.json"
    [ "$status" -eq 1 ]
    [ "$output" = "ctr-runtime-probe: linux.seccomp.syscalls[0].action: unknown action SCMP_ACT_EXPLODE" ]
    jq -n '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO",
            args: [{index: 1, value: 0, op: "SCMP_CMP_ROUGHLY"}]}]}' >"$TEST_DIR/p.json"
    run "$PROBE" seccomp compile "$TEST_DIR/p.json"
    [ "$output" = "ctr-runtime-probe: linux.seccomp.syscalls[0].args[0].op: unknown operator SCMP_CMP_ROUGHLY" ]
    jq -n '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["not_a_syscall_at_all", "mkdir"], action: "SCMP_ACT_ERRNO"}]}' >"$TEST_DIR/p.json"
    run "$PROBE" seccomp run "$TEST_DIR/p.json" -- mkdir "$TEST_DIR/x"
    [[ $output == *"Operation not permitted"* ]]
}

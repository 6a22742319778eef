#!/usr/bin/env bats
# ctr-run's process settings: user and groups, umask, cwd, env, the five
# capability sets, rlimits, noNewPrivileges, oomScoreAdj, sysctl, personality.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() { run_setup; }
teardown() { ctr_teardown; }

run_out() {
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "status $status: $stderr" >&2; return 1; }
}

# status_field NAME: the line's value from the container's /proc/self/status.
st() { echo "awk '/^$1:/ {print \$2}' /proc/self/status;"; }

@test "user, additionalGids, umask, cwd, env and HOME" {
    cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7], "umask": 63}
        | .process.cwd = "/tmp/work/dir" | .process.env += ["FOO=bar baz"]'
    set_args sh -c 'id -u; id -g; id -G; pwd; echo "$FOO"; echo "$HOME"; awk "/^Umask:/ {print \$2}" /proc/self/status'
    run_out
    [ "$output" = "$(printf '1000\n1001\n1001 5 7\n/tmp/work/dir\nbar baz\n/\n0077')" ]
    # HOME comes from the container's /etc/passwd when the config has none.
    cfg '.process.user = {"uid": 0, "gid": 0} | .process.env = ["PATH=/bin"] | .process.cwd = "/"'
    set_args sh -c 'echo $HOME'
    run_out
    [ "$output" = /root ]
}

@test "the five capability sets are what the config says" {
    cfg '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_CHOWN"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
    set_args sh -c "$(st CapBnd) $(st CapEff) $(st CapPrm) $(st CapInh) $(st CapAmb)"
    run_out
    # CHOWN=0, KILL=5, NET_RAW=13; the ambient KILL is effective after exec.
    [ "$output" = "$(printf '%016x\n%016x\n%016x\n%016x\n%016x' $(((1<<0)|(1<<5)|(1<<13))) $((1|(1<<5))) $((1|(1<<5))) $((1<<5)) $((1<<5)))" ]
}

@test "runc spec's capabilities; a non-root user keeps only ambient ones" {
    set_args sh -c "$(st CapEff) $(st CapBnd)"
    run_out
    # AUDIT_WRITE=29, KILL=5, NET_BIND_SERVICE=10.
    want=$(printf '%016x' $(((1<<29)|(1<<5)|(1<<10))))
    [ "$output" = "$(printf '%s\n%s' $want $want)" ]
    cfg '.process.user = {"uid": 1000, "gid": 1000}'
    set_args sh -c "$(st CapEff)"
    run_out
    [ "$output" = 0000000000000000 ]
}

@test "an unknown capability is ignored with a warning naming it, as runc 1.1 does" {
    cfg '.process.capabilities.bounding += ["CAP_WISHFUL"]'
    set_args true
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    [[ $stderr == *"ignoring unknown capability CAP_WISHFUL in process.capabilities.bounding"* ]]
}

@test "rlimits, noNewPrivileges and oomScoreAdj apply" {
    cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}, {"type": "RLIMIT_NPROC", "soft": 50, "hard": 60}]
        | .process.noNewPrivileges = true | .process.oomScoreAdj = 345'
    set_args sh -c "ulimit -Sn; ulimit -Hn; ulimit -Su; ulimit -Hu; $(st NoNewPrivs) cat /proc/self/oom_score_adj"
    run_out
    [ "$output" = "$(printf '100\n200\n50\n60\n1\n345')" ]
    cfg '.process.noNewPrivileges = false'
    set_args sh -c "$(st NoNewPrivs)"
    run_out
    [ "$output" = 0 ]
}

@test "an rlimit above what the runtime may set fails create with the limit named" {
    hard=$(ulimit -Hn)
    cfg ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $((hard * 4)), \"hard\": $((hard * 4))}]"
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *RLIMIT_NOFILE* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "sysctl sets namespaced keys; a host-wide key is refused" {
    cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "12345678", "kernel.msgmax": "4321"}'
    set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax'
    run_out
    [ "$output" = "$(printf '1\n12345678\n4321')" ]
    [ "$(cat /proc/sys/kernel/msgmax)" != 4321 ]
    cfg '.linux.sysctl = {"vm.swappiness": "10"}'
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *vm.swappiness* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "personality LINUX32 makes uname report a 32-bit machine" {
    [ "$(uname -m)" = x86_64 ] || skip "the test knows x86_64's 32-bit name only"
    cfg '.linux.personality = {"domain": "LINUX32"}'
    set_args uname -m
    run_out
    [ "$output" = i686 ]
}

@test "args[0] is found on the container's PATH; a missing program is named" {
    cfg '.process.env = ["PATH=/nowhere:/bin"]'
    set_args echo found
    run_out
    [ "$output" = found ]
    set_args no-such-program
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *'"no-such-program": executable file not found in $PATH'* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

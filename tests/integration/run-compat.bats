#!/usr/bin/env bats
# ctr-run honours a config the way runc does: the same bundle run under both
# gives the same view from inside (credentials, capabilities, limits, env,
# mounts and their options, /dev, open fds). Known, deliberate differences:
# ctr-run keeps the /sys/fs/cgroup tmpfs read-only when the mount says so;
# super-block options aren't compared.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() {
    run_setup
    cat >"$BUNDLE/rootfs/probe" <<'EOS'
#!/bin/sh
grep -E '^(Cap|NoNewPrivs|Umask|Groups|Seccomp:|Uid|Gid)' /proc/self/status
id; pwd; env | sort; hostname; ulimit -a; cat /proc/self/oom_score_adj
awk '{print $5, $(NF-2), $6}' /proc/self/mountinfo | grep -v '^/sys/fs/cgroup'
ls -ln /dev | awk '{print $1, $3, $4, $5, $6, $NF}'
ls /proc/self/fd
EOS
    chmod +x "$BUNDLE/rootfs/probe"
    set_args /probe
}
teardown() { ctr_teardown; }

# same_as_runc [GREP -v PATTERN]: runs the bundle under both, compares.
same_as_runc() {
    runc --root "$TEST_DIR/runc" run --bundle "$BUNDLE" "$CID" </dev/null 2>&1 | grep -v "${1:-^$}" >"$TEST_DIR/runc.out"
    rt run --bundle "$BUNDLE" "$CID" </dev/null 2>&1 | grep -v "${1:-^$}" >"$TEST_DIR/ctr.out"
    diff "$TEST_DIR/runc.out" "$TEST_DIR/ctr.out"
}

@test "runc spec's bundle looks the same from inside under runc and ctr-run" {
    same_as_runc
}

@test "a non-root user, groups, umask, cwd, env, capabilities, rlimits, noNewPrivileges, oomScoreAdj look the same" {
    cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 18}
        | .process.cwd = "/tmp/w" | .process.env += ["A=1", "B=two words"]
        | .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL"],
              "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
        | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
        | .process.noNewPrivileges = true | .process.oomScoreAdj = 200 | .hostname = "compat"'
    same_as_runc
}

@test "extra mounts, devices, masked and read-only paths look the same" {
    mkdir -p "$TEST_DIR/data"
    cfg ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TEST_DIR/data\", \"options\": [\"rbind\", \"ro\", \"nosuid\"]},
                     {\"destination\": \"/run\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nodev\", \"size=1m\"]}]
        | .linux.devices = [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438, \"uid\": 0, \"gid\": 0}]
        | .linux.maskedPaths += [\"/etc/hostname\"] | .linux.readonlyPaths += [\"/bin\"] | .root.readonly = false"
    same_as_runc
}

@test "a user namespace with mappings looks the same" {
    chmod 755 "$TEST_DIR"
    cfg '.linux.namespaces += [{"type": "user"}, {"type": "cgroup"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
    # Not compared: the owner of /dev/mqueue (runc makes the ipc namespace
    # after setuid(0) but before setgid(0) in the user namespace: "0 65534";
    # ctr-run makes it in one clone: "65534 65534").
    same_as_runc ' mqueue$'
}

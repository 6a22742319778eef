#!/usr/bin/env bats
# ctr-run's filesystem: config mounts in order with their options, bind and
# rbind, propagation, rootfsPropagation, a read-only root, maskedPaths,
# readonlyPaths, /dev and linux.devices.

load helpers
load run-common
bats_require_minimum_version 1.5.0

setup() { run_setup; }
teardown() { ctr_teardown; }

# The mountinfo line (fields 5 on) of the mount at $1, inside the container.
mnt_line() { awk -v d="$1" '$5 == d' /proc/self/mountinfo; }

run_out() {
    run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "status $status: $stderr" >&2; return 1; }
}

@test "mounts apply in order with their options: tmpfs, bind ro, rbind, noexec" {
    mkdir -p "$TEST_DIR/data/sub"
    echo hello >"$TEST_DIR/data/file"
    mount -t tmpfs tmpfs "$TEST_DIR/data/sub"
    echo deep >"$TEST_DIR/data/sub/x"
    cfg ".mounts += [
        {\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\", \"mode=700\", \"noexec\"]},
        {\"destination\": \"/scratch/in\", \"type\": \"bind\", \"source\": \"$TEST_DIR/data\", \"options\": [\"bind\", \"ro\"]},
        {\"destination\": \"/deep\", \"type\": \"bind\", \"source\": \"$TEST_DIR/data\", \"options\": [\"rbind\", \"nosuid\"]},
        {\"destination\": \"/one/file\", \"type\": \"bind\", \"source\": \"$TEST_DIR/data/file\", \"options\": [\"bind\"]}]"
    set_args sh -c 'stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo | grep -c noexec;
        cat /scratch/in/file; touch /scratch/in/new 2>/dev/null && echo writable || echo ro;
        ls /scratch/in/sub; cat /deep/sub/x; grep " /deep " /proc/self/mountinfo | grep -c nosuid; cat /one/file'
    run_out
    [ "$output" = "$(printf '700\n1\nhello\nro\ndeep\n1\nhello')" ]
    [ ! -e "$TEST_DIR/data/new" ]
}

@test "bind propagation: rslave receives the host's new mounts, rprivate does not" {
    mkdir -p "$TEST_DIR/src/a" "$TEST_DIR/src/b"
    mount --bind "$TEST_DIR/src" "$TEST_DIR/src"
    mount --make-shared "$TEST_DIR/src"
    cfg ".mounts += [
        {\"destination\": \"/slave\", \"type\": \"bind\", \"source\": \"$TEST_DIR/src\", \"options\": [\"rbind\", \"rslave\"]},
        {\"destination\": \"/private\", \"type\": \"bind\", \"source\": \"$TEST_DIR/src\", \"options\": [\"rbind\", \"rprivate\"]}]"
    set_args sh -c 'while [ ! -e /slave/a/go ]; do sleep 0.05; done; ls /slave/a; ls /private/a; echo end'
    rt run -d --bundle "$BUNDLE" "$CID" >"$TEST_DIR/out" 2>&1
    mount -t tmpfs tmpfs "$TEST_DIR/src/a"
    touch "$TEST_DIR/src/a/go"
    for i in $(seq 100); do grep -q end "$TEST_DIR/out" && break; sleep 0.05; done
    [ "$(cat "$TEST_DIR/out")" = "$(printf 'go\nend')" ]
}

@test "rootfsPropagation sets the propagation of the container's root" {
    # The rootfs on a shared mount, so that slave and shared mean something.
    mount --bind "$BUNDLE/rootfs" "$BUNDLE/rootfs"
    mount --make-shared "$BUNDLE/rootfs"
    set_args sh -c 'awk '"'"'$5 == "/"'"'"' /proc/self/mountinfo'
    cfg '.linux.rootfsPropagation = "private"'
    run_out
    [[ $output != *shared:* && $output != *master:* ]]
    cfg '.linux.rootfsPropagation = "slave"'
    run_out
    [[ $output == *master:* && $output != *shared:* ]]
    cfg '.linux.rootfsPropagation = "shared"'
    run_out
    [[ $output == *shared:* ]]
    cfg '.linux.rootfsPropagation = "bogus"'
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -ne 0 ]
    [[ $output == *"linux.rootfsPropagation"* ]]
    [ -z "$(ls "$RUN_ROOT")" ]
}

@test "the cgroup mount on a hybrid host: the v1 hierarchies, not the unified one (as runc)" {
    grep -q ' /sys/fs/cgroup/unified .* - cgroup2 ' /proc/self/mountinfo || skip "this host is not hybrid (v1 + unified)"
    # A systemd in the container (podman --systemd) takes a cgroup2 found
    # there for its own hierarchy and dies failing to make its cgroups in it.
    set_args sh -c 'awk "\$5 ~ \"^/sys/fs/cgroup\" {print \$5, \$(NF-2)}" /proc/self/mountinfo'
    run_out
    [[ "$output" == *"/sys/fs/cgroup/memory cgroup"* ]]
    [[ "$output" == *"/sys/fs/cgroup/systemd cgroup"* ]]
    [[ "$output" != *cgroup2* ]]
    # and with a cgroup namespace
    cfg '.linux.namespaces += [{"type": "cgroup"}]'
    run_out
    [[ "$output" == *"/sys/fs/cgroup/memory cgroup"* ]]
    [[ "$output" != *cgroup2* ]]
}

@test "root.readonly makes / read-only, the tmpfs mounts stay writable" {
    cfg '.root.readonly = true'
    set_args sh -c 'touch /x 2>/dev/null && echo rw || echo ro; touch /dev/shm/x && echo shm-rw'
    run_out
    [ "$output" = "$(printf 'ro\nshm-rw')" ]
    cfg '.root.readonly = false'
    set_args sh -c 'touch /x && echo rw'
    run_out
    [ "$output" = rw ]
    rm "$BUNDLE/rootfs/x"
}

@test "maskedPaths hide files and directories; readonlyPaths can't be written" {
    mkdir -p "$BUNDLE/rootfs/secret-dir"
    echo s >"$BUNDLE/rootfs/secret-dir/key"
    echo s >"$BUNDLE/rootfs/secret-file"
    cfg '.root.readonly = false
        | .linux.maskedPaths = ["/secret-dir", "/secret-file", "/proc/timer_list", "/does/not/exist"]
        | .linux.readonlyPaths = ["/proc/sys", "/etc"]'
    set_args sh -c 'ls -A /secret-dir | wc -l; wc -c </secret-file; wc -c </proc/timer_list;
        touch /secret-dir/x 2>/dev/null && echo bad; echo 1 >/proc/sys/kernel/ns_last_pid 2>/dev/null && echo bad;
        touch /etc/x 2>/dev/null && echo bad; touch /ok && echo ok'
    run_out
    [ "$output" = "$(printf '0\n0\n0\nok')" ]
    rm "$BUNDLE/rootfs/ok"
}

@test "runc spec's masked and read-only paths apply" {
    set_args sh -c 'wc -c </proc/timer_list; ls /proc/acpi | wc -l; grep " /proc/sys " /proc/self/mountinfo | grep -c " ro,"'
    run_out
    [ "$output" = "$(printf '0\n0\n1')" ]
}

@test "/dev: default devices, pts, shm, mqueue, ptmx, fd links; linux.devices added" {
    cfg '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 0, "gid": 8},
                           {"path": "/dev/sub/zero", "type": "c", "major": 1, "minor": 5}]'
    set_args sh -c 'for d in null zero full random urandom tty mynull sub/zero; do [ -c /dev/$d ] || echo missing $d; done
        stat -c "%a %u %g %t %T" /dev/mynull; echo x >/dev/mynull && echo written
        head -c 4 /dev/sub/zero | wc -c
        for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done
        for m in /dev /dev/pts /dev/shm /dev/mqueue; do grep -c " $m " /proc/self/mountinfo; done
        ls /dev | wc -l'
    run_out
    [ "${lines[0]}" = "600 0 8 1 3" ]
    [ "${lines[1]}" = written ]
    [ "${lines[2]}" = 4 ]
    [ "$(printf '%s ' "${lines[@]:3:5}")" = "pts/ptmx /proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 " ]
    [ "$(printf '%s ' "${lines[@]:8:4}")" = "1 1 1 1 " ]
    # Only what was asked for: no host device leaked in.
    [ "${lines[12]}" -lt 20 ]
}

#!/usr/bin/env bats
# The first run: what a user sees when they are not root, when the machine
# lacks overlayfs or a cgroup controller, and when the store does not exist
# yet. Each is one line that names the thing and what to do, with a non-zero
# exit, and nothing left behind. The machine is changed for real: another
# user through setpriv (nobody, 65534), and what the kernel offers hidden by
# mounts in a mount namespace of the test's own (unshare -m).

load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() {
    container_setup
    chmod 755 "$TEST_DIR"
}
teardown() { ctr_teardown; }

NOBODY=65534

# as_nobody COMMAND...: runs COMMAND as nobody, with no groups.
as_nobody() {
    setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

# without_overlay COMMAND...: runs COMMAND where /proc/filesystems lists no overlay.
without_overlay() {
    grep -vw overlay /proc/filesystems >"$TEST_DIR/filesystems"
    unshare -m sh -c 'mount --bind "$0" /proc/filesystems && exec "$@"' "$TEST_DIR/filesystems" "$@"
}

# without_cgroup DIR COMMAND...: runs COMMAND with an empty tmpfs over /sys/fs/cgroup/DIR.
without_cgroup() {
    local dir=/sys/fs/cgroup/$1
    shift
    unshare -m sh -c 'mount -t tmpfs ctrtest "$0" && exec "$@"' "$dir" "$@"
}

# on_bare_cgroup2 COMMAND...: runs COMMAND where /sys/fs/cgroup is a cgroup v2
# hierarchy with no controllers (this hybrid host's are all bound to v1).
on_bare_cgroup2() {
    unshare -m sh -c 'mount -t cgroup2 ctrtest /sys/fs/cgroup && exec "$@"' sh "$@"
}

# program COMMAND: the program whose words a command line prints (ctr-docker
# run is ctr-create's).
program() {
    case $1 in "ctr-docker run"*) echo ctr-create ;; *) echo "${1%% *}" ;; esac
}

# one_line_error: the last `run` failed with exactly one line, no raw errno.
one_line_error() {
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output != *"Permission denied"* && $output != *"No such file or directory"* ]]
}

@test "not root: programs that make or run containers say they need root, and what works without" {
    mkdir -p "$TEST_DIR/ctx"
    printf 'FROM busybox\nRUN true\n' >"$TEST_DIR/ctx/Dockerfile"
    id=$(ctr-create busybox true)
    for cmd in "ctr-create busybox" "ctr-start $id" "ctr-build $TEST_DIR/ctx" "ctr-stop $id" "ctr-kill $id" \
        "ctr-rm $id" "ctr-restart $id" "ctr-attach $id" "ctr-exec $id true" "ctr-docker run busybox" \
        "ctr-docker container prune -f"; do
        run as_nobody $cmd
        one_line_error
        [[ $output == "$(program "$cmd"): must be run as root: containers need overlay mounts, namespaces and cgroups (try sudo)"* ]]
        [[ $output == *"without root, only images (in a store of your own: CTR_ROOT=DIR) and rootless ctr-run bundles (ctr-run spec --rootless) work" ]]
    done
    # Nothing was made, nothing was removed.
    [ "$(ls "$CTR_ROOT/containers")" = "$id" ]
    [ "$(record "$id" .State.Status)" = created ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
}

@test "not root: the image programs say the store is not theirs, instead of an errno or an empty table" {
    ctr-create busybox >/dev/null
    for cmd in "ctr-images" "ctr-images rm busybox" "ctr-ps" "ctr-ps -a" "ctr-inspect busybox" "ctr-logs x" \
        "ctr-prune --df" "ctr-prune -f" "ctr-import $BUSYBOX_TAR mine" "ctr-pull 127.0.0.1:1/x" "ctr-push busybox 127.0.0.1:1/x"; do
        run as_nobody $cmd
        one_line_error
        [[ $output == "${cmd%% *}: cannot use the image store $CTR_ROOT: "*"not writable by you: run as root (try sudo), or set CTR_ROOT to a directory of yours"* ]]
    done
    # A fresh machine: the store would be made in a directory that is root's.
    CTR_ROOT=$TEST_DIR/fresh/store run as_nobody ctr-images
    one_line_error
    [[ $output == "ctr-images: cannot make the image store $TEST_DIR/fresh/store: $TEST_DIR is not writable by you: run as root"* ]]
    [ ! -e "$TEST_DIR/fresh" ]
    run ctr-images -q
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
}

@test "not root: images work in a store of one's own" {
    mkdir "$TEST_DIR/mine"
    chown $NOBODY "$TEST_DIR/mine"
    export CTR_ROOT=$TEST_DIR/mine/store
    run as_nobody ctr-import -q "$BUSYBOX_TAR" mybox:1
    [ "$status" -eq 0 ]
    run as_nobody ctr-images --format '{{.Repository}}:{{.Tag}}'
    [ "$status" -eq 0 ]
    [ "$output" = mybox:1 ]
    run as_nobody ctr-inspect -f '{{.RepoTags}}' mybox:1
    [ "$output" = "[mybox:1]" ]
    run as_nobody ctr-ps -a -q
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(stat -c %u "$CTR_ROOT/oci/index.json")" = $NOBODY ]
}

@test "not root: ctr-run runs a rootless bundle (spec --rootless), and says what a plain one needs" {
    b=$TEST_DIR/rootless
    mkdir -p "$b" "$TEST_DIR/xdg"
    cp -a "$BUSYBOX_ROOTFS" "$b/rootfs"
    chown -R $NOBODY:$NOBODY "$b" "$TEST_DIR/xdg"
    cd "$b"
    run as_nobody ctr-run spec --rootless
    [ "$status" -eq 0 ]
    jq '.process.terminal = false | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"]' config.json >c
    cp c config.json
    # The state goes to $XDG_RUNTIME_DIR/ctr-run, as runc's goes to .../runc
    # (unless CTR_RUNTIME_ROOT, which the container tests set, says otherwise).
    run as_nobody env -u CTR_RUNTIME_ROOT XDG_RUNTIME_DIR="$TEST_DIR/xdg" ctr-run run "$(test_name fg)"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [[ ${lines[1]} =~ ^\ +0\ +$NOBODY\ +1$ ]]
    jq '.process.args = ["sleep", "100"]' config.json >c
    cp c config.json
    # Detached, its output on /dev/null.
    as_nobody ctr-run --root "$TEST_DIR/xdg/ctr-run" run -d "$(test_name bg)" </dev/null >/dev/null
    run as_nobody ctr-run --root "$TEST_DIR/xdg/ctr-run" state "$(test_name bg)"
    [ "$(echo "$output" | jq -r .status)" = running ]
    as_nobody ctr-run --root "$TEST_DIR/xdg/ctr-run" kill "$(test_name bg)" KILL
    wait_until 5 sh -c "[ \"\$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups ctr-run --root $TEST_DIR/xdg/ctr-run state $(test_name bg) | jq -r .status)\" = stopped ]"
    as_nobody ctr-run --root "$TEST_DIR/xdg/ctr-run" delete "$(test_name bg)"
    [ -z "$(as_nobody ctr-run --root "$TEST_DIR/xdg/ctr-run" list -q)" ]

    # Without XDG_RUNTIME_DIR, CTR_RUNTIME_ROOT or --root: the state directory is root's.
    run as_nobody env -u XDG_RUNTIME_DIR -u CTR_RUNTIME_ROOT ctr-run list
    one_line_error
    [[ $output == "ctr-run: cannot "*" the state directory /run/ctr-run: "*"not writable by you: run as root, or, for a rootless bundle (ctr-run spec --rootless), give --root a directory of yours"* ]]
    # A bundle without a user namespace needs root.
    mkdir "$b/plain"
    chown $NOBODY "$b/plain"
    as_nobody ctr-run spec -b "$b/plain"
    run as_nobody ctr-run --root "$TEST_DIR/xdg/ctr-run" run -b "$b/plain" "$(test_name plain)"
    one_line_error
    [ "$output" = "ctr-run: $b/plain/config.json asks for no user namespace, so it needs root: run as root, or make a rootless bundle with ctr-run spec --rootless" ]
}

@test "no overlayfs: ctr-create, ctr-build and ctr-start say so, and leave nothing behind" {
    id=$(ctr-create busybox true)
    mkdir -p "$TEST_DIR/ctx"
    printf 'FROM busybox\nRUN true\n' >"$TEST_DIR/ctx/Dockerfile"
    for cmd in "ctr-create busybox" "ctr-build -t built $TEST_DIR/ctx" "ctr-start $id" "ctr-docker run busybox true"; do
        run without_overlay $cmd
        one_line_error
        [[ $output == "$(program "$cmd"): overlayfs is not available: /proc/filesystems has no overlay ("*"): load the overlay module, or use a kernel with overlayfs (CONFIG_OVERLAY_FS)" ]]
    done
    [ "$(ls "$CTR_ROOT/containers")" = "$id" ]
    [ "$(record "$id" .State.Status)" = created ]
    run ctr-images -q built
    [ -z "$output" ]
    # With overlay listed again, the same commands work.
    run ctr-create busybox true
    [ "$status" -eq 0 ]
}

@test "a cgroup v1 controller missing: --memory, --pids-limit and --cpus each say which, nothing is made" {
    for pair in memory:--memory pids:--pids-limit cpu:--cpus; do
        ctl=${pair%%:*} opt=${pair#*:}
        val=10
        [ "$opt" = --memory ] && val=64m
        [ "$opt" = --cpus ] && val=0.5
        run without_cgroup "$ctl" ctr-create "$opt" "$val" busybox
        one_line_error
        [[ $output == "ctr-create: $opt needs the $ctl cgroup controller, which this machine does not have (/sys/fs/cgroup/$ctl is not a cgroup file system): create the container without $opt, or make the controller available"* ]]
    done
    [ -z "$(ls -A "$CTR_ROOT/containers")" ]
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]
    # Only what is missing is refused.
    run without_cgroup memory ctr-create --pids-limit 10 --cpus 0.5 busybox true
    [ "$status" -eq 0 ]
    [[ $output =~ ^[0-9a-f]{64}$ ]]
}

@test "a cgroup v2 controller missing: cgroup.controllers does not list it" {
    run on_bare_cgroup2 ctr-create --pids-limit 10 busybox
    one_line_error
    [ "$output" = "ctr-create: --pids-limit needs the pids cgroup controller, which this machine does not have (/sys/fs/cgroup/cgroup.controllers does not list it): create the container without --pids-limit, or make the controller available (enabled in the kernel, no cgroup_disable=pids on its command line, and mounted under /sys/fs/cgroup)" ]
    [ -z "$(ls -A "$CTR_ROOT/containers")" ]
}

@test "ctr-start of a container made with --memory, where the controller is gone: says how to recover" {
    id=$(ctr-create --memory 64m busybox true)
    run without_cgroup memory ctr-start "$id"
    one_line_error
    [[ $output == "ctr-start: --memory needs the memory cgroup controller, which this machine does not have"*"remove the container and create it again without --memory"* ]]
    [ "$(record "$id" .State.Status)" = created ]
    [ -z "$(find /sys/fs/cgroup -name "*$TEST_ID*")" ]
}

@test "a fresh store: empty tables as docker shows, and a missing image says how to get one" {
    export CTR_ROOT=$TEST_DIR/fresh/store
    run ctr-images
    [ "$status" -eq 0 ]
    [ "$output" = "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE" ]
    run ctr-ps -a
    [ "$status" -eq 0 ]
    [ "$output" = "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES" ]
    run ctr-prune --df
    [ "$status" -eq 0 ]
    [[ ${lines[1]} == "Images "*" 0 "* ]]
    run ctr-logs nothing
    one_line_error
    [ "$output" = "ctr-logs: No such container: nothing" ]
    run ctr-stop nothing
    one_line_error
    rm -rf "$TEST_DIR/fresh"

    run ctr-create --pull never busybox
    one_line_error
    [ "$output" = 'ctr-create: No such image: busybox:latest: get it with `ctr-pull busybox`, or make it from a root filesystem tar with `ctr-import FILE busybox`' ]
    # A pull that fails (a registry that is not there) says why, and the same.
    run ctr-create 127.0.0.1:1/busybox
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = "Unable to find image '127.0.0.1:1/busybox' locally" ]
    [[ ${lines[1]} == "ctr-create: No such image: 127.0.0.1:1/busybox; pulling it failed: "*'; get it with `ctr-pull 127.0.0.1:1/busybox`, or make it from a root filesystem tar with `ctr-import FILE 127.0.0.1:1/busybox`' ]]
    [ "${#lines[@]}" -eq 2 ]
    run ctr-docker run --pull never busybox
    one_line_error
    [[ $output == *'get it with `ctr-pull busybox`'* ]]
    mkdir -p "$TEST_DIR/ctx"
    printf 'FROM 127.0.0.1:1/busybox\nRUN true\n' >"$TEST_DIR/ctx/Dockerfile"
    run ctr-build -q "$TEST_DIR/ctx"
    one_line_error
    [[ $output == "ctr-build: Dockerfile:1: No such image: 127.0.0.1:1/busybox:latest; pulling it failed: "*'; get it with `ctr-pull 127.0.0.1:1/busybox`'* ]]
    # Following the advice works.
    run ctr-import -q "$BUSYBOX_TAR" busybox
    [ "$status" -eq 0 ]
    run ctr-create --pull never busybox true
    [ "$status" -eq 0 ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
}

@test "a store path that is a file, or on a read-only file system, is named with what to do" {
    touch "$TEST_DIR/afile"
    CTR_ROOT=$TEST_DIR/afile run ctr-images
    one_line_error
    [ "$output" = "ctr-images: cannot use the image store $TEST_DIR/afile: not a directory: set CTR_ROOT to a writable directory (unset, the store is /var/lib/ctr)" ]
    CTR_ROOT=$TEST_DIR/afile/store run ctr-create busybox
    one_line_error
    [ "$output" = "ctr-create: cannot make the image store $TEST_DIR/afile/store: $TEST_DIR/afile is not a directory: set CTR_ROOT to a writable directory (unset, the store is /var/lib/ctr)" ]
    mkdir "$TEST_DIR/ro"
    run unshare -m sh -c 'mount --bind -o ro "$0" "$0" && CTR_ROOT=$0/store exec ctr-ps' "$TEST_DIR/ro"
    one_line_error
    [ "$output" = "ctr-ps: cannot make the image store $TEST_DIR/ro/store: $TEST_DIR/ro is on a read-only file system: set CTR_ROOT to a writable directory (unset, the store is /var/lib/ctr)" ]
}

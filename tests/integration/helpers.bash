# Shared by every integration test (load 'helpers' from a .bats file).
#
# Every test gets a fresh temporary directory, TEST_DIR=/tmp/ctr-test.XXXXXX,
# holding its store (CTR_ROOT) and the runtime's state (RUN_ROOT, pass it as
# --root). ctr_teardown kills every process living in it, unmounts everything
# mounted under it, removes cgroups and network namespaces named after it, and
# deletes it, even when the test failed.
#
# Names a test gives to containers, cgroups and netns should come from
# test_name (they contain "ctrtest"), so teardown can find what was left.

CTR_SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BIN=$CTR_SRC/bin
FIXTURES=$CTR_SRC/build/fixtures
BUSYBOX_ROOTFS=$FIXTURES/busybox
BUSYBOX_TAR=$FIXTURES/busybox.tar
PATH=$BIN:$CTR_SRC/scripts:$PATH

ctr_setup() {
    TEST_DIR=$(mktemp -d /tmp/ctr-test.XXXXXX)
    TEST_ID=ctrtest${TEST_DIR##*.}
    export TEST_DIR TEST_ID
    export CTR_ROOT=$TEST_DIR/store
    export RUN_ROOT=$TEST_DIR/run
    mkdir -p "$RUN_ROOT"
}

# test_name [SUFFIX]: a name for a container, cgroup or netns that teardown can find.
test_name() { echo "${TEST_ID}${1:+-$1}"; }

# A bundle directory with config.json from `runc spec` and the busybox rootfs
# (bind-mounted read-only copies are not needed: the rootfs is copied cheaply
# with hard links).
make_bundle() {
    local dir=${1:-$TEST_DIR/bundle}
    mkdir -p "$dir"
    cp -al "$BUSYBOX_ROOTFS" "$dir/rootfs"
    (cd "$dir" && runc spec)
    echo "$dir"
}

ctr_teardown() {
    [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ] || return 0
    local pids pass
    # Processes whose root or command line lies in the test directory (one
    # find and one pgrep per pass: a fork per process is slow on a busy box).
    for pass in 1 2 3; do
        pids=$({
            find /proc -mindepth 2 -maxdepth 2 -name root -lname "$TEST_DIR*" 2>/dev/null | cut -d/ -f3
            pgrep -f "$TEST_DIR|$TEST_ID"
        } | sort -u | grep -vx "$$")
        [ -z "$pids" ] && break
        kill -9 $pids 2>/dev/null
        sleep 0.05
    done
    # Mounts, deepest first.
    awk -v d="$TEST_DIR" '$5 ~ "^"d {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    # Cgroups (v1 controllers and the unified tree), deepest first, after
    # killing what still runs in them (a process need not name TEST_DIR).
    local cgs
    cgs=$(find /sys/fs/cgroup -depth -type d -name "*$TEST_ID*" 2>/dev/null)
    if [ -n "$cgs" ]; then
        # A frozen task (a paused container) dies of SIGKILL only once thawed.
        for cg in $cgs; do
            if [ -f "$cg/freezer.state" ]; then echo THAWED >"$cg/freezer.state"; fi 2>/dev/null
            if [ -f "$cg/cgroup.freeze" ]; then echo 0 >"$cg/cgroup.freeze"; fi 2>/dev/null
        done
        for cg in $cgs; do
            find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
        done | sort -u | xargs -r kill -9 2>/dev/null
        for pass in $(seq 40); do
            for cg in $cgs; do
                [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
            done
            [ -z "$(find /sys/fs/cgroup -type d -name "*$TEST_ID*" 2>/dev/null)" ] && break
            sleep 0.05
        done
    fi
    ip netns list 2>/dev/null | awk '{print $1}' | grep "$TEST_ID" | while read -r ns; do
        ip netns delete "$ns"
    done
    rm -rf "$TEST_DIR"
}

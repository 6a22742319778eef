# Helpers for the ctr-build stories (load after helpers).
#
# The base image of every build is busybox from the fixture, imported once per
# file (setup_file: build_base_store) and copied into each test's store with
# hard links (blobs and unpacked layers never change in place).

# The runtime RUN steps use in these tests: $CTR_TEST_RUNTIME, else ctr-build's default.
build_runtime_args() {
    if [ -n "${CTR_TEST_RUNTIME:-}" ]; then echo "--runtime $CTR_TEST_RUNTIME"; fi
}

# Makes $BATS_FILE_TMPDIR/base-store with busybox:test in it (ctr-import of the fixture tar).
build_base_store() {
    CTR_ROOT=$BATS_FILE_TMPDIR/base-store ctr-import -q -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:test >/dev/null
}

# Gives this test's store the base image.
use_base_store() {
    mkdir -p "$CTR_ROOT"
    cp -al "$BATS_FILE_TMPDIR/base-store/." "$CTR_ROOT/"
    rm -rf "$CTR_ROOT/locks" "$CTR_ROOT/tmp"
    # index.json is replaced, never written in place, but keep ours private anyway.
    cp --remove-destination "$BATS_FILE_TMPDIR/base-store/oci/index.json" "$CTR_ROOT/oci/index.json"
}

# ctr_build ARGS...: ctr-build with the test's runtime.
ctr_build() {
    # shellcheck disable=SC2046
    ctr-build $(build_runtime_args) "$@"
}

# The image config (JSON) of IMAGE in the store.
image_config() {
    skopeo inspect --config --raw "oci:$CTR_ROOT/oci:$1"
}

# run_image IMAGE [CMD...]: runs the image under runc (unpacked by umoci) and
# prints what it prints. Without CMD the image's entrypoint and cmd run.
run_image() {
    local image=$1 n=0
    shift
    while [ -e "$TEST_DIR/run-$n" ]; do n=$((n + 1)); done
    local b=$TEST_DIR/run-$n
    umoci unpack --image "$CTR_ROOT/oci:$image" "$b" >/dev/null 2>&1 || {
        echo "umoci unpack of $image failed" >&2
        return 1
    }
    python3 - "$b/config.json" "$@" <<'EOF'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
c = json.load(open(path))
c["process"]["terminal"] = False
if args:
    c["process"]["args"] = args
json.dump(c, open(path, "w"))
EOF
    runc --root "$RUN_ROOT" run -b "$b" "$(test_name "r$n")" </dev/null
}

# The number of mounts under this test's directory.
mounts_in_test_dir() {
    grep -c " $TEST_DIR" /proc/self/mountinfo || true
}

# Shared by tests/tutorials/*.bats: each test runs one document of
# docs/tutorials/ with run-tutorial, in a store of its own, and checks what
# its terminal showed.

load ../integration/helpers

tutorial_setup() {
    ctr_setup
    # mktemp -d in the documents makes the reader's scratch directory here.
    export TMPDIR=$TEST_DIR
    export CTR_CGROUP_PARENT=/$TEST_ID
    # The documents call ctr-run without --root, as a reader types it: it
    # finds the containers' state under $CTR_RUNTIME_ROOT, which ctr-create
    # records and passes as --root: the test's own, not the machine's.
    export CTR_RUNTIME_ROOT=$RUN_ROOT
    unset CTR_RUNTIME
    TRANSCRIPT=$TEST_DIR/transcript
}

tutorial_teardown() {
    local ids id
    ids=$(ls "$CTR_ROOT/containers" 2>/dev/null)
    for id in $ids; do ctr-rm -f "$id" >/dev/null 2>&1; done
    ctr_teardown
    return 0
}

# run_tutorial DOC: runs docs/tutorials/DOC as its reader would, from the top
# of the source tree; the terminals' text is then in $TRANSCRIPT.
run_tutorial() {
    cd "$CTR_SRC" || return 1
    run "$CTR_SRC/tests/tutorials/run-tutorial" --transcript "$TRANSCRIPT" "docs/tutorials/$1"
    echo "$output"
    [ "$status" -eq 0 ]
}

# shown TEXT: the terminal showed TEXT (a fixed string).
shown() {
    grep -qF -- "$1" "$TRANSCRIPT" || { echo "the terminal never showed: $1"; return 1; }
}

# Shared by the ctr-run test files (load run-common after helpers).
#
# Every test gets BUNDLE, a `runc spec` bundle over the busybox rootfs with
# terminal off, and these helpers:
#   rt ARGS...        ctr-run --root "$RUN_ROOT" ARGS...
#   cfg JQ_FILTER     edits the bundle's config.json in place
#   set_args ARGS...  sets process.args
#   status_of ID      prints the container's status ("" if it doesn't exist)
#   wait_status ID S  polls (up to 5 s) until the status is S

run_setup() {
    ctr_setup
    BUNDLE=$(make_bundle)
    cfg '.process.terminal = false'
    CID=$(test_name)
}

rt() { ctr-run --root "$RUN_ROOT" "$@"; }

cfg() {
    jq "$1" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

set_args() {
    local a
    a=$(jq -cn '$ARGS.positional' --args -- "$@")
    cfg ".process.args = $a"
}

status_of() { rt state "$1" 2>/dev/null | jq -r .status; }

wait_status() {
    local i
    for i in $(seq 100); do
        [ "$(status_of "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    echo "status of $1 is $(status_of "$1"), not $2" >&2
    return 1
}

# Runs the container in the foreground with stdio to files; prints its stdout.
run_fg() {
    rt run --bundle "$BUNDLE" "$@" "$CID"
}

# gone PID: the process has ended (no such pid, or a zombie whose new parent
# has not reaped it yet: after run -d the init is PID 1's child).
gone() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

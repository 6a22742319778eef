#!/usr/bin/env bats
# The build itself: every program exists, answers --help and --version.

load helpers

@test "every program answers --version and --help" {
    local n=0 d p
    for d in "$CTR_SRC"/cmd/ctr-*; do
        [ -d "$d" ] || continue
        p=$BIN/$(basename "$d")
        # Helpers only other programs run are built into build/libexec/ctr/.
        [ -x "$p" ] || p=$CTR_SRC/build/libexec/ctr/$(basename "$d")
        [ -x "$p" ]
        run "$p" --version
        [ "$status" -eq 0 ]
        [[ $output == "$(basename "$p") version "* ]]
        run "$p" --help
        [ "$status" -eq 0 ]
        [[ $output == *"Usage"* || $output == *"usage"* ]]
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || skip "no programs built yet"
}

@test "the busybox fixture is a working rootfs" {
    [ -x "$BUSYBOX_ROOTFS/bin/busybox" ]
    [ -L "$BUSYBOX_ROOTFS/bin/sh" ]
    run chroot "$BUSYBOX_ROOTFS" /bin/sh -c 'echo hello from busybox'
    [ "$status" -eq 0 ]
    [ "$output" = "hello from busybox" ]
}

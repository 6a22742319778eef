#!/usr/bin/env bats
# The man pages: one per program, each renders with man(1) without a warning,
# and names every long option the program's --help lists.

load helpers

# The programs a user runs (setup helpers are not among them), and the
# helpers they run (build/libexec/ctr/).
user_programs() {
    local p
    for p in "$BIN"/ctr-* "$CTR_SRC"/scripts/ctr-* "$CTR_SRC"/build/libexec/ctr/ctr-*; do
        case ${p##*/} in ctr-sh-setup | ctr-install-deps | ctr-busybox-rootfs) continue ;; esac
        echo "$p"
    done
}

@test "every program has a man page that renders without warnings" {
    local p n page out bad=''
    for p in $(user_programs); do
        n=${p##*/}
        page=$(ls "$CTR_SRC"/build/man/"$n".[18] 2>/dev/null | head -1)
        if [ -z "$page" ]; then bad+=" $n:no-page"; continue; fi
        out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        [ -z "$out" ] || bad+=" $n:$out"
    done
    echo "$bad"
    [ -z "$bad" ]
}

@test "every long option of --help is in the man page" {
    local p n src o bad=''
    for p in $(user_programs); do
        n=${p##*/}
        src=$(ls "$CTR_SRC"/share/man/"$n".[18].scd | head -1)
        for o in $("$p" --help 2>/dev/null | grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u); do
            grep -q -- "$o" "$src" || bad+=" $n:$o"
        done
    done
    echo "$bad"
    [ -z "$bad" ]
}

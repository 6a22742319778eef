#!/usr/bin/env bats
# share/bash-completion/ctr: loads in bash, completes subcommands, options
# (from each program's --help), container names and image names; make
# install puts it where bash-completion finds it for every program.

load helpers

setup() { ctr_setup; }
teardown() { ctr_teardown; }

# complete WORD... : what bash would offer for the last word of the line.
complete() {
    bash -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        _ctr_complete
        printf "%s\n" "${COMPREPLY[@]}"' _ "$CTR_SRC/share/bash-completion/ctr" "$@"
}

@test "the script loads cleanly and registers every program" {
    run bash -c 'source "$1" && complete -p ctr-run ctr-ps ctr-build ctr-docker | wc -l' _ "$CTR_SRC/share/bash-completion/ctr"
    [ "$status" -eq 0 ]
    [ "$output" = 4 ]
}

@test "subcommands of ctr-run, ctr-images and ctr-docker; options from --help" {
    [ "$(complete ctr-run de)" = delete ]
    run complete ctr-run ""
    [[ $output == *exec* && $output == *features* && $output == *spec* ]]
    [ "$(complete ctr-images sa)" = save ]
    [ "$(complete ctr-docker ru)" = run ]
    [ "$(complete ctr-build --iid)" = --iidfile ]
    [ "$(complete ctr-run exec --no-new)" = --no-new-privs ]
    run complete ctr-ps --
    [[ $output == *--all* && $output == *--no-trunc* ]]
}

@test "container names and ids, image names, and the runtime's ids under --root" {
    ctr-import -q "$BUSYBOX_TAR" ctrcomp/busybox:1 >/dev/null
    name=$(test_name web)
    id=$(CTR_RUNTIME_ROOT=$RUN_ROOT CTR_CGROUP_PARENT=/$TEST_ID ctr-create --name "$name" ctrcomp/busybox:1 true)
    [ "$(complete ctr-rm "${name:0:10}")" = "$name" ]
    [ "$(complete ctr-logs "${id:0:6}")" = "${id:0:12}" ]
    [ "$(complete ctr-create ctrcomp/)" = ctrcomp/busybox:1 ]
    run complete ctr-inspect ""
    [[ $output == *"$name"* && $output == *ctrcomp/busybox:1* ]]

    cid=$(test_name rt)
    bundle=$(make_bundle)
    jq '.process.terminal = false | .process.args = ["sleep", "30"]' "$bundle/config.json" >"$bundle/c" && mv "$bundle/c" "$bundle/config.json"
    ctr-run --root "$RUN_ROOT" create -b "$bundle" "$cid"
    [ "$(complete ctr-run --root "$RUN_ROOT" kill "${cid:0:9}")" = "$cid" ]
    ctr-run --root "$RUN_ROOT" delete -f "$cid"
}

@test "make install puts the script and a link per program where bash-completion looks" {
    make -C "$CTR_SRC" -s install DESTDIR="$TEST_DIR/root" PREFIX=/usr >/dev/null
    d=$TEST_DIR/root/usr/share/bash-completion/completions
    [ -f "$d/ctr" ]
    for p in ctr-run ctr-ps ctr-build ctr-stop; do [ "$(readlink "$d/$p")" = ctr ]; done
}

#!/usr/bin/env bats
# ctr-prune: stopped containers, dangling images (-a: unused ones), build
# cache, unreferenced blobs and layers, tmp/ garbage; --dry-run, filters,
# --df; and a prune racing imports and creates never loses what they use.

load helpers
load container-helpers
load store_helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

# tiny_image TAG TEXT: a one-file image; prints its id.
tiny_image() {
    local d
    d=$(mktemp -d "$TEST_DIR/tiny.XXXXXX")
    echo "$2" >"$d/f"
    tar -C "$d" -c f | ctr-import -q - "$1"
    rm -rf "$d"
}

# store_intact: every blob every index.json entry and container needs is there.
store_intact() {
    local b
    for b in $(jq -r '.manifests[].digest' "$CTR_ROOT/oci/index.json"); do
        [ -f "$CTR_ROOT/oci/blobs/sha256/${b#sha256:}" ] || { echo "missing manifest $b"; return 1; }
        for l in $(jq -r '.config.digest, .layers[].digest' "$CTR_ROOT/oci/blobs/sha256/${b#sha256:}"); do
            [ -f "$CTR_ROOT/oci/blobs/sha256/${l#sha256:}" ] || { echo "missing blob $l"; return 1; }
        done
    done
    for c in "$CTR_ROOT"/containers/*/container.json; do
        [ -e "$c" ] || continue
        img=$(jq -r .Image "$c")
        ctr-inspect --type image "$img" >/dev/null || { echo "container $c lost its image $img"; return 1; }
    done
}

@test "prune removes stopped containers and dangling images, keeps what is used" {
    keep=$(tiny_image keep:1 a)
    old=$(tiny_image moving:1 b)
    tiny_image moving:1 c >/dev/null  # the first one is now dangling
    used_dangling=$(tiny_image other:1 d)
    cid=$(ctr-create other:1 true)
    tiny_image other:1 e >/dev/null   # dangling, but a container uses it... until the container goes
    running=$(ctr-create busybox sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$running" running
    mkdir -p "$CTR_ROOT/tmp/crashed-writer" && echo junk >"$CTR_ROOT/tmp/crashed-writer/x"
    echo orphan >"$CTR_ROOT/oci/blobs/sha256/$(echo orphan | sha256sum | cut -c1-64)"
    run ctr-prune --dry-run
    [ "$status" -eq 0 ]
    [[ $output == *"Would delete Containers:"*"$cid"* ]]
    [[ $output == *"deleted: $old"* ]]
    [ -d "$CTR_ROOT/containers/$cid" ]
    run ctr-prune </dev/null
    [ "$status" -eq 0 ]
    [[ $output == *"Deleted Containers:"*"$cid"* ]]
    [[ $output != *"$running"* ]]
    [[ $output == *"deleted: $old"* ]]
    [[ $output == *"deleted: $used_dangling"* ]]
    [[ $output == *"Total reclaimed space: "* ]]
    [ ! -e "$CTR_ROOT/containers/$cid" ]
    [ -d "$CTR_ROOT/containers/$running" ]
    [ ! -e "$CTR_ROOT/tmp/crashed-writer" ]
    [ ! -e "$CTR_ROOT/oci/blobs/sha256/$(echo orphan | sha256sum | cut -c1-64)" ]
    [ "$(ctr-images -q --no-trunc keep:1)" = "$keep" ]
    run ctr-ps -q
    [ "$output" = "${running:0:12}" ]
    store_intact
    # -a: every image no container uses; busybox stays for the running one.
    run ctr-prune -a -f
    [[ $output == *"untagged: keep:1"* ]]
    [ "$(ctr-images --format '{{.Repository}}')" = busybox ]
    store_intact
    ctr-rm -f "$running" >/dev/null
    [ "$(mounts_under "$TEST_DIR")" = 0 ]
}

@test "--images (docker image prune): only images; containers and volumes stay; -a every unused one" {
    old=$(tiny_image moving:1 b)
    tiny_image moving:1 c >/dev/null  # the first one is now dangling
    keep=$(tiny_image keep:1 a)
    stopped=$(ctr-create busybox true)
    mkdir -p "$CTR_ROOT/volumes/unused"
    run ctr-docker image prune </dev/null
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Deleted Images:" ]
    [[ $output == *"deleted: $old"* ]]
    [[ $output != *Containers* ]]
    [ "${lines[-1]}" != "Total reclaimed space: 0B" ]
    [[ ${lines[-1]} == "Total reclaimed space: "* ]]
    [ -d "$CTR_ROOT/containers/$stopped" ]
    [ -d "$CTR_ROOT/volumes/unused" ]
    [ "$(ctr-images -q --no-trunc keep:1)" = "$keep" ]
    # Nothing dangling left: just the total.
    run ctr-prune --images
    [ "$output" = "Total reclaimed space: 0B" ]
    # -a: every image no container uses; busybox stays for the stopped container.
    run ctr-docker image prune -a -f
    [[ $output == *"untagged: keep:1"* ]]
    [[ $output == *"untagged: moving:1"* ]]
    [ "$(ctr-images --format '{{.Repository}}')" = busybox ]
    store_intact
    run ctr-prune --images --volumes
    [ "$status" -eq 125 ]
    [ "$output" = "ctr-prune: --images and --volumes don't go together" ]
}

@test "--filter until= and label=; bad filters are refused" {
    a=$(ctr-create --label keep=yes busybox true)
    b=$(ctr-create --label keep=no busybox true)
    run ctr-prune -f --filter until=2000-01-01T00:00:00Z
    [[ $output != *"$a"* && $output != *"$b"* ]]
    run ctr-prune -f --filter label=keep=no
    [[ $output == *"$b"* && $output != *"$a"* ]]
    run ctr-prune -f --filter 'label!=keep=yes'
    [[ $output != *"$a"* ]]
    [ -d "$CTR_ROOT/containers/$a" ]
    run ctr-prune -f --filter color=red
    [ "$status" -eq 125 ]
    [[ $output == *'invalid filter "color=red"'* ]]
}

@test "--df: docker's system df table; -v the details" {
    tiny_image t:1 x >/dev/null
    ctr-create busybox true >/dev/null
    run ctr-prune --df
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE" ]
    [[ ${lines[1]} == "Images          2         1         "* ]]
    [[ ${lines[2]} == "Containers      1         0         "* ]]
    [[ ${lines[3]} == "Local Volumes   0         0         0B        0B" ]]
    [[ ${lines[4]} == "Build Cache     "* ]]
    run ctr-prune --df -v
    [[ $output == *"Images space usage:"*"busybox"*"Containers space usage:"*"Local Volumes space usage:"* ]]
}

@test "prune keeps what a tagged image was built on; a moved tag leaves the old steps dangling, and they go" {
    mapfile -t one < <(build_chain app v1)  # busybox, COPY, ENV, CMD
    [ "${#one[@]}" = 4 ]
    n=$(ctr-images -a -q | wc -l)
    run ctr-prune -f
    [ "$status" -eq 0 ]
    [[ $output != *"deleted:"* ]]
    [ "$(ctr-images -a -q | wc -l)" = "$n" ]
    [ "$(ctr-inspect -f '{{.Parent}}' app)" = "${one[2]}" ]
    # Built again from another file: the tag moves, the old image is dangling.
    mapfile -t two < <(build_chain app v2)
    [ "${two[0]}" = "${one[0]}" ] && [ "${two[1]}" != "${one[1]}" ]
    [ "$(ctr-images -q -f dangling=true)" = "${one[3]:7:12}" ]
    run ctr-prune -f --dry-run
    [[ $output == *"$(printf 'Would delete Images:\ndeleted: %s\ndeleted: %s\ndeleted: %s\n' "${one[3]}" "${one[2]}" "${one[1]}")"* ]]
    [ "$(ctr-images -a -q | wc -l)" = $((n + 3)) ]
    # It goes with the steps only it needed; busybox and its own steps stay.
    run ctr-prune -f
    [ "$status" -eq 0 ]
    [[ $output == *"$(printf 'Deleted Images:\ndeleted: %s\ndeleted: %s\ndeleted: %s\n' "${one[3]}" "${one[2]}" "${one[1]}")"* ]]
    [ "$(ctr-images -a -q | wc -l)" = "$n" ]
    [ "$(ctr-inspect -f '{{.Parent}}' app)" = "${two[2]}" ]
    store_intact
    # -a: what a container's image was built on stays (its tag goes, as with docker).
    running=$(ctr-create app sleep 1000 | ctr-start -d)
    wait_until 10 status_is "$running" running
    run ctr-prune -a -f
    [ "$status" -eq 0 ]
    [[ $output == *"untagged: busybox:latest"* ]]
    [[ $output != *"deleted:"* ]]
    [ "$(ctr-images -a -q | wc -l)" = "$n" ]
    store_intact
    ctr-rm -f "$running" >/dev/null
}

@test "--df: images built on others are images, not build cache; what a used image stands on is not reclaimable" {
    build_chain app >/dev/null
    ctr-create app true >/dev/null
    run ctr-prune --df
    [ "$status" -eq 0 ]
    [[ ${lines[1]} =~ ^Images\ +2\ +1\ +[0-9.]+[kM]?B\ +0B\ \(0%\)$ ]]
    [ "${lines[4]}" = "Build Cache     0         0         0B        0B" ]
    run ctr-prune --df -v
    [[ $output == *"Build cache usage: 0B"* ]]
    [ "$(sed -n '/^Images space usage/,/^Containers space usage/p' <<<"$output" | grep -c '<none>')" = 0 ]
}

@test "prune racing import and create 100 times: no error, nothing lost" {
    ( for i in $(seq 1 100); do
          tiny_image race:1 "$i" >/dev/null || { echo "import $i failed" >&2; exit 1; }
          ctr-create race:1 true >/dev/null || { echo "create $i failed" >&2; exit 1; }
      done ) &
    writer=$!
    ( for i in $(seq 1 100); do ctr-prune -f >/dev/null || { echo "prune $i failed" >&2; exit 1; }; done ) &
    pruner=$!
    wait $writer
    wait $pruner
    store_intact
    ctr-prune -f >/dev/null
    store_intact
    [ "$(ctr-images -q race:1 | wc -l)" = 1 ]
}

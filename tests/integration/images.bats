#!/usr/bin/env bats
# ctr-images: the table, formats, tag, rm, save (read back by ctr-import,
# skopeo and containerd), history.

load helpers
load store_helpers
load containerd-helpers

setup() { ctr_setup; }
teardown() {
    stop_containerd
    ctr_teardown
}

@test "the table, -q, --format template and json" {
    id=$(import_busybox busybox:latest)
    run ctr-images
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "REPOSITORY   TAG       IMAGE ID       CREATED"*"SIZE" ]]
    [[ ${lines[1]} =~ ^busybox\ +latest\ +${id:7:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds)\ ago\ +[0-9.]+[kM]B$ ]]
    [ "$(ctr-images -q)" = "${id:7:12}" ]
    [ "$(ctr-images --no-trunc -q)" = "$id" ]
    [ "$(ctr-images --format '{{.Repository}}:{{.Tag}}')" = "busybox:latest" ]
    [ "$(ctr-images --format json | jq -r .ID)" = "${id:7:12}" ]
    run ctr-images --format 'table {{.Repository}}\t{{.ID}}'
    [ "${lines[0]}" = "REPOSITORY   IMAGE ID" ]
    [ "${lines[1]}" = "busybox      ${id:7:12}" ]
    [ "$(ctr-images busybox:nope | wc -l)" = 1 ]
    [ "$(ctr-images busybox | wc -l)" = 2 ]
}

@test "tag, then rm untags and deletes the last reference with its blobs" {
    id=$(import_busybox one:1)
    ctr-images tag one:1 two:2
    ctr-images tag "${id:7:6}" localhost:5000/three
    [ "$(ctr-images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" = "localhost:5000/three:latest one:1 two:2 " ]
    run ctr-images tag one:1 'Bad Name'
    [ "$status" -ne 0 ]
    run ctr-images rm "${id:7:12}"
    [ "$status" -eq 1 ]
    [[ $output == *"unable to delete ${id:7:12} (must be forced) - image is referenced in multiple repositories"* ]]
    run ctr-images rm one:1 two:2
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'Untagged: one:1\nUntagged: two:2')" ]
    layers=$(skopeo inspect "oci:$CTR_ROOT/oci:localhost:5000/three:latest" | jq -r '.Layers[0]')
    run ctr-images rmi localhost:5000/three
    [ "$status" -eq 0 ]
    [[ $output == *"Deleted: $id"* ]]
    [ ! -e "$CTR_ROOT/oci/blobs/sha256/${layers#sha256:}" ]
    [ ! -e "$CTR_ROOT/oci/blobs/sha256/${id#sha256:}" ]
    [ "$(ctr-images | wc -l)" = 1 ]
    run ctr-images rm nothing:here
    [ "$status" -eq 1 ]
    [[ $output == *"No such image: nothing:here"* ]]
}

@test "rm refuses an image a container uses, unless -f, which only untags it" {
    id=$(import_busybox used:1)
    cid=$(printf '%064d' 7)
    mkdir -p "$CTR_ROOT/containers/$cid"
    printf '{"Id":"%s","Name":"c1","Image":"%s","ImageRef":"used:1"}' "$cid" "$id" >"$CTR_ROOT/containers/$cid/container.json"
    run ctr-images rm used:1
    [ "$status" -eq 1 ]
    [[ $output == *"container ${cid:0:12} is using its referenced image ${id:7:12}"* ]]
    run ctr-images rm -f used:1
    [ "$status" -eq 0 ]
    [ "$output" = "Untagged: used:1" ]
    # The image stays, untagged, for its container.
    [ "$(ctr-images --format '{{.Repository}} {{.ID}}')" = "<none> ${id:7:12}" ]
    ctr-inspect "$id" >/dev/null
}

@test "images built on others: -a lists them, rm of the last tag deletes the ancestors it leaves unneeded" {
    import_busybox >/dev/null
    mapfile -t ids < <(build_chain app)  # busybox, COPY, ENV, CMD
    [ "${#ids[@]}" = 4 ]
    # The steps are intermediate: listed with -a only, never dangling.
    [ "$(ctr-images --format '{{.Repository}}' | sort | tr '\n' ' ')" = "app busybox " ]
    [ "$(ctr-images -a -q | sort)" = "$(for i in "${ids[@]}"; do echo "${i:7:12}"; done | sort)" ]
    [ "$(ctr-images -a --format '{{.Repository}}:{{.Tag}}' | grep -c '<none>:<none>')" = 2 ]
    [ -z "$(ctr-images -a -q -f dangling=true)" ]
    # An image others were built on can't be deleted, even forced.
    run ctr-images rm -f "${ids[2]:7:12}"
    [ "$status" -eq 1 ]
    [[ $output == *"conflict: unable to delete ${ids[2]:7:12} (cannot be forced) - image has dependent child images"* ]]
    # Its last tag can go: the base stays, untagged, for the image built on it.
    run ctr-images rm busybox
    [ "$status" -eq 0 ]
    [ "$output" = "Untagged: busybox:latest" ]
    [ "$(ctr-images --format '{{.Repository}}')" = app ]
    [ "$(ctr-images -a -q | wc -l)" = 4 ]
    # The last image goes with every ancestor it leaves untagged and childless.
    run ctr-images rm app
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'Untagged: app:latest\nDeleted: %s\nDeleted: %s\nDeleted: %s\nDeleted: %s' "${ids[3]}" "${ids[2]}" "${ids[1]}" "${ids[0]}")" ]
    [ -z "$(ctr-images -a -q)" ]
    [ -z "$(ls -A "$CTR_ROOT/oci/blobs/sha256")$(ls -A "$CTR_ROOT/layers")" ]
}

@test "rm stops at an ancestor that is tagged, has another child, or a container uses" {
    import_busybox >/dev/null
    mapfile -t a < <(build_chain a shared)
    mapfile -t b < <(build_chain b shared)
    [ "${b[1]}" = "${a[1]}" ]  # the same COPY step: the cache
    ctr-images tag "${a[2]:7:12}" mid:1
    cid=$(printf '%064d' 9)
    mkdir -p "$CTR_ROOT/containers/$cid"
    printf '{"Id":"%s","Name":"c9","Image":"%s","ImageRef":"x"}' "$cid" "${b[2]}" >"$CTR_ROOT/containers/$cid/container.json"
    # b's ENV step is b's own, but a container uses it; a's ENV step is tagged.
    run ctr-images rm b
    [ "$output" = "$(printf 'Untagged: b:latest\nDeleted: %s' "${b[3]}")" ]
    run ctr-images rm a:latest
    [ "$output" = "$(printf 'Untagged: a:latest\nDeleted: %s' "${a[3]}")" ]
    rm -r "${CTR_ROOT:?}/containers/$cid"
    run ctr-images rm mid:1
    [ "$output" = "$(printf 'Untagged: mid:1\nDeleted: %s' "${a[2]}")" ]
    # The COPY step still has a child (b's ENV step); busybox is tagged.
    [ "$(ctr-images -a -q | sort)" = "$(printf '%s\n' "${a[0]:7:12}" "${a[1]:7:12}" "${b[2]:7:12}" | sort)" ]
    [ "$(ctr-images -q -f dangling=true)" = "${b[2]:7:12}" ]
}

@test "save then ctr-import in another store gives the same image" {
    id=$(import_busybox saved:1)
    ctr-images save saved:1 -o "$TEST_DIR/saved.tar"
    tar -tf "$TEST_DIR/saved.tar" | grep -qx oci-layout
    run env CTR_ROOT="$TEST_DIR/other" ctr-import "$TEST_DIR/saved.tar"
    [ "$status" -eq 0 ]
    [[ $output == *"Loaded image: saved:1"* ]]
    [ "${lines[-1]}" = "$id" ]
    [ "$(CTR_ROOT=$TEST_DIR/other ctr-inspect -f '{{.Id}} {{.RepoTags}}' saved:1)" = "$id [saved:1]" ]
    # Through a pipe, renamed, compressed.
    ctr-images save saved:1 | gzip | CTR_ROOT="$TEST_DIR/third" ctr-import - renamed:2 >/dev/null
    [ "$(CTR_ROOT=$TEST_DIR/third ctr-inspect -f '{{.Id}}' renamed:2)" = "$id" ]
    # A failed save leaves no file behind.
    printf 'x' >>"$CTR_ROOT/oci/blobs/sha256/${id#sha256:}"
    run ctr-images save saved:1 -o "$TEST_DIR/broken.tar"
    [ "$status" -eq 1 ]
    [ ! -e "$TEST_DIR/broken.tar" ]
    [ -z "$(ls -A "$TEST_DIR" | grep broken)" ]
}

@test "skopeo reads a saved archive and writes one ctr-import loads" {
    id=$(import_busybox container:1.0)
    ctr-images save container:1.0 -o "$TEST_DIR/c.tar"
    [ "$(skopeo inspect "oci-archive:$TEST_DIR/c.tar:container:1.0" | jq -r '.Layers | length')" = 1 ]
    skopeo copy -q "oci:$CTR_ROOT/oci:container:1.0" "oci-archive:$TEST_DIR/s.tar:other:2"
    CTR_ROOT="$TEST_DIR/other" ctr-import "$TEST_DIR/s.tar" >/dev/null
    [ "$(CTR_ROOT=$TEST_DIR/other ctr-inspect -f '{{.Id}}' other:2)" = "$id" ]
}

@test "containerd's ctr image import loads ctr-images save output" {
    id=$(import_busybox container:1.0)
    ctr-images save container:1.0 -o "$TEST_DIR/c.tar"
    start_containerd
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" image import "$TEST_DIR/c.tar"
    [ "$status" -eq 0 ]
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" image ls -q
    [ "$output" = "docker.io/library/container:1.0" ]
    # containerd agrees on the config digest (the image id).
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" content get "$(skopeo inspect --raw "oci:$CTR_ROOT/oci:container:1.0" | jq -r .config.digest)"
    [ "$status" -eq 0 ]
    [ "sha256:$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "$id" ]
    run ctr -a "$CONTAINERD_SOCK" -n "$TEST_ID" image check
    [[ $output == *"complete"* ]]
}

@test "history shows the import step" {
    import_busybox h:1 >/dev/null
    ctr-import -q -m "second" "$BUSYBOX_TAR" h:2 >/dev/null
    run ctr-images history h:2
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "IMAGE"*"CREATED"*"CREATED BY"*"SIZE"*"COMMENT" ]]
    [[ ${lines[1]} == *"ctr-import"*"second" ]]
    [ "$(ctr-images history --format '{{.CreatedBy}}|{{.Comment}}' h:1)" = "ctr-import|Imported from -" ]
}

@test "dangling images show as <none> and filter" {
    import_busybox d:1 >/dev/null
    ctr-import -q "$BUSYBOX_TAR" d:1 >/dev/null
    [ "$(ctr-images -f dangling=true --format '{{.Repository}}:{{.Tag}}')" = "<none>:<none>" ]
    [ "$(ctr-images -f dangling=false --format '{{.Repository}}:{{.Tag}}')" = "d:1" ]
    [ "$(ctr-images -f 'reference=d*' --format '{{.Tag}}')" = "1" ]
}

@test "a broken archive is refused and its blobs are taken back" {
    import_busybox base:1 >/dev/null
    ctr-images save base:1 -o "$TEST_DIR/good.tar"
    mkdir "$TEST_DIR/x" && tar -C "$TEST_DIR/x" -xf "$TEST_DIR/good.tar"
    rm "$TEST_DIR/x/index.json"
    echo extra >"$TEST_DIR/x/blobs/sha256/$(echo extra | sha256sum | cut -d' ' -f1)"
    tar -C "$TEST_DIR/x" -cf "$TEST_DIR/noindex.tar" oci-layout blobs
    before=$(store_snapshot)
    run ctr-import --format oci-archive "$TEST_DIR/noindex.tar"
    [ "$status" -eq 1 ]
    [[ $output == *"not an OCI layout archive (it has no index.json)"* ]]
    [ "$(store_snapshot)" = "$before" ]
    # A blob whose content does not match its name.
    echo tampered >"$TEST_DIR/x/blobs/sha256/$(echo extra | sha256sum | cut -d' ' -f1)"
    tar -C "$TEST_DIR/x" -cf "$TEST_DIR/bad.tar" oci-layout blobs
    run ctr-import "$TEST_DIR/bad.tar"
    [ "$status" -eq 1 ]
    [[ $output == *"does not match its digest"* ]]
}

#!/usr/bin/env bats
# ctr-import: a rootfs tar becomes an image that the real peers read; bad input
# is refused and leaves the store as it was.

load helpers
load store_helpers

setup() { ctr_setup; }
teardown() {
    [ -n "${SMALL_FS:-}" ] && umount "$SMALL_FS" 2>/dev/null
    ctr_teardown
}

@test "tar | ctr-import - container:1.0 prints the id and skopeo reads the layout" {
    run bash -c "tar -C '$BUSYBOX_ROOTFS' -c . | ctr-import - container:1.0"
    [ "$status" -eq 0 ]
    [[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
    id=$output
    run skopeo inspect "oci:$CTR_ROOT/oci:container:1.0"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.Layers | length')" = 1 ]
    [ "$(echo "$output" | jq -r .Architecture)" = amd64 ]
    [ "$(echo "$output" | jq -r .Os)" = linux ]
    # The image id is the digest of the config, as docker prints it.
    config=$(skopeo inspect --raw "oci:$CTR_ROOT/oci:container:1.0" | jq -r .config.digest)
    [ "$config" = "$id" ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
}

@test "umoci reads the image and unpacks the same files" {
    import_busybox container:1.0
    run umoci stat --image "$CTR_ROOT/oci:container:1.0"
    [ "$status" -eq 0 ]
    [[ $output == *ctr-import* ]]
    umoci unpack --image "$CTR_ROOT/oci:container:1.0" "$TEST_DIR/bundle" >/dev/null
    cmp "$BUSYBOX_ROOTFS/bin/busybox" "$TEST_DIR/bundle/rootfs/bin/busybox"
    [ "$(readlink "$TEST_DIR/bundle/rootfs/bin/sh")" = /bin/busybox ]
    [ "$(stat -c %a "$TEST_DIR/bundle/rootfs/tmp")" = 1777 ]
}

@test "gzip, zstd, xz and bzip2 inputs give the same layer" {
    ctr-import -q "$BUSYBOX_TAR" plain >/dev/null
    plain=$(ctr-inspect -f '{{index .RootFS.Layers 0}}' plain)
    for c in "gzip -1" "zstd -q" "xz -0" "bzip2 -1"; do
        $c -c "$BUSYBOX_TAR" | ctr-import -q - "c:${c%% *}" >/dev/null
        [ "$(ctr-inspect -f '{{index .RootFS.Layers 0}}' "c:${c%% *}")" = "$plain" ]
    done
    # A gzip input is stored as it is.
    gzip -1 -c "$BUSYBOX_TAR" >"$TEST_DIR/bb.tgz"
    ctr-import -q "$TEST_DIR/bb.tgz" kept
    layer=$(skopeo inspect "oci:$CTR_ROOT/oci:kept:latest" | jq -r '.Layers[0]')
    [ "$layer" = "sha256:$(sha256sum <"$TEST_DIR/bb.tgz" | cut -d' ' -f1)" ]
}

@test "--change, --message and --platform set the config" {
    ctr-import -q -c 'CMD ["/bin/sh","-c","echo hi"]' -c 'ENV A=1 B="x y"' -c 'WORKDIR /app' \
        -c 'EXPOSE 80' -c 'LABEL k=v' -c 'USER nobody' -c 'VOLUME /data' -c 'ENTRYPOINT ["/bin/env"]' \
        -m "made by a test" --platform linux/arm64 "$BUSYBOX_TAR" changed:1
    [ "$(ctr-inspect -f '{{.Config.Cmd}}' changed:1)" = "[/bin/sh -c echo hi]" ]
    [ "$(ctr-inspect -f '{{json .Config.Env}}' changed:1)" = '["A=1","B=x y"]' ]
    [ "$(ctr-inspect -f '{{.Config.WorkingDir}} {{.Config.User}} {{.Config.Labels.k}}' changed:1)" = "/app nobody v" ]
    [ "$(ctr-inspect -f '{{json .Config.ExposedPorts}} {{json .Config.Volumes}}' changed:1)" = '{"80/tcp":{}} {"/data":{}}' ]
    [ "$(ctr-inspect -f '{{.Architecture}} {{.Comment}}' changed:1)" = "arm64 made by a test" ]
    run ctr-import -c 'RUN true' "$BUSYBOX_TAR" bad:1
    [ "$status" -ne 0 ]
    [[ $output == *'--change "RUN true": unsupported instruction'* ]]
}

@test "device nodes, hardlinks, ownership and modes are kept in the layer" {
    mkdir -p "$TEST_DIR/root/dev" "$TEST_DIR/root/bin"
    mknod "$TEST_DIR/root/dev/null" c 1 3
    echo x >"$TEST_DIR/root/bin/a"
    ln "$TEST_DIR/root/bin/a" "$TEST_DIR/root/bin/b"
    chown 1000:1001 "$TEST_DIR/root/bin/a"
    chmod 4755 "$TEST_DIR/root/bin/a"
    tar -C "$TEST_DIR/root" --xattrs -c . | ctr-import -q - special
    layer=$(skopeo inspect "oci:$CTR_ROOT/oci:special:latest" | jq -r '.Layers[0]')
    run tar --numeric-owner -tvzf "$CTR_ROOT/oci/blobs/sha256/${layer#sha256:}"
    [[ $output == *"crw-r--r-- 0/0"*"1,3"*"./dev/null"* ]]
    [[ $output == *"rwsr-xr-x 1000/1001"* ]]
    [[ $output == *"./bin/"?" link to ./bin/"?* ]]
}

@test "a truncated or corrupt tar is refused and stores nothing" {
    import_busybox keep >/dev/null
    before=$(store_snapshot)
    head -c 300000 "$BUSYBOX_TAR" >"$TEST_DIR/trunc.tar"
    run ctr-import "$TEST_DIR/trunc.tar" bad:1
    [ "$status" -eq 1 ]
    [[ $output == *"$TEST_DIR/trunc.tar: truncated tar archive"* ]]
    head -c 100000 /dev/urandom >"$TEST_DIR/random"
    run ctr-import "$TEST_DIR/random" bad:1
    [ "$status" -eq 1 ]
    [[ $output == *"not a tar archive"* ]]
    # An archive format that is not a tar (zip), and a broken gzip stream.
    printf 'PK\003\004garbage-that-is-no-zip' >"$TEST_DIR/x.zip"
    run ctr-import "$TEST_DIR/x.zip" bad:1
    [ "$status" -eq 1 ]
    [[ $output == *"not a tar archive"* ]]
    { printf '\037\213\010\000\000\000\000\000'; head -c 1000 /dev/urandom; } >"$TEST_DIR/bad.gz"
    run ctr-import "$TEST_DIR/bad.gz" bad:1
    [ "$status" -eq 1 ]
    [[ $output == *"bad.gz"* ]]
    run ctr-import /dev/null bad:1
    [ "$status" -eq 1 ]
    [[ $output == *"empty input"* ]]
    [ "$(store_snapshot)" = "$before" ]
}

@test "a bad tag is refused before reading" {
    run ctr-import "$BUSYBOX_TAR" 'Bad:tag'
    [ "$status" -ne 0 ]
    [[ $output == *'invalid reference "Bad:tag": repository name must be lowercase'* ]]
    run ctr-import "$BUSYBOX_TAR" 'ok:bad tag!'
    [ "$status" -ne 0 ]
    [[ $output == *'invalid tag "bad tag!"'* ]]
    run ctr-import "$TEST_DIR/nonexistent.tar"
    [ "$status" -ne 0 ]
    [[ $output == *"open $TEST_DIR/nonexistent.tar: No such file or directory"* ]]
}

@test "entries that escape the layer are refused with the entry named" {
    import_busybox keep >/dev/null
    before=$(store_snapshot)
    make_tar "$TEST_DIR/dotdot.tar" dir:etc file:etc/../../escape
    run ctr-import "$TEST_DIR/dotdot.tar" evil
    [ "$status" -eq 1 ]
    [[ $output == *'entry "etc/../../escape": path contains ".."'* ]]
    make_tar "$TEST_DIR/abs.tar" file:/etc/evil
    run ctr-import "$TEST_DIR/abs.tar" evil
    [ "$status" -eq 1 ]
    [[ $output == *'entry "/etc/evil": absolute path'* ]]
    make_tar "$TEST_DIR/link.tar" symlink:etc:/etc file:etc/evil
    run ctr-import "$TEST_DIR/link.tar" evil
    [ "$status" -eq 1 ]
    [[ $output == *'entry "etc/evil": would be written through symlink "etc" -> "/etc", outside the layer'* ]]
    make_tar "$TEST_DIR/rel.tar" dir:a symlink:a/up:../.. file:a/up/evil
    run ctr-import "$TEST_DIR/rel.tar" evil
    [ "$status" -eq 1 ]
    [[ $output == *"outside the layer"* ]]
    make_tar "$TEST_DIR/hard.tar" hardlink:h:../../etc/passwd
    run ctr-import "$TEST_DIR/hard.tar" evil
    [ "$status" -eq 1 ]
    [[ $output == *'entry "../../etc/passwd": path contains ".."'* ]]
    [ "$(store_snapshot)" = "$before" ]
    [ ! -e "$TEST_DIR/escape" ]
}

@test "a full disk fails cleanly and the store still works" {
    SMALL_FS=$TEST_DIR/small
    mkdir -p "$SMALL_FS"
    mount -t tmpfs -o size=3m tmpfs "$SMALL_FS"
    export CTR_ROOT=$SMALL_FS/store
    import_busybox small:1 >/dev/null
    before=$(store_snapshot)
    mkdir -p "$TEST_DIR/big"
    head -c 8000000 /dev/urandom >"$TEST_DIR/big/noise"
    run bash -c "tar -C '$TEST_DIR/big' -c . | ctr-import - big:1"
    [ "$status" -eq 1 ]
    [[ $output == *"No space left on device"* ]]
    [ "$(store_snapshot)" = "$before" ]
    run ctr-images --format '{{.Repository}}:{{.Tag}}'
    [ "$output" = "small:1" ]
    ctr-images tag small:1 small:2
    [ "$(ctr-images -q | sort -u | wc -l)" = 1 ]
}

@test "two imports racing on one tag: one wins, the other is <none>, index.json stays valid" {
    mkdir -p "$TEST_DIR/r1" "$TEST_DIR/r2"
    echo one >"$TEST_DIR/r1/f"
    echo two >"$TEST_DIR/r2/f"
    for i in 1 2 3 4; do
        (tar -C "$TEST_DIR/r1" -c . | ctr-import -q - race:1 >/dev/null) &
        (tar -C "$TEST_DIR/r2" -c . | ctr-import -q - race:1 >/dev/null) &
        wait
    done
    jq -e . "$CTR_ROOT/oci/index.json" >/dev/null
    [ "$(jq '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "race:1")] | length' "$CTR_ROOT/oci/index.json")" = 1 ]
    run ctr-images --format '{{.Repository}}:{{.Tag}}'
    # Eight images were made (their configs differ by creation time); one has the tag.
    [ "$(echo "$output" | grep -c '^race:1$')" = 1 ]
    [ "$(echo "$output" | grep -c '^<none>:<none>$')" = 7 ]
    skopeo inspect "oci:$CTR_ROOT/oci:race:1" >/dev/null
}

@test "kill -9 mid-import leaves no image; the next run cleans tmp/" {
    import_busybox keep >/dev/null
    mkfifo "$TEST_DIR/fifo"
    ctr-import -q "$TEST_DIR/fifo" killed:1 &
    pid=$!
    exec 7>"$TEST_DIR/fifo"
    head -c 2000000 "$BUSYBOX_TAR" >&7
    for i in $(seq 50); do [ -n "$(ls -A "$CTR_ROOT/tmp")" ] && break; sleep 0.1; done
    [ -n "$(ls -A "$CTR_ROOT/tmp")" ]
    kill -9 "$pid"
    wait "$pid" || true
    exec 7>&-
    run ctr-inspect killed:1
    [ "$status" -eq 1 ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
    [ "$(ctr-images --format '{{.Repository}}')" = keep ]
}

@test "an import in progress keeps its temp file while another run cleans" {
    mkfifo "$TEST_DIR/fifo"
    ctr-import -q "$TEST_DIR/fifo" slow:1 >"$TEST_DIR/out" &
    pid=$!
    exec 7>"$TEST_DIR/fifo"
    head -c 2000000 "$BUSYBOX_TAR" >&7
    for i in $(seq 50); do [ -n "$(ls -A "$CTR_ROOT/tmp")" ] && break; sleep 0.1; done
    ctr-images >/dev/null  # opens the store, which cleans tmp/
    tail -c +2000001 "$BUSYBOX_TAR" >&7
    exec 7>&-
    wait "$pid"
    [ "$(ctr-inspect -f '{{.Id}}' slow:1)" = "$(cat "$TEST_DIR/out")" ]
}

@test "a malformed index.json is reported and left alone" {
    import_busybox keep >/dev/null
    echo '{"schemaVersion": 2, "manifests": [' >"$CTR_ROOT/oci/index.json"
    run ctr-images
    [ "$status" -eq 1 ]
    [[ $output == *"$CTR_ROOT/oci/index.json: malformed JSON"* ]]
    run ctr-import "$BUSYBOX_TAR" other
    [ "$status" -eq 1 ]
    [[ $output == *"index.json: malformed JSON"* ]]
    [ "$(cat "$CTR_ROOT/oci/index.json")" = '{"schemaVersion": 2, "manifests": [' ]
}

@test "a corrupt blob is reported when used" {
    id=$(import_busybox keep)
    printf '{"corrupt":true}' >"$CTR_ROOT/oci/blobs/sha256/${id#sha256:}"
    run ctr-inspect keep
    [ "$status" -eq 1 ]
    [[ $output == *"blob $id is corrupt"* ]]
}

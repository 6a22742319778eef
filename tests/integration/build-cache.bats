#!/usr/bin/env bats
# ctr-build: the layer cache, whiteouts in layers, and failures that leave nothing behind.

load helpers
load build-helpers

setup_file() { build_base_store; }
setup() {
    ctr_setup
    use_base_store
    CTX=$TEST_DIR/ctx
    mkdir -p "$CTX"
}
teardown() { ctr_teardown; }

@test "cache: a copied file's content invalidates, its mtime alone does not, nor does an unrelated file" {
    echo v1 >"$CTX/app.txt"
    echo other >"$CTX/other.txt"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo first > /first
COPY app.txt /app.txt
RUN cat /app.txt > /copy-of-app
EOF
    run ctr_build -t cached "$CTX"
    [ "$status" -eq 0 ]
    first=$(tail -n 2 <<<"$output" | head -1)

    touch -d '2001-01-01' "$CTX/app.txt"
    echo changed >"$CTX/other.txt"
    run ctr_build -t cached "$CTX"
    [ "$status" -eq 0 ]
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 3 ]
    [ "$(tail -n 2 <<<"$output" | head -1)" = "$first" ]

    # Same bytes, new mode: a miss from COPY on.
    chmod 755 "$CTX/app.txt"
    run ctr_build -t cached "$CTX"
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 1 ]

    echo v2 >"$CTX/app.txt"
    run ctr_build -t cached "$CTX"
    [ "$status" -eq 0 ]
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 1 ]
    run run_image cached:latest cat /copy-of-app
    [ "$output" = v2 ]
}

@test "cache: a changed instruction, build arg or base misses; --no-cache rebuilds and refills the cache" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
ARG V=1
RUN echo "$V" > /v
ENV E=1
EOF
    run ctr_build "$CTX"
    [ "$status" -eq 0 ]
    run ctr_build --build-arg V=2 "$CTX"
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 1 ]  # ARG itself is the same step
    run ctr_build --no-cache "$CTX"
    [ "$status" -eq 0 ]
    [[ "$output" != *"Using cache"* ]]
    sed -i 's/ENV E=1/ENV E=2/' "$CTX/Dockerfile"
    run ctr_build "$CTX"
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 2 ]
}

# step_ids OUTPUT: the image ids a build printed (" ---> ID"), full, one a line.
step_ids() {
    local s
    for s in $(sed -n 's/^ ---> \([0-9a-f]\{12\}\)$/\1/p' <<<"$1"); do ctr-inspect -f '{{.Id}}' "$s"; done
}

@test "each step's image records the one it was built on (Parent); older stores' are found from the cache" {
    printf 'FROM busybox:test\nRUN echo a > /a\nENV X=1\nCMD ["sh"]\n' >"$CTX/Dockerfile"
    run ctr_build --network none -t chain "$CTX"
    [ "$status" -eq 0 ]
    mapfile -t ids < <(step_ids "$output")  # busybox:test, RUN, ENV, CMD
    [ "${#ids[@]}" = 4 ]
    parents() { for i in "${ids[@]}"; do ctr-inspect -f "{{.Parent}}" "$i"; done; }
    want=$(printf '\n%s\n%s\n%s' "${ids[0]}" "${ids[1]}" "${ids[2]}")
    [ "$(parents)" = "$want" ]
    [ "$(ctr-inspect chain | jq -r '.[0].Parent')" = "${ids[2]}" ]
    [ "$(jq '[.manifests[].annotations["dev.ctr.image.parent"] // empty] | length' "$CTR_ROOT/oci/index.json")" = 3 ]

    # A store from before parents were recorded: worked out from the cache keys.
    jq 'del(.manifests[].annotations["dev.ctr.image.parent"])' "$CTR_ROOT/oci/index.json" >"$TEST_DIR/index.json"
    mv "$TEST_DIR/index.json" "$CTR_ROOT/oci/index.json"
    [ "$(parents)" = "$want" ]
    [ "$(ctr-images -q | wc -l)" = 2 ]
    [ "$(ctr-images -a -q | wc -l)" = 4 ]
    # A build that hits the cache records them again.
    run ctr_build --network none -t chain "$CTX"
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 3 ]
    [ "$(jq '[.manifests[].annotations["dev.ctr.image.parent"] // empty] | length' "$CTR_ROOT/oci/index.json")" = 3 ]
    [ "$(parents)" = "$want" ]
}

@test "whiteouts: a file deleted by a later RUN is gone; a re-created directory is opaque" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
RUN mkdir -p /data/sub /moved/inner && echo keep > /data/keep && echo old > /data/sub/old && echo doomed > /doomed && echo m > /moved/inner/f
RUN rm /doomed && rm -rf /data && mkdir -p /data && echo new > /data/new && mv /moved /renamed
EOF
    run ctr_build -t wh "$CTX"
    [ "$status" -eq 0 ]
    run run_image wh:latest sh -c 'ls -A /data; test -e /doomed || echo doomed-gone; cat /renamed/inner/f; test -e /moved || echo moved-gone'
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'new\ndoomed-gone\nm\nmoved-gone')" ]
    # The last layer holds the spec's whiteout files.
    digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "wh:latest") | .digest' "$CTR_ROOT/oci/index.json")
    layer=$(jq -r '.layers[-1].digest' "$CTR_ROOT/oci/blobs/sha256/${digest#sha256:}")
    names=$(tar -tzf "$CTR_ROOT/oci/blobs/sha256/${layer#sha256:}")
    [[ "$names" == *".wh.doomed"* ]]
    [[ "$names" == *"data/.wh..wh..opq"* ]]
    [[ "$names" == *"data/new"* ]]
    # A renamed directory is whole in the layer (no overlay redirect).
    [[ "$names" == *"renamed/inner/f"* ]]
    [[ "$names" == *".wh.moved"* ]]
    # Other tools read it the same way.
    run umoci unpack --image "$CTR_ROOT/oci:wh:latest" "$TEST_DIR/umoci"
    [ "$status" -eq 0 ]
    [ ! -e "$TEST_DIR/umoci/rootfs/doomed" ]
    [ "$(ls -A "$TEST_DIR/umoci/rootfs/data")" = new ]
}

@test "a failing RUN names the line and exit code, and leaves no container, mount or temp dir" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo fine
RUN echo about to fail && exit 3
RUN echo never
EOF
    run ctr_build -t broken "$CTX"
    [ "$status" -eq 1 ]
    [[ "$output" == *"about to fail"* ]]
    [[ "$output" == *"ctr-build: Dockerfile:3: The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"* ]]
    [[ "$output" != *"never"* ]]
    [ "$(mounts_in_test_dir)" -eq 0 ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
    ! skopeo inspect "oci:$CTR_ROOT/oci:broken:latest" >/dev/null 2>&1
    # The steps before the failure are cached for the next try.
    run ctr_build "$CTX"
    [[ "$output" == *" ---> Using cache"* ]]
}

@test "--rm=false and --force-rm are accepted; a failing RUN still leaves nothing behind" {
    printf 'FROM busybox:test\nRUN exit 5\n' >"$CTX/Dockerfile"
    run ctr_build --rm=false --force-rm "$CTX"
    [ "$status" -eq 1 ]
    [[ "$output" == *"returned a non-zero code: 5"* ]]
    [ "$(mounts_in_test_dir)" -eq 0 ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
    run ctr_build --rm=maybe "$CTX"
    [ "$status" -ne 0 ]
    [[ "$output" == *"--rm"* ]]
}

@test "a Dockerfile syntax error names its line before anything runs" {
    printf 'FROM busybox:test\nRUN echo should-not-run\n\nCOPPY a b\n' >"$CTX/Dockerfile"
    run ctr_build "$CTX"
    [ "$status" -eq 1 ]
    [ "$output" = "ctr-build: Dockerfile:4: unknown instruction: COPPY" ]
    printf 'FROM busybox:test\nEXPOSE\n' >"$CTX/Dockerfile"
    run ctr_build "$CTX"
    [ "$output" = "ctr-build: Dockerfile:2: EXPOSE requires at least one argument" ]
    printf 'FROM busybox:test\nCOPY missing.txt /\n' >"$CTX/Dockerfile"
    run ctr_build "$CTX"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Dockerfile:2: COPY failed: file not found in build context"*"missing.txt"* ]]
    [ "$(mounts_in_test_dir)" -eq 0 ]
    [ -z "$(ls -A "$CTR_ROOT/tmp")" ]
}

#!/usr/bin/env bats
# ctr-pull: images from Debian's docker-registry (TLS + htpasswd, and plain
# HTTP declared insecure) into the store, and what a bad pull leaves (nothing).

load helpers
load registry_helpers

setup_file() { registry_setup_file; }
teardown_file() { registry_teardown_file; }
setup() {
    ctr_setup
    export REGISTRY_AUTH_FILE=$TEST_DIR/auth.json
}
teardown() { registry_teardown; }

# The registry's digest for a reference (skopeo's view).
remote_digest() {
    skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | sed 's/ .*//;s/^/sha256:/'
}
# index.json and the blob list: what must not change when a pull fails.
store_state() {
    cat "$CTR_ROOT/oci/index.json" 2>/dev/null || true
    ls "$CTR_ROOT/oci/blobs/sha256" 2>/dev/null || true
}
tmp_is_empty() { [ -z "$(ls -A "$CTR_ROOT/tmp" 2>/dev/null)" ]; }

@test "pull by tag stores the registry's manifest byte for byte, runs, and a second pull is up to date" {
    run ctr-pull "$REG_PLAIN/busybox:3layers"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$REG_PLAIN/busybox:3layers" ]
    digest=$(remote_digest "$REG_PLAIN/busybox:3layers")
    [[ $output == *"Digest: $digest"* ]]
    [[ $output == *"Status: Downloaded newer image for $REG_PLAIN/busybox:3layers"* ]]
    # The store's entry is the registry's manifest, under the tag.
    run skopeo inspect "oci:$CTR_ROOT/oci:$REG_PLAIN/busybox:3layers"
    [ "$status" -eq 0 ]
    [[ $output == *"\"Digest\": \"$digest\""* ]]
    cmp <(skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/busybox:3layers") "$CTR_ROOT/oci/blobs/sha256/${digest#sha256:}"
    tmp_is_empty

    # It runs: unpacked by umoci from our layout, run by runc.
    skopeo copy -q "oci:$CTR_ROOT/oci:$REG_PLAIN/busybox:3layers" "oci:$TEST_DIR/copy:run"
    umoci unpack --image "$TEST_DIR/copy:run" "$TEST_DIR/bundle" >/dev/null
    sed -i 's/"terminal": true/"terminal": false/' "$TEST_DIR/bundle/config.json"
    run runc --root "$RUN_ROOT" run "$(test_name)" -b "$TEST_DIR/bundle" </dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "hello from layer three" ]

    run ctr-pull "$REG_PLAIN/busybox:3layers"
    [ "$status" -eq 0 ]
    [[ $output == *"Status: Image is up to date for $REG_PLAIN/busybox:3layers"* ]]
}

@test "short names go through unqualified-search-registries; -q prints only the image id" {
    run ctr-pull -q busybox:3layers
    [ "$status" -eq 0 ]
    config=$(skopeo inspect --config --tls-verify=false "docker://$REG_PLAIN/busybox:3layers" --raw | sha256sum | cut -c1-64)
    [ "$output" = "$config" ]
    grep -q "\"$REG_PLAIN/busybox:3layers\"" "$CTR_ROOT/oci/index.json"
}

@test "pull by digest, and by tag and digest" {
    digest=$(remote_digest "$REG_PLAIN/busybox:3layers")
    run ctr-pull "$REG_PLAIN/busybox@$digest"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$REG_PLAIN/busybox@$digest" ]
    grep -q "$digest" "$CTR_ROOT/oci/index.json"
    run ctr-pull "$REG_PLAIN/busybox:pinned@$digest"
    [ "$status" -eq 0 ]
    grep -q "\"$REG_PLAIN/busybox:pinned\"" "$CTR_ROOT/oci/index.json"
    run ctr-pull "$REG_PLAIN/busybox@sha256:$(printf '%064d' 0)"
    [ "$status" -eq 1 ]
    [[ $output == *"manifest unknown"* ]]
}

@test "a multi-platform index: this machine's image by default, another with --platform" {
    index=$(remote_digest "$REG_PLAIN/multi:latest")
    run ctr-pull "$REG_PLAIN/multi"
    [ "$status" -eq 0 ]
    [[ $output == *"Digest: $index"* ]]
    # The index itself is the store's entry: same digest as the registry's.
    grep -q "$index" "$CTR_ROOT/oci/index.json"
    run skopeo inspect "oci:$CTR_ROOT/oci:$REG_PLAIN/multi:latest"
    [[ $output == *'"Architecture": "amd64"'* ]]

    run ctr-pull --platform linux/arm64 "$REG_PLAIN/multi"
    [ "$status" -eq 0 ]
    run skopeo inspect "oci:$CTR_ROOT/oci:$REG_PLAIN/multi:latest"
    [[ $output == *'"Architecture": "arm64"'* ]]
}

@test "an index without this machine's platform is refused, naming what it has" {
    ctr-pull -q "$REG_PLAIN/busybox:3layers" >/dev/null
    before=$(store_state)
    run ctr-pull "$REG_PLAIN/armonly"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == *"pull $REG_PLAIN/armonly:latest: no image for linux/amd64"*"linux/arm64, linux/arm/v7"* ]]
    [ "$(store_state)" = "$before" ]
    run ctr-pull --platform linux/arm/v7 "$REG_PLAIN/armonly"
    [ "$status" -eq 0 ]
}

@test "unknown repository or tag: one line naming it, store unchanged" {
    ctr-pull -q "$REG_PLAIN/busybox:3layers" >/dev/null
    before=$(store_state)
    run ctr-pull "$REG_PLAIN/nosuch/repo:1"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == "ctr-pull: pull $REG_PLAIN/nosuch/repo:1: "*"unknown"* ]]
    run ctr-pull "$REG_PLAIN/busybox:nosuchtag"
    [ "$status" -eq 1 ]
    [[ $output == *"busybox:nosuchtag"*"manifest unknown"* ]]
    [ "$(store_state)" = "$before" ]
    run ctr-pull "Bad:Ref"
    [ "$status" -eq 1 ]
    [[ $output == *'invalid reference "Bad:Ref"'* ]]
}

@test "TLS registry with htpasswd: no credentials, wrong password, --creds, ctr-login" {
    run ctr-pull --cert-dir "$REG_CA_DIR" "$REG_TLS/ctr/busybox:3layers"
    [ "$status" -eq 1 ]
    [[ $output == *"authentication required"* ]]
    run ctr-pull --cert-dir "$REG_CA_DIR" --creds "$REG_USER:wrong" "$REG_TLS/ctr/busybox:3layers"
    [ "$status" -eq 1 ]
    [[ $output == *"rejected the credentials of user \"$REG_USER\""* ]]
    [ ! -e "$CTR_ROOT/oci/index.json" ] || ! grep -q ctr/busybox "$CTR_ROOT/oci/index.json"

    run ctr-pull --cert-dir "$REG_CA_DIR" --creds "$REG_USER:$REG_PASS" "$REG_TLS/ctr/busybox:3layers"
    [ "$status" -eq 0 ]
    [[ $output == *"Digest: $(remote_digest "$REG_PLAIN/busybox:3layers")"* ]]

    ctr-login --cert-dir "$REG_CA_DIR" -u "$REG_USER" -p "$REG_PASS" "$REG_TLS"
    run ctr-pull --cert-dir "$REG_CA_DIR" "$REG_TLS/ctr/multi"
    [ "$status" -eq 0 ]
}

@test "a certificate the machine does not trust is refused unless --tls-verify=false" {
    run ctr-pull --creds "$REG_USER:$REG_PASS" "$REG_TLS/ctr/busybox:3layers"
    [ "$status" -eq 1 ]
    [[ $output == *"$REG_TLS"*"certificate"*"--tls-verify=false"* ]]
    [ ! -e "$CTR_ROOT/oci/index.json" ] || ! grep -q ctr/busybox "$CTR_ROOT/oci/index.json"
    run ctr-pull --tls-verify=false --creds "$REG_USER:$REG_PASS" "$REG_TLS/ctr/busybox:3layers"
    [ "$status" -eq 0 ]
    # The plain registry is reachable only because registries.conf says it is insecure.
    CTR_REGISTRIES_CONF=/dev/null run ctr-pull "$REG_PLAIN/busybox:3layers"
    [ "$status" -eq 1 ]
}

@test "bearer tokens per repository, anonymous and with credentials; blob redirects get no credentials" {
    px=$(start_proxy "$TEST_DIR/proxy" "$REG_PLAIN" --auth bearer --user u:p --anonymous --redirect)
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$px" >"$TEST_DIR/r.conf"
    export CTR_REGISTRIES_CONF=$TEST_DIR/r.conf
    run ctr-pull "$px/busybox:3layers"
    [ "$status" -eq 0 ]
    grep -q "^GET /token?service=ctr-proxy&scope=repository%3Abusybox%3Apull$" "$TEST_DIR/proxy/port.log"
    # Blobs came from "another host" (the redirect), never with the Authorization header.
    grep -q '^GET /storage/v2/busybox/blobs/sha256:' "$TEST_DIR/proxy/port.log"
    ! grep -q '^GET /storage/.* auth$' "$TEST_DIR/proxy/port.log"

    run ctr-pull --creds u:p "$px/multi"
    [ "$status" -eq 0 ]
    grep -q "scope=repository%3Amulti%3Apull&account=u auth$" "$TEST_DIR/proxy/port.log"
    run ctr-pull --creds u:nope "$px/multi"
    [ "$status" -eq 1 ]
    [[ $output == *"rejected the credentials of user \"u\""* ]]
}

@test "a blob that does not match its digest is refused; the next pull completes from what was verified" {
    digest=$(remote_digest "$REG_PLAIN/busybox:3layers")
    layer=$(skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/busybox:3layers" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][1]["digest"])')
    px=$(start_proxy "$TEST_DIR/proxy" "$REG_PLAIN" --tamper "$layer")
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$px" >"$TEST_DIR/r.conf"
    export CTR_REGISTRIES_CONF=$TEST_DIR/r.conf
    run ctr-pull --jobs 1 "$px/busybox:3layers"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == "ctr-pull: pull $px/busybox:3layers: blob $layer"*"does not match its digest"* ]]
    [ ! -e "$CTR_ROOT/oci/blobs/sha256/${layer#sha256:}" ]
    ! grep -q busybox "$CTR_ROOT/oci/index.json" 2>/dev/null
    tmp_is_empty
    have=$(ls "$CTR_ROOT/oci/blobs/sha256")
    [ -n "$have" ]

    # Through an honest proxy: only what is missing is fetched.
    px2=$(start_proxy "$TEST_DIR/proxy2" "$REG_PLAIN")
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$px2" >"$TEST_DIR/r.conf"
    run ctr-pull "$px2/busybox:3layers"
    [ "$status" -eq 0 ]
    for b in $have; do ! grep -q "GET /v2/busybox/blobs/sha256:$b" "$TEST_DIR/proxy2/port.log"; done
    grep -q "GET /v2/busybox/blobs/$layer" "$TEST_DIR/proxy2/port.log"
}

@test "a docker schema 1 manifest is refused in one line naming the reference" {
    ctr-pull -q "$REG_PLAIN/busybox:3layers" >/dev/null
    px=$(start_proxy "$TEST_DIR/proxy" "$REG_PLAIN" --schema1)
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$px" >"$TEST_DIR/r.conf"
    export CTR_REGISTRIES_CONF=$TEST_DIR/r.conf
    before=$(store_state)
    run ctr-pull "$px/busybox:3layers"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == "ctr-pull: pull $px/busybox:3layers: "*"schema 1 manifests are not supported"* ]]
    [ "$(store_state)" = "$before" ]
}

@test "--all-tags pulls every tag of a repository" {
    skopeo copy -q --all --dest-tls-verify=false "oci:$REG_LAYOUT:3layers" "docker://$REG_PLAIN/alltags:a"
    skopeo copy -q --all --dest-tls-verify=false "oci:$REG_LAYOUT:multi" "docker://$REG_PLAIN/alltags:b"
    out=$(ctr-pull -a "$REG_PLAIN/alltags" 2>/dev/null | sort)
    [ "$out" = "$(printf '%s\n' "$REG_PLAIN/alltags:a" "$REG_PLAIN/alltags:b")" ]
    run ctr-pull -a "$REG_PLAIN/alltags:a"
    [ "$status" -eq 125 ]
    [[ $output == *"--all-tags takes a repository without a tag"* ]]
}

@test "registries.conf: mirrors are tried first, blocked registries refused" {
    cat >"$TEST_DIR/r.conf" <<EOF2
[[registry]]
prefix = "registry.invalid/team"
location = "registry.invalid/team"
[[registry.mirror]]
location = "$REG_PLAIN"
insecure = true

[[registry]]
location = "blocked.invalid"
blocked = true
EOF2
    export CTR_REGISTRIES_CONF=$TEST_DIR/r.conf
    # registry.invalid/team/busybox is fetched from the mirror's busybox, and keeps its own name.
    run ctr-pull registry.invalid/team/busybox:3layers
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "registry.invalid/team/busybox:3layers" ]
    grep -q '"registry.invalid/team/busybox:3layers"' "$CTR_ROOT/oci/index.json"
    run ctr-pull blocked.invalid/x
    [ "$status" -eq 1 ]
    [[ $output == *"registry blocked.invalid is blocked in $TEST_DIR/r.conf"* ]]
    echo 'unqualified-search-registries = [' >"$TEST_DIR/bad.conf"
    run ctr-pull --registries-conf "$TEST_DIR/bad.conf" busybox
    [ "$status" -eq 1 ]
    [[ $output == *"$TEST_DIR/bad.conf:"* ]]
}

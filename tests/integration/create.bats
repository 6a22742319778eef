#!/usr/bin/env bats
# ctr-create: an image becomes a bundle (config.json + overlay rootfs) and a record.

load helpers
load container-helpers

setup_file() { container_setup_file; }
setup() { container_setup; }
teardown() { ctr_teardown; }

@test "create prints a 64-hex id; the bundle runs under plain runc" {
    run ctr-create busybox echo from-runc
    [ "$status" -eq 0 ]
    [[ $output =~ ^[0-9a-f]{64}$ ]]
    id=$output
    dir=$CTR_ROOT/containers/$id
    [ -f "$dir/config.json" ]
    [ "$(record "$id" .State.Status)" = created ]
    [[ $(record "$id" .Name) =~ ^[a-z]+_[a-z]+[0-9]?$ ]]
    image=$(record "$id" .Image)
    [[ $image =~ ^sha256:[0-9a-f]{64}$ ]]
    [ -f "$CTR_ROOT/oci/blobs/sha256/${image#sha256:}" ]
    [ "$(record "$id" .ImageRef)" = busybox ]
    [ "$(mounts_under "$dir/rootfs")" -eq 1 ]
    cd "$dir"
    run runc --root "$RUN_ROOT" run -b . "$(test_name runc)"
    [ "$status" -eq 0 ]
    [ "$output" = from-runc ]
}

@test "CMD after the image replaces CMD, ENTRYPOINT is kept, -e overrides ENV" {
    id=$(ctr-create --entrypoint /bin/echo -e GREETING=Hi busybox one two)
    [ "$(jq -c .process.args "$CTR_ROOT/containers/$id/config.json")" = '["/bin/echo","one","two"]' ]
    jq -r '.process.env[]' "$CTR_ROOT/containers/$id/config.json" | grep -qx 'GREETING=Hi'
    id2=$(ctr-create busybox)
    [ "$(jq -c .process.args "$CTR_ROOT/containers/$id2/config.json")" = '["sh"]' ]
    jq -r '.process.env[]' "$CTR_ROOT/containers/$id2/config.json" | grep -qx 'GREETING=Hello from'
    [ "$(record "$id" .Config.Cmd[0])" = one ]
    [ "$(record "$id" .Path)" = /bin/echo ]
}

@test "the container's files: hostname = short id, /etc/hosts, /etc/resolv.conf, /.dockerenv, user and workdir" {
    id=$(ctr-create -u 1000:1000 -w /work/here busybox sh)
    r=$CTR_ROOT/containers/$id/rootfs
    [ "$(cat "$r/etc/hostname")" = "${id:0:12}" ]
    grep -q "127.0.0.1.*localhost" "$r/etc/hosts"
    grep -q "${id:0:12}" "$r/etc/hosts"
    grep -q nameserver "$r/etc/resolv.conf"
    [ -f "$r/.dockerenv" ]
    [ -d "$r/work/here" ]
    c=$CTR_ROOT/containers/$id/config.json
    [ "$(jq -r .hostname "$c")" = "${id:0:12}" ]
    [ "$(jq -c .process.user "$c")" = '{"gid":1000,"uid":1000}' ]
    [ "$(jq -r .process.cwd "$c")" = /work/here ]
    [ "$(jq -r '.process.capabilities.bounding | length' "$c")" = 14 ]
    # the upper directory holds only the new workdir: those files live in the init layer
    [ "$(ls -A "$CTR_ROOT/containers/$id/upper")" = work ]
}

@test "flags land in config.json: resources, read-only, caps, mounts, network" {
    mkdir -p "$TEST_DIR/data"
    id=$(ctr-create --name "$(test_name flags)" -m 64m --cpus 0.5 --pids-limit 50 --read-only \
        --cap-add NET_ADMIN --cap-drop CHOWN -v "$TEST_DIR/data:/data:ro" --tmpfs /scratch \
        --network host --hostname box --label a=b --stop-signal SIGINT busybox)
    c=$CTR_ROOT/containers/$id/config.json
    [ "$(jq .linux.resources.memory.limit "$c")" = 67108864 ]
    [ "$(jq .linux.resources.cpu.quota "$c")" = 50000 ]
    [ "$(jq .linux.resources.pids.limit "$c")" = 50 ]
    [ "$(jq .root.readonly "$c")" = true ]
    jq -r '.process.capabilities.bounding[]' "$c" | grep -qx CAP_NET_ADMIN
    ! jq -r '.process.capabilities.bounding[]' "$c" | grep -qx CAP_CHOWN
    [ "$(jq -r '.mounts[] | select(.destination == "/data") | .source' "$c")" = "$TEST_DIR/data" ]
    jq -r '.mounts[] | select(.destination == "/data") | .options[]' "$c" | grep -qx ro
    [ "$(jq -r '.mounts[] | select(.destination == "/scratch") | .type' "$c")" = tmpfs ]
    ! jq -r '.linux.namespaces[].type' "$c" | grep -qx network
    [ "$(jq -r .hostname "$c")" = box ]
    [ "$(record "$id" .Name)" = "$(test_name flags)" ]
    [ "$(record "$id" .Config.Labels.a)" = b ]
    [ "$(record "$id" .Config.StopSignal)" = SIGINT ]
    [ "$(record "$id" .HostConfig.Memory)" = 67108864 ]
}

@test "bad input: a clear error, exit 125, and nothing left behind" {
    run ctr-create -p 80:99999 busybox
    [ "$status" -eq 125 ]
    [[ $output == *"invalid port"* ]]
    run ctr-create --restart sometimes busybox
    [ "$status" -eq 125 ]
    run ctr-create -u ghostuser busybox
    [ "$status" -ne 0 ]
    [[ $output == *"unable to find user ghostuser"* ]]
    run ctr-create --pull never nosuchimage
    [ "$status" -ne 0 ]
    [[ $output == *"No such image"* ]]
    [ -z "$(ls -A "$CTR_ROOT/containers" 2>/dev/null)" ]
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]

    ctr-create --name "$(test_name twin)" busybox >/dev/null
    run ctr-create --name "$(test_name twin)" busybox
    [ "$status" -ne 0 ]
    [[ $output == *"already in use"* ]]
    [ "$(ls "$CTR_ROOT/containers" | wc -l)" -eq 1 ]
    [ "$(mounts_under "$TEST_DIR")" -eq 1 ]
}

@test "the runtime named without a path is found on PATH and recorded by its path; a missing one is refused" {
    CTR_RUNTIME=runc run ctr-create busybox echo from-runc
    [ "$status" -eq 0 ]
    id=$output
    [ "$(record "$id" .HostConfig.Runtime)" = "$(command -v runc)" ]
    run ctr-start -a "$id"
    [ "$status" -eq 0 ]
    [ "$output" = from-runc ]
    # A relative path is made absolute: the monitor runs it from elsewhere.
    cd "$CTR_SRC"
    id=$(ctr-create --runtime bin/ctr-run busybox true)
    [ "$(record "$id" .HostConfig.Runtime)" = "$CTR_SRC/bin/ctr-run" ]
    cd /
    ctr-rm "$id" >/dev/null
    CTR_RUNTIME=no-such-runtime run ctr-create busybox
    [ "$status" -eq 1 ]
    [ "$output" = "ctr-create: CTR_RUNTIME: no-such-runtime is not on PATH (name the runtime by its path)" ]
    run ctr-create --runtime ./no/such busybox
    [ "$status" -eq 1 ]
    [ "$output" = "ctr-create: --runtime: ./no/such: No such file or directory" ]
    [ "$(ls "$CTR_ROOT/containers" | wc -l)" -eq 1 ]
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]
}

@test "the store keeps an image while a container uses it" {
    id=$(ctr-create busybox)
    [ "$(record "$id" .Image)" != null ]
    grep -q "$(record "$id" .Image)" <<<"$(jq -r .Image "$CTR_ROOT"/containers/*/container.json)"
    ctr-rm "$id"
    [ ! -e "$CTR_ROOT/containers/$id" ]
    [ "$(mounts_under "$TEST_DIR")" -eq 0 ]
}

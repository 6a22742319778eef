# Registries for the pull/push/login tests (load after helpers).
#
# registry_setup_file (from setup_file) makes, in REG_DIR=/tmp/ctr-test.XXXXXX:
#   - a CA and a certificate for 127.0.0.1 (REG_CA_DIR holds ca.crt, for --cert-dir)
#   - REG_TLS: Debian's docker-registry with TLS and htpasswd auth
#     (user ctruser, password ctrpass)
#   - REG_PLAIN: a plain-HTTP registry, declared insecure in REG_CONF
#     (a registries.conf exported as CTR_REGISTRIES_CONF)
#   - images seeded with skopeo from OCI layouts built from the busybox fixture:
#       busybox:3layers   3 layers, linux/amd64, runs `cat /hello.txt`
#       multi:latest      an index for linux/amd64 and linux/arm64
#       armonly:latest    an index for linux/arm64 and linux/arm/v7 only
#     on both registries (under ctr/ on the TLS one).
# Ports are chosen free at run time. registry_teardown_file stops everything.

REG_USER=ctruser
REG_PASS=ctrpass
MKIMAGE=$BATS_TEST_DIRNAME/registry_mkimage.py
PROXY=$BATS_TEST_DIRNAME/registry_proxy.py

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for CMD...: retries CMD for up to 10 s.
wait_for() {
    local i
    for i in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "timed out waiting for: $*" >&2
    return 1
}

# make_ca DIR: a CA (DIR/ca.crt, ca.key) and a server certificate for 127.0.0.1 (DIR/server.*).
make_ca() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=ctr-test-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
}

# start_registry DIR [tls]: starts docker-registry with its storage in DIR on
# a free port; prints 127.0.0.1:PORT. With "tls", uses $REG_DIR/ca's
# certificate and the htpasswd file. Reuses DIR/port when it exists (a restart).
start_registry() {
    local dir=$1 mode=${2:-} port scheme=http
    mkdir -p "$dir/data"
    if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); echo "$port" >"$dir/port"; fi
    {
        echo "version: 0.1"
        echo "log: {level: error, accesslog: {disabled: true}}"
        echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
        echo "http:"
        echo "  addr: 127.0.0.1:$port"
        echo "  secret: ctr-test-secret"
        if [ "$mode" = tls ]; then
            echo "  tls: {certificate: $REG_DIR/ca/server.crt, key: $REG_DIR/ca/server.key}"
            echo "auth: {htpasswd: {realm: ctr-test, path: $REG_DIR/htpasswd}}"
        fi
    } >"$dir/config.yml"
    [ "$mode" = tls ] && scheme=https
    docker-registry serve "$dir/config.yml" >>"$dir/log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    wait_for curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/" || { cat "$dir/log" >&2; return 1; }
    echo "127.0.0.1:$port"
}

stop_registry() {
    local dir=$1 pid
    [ -f "$dir/pid" ] || return 0
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    wait_for sh -c "! kill -0 $pid 2>/dev/null"
    rm -f "$dir/pid"
}

# start_proxy DIR UPSTREAM [ARGS...]: registry_proxy.py in front of UPSTREAM; prints 127.0.0.1:PORT.
start_proxy() {
    local dir=$1 upstream=$2
    shift 2
    mkdir -p "$dir"
    python3 "$PROXY" "$dir/port" "http://$upstream" "$@" >"$dir/log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    wait_for test -s "$dir/port"
    echo "127.0.0.1:$(cat "$dir/port")"
}

# tar_of_files DIR OUT.tar NAME=CONTENT...: a layer tar holding those files.
layer_tar() {
    local out=$1 d
    shift
    d=$(mktemp -d "$REG_DIR/layer.XXXXXX")
    local kv
    for kv in "$@"; do
        mkdir -p "$d/$(dirname "${kv%%=*}")"
        printf '%s\n' "${kv#*=}" >"$d/${kv%%=*}"
    done
    tar -C "$d" --owner=0 --group=0 --mtime=@0 -cf "$out" .
    rm -rf "$d"
}

# skopeo_copy_plain LAYOUT:NAME REPO:TAG: seeds the plain registry.
seed_plain() {
    skopeo copy -q --all --dest-tls-verify=false "oci:$1" "docker://$REG_PLAIN/$2" >/dev/null
}
seed_tls() {
    skopeo copy -q --all --dest-cert-dir "$REG_CA_DIR" --dest-creds "$REG_USER:$REG_PASS" \
        "oci:$1" "docker://$REG_TLS/$2" >/dev/null
}

registry_setup_file() {
    REG_DIR=$(mktemp -d /tmp/ctr-test.XXXXXX)
    export REG_DIR
    make_ca "$REG_DIR/ca"
    export REG_CA_DIR=$REG_DIR/certs
    mkdir -p "$REG_CA_DIR" && cp "$REG_DIR/ca/ca.crt" "$REG_CA_DIR/"
    htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$REG_DIR/htpasswd" 2>/dev/null
    REG_TLS=$(start_registry "$REG_DIR/tls" tls)
    REG_PLAIN=$(start_registry "$REG_DIR/plain")
    export REG_TLS REG_PLAIN
    export REG_CONF=$REG_DIR/registries.conf
    cat >"$REG_CONF" <<EOF
unqualified-search-registries = ["$REG_PLAIN"]

[[registry]]
location = "$REG_PLAIN"
insecure = true
EOF
    export CTR_REGISTRIES_CONF=$REG_CONF

    local l=$REG_DIR/layers
    mkdir -p "$l"
    cp "$BUSYBOX_TAR" "$l/base.tar"
    layer_tar "$l/two.tar" etc/motd="layer two"
    layer_tar "$l/three.tar" hello.txt="hello from layer three"
    layer_tar "$l/arm.tar" hello.txt="hello from arm"
    export REG_LAYOUT=$REG_DIR/layout
    python3 "$MKIMAGE" "$REG_LAYOUT" 3layers --cmd 'cat /hello.txt' "$l/base.tar" "$l/two.tar" "$l/three.tar" >/dev/null
    python3 "$MKIMAGE" "$REG_LAYOUT" multi --platform linux/amd64 --platform linux/arm64 \
        --cmd 'cat /hello.txt' "$l/base.tar" "$l/three.tar" >/dev/null
    python3 "$MKIMAGE" "$REG_LAYOUT" armonly --platform linux/arm64 --platform linux/arm/v7 \
        "$l/base.tar" "$l/arm.tar" >/dev/null
    seed_plain "$REG_LAYOUT:3layers" busybox:3layers
    seed_plain "$REG_LAYOUT:multi" multi:latest
    seed_plain "$REG_LAYOUT:armonly" armonly:latest
    seed_tls "$REG_LAYOUT:3layers" ctr/busybox:3layers
    seed_tls "$REG_LAYOUT:multi" ctr/multi:latest
}

registry_teardown_file() {
    [ -n "${REG_DIR:-}" ] && [ -d "$REG_DIR" ] || return 0
    local d
    for d in "$REG_DIR"/*/; do stop_registry "$d"; done
    rm -rf "$REG_DIR"
}

# Kills what a test started in its TEST_DIR (registries, proxies) before ctr_teardown.
registry_teardown() {
    local f
    for f in "$TEST_DIR"/*/pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    ctr_teardown
}

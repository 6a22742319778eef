#!/usr/bin/env bash
# bench/pull.sh [RUNS]: pull a 6-layer image of about 200 MB from a local
# registry (Debian's docker-registry on 127.0.0.1, plain HTTP), side by side:
#   ctr-pull                         into a fresh store each run
#   podman pull                      into a fresh --root each run (vfs)
#   skopeo copy docker://… oci:DIR   the blobs alone, into a fresh layout
# and a ctr-pull of the image once all its blobs are in the store.
# Prints the median of RUNS (default 5) for each, in seconds. Not a test:
# numbers are for docs/benchmarks.md. Needs root (podman's storage).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-5}
export PATH=$top/bin:$PATH

dir=$(mktemp -d /tmp/ctr-bench.XXXXXX)
reg_pid=
cleanup() {
    if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >"$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:$port, secret: bench}
YML
docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.05; done
reg=127.0.0.1:$port

echo "building a 6-layer image of random data (about 200 MB)..." >&2
tars=()
for i in 1 2 3 4 5 6; do
    mkdir -p "$dir/l$i"
    head -c 33000000 /dev/urandom >"$dir/l$i/data$i"
    tar -C "$dir/l$i" --owner=0 --group=0 -cf "$dir/l$i.tar" .
    rm -rf "$dir/l$i"
    tars+=("$dir/l$i.tar")
done
MKIMAGE_GZIP_LEVEL=1 python3 tests/integration/registry_mkimage.py "$dir/layout" big "${tars[@]}" >/dev/null
rm -f "${tars[@]}"
skopeo copy -q --dest-tls-verify=false "oci:$dir/layout:big" "docker://$reg/bench/big:1"
rm -rf "$dir/layout"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$reg" >"$dir/registries.conf"
export CTR_REGISTRIES_CONF=$dir/registries.conf
size=$(du -sm "$dir/data" | cut -f1)
echo "image in the registry: ${size} MB" >&2

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); printf "%.3f", (NR%2 ? a[m] : (a[m]+a[m+1])/2)}'; }
# timed NAME CMD...: runs CMD, appends its wall time to $dir/NAME.times
timed() {
    local name=$1 t0 t1
    shift
    t0=$(now)
    "$@" >/dev/null 2>"$dir/last.err" || { cat "$dir/last.err" >&2; exit 1; }
    t1=$(now)
    echo "$t1 - $t0" | bc >>"$dir/$name.times"
}

for r in $(seq "$runs"); do
    echo "run $r/$runs" >&2
    rm -rf "$dir/store" "$dir/podman" "$dir/podman-run" "$dir/oci"
    sync
    CTR_ROOT=$dir/store timed ctr-pull ctr-pull -q "$reg/bench/big:1"
    timed podman podman --root "$dir/podman" --runroot "$dir/podman-run" --storage-driver vfs \
        pull -q --tls-verify=false "$reg/bench/big:1"
    timed skopeo skopeo copy -q --src-tls-verify=false "docker://$reg/bench/big:1" "oci:$dir/oci:big"
done
for r in $(seq $((runs * 2))); do
    CTR_ROOT=$dir/store timed present ctr-pull -q "$reg/bench/big:1"
done

ctr=$(median <"$dir/ctr-pull.times")
pod=$(median <"$dir/podman.times")
sko=$(median <"$dir/skopeo.times")
present=$(median <"$dir/present.times")
echo "pull of a 6-layer ${size} MB image from a local registry, median of $runs runs (seconds):"
echo "  ctr-pull                       $ctr"
echo "  podman pull (vfs)              $pod"
echo "  skopeo copy docker:// oci:     $sko"
echo "  ctr-pull / podman pull         $(echo "scale=2; $ctr / $pod" | bc)"
echo "  ctr-pull / skopeo copy         $(echo "scale=2; $ctr / $sko" | bc)"
echo "ctr-pull with every blob present, median of $((runs * 2)) runs: $(echo "$present * 1000" | bc | cut -d. -f1) ms"

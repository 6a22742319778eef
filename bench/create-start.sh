#!/usr/bin/env bash
# bench/create-start.sh [RUNS]: two figures, side by side in one run.
#
# 1. Start latency: from `ctr-create … | ctr-start -d` to the container's first
#    output, against `podman run -d` of the same image (podman with runc,
#    cgroupfs, a private store). Both containers get their own network
#    namespace with loopback only (ctr's default; podman --network none) and
#    write one line into a FIFO bind-mounted from the host; the clock stops
#    when that line is read.
# 2. Create cost vs image size: ctr-create of a 1 GB one-layer image against a
#    1 MB one, once their layers are unpacked (the first create of each).
#
# Prints the median of RUNS (default 10). Needs root, `make fixtures`, podman.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-10}
bin=$top/bin
tar=$top/build/fixtures/busybox.tar
[ -x "$bin/ctr-create" ] || { echo "build first: make" >&2; exit 1; }
[ -f "$tar" ] || { echo "make fixtures first" >&2; exit 1; }
command -v podman >/dev/null || { echo "podman is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/ctr-bench-create.XXXXXX)
export CTR_ROOT=$work/store CTR_RUNTIME_ROOT=$work/run CTR_CGROUP_PARENT=/ctr-bench
export CTR_RUNTIME=${CTR_RUNTIME:-$(command -v runc)}
pod=(podman --root "$work/podman/root" --runroot "$work/podman/runroot" --storage-driver overlay
     --runtime runc --cgroup-manager cgroupfs --events-backend file)
nofile=$(ulimit -Hn)
nproc=4096  # podman cannot set the hard limit itself here
cleanup() {
    "${pod[@]}" rm -af >/dev/null 2>&1 || true
    "${pod[@]}" rmi -af >/dev/null 2>&1 || true
    for d in "$CTR_ROOT"/containers/*/; do
        [ -d "$d" ] && PATH=$bin:$top/scripts:$PATH ctr-rm -f "$(basename "$d")" >/dev/null 2>&1 || true
    done
    grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    find /sys/fs/cgroup -depth -type d -name 'ctr-bench' -exec sh -c 'find "$1" -depth -type d -exec rmdir {} + 2>/dev/null' _ {} \; 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/run" "$work/fifo"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v ns="$1" 'BEGIN {printf "%.1f", ns / 1e6}'; }

"$bin/ctr-import" -q "$tar" busybox:bench >/dev/null
"${pod[@]}" import -q "$tar" localhost/busybox:bench >/dev/null

fifo=$work/fifo/f
mkfifo "$fifo"
# One timed start: the command is run detached, then the line is read.
time_start() {
    local t0 t1 line
    t0=$(now)
    "$@" >/dev/null
    read -r line <"$fifo"
    t1=$(now)
    [ "$line" = ready ] || { echo "unexpected: $line" >&2; exit 1; }
    echo $((t1 - t0))
}

ctr_run() {
    "$bin/ctr-create" --rm -v "$work/fifo:/out" busybox:bench sh -c 'echo ready >/out/f' | "$bin/ctr-start" -d
}
podman_run() {
    "${pod[@]}" run -d --rm --network none --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" -v "$work/fifo:/out" \
        localhost/busybox:bench sh -c 'echo ready >/out/f'
}

# Warm up each once (caches, unpacked layers).
time_start ctr_run >/dev/null
time_start podman_run >/dev/null
ctr_times=() pod_times=()
for _ in $(seq "$runs"); do
    ctr_times+=("$(time_start ctr_run)")
    pod_times+=("$(time_start podman_run)")
done
c=$(printf '%s\n' "${ctr_times[@]}" | median)
p=$(printf '%s\n' "${pod_times[@]}" | median)
echo "start to first output, median of $runs (ms):"
echo "  ctr-create | ctr-start -d   $(ms "$c")"
echo "  podman run -d (runc)        $(ms "$p")"
awk -v c="$c" -v p="$p" 'BEGIN {printf "  podman / ctr                %.1fx\n", p / c}'

# 2. A 1 GB image and a 1 MB one (one layer each).
mkdir -p "$work/big/data" "$work/small/data"
cp -a "$top/build/fixtures/busybox/." "$work/big/"
cp -a "$top/build/fixtures/busybox/." "$work/small/"
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$work/big/data/blob"
head -c $((1024 * 1024)) /dev/urandom >"$work/small/data/blob"
tar -C "$work/big" -c . | "$bin/ctr-import" -q - big:bench >/dev/null
tar -C "$work/small" -c . | "$bin/ctr-import" -q - small:bench >/dev/null
rm -rf "$work/big" "$work/small"
create_time() {
    local t0 t1 id
    t0=$(now)
    id=$("$bin/ctr-create" "$1" true)
    t1=$(now)
    PATH=$bin:$top/scripts:$PATH ctr-rm "$id" >/dev/null
    echo $((t1 - t0))
}
create_time big:bench >/dev/null
create_time small:bench >/dev/null
big=() small=()
for _ in $(seq "$runs"); do
    big+=("$(create_time big:bench)")
    small+=("$(create_time small:bench)")
done
b=$(printf '%s\n' "${big[@]}" | median)
s=$(printf '%s\n' "${small[@]}" | median)
echo "ctr-create once the layers are unpacked, median of $runs (ms):"
echo "  1 MB image                  $(ms "$s")"
echo "  1 GB image                  $(ms "$b")"
awk -v b="$b" -v s="$s" 'BEGIN {printf "  1 GB / 1 MB                 %.2f\n", b / s}'

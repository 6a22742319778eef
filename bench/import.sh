#!/bin/sh
# bench/import.sh [SIZE_MB] [RUNS]: import a rootfs tar of about SIZE_MB
# (default 500) made from this machine's /usr, side by side with
# `podman import` of the same tar and with `gzip -1 | sha256sum` of the same
# bytes. Prints MB/s (median of RUNS, default 3, runs interleaved) and the
# ratios. Each run starts from an empty store. Needs root, podman, ctr built.
set -eu
size_mb=${1:-500}
runs=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
ctr_import=$top/bin/ctr-import
[ -x "$ctr_import" ] || { echo "bench/import.sh: build first (make)" >&2; exit 1; }
dir=$(mktemp -d /tmp/ctr-bench.XXXXXX)
cleanup() {
    grep " $dir" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# The tar: regular files of /usr under 20 MB, in path order, up to SIZE_MB.
find /usr -xdev -type f -size -20M -printf '%s %p\n' 2>/dev/null | sort -k2 |
    awk -v max=$((size_mb * 1000000)) '{ s += $1 + 512; if (s > max) exit; print $2 }' >"$dir/files"
tar -cf "$dir/rootfs.tar" -T "$dir/files" 2>/dev/null
bytes=$(stat -c %s "$dir/rootfs.tar")
cat "$dir/rootfs.tar" >/dev/null  # warm the page cache for every contender

now() { date +%s.%N; }
# seconds COMMAND...: wall time of COMMAND, its output discarded.
seconds() {
    t0=$(now)
    "$@" >/dev/null 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
run_ctr() {
    rm -rf "$dir/ctr"
    CTR_ROOT=$dir/ctr "$ctr_import" -q "$dir/rootfs.tar" bench:1
}
run_podman() {
    cleanup_podman
    podman --root "$dir/podman/root" --runroot "$dir/podman/run" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend none import -q "$dir/rootfs.tar" bench:1
}
cleanup_podman() {
    grep " $dir/podman" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$dir/podman"
}
run_gzip() { gzip -1 <"$dir/rootfs.tar" | sha256sum; }

: >"$dir/ctr.t"; : >"$dir/podman.t"; : >"$dir/gzip.t"
i=0
while [ $i -lt "$runs" ]; do
    seconds run_ctr >>"$dir/ctr.t"
    seconds run_podman >>"$dir/podman.t"
    seconds run_gzip >>"$dir/gzip.t"
    i=$((i + 1))
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
c=$(median "$dir/ctr.t"); p=$(median "$dir/podman.t"); g=$(median "$dir/gzip.t")
layer=$(ls -S "$dir/ctr/oci/blobs/sha256" | head -1)
lsize=$(stat -c %s "$dir/ctr/oci/blobs/sha256/$layer")
mbs() { echo "scale=1; $bytes / 1000000 / $1" | bc -l; }
printf 'tar: %s MB (%s files); ctr layer: %s MB gzip; %s runs, median\n' \
    "$((bytes / 1000000))" "$(wc -l <"$dir/files")" "$((lsize / 1000000))" "$runs"
printf '%-26s %8.2f s %8s MB/s\n' "ctr-import" "$c" "$(mbs "$c")"
printf '%-26s %8.2f s %8s MB/s\n' "podman import" "$p" "$(mbs "$p")"
printf '%-26s %8.2f s %8s MB/s\n' "gzip -1 | sha256sum" "$g" "$(mbs "$g")"
printf 'ctr-import vs podman import: %sx faster; vs gzip -1 | sha256sum: %sx\n' \
    "$(echo "scale=2; $p / $c" | bc -l)" "$(echo "scale=2; $g / $c" | bc -l)"

#!/usr/bin/env bash
# bench/exec.sh [RUNS]: latency of `exec` of /bin/true into a running
# container under ctr-run, crun and runc, side by side.
#
# Each runtime runs its own container (`run -d` of `sleep` in the same busybox
# bundle), then execs /bin/true into it RUNS times in the foreground (it
# waits for the exit), interleaved (ctr-run, crun, runc, ctr-run, ...) so the
# three see the same machine noise; each exec is timed with bash's
# $EPOCHREALTIME (no fork in the measurement). Everything runs in a private
# mount namespace where /sys/fs/cgroup/unified is unmounted, because crun
# refuses this host's hybrid cgroup layout otherwise. Prints medians, means of
# the middle half, and ratios to crun. Needs root, `make all fixtures`, crun
# and runc. CTR_RUN_BIN picks another ctr-run binary.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-300}

if [ "${CTR_BENCH_INNER:-}" != 1 ]; then
    [ -x bin/ctr-run ] && [ -d build/fixtures/busybox ] || { echo "run make all fixtures first" >&2; exit 1; }
    exec unshare -m env CTR_BENCH_INNER=1 bash "$0" "$@"
fi
mount --make-rprivate /
umount /sys/fs/cgroup/unified 2>/dev/null || true

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
id=ctr-bench-exec-${work##*.}
declare -A rt=(
    [ctr-run]="${CTR_RUN_BIN:-$top/bin/ctr-run} --root $work/ctr-run"
    [crun]="crun --root $work/crun"
    [runc]="runc --root $work/runc"
)
names=(ctr-run crun runc)
cleanup() {
    for n in "${names[@]}"; do ${rt[$n]} delete --force "$id" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bundle"
cp -al build/fixtures/busybox "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's|"sh"$|"sleep", "100000"|' "$work/bundle/config.json"
grep -q '"sleep", "100000"' "$work/bundle/config.json"
cd "$work/bundle"

for n in "${names[@]}"; do
    ${rt[$n]} run -d "$id" </dev/null >/dev/null 2>&1
    : >"$work/$n.times"
done
# Warm up the page cache and the binaries; check each exec works.
for n in "${names[@]}"; do
    for i in 1 2 3; do ${rt[$n]} exec "$id" /bin/true; done
done

for ((i = 0; i < runs; i++)); do
    for n in "${names[@]}"; do
        t0=$EPOCHREALTIME
        ${rt[$n]} exec "$id" /bin/true
        t1=$EPOCHREALTIME
        echo "$t0 $t1" | awk '{printf "%.3f\n", ($2 - $1) * 1000}' >>"$work/$n.times"
    done
done

stats() { # median and the mean of the middle half, in ms
    sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
        lo=int(NR/4)+1; hi=int(3*NR/4); s=0; for(i=lo;i<=hi;i++) s+=a[i];
        printf "%.2f %.2f\n", m, s/(hi-lo+1)}'
}
crun_median=$(stats "$work/crun.times" | cut -d' ' -f1)
printf '%-8s %10s %14s %12s\n' runtime "median ms" "mid-mean ms" "vs crun"
for n in "${names[@]}"; do
    read -r med mid < <(stats "$work/$n.times")
    printf '%-8s %10s %14s %12s\n' "$n" "$med" "$mid" "$(awk -v a="$med" -v b="$crun_median" 'BEGIN{printf "%.2fx", a/b}')"
done
echo "($runs execs each, interleaved; load average: $(cut -d' ' -f1-3 /proc/loadavg))"

#!/usr/bin/env bash
# bench/exec.sh [RUNS]: latency of `exec` of /bin/true into a running
# container under ctr-run, crun and runc, side by side.
#
# Each runtime runs its own container (`run -d` of `sleep` in the same busybox
# bundle), then execs /bin/true into it RUNS times in the foreground (it
# waits for the exit), interleaved in an order that rotates each round
# (ctr-run crun runc, crun runc ctr-run, ...: see bench_rotation), so the
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
. bench/runtimes.sh
bench_private_cgroups "$@"

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
bench_bundle "$work/bundle" sleep 100000
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
    for n in $(bench_rotation "$i" "${names[@]}"); do
        bench_time "$work/$n.times" ${rt[$n]} exec "$id" /bin/true
    done
done

bench_report "$work" "${names[@]}"
echo "($runs execs each, interleaved, rotating; load average: $(cut -d' ' -f1-3 /proc/loadavg))"

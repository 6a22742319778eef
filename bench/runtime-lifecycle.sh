#!/usr/bin/env bash
# bench/runtime-lifecycle.sh [RUNS]: latency of `run` of /bin/true in the same
# busybox bundle under ctr-run, crun and runc, side by side.
#
# The runs are interleaved in an order that rotates each round (ctr-run crun
# runc, crun runc ctr-run, ...: see bench_rotation), so the three see the same
# machine noise and follow each other equally often; each is timed with bash's
# $EPOCHREALTIME (no fork in the measurement). Everything runs in a private
# mount namespace where /sys/fs/cgroup/unified is unmounted, because crun
# refuses this host's hybrid cgroup layout otherwise. Prints medians, means of
# the middle half, and ratios to crun. Needs root, `make all fixtures`, crun and runc.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-300}
. bench/runtimes.sh
bench_private_cgroups "$@"

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bench_bundle "$work/bundle" /bin/true
cd "$work/bundle"

declare -A cmd=(
    [ctr-run]="${CTR_RUN_BIN:-$top/bin/ctr-run} --root $work/ctr-run run"
    [crun]="crun --root $work/crun run"
    [runc]="runc --root $work/runc run"
)
names=(ctr-run crun runc)
for n in "${names[@]}"; do : >"$work/$n.times"; done
# Warm up the page cache and the binaries.
for n in "${names[@]}"; do ${cmd[$n]} warm-$n >/dev/null; done

for ((i = 0; i < runs; i++)); do
    for n in $(bench_rotation "$i" "${names[@]}"); do
        bench_time "$work/$n.times" ${cmd[$n]} "b$i-$n" >/dev/null
    done
done

bench_report "$work" "${names[@]}"
echo "($runs runs each, interleaved, rotating; load average: $(cut -d' ' -f1-3 /proc/loadavg))"

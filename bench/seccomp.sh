#!/usr/bin/env bash
# bench/seccomp.sh [RUNS]: what setting up Docker's default seccomp profile
# costs a container start, side by side:
#   ctr      libcommon's SeccompFilter (compile + load), without and with
#            its cache of compiled programs (compile_cached), through
#            build/tests/tools/ctr-runtime-probe running /bin/true
#   runc     `runc run` of /bin/true with the profile minus without it
#   crun     the same with crun (in a private mount namespace without the
#            hybrid unified mount, which crun refuses)
# The profile is share/seccomp/default.json resolved for runc spec's
# capabilities (x86_64 + x86 + x32). Prints each median of RUNS (default 11)
# wall-clock milliseconds and the seccomp cost (with minus without).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-11}
probe=$top/build/tests/tools/ctr-runtime-probe
rootfs=$top/build/fixtures/busybox
[ -x "$probe" ] || { echo "build first: make tools" >&2; exit 1; }
[ -d "$rootfs" ] || { echo "make fixtures first" >&2; exit 1; }

work=$(mktemp -d /tmp/ctr-bench-seccomp.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle"
cp -al "$rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec)
caps=$(jq -r '.process.capabilities.bounding[]' "$work/bundle/config.json")
# shellcheck disable=SC2086 # the capability list is meant to split
"$probe" seccomp profile share/seccomp/default.json $caps >"$work/seccomp.json"
echo null >"$work/none.json"
jq '.process.args = ["/bin/true"] | .process.terminal = false | del(.linux.seccomp)' \
    "$work/bundle/config.json" >"$work/plain.json"
jq --slurpfile s "$work/seccomp.json" '.linux.seccomp = $s[0]' "$work/plain.json" >"$work/filtered.json"

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1000000}'; }
# median_ms CMD...: the median wall time of RUNS runs, in ms.
median_ms() {
    local i t0 t1
    for i in $(seq "$runs"); do
        t0=$(now_ms)
        "$@" >/dev/null 2>&1 </dev/null
        t1=$(now_ms)
        awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
    done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
runtime_run() {  # RUNTIME CONFIG
    cp "$work/$2" "$work/bundle/config.json"
    "$1" --root "$work/state-$1" run --bundle "$work/bundle" "ctrbench$$"
}
crun_run() {
    unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' _ \
        crun --root "$work/state-crun" run --bundle "$work/bundle" "ctrbench$$"
}
crun_with() { cp "$work/$1" "$work/bundle/config.json"; crun_run; }

ctr_none=$(median_ms "$probe" seccomp run "$work/none.json" -- /bin/true)
ctr_cold=$(median_ms "$probe" seccomp run "$work/seccomp.json" -- /bin/true)
"$probe" seccomp run --cache "$work/cache" "$work/seccomp.json" -- /bin/true
ctr_cached=$(median_ms "$probe" seccomp run --cache "$work/cache" "$work/seccomp.json" -- /bin/true)
runc_none=$(median_ms runtime_run runc plain.json)
runc_with=$(median_ms runtime_run runc filtered.json)
crun_none=$(median_ms crun_with plain.json)
crun_with=$(median_ms crun_with filtered.json)

diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a - b}'; }
printf '%-28s %10s %10s %12s\n' "" "without" "with" "seccomp cost"
printf '%-28s %10s %10s %12s\n' "ctr SeccompFilter (compile)" "$ctr_none" "$ctr_cold" "$(diff_ms "$ctr_cold" "$ctr_none")"
printf '%-28s %10s %10s %12s\n' "ctr SeccompFilter (cached)" "$ctr_none" "$ctr_cached" "$(diff_ms "$ctr_cached" "$ctr_none")"
printf '%-28s %10s %10s %12s\n' "runc run" "$runc_none" "$runc_with" "$(diff_ms "$runc_with" "$runc_none")"
printf '%-28s %10s %10s %12s\n' "crun run" "$crun_none" "$crun_with" "$(diff_ms "$crun_with" "$crun_none")"

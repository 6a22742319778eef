# Shared by the scripts that time ctr-run beside crun and runc
# (bench/runtime-lifecycle.sh, bench/exec.sh); source it from the top of the
# source tree.

# bench_private_cgroups "$@": re-runs the calling script in a private mount
# namespace where /sys/fs/cgroup/unified is unmounted, because crun refuses
# this host's hybrid cgroup layout otherwise (ctr-run and runc see the same
# v1 hierarchies). Needs `make all fixtures`.
bench_private_cgroups() {
    if [ "${CTR_BENCH_INNER:-}" != 1 ]; then
        [ -x bin/ctr-run ] && [ -d build/fixtures/busybox ] || { echo "run make all fixtures first" >&2; exit 1; }
        exec unshare -m env CTR_BENCH_INNER=1 bash "$0" "$@"
    fi
    mount --make-rprivate /
    umount /sys/fs/cgroup/unified 2>/dev/null || true
}

# bench_bundle DIR ARG...: a `runc spec` bundle in DIR over the busybox
# rootfs, without a terminal, whose process runs ARG...
bench_bundle() {
    local dir=$1 args
    shift
    mkdir -p "$dir"
    cp -al build/fixtures/busybox "$dir/rootfs"
    (cd "$dir" && runc spec)
    args=$(printf '"%s", ' "$@")
    sed -i -e 's/"terminal": true/"terminal": false/' -e "s|\"sh\"\$|${args%, }|" "$dir/config.json"
    grep -q "${args%, }" "$dir/config.json"
}

# bench_rotation I NAME...: NAME... rotated left by I. Round i of a benchmark
# runs the runtimes in this order, so each one follows each of the others
# as often: a runtime's exit leaves work to the kernel (a network namespace
# to clean up, cgroups to free) that slows whatever runs next, and a fixed
# order would always hand one runtime the same predecessor's leftovers.
bench_rotation() {
    local i=$1
    shift
    local n=$#
    local names=("$@") k
    for ((k = 0; k < n; k++)); do echo "${names[(i + k) % n]}"; done
}

# bench_report DIR NAME...: for each NAME, the median and the mean of the
# middle half of the milliseconds in DIR/NAME.times, and the median's ratio
# to crun's.
bench_report() {
    local dir=$1 n med mid crun_median
    shift
    crun_median=$(bench_stats "$dir/crun.times" | cut -d' ' -f1)
    printf '%-8s %10s %14s %12s\n' runtime "median ms" "mid-mean ms" "vs crun"
    for n in "$@"; do
        read -r med mid < <(bench_stats "$dir/$n.times")
        printf '%-8s %10s %14s %12s\n' "$n" "$med" "$mid" \
            "$(awk -v a="$med" -v b="$crun_median" 'BEGIN{printf "%.2fx", a/b}')"
    done
}

# bench_stats FILE: the median and the mean of the middle half of FILE's numbers.
bench_stats() {
    sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
        lo=int(NR/4)+1; hi=int(3*NR/4); s=0; for(i=lo;i<=hi;i++) s+=a[i];
        printf "%.2f %.2f\n", m, s/(hi-lo+1)}'
}

# bench_time FILE CMD...: runs CMD and appends its wall time in ms to FILE
# (bash's $EPOCHREALTIME: no fork in the measurement).
bench_time() {
    local file=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    "$@"
    t1=$EPOCHREALTIME
    echo "$t0 $t1" | awk '{printf "%.3f\n", ($2 - $1) * 1000}' >>"$file"
}

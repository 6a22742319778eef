#!/bin/sh
# bench/ps-logs.sh [N] [LOG_MB] [IMAGES]: `ctr-ps -a` over N created containers
# (default 1000) in a store that also holds IMAGES images (default 200), side
# by side with `podman ps -a` over as many podman containers and images
# (private root under a temp dir), and `ctr-logs --tail 10` of a LOG_MB
# (default 1000) json-file log. Prints the median wall time of 11 runs of
# each, and the median CPU time (user + system) they took, which a loaded
# machine inflates less. Needs root, podman, ctr built (make) and the busybox
# fixture (make fixtures).
set -eu
n=${1:-1000}
log_mb=${2:-1000}
images=${3:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
tar=$top/build/fixtures/busybox.tar
[ -x "$bin/ctr-ps" ] && [ -f "$tar" ] || { echo "bench/ps-logs.sh: run make and make fixtures first" >&2; exit 1; }
dir=$(mktemp -d /tmp/ctr-bench.XXXXXX)
P="podman --root $dir/proot --runroot $dir/prun --cgroup-manager cgroupfs --events-backend file"
cleanup() {
    $P rm -af >/dev/null 2>&1 || true
    grep " $dir" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# median_ms COMMAND...: "WALL CPU", the median wall time of 11 runs and the
# median CPU time (user + system) of the command, in milliseconds.
median_ms() {
    python3 - "$@" <<'PY'
import os, statistics, subprocess, sys, time
wall, cpu = [], []
for _ in range(11):
    t = time.perf_counter()
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall.append((time.perf_counter() - t) * 1000)
    cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
    if status != 0:
        sys.exit("%s failed" % sys.argv[1])
print("%.1f %.1f" % (statistics.median(wall), statistics.median(cpu)))
PY
}

# tars COUNT: a tiny distinct rootfs tar per image, $dir/img/1.tar ... COUNT.tar.
tars() {
    mkdir -p "$dir/img"
    i=1
    while [ $i -le "$1" ]; do
        echo "$i" >"$dir/img/f"
        tar -C "$dir/img" -cf "$dir/img/$i.tar" f
        i=$((i + 1))
    done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
tars "$images"
export CTR_ROOT=$dir/ctr
"$bin/ctr-import" -q "$tar" busybox >/dev/null
i=1
while [ $i -le "$images" ]; do
    "$bin/ctr-import" -q "$dir/img/$i.tar" "gen/$i" >/dev/null
    i=$((i + 1))
done
one=$("$bin/ctr-create" busybox true)
# N-1 more records, each a copy of a real one with its own id and name.
python3 - "$CTR_ROOT/containers" "$one" "$n" <<'PY'
import json, os, sys
root, one, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rec = json.load(open(os.path.join(root, one, "container.json")))
for i in range(1, n):
    rec["Id"] = "%064x" % (0xbe00 * 10**9 + i)
    rec["Name"] = "bench%d" % i
    os.mkdir(os.path.join(root, rec["Id"]))
    json.dump(rec, open(os.path.join(root, rec["Id"], "container.json"), "w"), indent=2)
PY
[ "$("$bin/ctr-ps" -aq | wc -l)" = "$n" ]
ctr_ps=$(median_ms "$bin/ctr-ps" -a)

$P import -q "$tar" bb >/dev/null
i=1
while [ $i -le "$images" ]; do
    $P import -q "$dir/img/$i.tar" "gen/$i" >/dev/null
    i=$((i + 1))
done
i=0
while [ $i -lt "$n" ]; do
    $P create -q --ulimit nofile=1024:1024 bb true >/dev/null
    i=$((i + 1))
done
[ "$($P ps -aq | wc -l)" = "$n" ]
podman_ps=$(median_ms $P ps -a)

# A LOG_MB log of 100-byte lines in the container's log.json.
python3 - "$CTR_ROOT/containers/$one/log.json" "$log_mb" <<'PY'
import sys
line = '{"log":"%s\\n","stream":"stdout","time":"2026-01-01T00:00:00.000000000Z"}\n' % ("x" * 24)
block = line * 10000
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2]) * 1000000 // len(block)):
        f.write(block)
PY
size=$(stat -c %s "$CTR_ROOT/containers/$one/log.json")
[ "$("$bin/ctr-logs" --tail 10 "$one" | wc -l)" = 10 ]
tail_ms=$(median_ms "$bin/ctr-logs" --tail 10 "$one")

wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }
ratio() { echo "$1 / $2" | bc -l | cut -c1-5; }
echo "containers: $n, images: $images (+1); load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ctr-ps -a:        $(wall "$ctr_ps") ms (CPU $(cpu "$ctr_ps") ms)"
echo "podman ps -a:     $(wall "$podman_ps") ms (CPU $(cpu "$podman_ps") ms)"
echo "ratio podman/ctr: $(ratio "$(wall "$podman_ps")" "$(wall "$ctr_ps")") (CPU $(ratio "$(cpu "$podman_ps")" "$(cpu "$ctr_ps")"))"
echo "ctr-logs --tail 10 of a $((size / 1000000)) MB log: $(wall "$tail_ms") ms (CPU $(cpu "$tail_ms") ms)"

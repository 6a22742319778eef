#!/bin/sh
# bench/ps-logs.sh [N] [LOG_MB]: `ctr-ps -a` over N created containers (default
# 1000) side by side with `podman ps -a` over N podman containers (private
# root under a temp dir), and `ctr-logs --tail 10` of a LOG_MB (default 1000)
# json-file log. Prints the median of 11 runs of each. Needs root, podman,
# ctr built (make) and the busybox fixture (make fixtures).
set -eu
n=${1:-1000}
log_mb=${2:-1000}
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

# median_ms COMMAND...: the median wall time of 11 runs, in milliseconds.
median_ms() {
    python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
ts = []
for _ in range(11):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    ts.append((time.perf_counter() - t) * 1000)
print("%.1f" % statistics.median(ts))
PY
}

export CTR_ROOT=$dir/ctr
"$bin/ctr-import" -q "$tar" busybox >/dev/null
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

echo "containers: $n"
echo "ctr-ps -a:        $ctr_ps ms"
echo "podman ps -a:     $podman_ps ms"
echo "ratio podman/ctr: $(echo "$podman_ps / $ctr_ps" | bc -l | cut -c1-5)"
echo "ctr-logs --tail 10 of a $((size / 1000000)) MB log: $tail_ms ms"

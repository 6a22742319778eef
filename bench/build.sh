#!/usr/bin/env bash
# bench/build.sh [RUNS]: ctr-build against `buildah bud --layers --isolation chroot`
# on the same 10-step Dockerfile and context, side by side in one run:
#   cold    every step built (a fresh store holding only the base image)
#   cached  the same build again: every step from the cache
# Prints the median of RUNS (default 5) wall-clock times per tool and the
# ratios. Needs root, the busybox fixture (make fixtures) and buildah.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
runs=${1:-5}
bin=$top/bin
tar=$top/build/fixtures/busybox.tar
[ -x "$bin/ctr-build" ] || { echo "build first: make" >&2; exit 1; }
[ -f "$tar" ] || { echo "make fixtures first" >&2; exit 1; }
command -v buildah >/dev/null || { echo "buildah is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/ctr-bench-build.XXXXXX)
cleanup() {
    buildah --root "$work/buildah/root" --runroot "$work/buildah/runroot" --storage-driver overlay \
        rm -a >/dev/null 2>&1 || true
    buildah --root "$work/buildah/root" --runroot "$work/buildah/runroot" --storage-driver overlay \
        rmi -af >/dev/null 2>&1 || true
    grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The context: a few files, and a Dockerfile of 10 steps mixing RUN, COPY and config.
ctx=$work/ctx
mkdir -p "$ctx/src/lib"
for i in $(seq 1 20); do head -c 4096 /dev/urandom | base64 >"$ctx/src/lib/mod$i.txt"; done
printf '#!/bin/sh\necho "app $VERSION"\n' >"$ctx/src/app.sh"
echo "setting=1" >"$ctx/app.conf"
cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox:bench
ENV VERSION=1.0 APP_HOME=/opt/app
WORKDIR /opt/app
COPY src/ ./
RUN chmod 755 app.sh && mkdir -p /var/lib/app
RUN for i in 1 2 3 4 5; do echo "line $i" >> /var/lib/app/data; done
COPY app.conf /etc/app.conf
RUN rm -f lib/mod20.txt && mkdir -p /usr/local/bin && ln -s /opt/app/app.sh /usr/local/bin/app
LABEL org.example.bench=build
CMD ["app"]
EOF

# Base images: ctr's store gets busybox:bench from the fixture tar; buildah's
# storage gets the very same image through skopeo.
base=$work/base-ctx
mkdir -p "$base"
cp "$tar" "$base/busybox.tar"
printf 'FROM scratch\nADD busybox.tar /\nCMD ["sh"]\n' >"$base/Dockerfile"
CTR_ROOT=$work/ctr-base "$bin/ctr-build" -q -t busybox:bench "$base" >/dev/null

B=(buildah --root "$work/buildah/root" --runroot "$work/buildah/runroot" --storage-driver overlay)
skopeo copy -q "oci:$work/ctr-base/oci:busybox:bench" \
    "containers-storage:[overlay@$work/buildah/root+$work/buildah/runroot]localhost/busybox:bench"

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ctr_cold=() ctr_cached=() bud_cold=() bud_cached=()
for r in $(seq 1 "$runs"); do
    # ctr-build: a fresh store holding only the base image.
    rm -rf "$work/ctr" && cp -a "$work/ctr-base" "$work/ctr"
    t=$(now); CTR_ROOT=$work/ctr "$bin/ctr-build" -q -t app:bench "$ctx" >/dev/null; ctr_cold+=("$(elapsed "$t")")
    t=$(now); CTR_ROOT=$work/ctr "$bin/ctr-build" -q -t app:bench "$ctx" >/dev/null; ctr_cached+=("$(elapsed "$t")")

    # buildah: remove every image but the base, so nothing is cached.
    "${B[@]}" rmi -f app:bench >/dev/null 2>&1 || true
    "${B[@]}" rmi --prune >/dev/null 2>&1 || true
    for id in $("${B[@]}" images -a -q --no-trunc 2>/dev/null); do
        [ "$id" = "$("${B[@]}" images -q --no-trunc localhost/busybox:bench)" ] || "${B[@]}" rmi -f "$id" >/dev/null 2>&1 || true
    done
    t=$(now); "${B[@]}" bud --layers --isolation chroot -q -t app:bench "$ctx" >/dev/null 2>&1; bud_cold+=("$(elapsed "$t")")
    t=$(now); "${B[@]}" bud --layers --isolation chroot -q -t app:bench "$ctx" >/dev/null 2>&1; bud_cached+=("$(elapsed "$t")")
done

# Both really built the image.
CTR_ROOT=$work/ctr "$bin/ctr-build" -q -t app:bench "$ctx" >/dev/null
"${B[@]}" inspect localhost/app:bench >/dev/null || { echo "buildah did not build app:bench" >&2; exit 1; }

mc=$(printf '%s\n' "${ctr_cold[@]}" | median)
mk=$(printf '%s\n' "${ctr_cached[@]}" | median)
bc_=$(printf '%s\n' "${bud_cold[@]}" | median)
bk=$(printf '%s\n' "${bud_cached[@]}" | median)
runtime=$(CTR_ROOT=$work/ctr "$bin/ctr-build" --help >/dev/null; [ -n "${CTR_RUNTIME:-}" ] && echo "$CTR_RUNTIME" || { [ -x "$bin/ctr-run" ] && echo ctr-run || echo runc; })
printf 'build benchmark: 10-step Dockerfile, %s runs each, median seconds (RUN steps through %s)\n' "$runs" "$runtime"
printf '%-28s %10s %10s\n' "" "cold" "cached"
printf '%-28s %10.3f %10.3f\n' "ctr-build" "$mc" "$mk"
printf '%-28s %10.3f %10.3f\n' "buildah bud --layers" "$bc_" "$bk"
printf '%-28s %9.1fx %9.1fx\n' "buildah / ctr-build" "$(echo "$bc_ / $mc" | bc -l)" "$(echo "$bk / $mk" | bc -l)"

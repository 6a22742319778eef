# Helpers for the image-store tests (import, images, inspect).

# import_busybox [TAG]: the busybox fixture as an image; prints its id.
import_busybox() {
    tar -C "$BUSYBOX_ROOTFS" -c . | ctr-import -q - "${1:-busybox:latest}"
}

# The state of the store a failed command must leave alone.
store_snapshot() {
    { cat "$CTR_ROOT/oci/index.json"; ls "$CTR_ROOT/oci/blobs/sha256"; ls -A "$CTR_ROOT/tmp"; ls -A "$CTR_ROOT/layers"; } 2>/dev/null
}

# make_tar OUT SPEC...: a tar made by python's tarfile with hostile or special
# entries. SPEC is file:NAME, dir:NAME, symlink:NAME:TARGET, hardlink:NAME:TARGET.
make_tar() {
    local out=$1
    shift
    python3 - "$out" "$@" <<'PY'
import io, sys, tarfile
out, specs = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for spec in specs:
        kind, name, *rest = spec.split(":")
        ti = tarfile.TarInfo(name)
        data = b""
        if kind == "file":
            data = b"data\n"
            ti.size = len(data)
        elif kind == "dir":
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
        elif kind == "symlink":
            ti.type = tarfile.SYMTYPE
            ti.linkname = rest[0]
        elif kind == "hardlink":
            ti.type = tarfile.LNKTYPE
            ti.linkname = rest[0]
        t.addfile(ti, io.BytesIO(data) if data else None)
PY
}

# make_images N: N small distinct one-layer images gen/N:latest (each a tiny tar).
make_images() {
    local d i
    d=$(mktemp -d "$TEST_DIR/img.XXXXXX")
    for i in $(seq 1 "$1"); do
        echo "$i" >"$d/f"
        tar -C "$d" -c f | ctr-import -q - "gen/$i" >/dev/null
    done
    rm -rf "$d"
}

# build_chain TAG [CONTENT [BASE]]: ctr-build of FROM BASE (default
# busybox:latest), COPY of a file holding CONTENT (default TAG), ENV T=TAG,
# CMD (no RUN: no runtime needed), tagged TAG. Prints the full image ids, one a line:
# the base's, then each step's (docker's classic build: each built on the one
# before).
build_chain() {
    local ctx short s
    ctx=$(mktemp -d "$TEST_DIR/ctx.XXXXXX")
    echo "${2:-$1}" >"$ctx/f"
    printf 'FROM %s\nCOPY f /f\nENV T=%s\nCMD ["cat", "/f"]\n' "${3:-busybox:latest}" "$1" >"$ctx/Dockerfile"
    short=$(ctr-build -t "$1" "$ctx" | sed -n 's/^ ---> \([0-9a-f]\{12\}\)$/\1/p') || return 1
    for s in $short; do ctr-inspect -f '{{.Id}}' "$s" || return 1; done
}

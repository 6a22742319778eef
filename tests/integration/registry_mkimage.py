#!/usr/bin/env python3
"""registry_mkimage.py LAYOUT NAME [--platform OS/ARCH[/VARIANT]]... [--cmd CMD] TAR...

Writes an OCI image layout (creating it if needed) holding one image made of
the given uncompressed layer tars (gzipped here, mtime 0, so the result is the
same on every run), tagged NAME in index.json. With one --platform (default
linux/amd64) NAME is an image manifest; with several it is an image index with
one manifest per platform (their configs differ only in the platform).
Used by the registry tests and bench/pull.sh to seed registries with skopeo.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import sys


def write_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)
    return "sha256:" + digest


def gzip_file(path):
    """(compressed bytes, sha256 of the uncompressed tar) without holding the tar twice."""
    out = io.BytesIO()
    h = hashlib.sha256()
    level = int(os.environ.get("MKIMAGE_GZIP_LEVEL", "6"))
    with open(path, "rb") as src, gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=level) as gz:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            gz.write(chunk)
    return out.getvalue(), "sha256:" + h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("layout")
    ap.add_argument("name")
    ap.add_argument("tars", nargs="+")
    ap.add_argument("--platform", action="append", default=[])
    ap.add_argument("--cmd", default="/bin/sh")
    ap.add_argument("--index", action="store_true", help="write an index even for one platform")
    a = ap.parse_args()
    platforms = a.platform or ["linux/amd64"]

    os.makedirs(os.path.join(a.layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(a.layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)

    layers, diff_ids = [], []
    for t in a.tars:
        data, diff_id = gzip_file(t)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": write_blob(a.layout, data), "size": len(data)})
        diff_ids.append(diff_id)

    manifests = []
    for p in platforms:
        parts = p.split("/")
        plat = {"os": parts[0], "architecture": parts[1]}
        if len(parts) > 2:
            plat["variant"] = parts[2]
        config = dict(plat)
        config.update({
            "created": "2024-01-01T00:00:00Z",
            "config": {"Cmd": ["/bin/sh", "-c", a.cmd], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "registry_mkimage.py"} for _ in diff_ids],
        })
        cdata = json.dumps(config, sort_keys=True).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": write_blob(a.layout, cdata), "size": len(cdata)},
            "layers": layers,
        }
        mdata = json.dumps(manifest, indent=3).encode()
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "digest": write_blob(a.layout, mdata), "size": len(mdata), "platform": plat})

    if len(manifests) == 1 and not a.index:
        top = dict(manifests[0])
        top.pop("platform")
    else:
        idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                          "manifests": manifests}, indent=3).encode()
        top = {"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": write_blob(a.layout, idx), "size": len(idx)}
    top["annotations"] = {"org.opencontainers.image.ref.name": a.name}

    index_path = os.path.join(a.layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != a.name]
    index["manifests"].append(top)
    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(index_path + ".tmp", index_path)
    print(top["digest"])


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Edits an OCI layout's (only) image in place for tests, writing new blobs and a new index.json:

  fix-diff-ids LAYOUT          sets each diff_id to the sha256 of the layer as `zstd -dc` /
                               `gzip -dc` decodes it (skopeo 1.9.3's zstd:chunked copies keep the
                               source's diff_ids though their tars differ); prints how many changed
  annotate LAYOUT N KEY VALUE  sets annotation KEY of layer N (1 = bottom) to VALUE
  layer LAYOUT N               prints the path of layer N's blob
  flip LAYOUT N OFFSET         xors the byte at OFFSET of layer N's blob with 0x20, in place
                               (the blob no longer matches its digest, as a corrupted store)
"""
import hashlib
import json
import os
import subprocess
import sys


def path(layout, digest):
    return os.path.join(layout, "blobs", *digest.split(":"))


def put(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(path(layout, digest), "wb") as f:
        f.write(data)
    return digest


def load(layout):
    index = json.load(open(os.path.join(layout, "index.json")))
    desc = index["manifests"][0]
    manifest = json.load(open(path(layout, desc["digest"])))
    return index, desc, manifest


def save(layout, index, desc, manifest):
    data = json.dumps(manifest, separators=(",", ":")).encode()
    desc["digest"], desc["size"] = put(layout, data), len(data)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)


def fix_diff_ids(layout):
    index, desc, manifest = load(layout)
    config = json.load(open(path(layout, manifest["config"]["digest"])))
    changed = 0
    for i, layer in enumerate(manifest["layers"]):
        tool = "zstd" if layer["mediaType"].endswith("zstd") else "gzip"
        decoder = subprocess.Popen([tool, "-dc", path(layout, layer["digest"])],
                                   stdout=subprocess.PIPE)
        h = hashlib.sha256()
        for block in iter(lambda: decoder.stdout.read(1 << 20), b""):
            h.update(block)
        if decoder.wait() != 0:
            sys.exit("%s -dc failed on layer %d" % (tool, i + 1))
        if config["rootfs"]["diff_ids"][i] != "sha256:" + h.hexdigest():
            config["rootfs"]["diff_ids"][i] = "sha256:" + h.hexdigest()
            changed += 1
    if changed:
        data = json.dumps(config, separators=(",", ":")).encode()
        manifest["config"]["digest"], manifest["config"]["size"] = put(layout, data), len(data)
        save(layout, index, desc, manifest)
    print(changed)


def main(argv):
    command, layout = argv[1], argv[2]
    if command == "fix-diff-ids":
        fix_diff_ids(layout)
        return
    index, desc, manifest = load(layout)
    layer = manifest["layers"][int(argv[3]) - 1]
    if command == "annotate":
        layer.setdefault("annotations", {})[argv[4]] = argv[5]
        save(layout, index, desc, manifest)
    elif command == "layer":
        print(path(layout, layer["digest"]))
    elif command == "flip":
        with open(path(layout, layer["digest"]), "r+b") as f:
            f.seek(int(argv[4]))
            byte = f.read(1)[0]
            f.seek(int(argv[4]))
            f.write(bytes([byte ^ 0x20]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env bash
# Layers with a table of contents need no pass (issue 17 point 4): a zstd:chunked image made by
# skopeo and an eStargz image made by the fixture builder, each as a local OCI layout and pushed
# to Debian's docker-registry, mounted and compared whole with `umoci raw unpack` of a gzip copy
# (skopeo copy --dest-compress-format gzip);
# -v must say "index from TOC" for every layer and show no pass; a TOC whose digest is not its
# annotation's falls back to the pass with a warning; a chunk whose bytes changed gives EIO on
# read of its file, never other bytes; reading one small file of a big zstd:chunked image from
# the registry fetches <= 1% of the image's bytes (counted by tests/tools/fault_proxy.py).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"

command -v docker-registry > /dev/null || { say "SKIP: docker-registry is not installed"; exit 0; }
EDIT="$IMGMOUNT_SOURCE_DIR/tests/tools/oci_edit.py"
push() { skopeo copy -q --dest-tls-verify=false "$@"; }

# 1. A two-layer image (regular files small and of several chunks, empty files, hardlinks,
# symlinks, a device, a fifo, xattrs, nanosecond mtimes, long names, a whiteout and an opaque
# directory), written by Python's tarfile, copied by skopeo to zstd:chunked; the oracle unpacks
# a gzip copy of that copy. (Not the fixture's sample: skopeo 1.9.3's zstd:chunked writer
# breaks PAX sparse files.) skopeo 1.9.3 keeps the source's diff_ids though its tars differ:
# they are set right (oci_edit.py fix-diff-ids) so that a fallback pass can check them.
python3 - "$WORK/layer1.tar" "$WORK/layer2.tar" << 'PY'
import io, os, random, sys, tarfile
rng = random.Random(17)
def add(tar, name, kind=tarfile.REGTYPE, data=b"", **fields):
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mtime, info.mode = kind, len(data), 1700000000.25, 0o644
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if data else None)
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
    add(tar, "etc", tarfile.DIRTYPE, mode=0o755)
    add(tar, "etc/hosts", data=b"127.0.0.1 localhost\n", pax_headers={"SCHILY.xattr.user.k": "v"})
    add(tar, "etc/empty")
    add(tar, "etc/hosts-link", tarfile.LNKTYPE, linkname="etc/hosts")
    add(tar, "etc/sym", tarfile.SYMTYPE, linkname="hosts", mode=0o777)
    add(tar, "dev", tarfile.DIRTYPE, mode=0o755)
    add(tar, "dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
    add(tar, "dev/pipe", tarfile.FIFOTYPE)
    add(tar, "opt", tarfile.DIRTYPE, mode=0o755)
    add(tar, "opt/tree", tarfile.DIRTYPE, mode=0o755)
    add(tar, "opt/tree/old.txt", data=b"old\n")
    add(tar, "srv", tarfile.DIRTYPE, mode=0o755)
    add(tar, "srv/gone.txt", data=b"to be whited out\n")
    add(tar, "usr", tarfile.DIRTYPE, mode=0o755)
    add(tar, "usr/big.bin", data=rng.randbytes(3 << 20), mode=0o755, uid=1000, gid=1000)
    add(tar, "usr/text.txt", data=b"".join(b"line %d\n" % i for i in range(200000)),
        pax_headers={"SCHILY.xattr.user.note": "a note", "mtime": "1700000000.123456789"})
    add(tar, "usr/" + "long-name-" * 20, data=b"long\n")
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as tar:
    add(tar, "srv", tarfile.DIRTYPE, mode=0o755)
    add(tar, "srv/.wh.gone.txt")
    add(tar, "opt", tarfile.DIRTYPE, mode=0o755)
    add(tar, "opt/tree", tarfile.DIRTYPE, mode=0o700)
    add(tar, "opt/tree/.wh..wh..opq")
    add(tar, "opt/tree/new.txt", data=b"new\n")
    add(tar, "etc", tarfile.DIRTYPE, mode=0o755)
    add(tar, "etc/hosts", data=b"changed\n", mode=0o600)
PY
"$FIXTURE" wrap oci-dir "$WORK/src" "$WORK/layer1.tar" "$WORK/layer2.tar" --tag src:v1 > /dev/null
skopeo copy -q --dest-compress-format zstd:chunked "oci:$WORK/src:v1" "oci:$WORK/zc:v1"
python3 "$EDIT" fix-diff-ids "$WORK/zc" > /dev/null
skopeo copy -q --dest-compress-format gzip "oci:$WORK/zc:v1" "oci:$WORK/zc-gzip:v1" 2> /dev/null
oracle_unpack "$WORK/zc-gzip" v1 "$WORK/oracle"
layers=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))' < \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["manifests"][0]["digest"]; print(sys.argv[2] + "/blobs/" + d.replace(":", "/"))' "$WORK/zc/index.json" "$WORK/zc")")

# mounted_from_toc WHAT IMAGE [ORACLE]: mounts IMAGE with -v, checks that every layer's index
# came from its TOC and that the tree equals ORACLE's (default $WORK/oracle).
mounted_from_toc() {
  local what=$1 image=$2 oracle=${3:-$WORK/oracle} mnt="$WORK/mnt-$1"
  if ! mount_image "$image" "$mnt" -v 2> "$WORK/$what.err"; then
    fail "$what: mount failed: $(head -c 600 "$WORK/$what.err")"
    return 0
  fi
  local from_toc
  from_toc=$(grep -c "index from TOC" "$WORK/$what.err" || true)
  if [ "$from_toc" -eq "$layers" ] && ! grep -q "indexed in" "$WORK/$what.err"; then
    say "ok: $what: all $layers layers indexed from their TOC, no pass"
  else
    fail "$what: $from_toc of $layers layers from a TOC: $(cat "$WORK/$what.err")"
  fi
  compare_trees "$what" "$oracle" "$mnt"
  unmount_image "$mnt"
}
mounted_from_toc local "$WORK/zc"
# verify still makes a full pass: every layer's blob digest and diff_id checked.
expect_exit 0 "verify of the zstd:chunked image" "$IMGMOUNT" verify "$WORK/zc"
checked=$(grep -c "^ok .* diff_id sha256:" "$WORK/out.txt" || true)
[ "$checked" -eq "$layers" ] && say "ok: verify checked the diff_id of all $layers layers" ||
  fail "verify checked $checked diff_ids: $(cat "$WORK/out.txt")"

start_registry
start_proxy
say "registry on $REGISTRY, fault proxy on $PROXY"
push_raw "$WORK/zc" "zc:v1"
mounted_from_toc registry "docker://$PROXY/zc:v1"

# 2. A TOC whose digest is not its annotation's: one warning naming the layer, then the pass.
cp -a "$WORK/zc" "$WORK/zc-tampered"
key=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["manifests"][0]["digest"]; m=json.load(open(sys.argv[2] + "/blobs/" + d.replace(":", "/"))); print([k for k in m["layers"][0]["annotations"] if k.endswith("manifest-checksum")][0])' \
  "$WORK/zc/index.json" "$WORK/zc")
python3 "$EDIT" annotate "$WORK/zc-tampered" 1 "$key" "sha256:$(printf x | sha256sum | cut -c1-64)"
mnt="$WORK/mnt-tampered"
if mount_image "$WORK/zc-tampered" "$mnt" -v 2> "$WORK/tampered.err"; then
  if grep -q "layer 1 (.*table of contents not used (.*digest mismatch" "$WORK/tampered.err" &&
    grep -q "layer 1 (.*indexed in" "$WORK/tampered.err"; then
    say "ok: a TOC with the wrong digest falls back to the pass, with a warning"
  else
    fail "tampered TOC: $(cat "$WORK/tampered.err")"
  fi
  compare_trees "tampered TOC, after the pass" "$WORK/oracle" "$mnt"
  unmount_image "$mnt"
else
  fail "mount with a tampered TOC failed: $(head -c 600 "$WORK/tampered.err")"
fi

# 3. A chunk whose bytes changed in the blob: EIO on read of that file, not other bytes. The
# file: the largest regular file of the bottom layer (several chunks), changed in its middle.
cp -a "$WORK/zc" "$WORK/zc-flipped"
top=1
blob=$(python3 "$EDIT" layer "$WORK/zc-flipped" "$top")
read -r victim offset end < <(python3 - "$blob" << 'PY'
import json, struct, subprocess, sys
data = open(sys.argv[1], "rb").read()
offset, length = struct.unpack("<QQ", data[-40:-24])  # the 40-byte footer of skopeo 1.9
toc = json.loads(subprocess.run(["zstd", "-dc"], input=data[offset:offset + length],
                                stdout=subprocess.PIPE, check=True).stdout)
files = [e for e in toc["entries"] if e["type"] == "reg" and e.get("size", 0) > 0]
best = max(files, key=lambda e: e["size"])
print(best["name"].lstrip("./"), best["offset"], best["endOffset"])
PY
)
python3 "$EDIT" flip "$WORK/zc-flipped" "$top" $(((offset + end) / 2))
code=0
"$IMGMOUNT" cat "$WORK/zc-flipped" "$victim" > "$WORK/flipped.out" 2> "$WORK/flipped.err" || code=$?
if [ "$code" -ne 0 ] && grep -q "digest mismatch\|changed since indexing" "$WORK/flipped.err"; then
  say "ok: a changed chunk of $victim fails its read (exit $code): $(head -1 "$WORK/flipped.err")"
else
  fail "a changed chunk of $victim: exit $code: $(head -c 600 "$WORK/flipped.err")"
fi
code=0
"$IMGMOUNT" verify "$WORK/zc-flipped" > "$WORK/verify.out" 2>&1 || code=$?
[ "$code" -ne 0 ] && grep -q "^MISMATCH  layer $top .* blob" "$WORK/verify.out" &&
  say "ok: verify reports the changed blob (exit $code)" || fail "verify: $(cat "$WORK/verify.out")"
mnt="$WORK/mnt-flipped"
if mount_image "$WORK/zc-flipped" "$mnt"; then
  if cat "$mnt/$victim" > /dev/null 2> "$WORK/eio.err"; then
    fail "reading $victim with a changed chunk succeeded"
  elif grep -q "Input/output error" "$WORK/eio.err"; then
    say "ok: reading $victim through the mount gives EIO"
  else
    fail "reading $victim: $(cat "$WORK/eio.err")"
  fi
  # The file's first chunk is intact: its bytes read, and are the oracle's.
  if cmp -s <(head -c 1000 "$mnt/$victim") <(head -c 1000 "$WORK/oracle/$victim"); then
    say "ok: the intact first chunk of $victim still reads right"
  else
    fail "the first chunk of $victim does not read right"
  fi
  unmount_image "$mnt"
else
  fail "mount of the image with a changed chunk failed"
fi

# 4. An eStargz image written by the fixture builder (the sample: hardlinks into lower layers,
# whiteouts, opaque directories, xattrs, devices, long names; sparse files written whole),
# checked against independent readers first: GNU tar lists `gzip -dc` of each blob with the
# TOC's names (plus stargz.index.json), and Python finds the TOC from the footer, checks it
# against the annotation and every chunk's gzip member against its digest. Then mounted from the
# layout and from the registry, compared with umoci's unpack of a gzip copy, no pass.
"$FIXTURE" sample oci-dir estargz "$WORK/es" --tag es:v1 > /dev/null
python_agrees "the eStargz blobs" "GNU tar and Python's zlib" /dev/stdin "$WORK/es" << 'PY'
import hashlib, json, os, subprocess, sys, zlib
layout = sys.argv[1]
def path(digest):
    return os.path.join(layout, "blobs", *digest.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(path(index["manifests"][0]["digest"])))
chunks = 0
for n, layer in enumerate(manifest["layers"], 1):
    data = open(path(layer["digest"]), "rb").read()
    footer = data[-51:]
    assert footer[:4] == b"\x1f\x8b\x08\x04" and footer[12:14] == b"SG" and footer[32:38] == b"STARGZ", n
    toc_offset = int(footer[16:32], 16)
    toc_tar = zlib.decompressobj(31).decompress(data[toc_offset:-51])
    assert toc_tar[:17] == b"stargz.index.json", n
    size = int(toc_tar[124:136].strip(b"\0 "), 8)
    toc = toc_tar[512:512 + size]
    digest = "sha256:" + hashlib.sha256(toc).hexdigest()
    assert layer["annotations"]["containerd.io/snapshot/stargz/toc.digest"] == digest, n
    entries = json.loads(toc)["entries"]
    listed = subprocess.run("gzip -dc '%s' | tar tf -" % path(layer["digest"]), shell=True,
                            stdout=subprocess.PIPE, check=True).stdout.decode().split("\n")[:-1]
    # GNU tar lists names with backslash escapes.
    quoted = lambda name: name.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    names = [quoted(e["name"]) for e in entries if e["type"] != "chunk"] + ["stargz.index.json"]
    assert listed == names, (n, listed, names)
    for e in entries:
        if e["type"] in ("reg", "chunk") and "chunkDigest" in e:
            size = e.get("chunkSize") or e["size"]
            out = zlib.decompressobj(31).decompress(data[e["offset"]:toc_offset], size)
            assert "sha256:" + hashlib.sha256(out[:size]).hexdigest() == e["chunkDigest"], e
            chunks += 1
print("%d layers, %d chunks checked" % (len(manifest["layers"]), chunks))
PY
skopeo copy -q --dest-compress-format gzip "oci:$WORK/es:v1" "oci:$WORK/es-gzip:v1"
oracle_unpack "$WORK/es-gzip" v1 "$WORK/oracle-es"
layers=$(python3 -c 'import json,sys; print(len(set(l["digest"] for l in json.load(sys.stdin)["layers"])))' < \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["manifests"][0]["digest"]; print(sys.argv[2] + "/blobs/" + d.replace(":", "/"))' "$WORK/es/index.json" "$WORK/es")")
mounted_from_toc estargz-local "$WORK/es" "$WORK/oracle-es"
push_raw "$WORK/es" "es:v1"
mounted_from_toc estargz-registry "docker://$PROXY/es:v1" "$WORK/oracle-es"

# 5. Bytes fetched to read one small file of a big zstd:chunked image from the registry, in a
# fresh cache dir: the TOC and that file's chunk, <= 1% of the image's bytes.
python3 - "$WORK/big-layer.tar" << 'PY'
import io, os, sys, tarfile
with tarfile.open(sys.argv[1], "w") as tar:
    for name, size in [("big%d.bin" % i, 64 << 20) for i in range(4)] + [("small.txt", 100)]:
        info = tarfile.TarInfo(name)
        info.size, info.mtime = size, 1700000000
        data = os.urandom(size)
        if name == "small.txt":
            open(sys.argv[1] + ".small", "wb").write(data)
        tar.addfile(info, io.BytesIO(data))
PY
"$FIXTURE" wrap oci-dir "$WORK/big" "$WORK/big-layer.tar" --tag big:v1 > /dev/null
rm -f "$WORK/big-layer.tar"
skopeo copy -q --dest-compress-format zstd:chunked "oci:$WORK/big:v1" "oci:$WORK/big-zc:v1"
rm -rf "$WORK/big"
push_raw "$WORK/big-zc" "big:v1"
image_bytes=$(du -sb "$WORK/big-zc/blobs" | cut -f1)
rm -rf "$WORK/big-zc"
: > "$WORK/proxy.log"
XDG_CACHE_HOME="$WORK/fresh-cache" "$IMGMOUNT" cat -v "docker://$PROXY/big:v1" small.txt \
  > "$WORK/small.out" 2> "$WORK/small.err" || fail "cat small.txt: $(cat "$WORK/small.err")"
cmp -s "$WORK/small.out" "$WORK/big-layer.tar.small" || fail "small.txt read wrong"
grep -q "index from TOC" "$WORK/small.err" || fail "big image: no index from TOC: $(cat "$WORK/small.err")"
fetched=$(awk '$1 == "GET" && /\/blobs\// {s += $NF} END {print s + 0}' "$WORK/proxy.log")
if [ "$fetched" -le $((image_bytes / 100)) ]; then
  say "ok: one small file of a $image_bytes-byte zstd:chunked image: $fetched bytes fetched"
else
  fail "one small file fetched $fetched bytes of a $image_bytes-byte image (> 1%)"
  grep "^GET" "$WORK/proxy.log" | head -20
fi
# Again with the same cache dir: the TOC and the chunk come from the chunk cache, no request.
: > "$WORK/proxy.log"
XDG_CACHE_HOME="$WORK/fresh-cache" "$IMGMOUNT" cat "docker://$PROXY/big:v1" small.txt \
  > "$WORK/small2.out" 2> "$WORK/small2.err" || fail "cat small.txt again: $(cat "$WORK/small2.err")"
cmp -s "$WORK/small2.out" "$WORK/big-layer.tar.small" || fail "small.txt read wrong the second time"
requests=$(grep -c "^GET /v2/.*/blobs/" "$WORK/proxy.log" || true)
[ "$requests" -eq 0 ] && say "ok: reading it again from the chunk cache sent no blob request" ||
  fail "reading it again sent $requests blob requests"
finish

#!/usr/bin/env bash
# Nothing reports "complete" that a later check contradicts (issue 14 point 5):
#   - a cached index of a blob whose file changed since the image last used it (same size, bytes
#     damaged, mtime moved) is not trusted: `--wait` and `ls` index the layer again and fail with
#     the damage's exit code instead of returning 0 and failing on reads later. For a gzip layer
#     of a layout, a single-frame zstd layer (whose reads come from a local copy in the cache), a
#     gzip layer inside a docker-archive tar, and an archive compressed as a whole;
#   - a blob file merely touched is indexed again and still mounts (exit 0);
#   - `verify` of a layer whose compressed stream is corrupt (gzip CRC, zstd frame header) or
#     truncated, and of an archive compressed as a whole whose stream is corrupt, prints a
#     MISMATCH line and exits 1, in text and --json; the checks that fail are exactly those
#     Python's gzip/hashlib (and `zstd -t`) find wrong.
source "$(dirname "$0")/lib.sh"

mnt="$WORK/mnt"
mkdir -p "$mnt"
MOUNTS+=("$mnt")

# largest_layer LAYOUT: the path of the layout's largest layer blob (per its manifest).
largest_layer() {
  python3 - "$1" << 'PYEOF'
import json, sys
layout = sys.argv[1]
def blob(digest):
    return f"{layout}/blobs/sha256/{digest.split(':')[1]}"
index = json.load(open(f"{layout}/index.json"))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
print(blob(max(manifest["layers"], key=lambda l: l["size"])["digest"]))
PYEOF
}

# flip FILE OFFSET: inverts the bits of one byte in place, keeping the file's size.
flip() {
  python3 -c '
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0xff]))
' "$1" "$2"
}

# stale_case WHAT IMAGE WARNS DAMAGE...: a warm cache, then the damage, then --wait and ls must
# fail. WARNS=yes: the entry is shared by digest, and the re-indexing says that the blob changed
# (entries bound to the file's identity, and archive indexes, are simply not found).
stale_case() {
  local what=$1 image=$2 warns=$3
  shift 3
  rm -rf "$XDG_CACHE_HOME"
  mount_image "$image" "$mnt" || fail "$what: first mount failed"
  unmount_image "$mnt"
  "$@"
  local code=0
  timeout 300 "$IMGMOUNT" --wait "$image" "$mnt" 2> "$WORK/err.txt" || code=$?
  if [ "$code" -eq 0 ]; then
    fail "$what: --wait returned 0 from the cached index of a changed blob"
    unmount_image "$mnt"
    return 0
  fi
  [[ $code == 4 || $code == 5 ]] || fail "$what: --wait exit $code, expected 4 or 5"
  if [ "$warns" = yes ] && ! grep -q "changed since" "$WORK/err.txt"; then
    fail "$what: no warning that the blob changed: $(cat "$WORK/err.txt")"
  fi
  sleep 0.2
  grep -q " $mnt fuse" /proc/self/mounts && fail "$what: --wait left the failed mount"
  code=0
  "$IMGMOUNT" ls "$image" / > /dev/null 2> "$WORK/err.txt" || code=$?
  [[ $code == 4 || $code == 5 ]] || fail "$what: ls after the change: exit $code, expected 4 or 5"
  say "ok: $what: the changed blob is indexed again and refused (exit $code)"
}

# 1. A gzip layer of a layout: its CRC-32 damaged in place.
"$FIXTURE" sample oci-dir gzip "$WORK/gz" > /dev/null || fail "cannot build the gzip image"
gz_blob=$(largest_layer "$WORK/gz")
stale_case "gzip layer of a layout" "$WORK/gz" yes flip "$gz_blob" $(($(stat -c %s "$gz_blob") - 8))

# 2. Only touched: indexed again (a warning says why), and the mount is fine.
"$FIXTURE" sample oci-dir gzip "$WORK/touched" > /dev/null || fail "cannot build the gzip image"
rm -rf "$XDG_CACHE_HOME"
mount_image "$WORK/touched" "$mnt" || fail "touched: first mount failed"
unmount_image "$mnt"
touch -d '2001-02-03 04:05:06.789' "$(largest_layer "$WORK/touched")"
expect_exit 0 "a touched blob mounts again" timeout 300 "$IMGMOUNT" --wait "$WORK/touched" "$mnt"
grep -q "changed since" "$WORK/err.txt" || fail "touched: no warning: $(cat "$WORK/err.txt")"
unmount_image "$mnt"
expect_exit 0 "and then from the cache, without a warning" "$IMGMOUNT" ls "$WORK/touched" /
[ -s "$WORK/err.txt" ] && fail "touched: warning on the second use: $(cat "$WORK/err.txt")"

# 3. A single-frame zstd layer, read from its local copy in the cache: a byte of its frame
# changed (the blob digest no longer matches, whatever the decoder makes of it).
"$FIXTURE" sample oci-dir zstd "$WORK/zst" > /dev/null || fail "cannot build the zstd image"
zst_blob=$(largest_layer "$WORK/zst")
stale_case "zstd layer with a local copy" "$WORK/zst" yes flip "$zst_blob" $(($(stat -c %s "$zst_blob") / 2))

# 4. A gzip layer inside a tar image (a containerd export, whose layers are shared by digest,
# and a docker-archive, whose entries are bound to the file): the tar file changes.
largest_member_end() {
  python3 -c '
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = max((m for m in t.getmembers() if m.isfile()), key=lambda m: m.size)
    print(m.offset_data + m.size)
' "$1"
}
for case in "containerd yes" "docker-archive no"; do
  read -r format warns <<< "$case"
  "$FIXTURE" sample "$format" gzip "$WORK/$format.tar" > /dev/null || fail "cannot build $format"
  end=$(largest_member_end "$WORK/$format.tar")
  stale_case "gzip layer in a $format tar" "$WORK/$format.tar" "$warns" \
    flip "$WORK/$format.tar" $((end - 8))
done

# 5. An archive compressed as a whole (its own index is in the cache too).
"$FIXTURE" sample docker-legacy none "$WORK/outer.tar.gz" --outer gzip > /dev/null ||
  fail "cannot build the compressed archive"
stale_case "compressed archive" "$WORK/outer.tar.gz" no \
  flip "$WORK/outer.tar.gz" $(($(stat -c %s "$WORK/outer.tar.gz") - 8))

# 6. verify: corrupt and truncated streams are findings (exit 1) with a MISMATCH line, checked
# against Python's gzip/hashlib and zstd -t.
cat > "$WORK/check_verify.py" << 'PYEOF'
import gzip, hashlib, json, subprocess, sys, zlib

layout, report = sys.argv[1], sys.argv[2]
def path(digest):
    return "blobs/sha256/" + digest.split(":")[1]
def blob(digest):
    return open(f"{layout}/{path(digest)}", "rb").read()
def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()
def stream(data):
    """The uncompressed stream, or None if the oracle cannot decode it."""
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return None
    if data[:4] == b"\x28\xb5\x2f\xfd":
        run = subprocess.run(["zstd", "-dc"], input=data, capture_output=True)
        return run.stdout if run.returncode == 0 else None
    return data
manifest = json.loads(blob(json.load(open(f"{layout}/index.json"))["manifests"][0]["digest"]))
diff_ids = json.loads(blob(manifest["config"]["digest"]))["rootfs"]["diff_ids"]
want = []
for n, (layer, diff_id) in enumerate(zip(manifest["layers"], diff_ids), 1):
    data = blob(layer["digest"])
    plain = stream(data)
    want.append(("blob", n, sha(data), sha(data) == layer["digest"], False))
    want.append(("diff_id", n, plain and sha(plain), plain is not None and sha(plain) == diff_id,
                 plain is None))
doc = json.load(open(report))
got = [(c["what"], c["layer"], c["computed"], c["ok"], c["error"] is not None)
       for c in doc["checks"] if c["layer"] is not None]
problems = []
if got != want:
    problems.append(f"layer checks {got}, the oracle says {want}")
failed = sum(1 for w in want if not w[3])
if doc["ok"] or doc["mismatches"] != failed:
    problems.append(f"ok {doc['ok']}, mismatches {doc['mismatches']}, the oracle finds {failed}")
for p in problems:
    print(p)
print(f"{len(got)} layer checks, {failed} failed, {sum(1 for w in want if w[4])} undecodable")
sys.exit(1 if problems else 0)
PYEOF

# verify_case WHAT LAYOUT: text and JSON reports of an image with one undecodable layer.
verify_case() {
  local what=$1 layout=$2
  expect_exit 1 "verify of a $what" "$IMGMOUNT" verify "$layout"
  grep -q "^MISMATCH .*diff_id: .*cannot be decoded" "$WORK/out.txt" ||
    fail "verify of a $what: no MISMATCH line for the stream: $(cat "$WORK/out.txt" "$WORK/err.txt")"
  [ "$(grep -c '^ok .*diff_id' "$WORK/out.txt")" -ge 1 ] ||
    fail "verify of a $what: the other layers were not checked"
  expect_exit 1 "verify --json of a $what" "$IMGMOUNT" verify --json "$layout"
  python_agrees "verify --json of a $what" "Python's gzip and zstd -t" \
    "$WORK/check_verify.py" "$layout" "$WORK/out.txt"
}

cp -r "$WORK/gz" "$WORK/gz-crc"  # the layer damaged in 1: its CRC-32 no longer matches
verify_case "gzip layer with a bad CRC-32" "$WORK/gz-crc"

"$FIXTURE" sample oci-dir gzip "$WORK/gz-cut" > /dev/null || fail "cannot build the gzip image"
cut_blob=$(largest_layer "$WORK/gz-cut")
truncate -s $(($(stat -c %s "$cut_blob") / 2)) "$cut_blob"
code=0
"$IMGMOUNT" verify "$WORK/gz-cut" > "$WORK/out.txt" 2> "$WORK/err.txt" || code=$?
# (a descriptor size check may refuse the image before the stream is read: a MISMATCH all the same)
if [ "$code" -ne 1 ]; then
  fail "verify of a truncated gzip layer: exit $code, expected 1: $(cat "$WORK/err.txt")"
elif ! grep -q "^MISMATCH" "$WORK/out.txt"; then
  fail "verify of a truncated gzip layer: no MISMATCH line"
else
  say "ok: verify of a truncated gzip layer (exit 1, $(grep -c '^MISMATCH' "$WORK/out.txt") MISMATCH)"
fi

"$FIXTURE" sample oci-dir zstd "$WORK/zst-bad" > /dev/null || fail "cannot build the zstd image"
bad_zst=$(largest_layer "$WORK/zst-bad")
flip "$bad_zst" 4  # the frame header descriptor: reserved bit set, sizes garbled
zstd -t -q "$bad_zst" 2> /dev/null && fail "the damaged zstd frame still decodes for zstd -t"
verify_case "zstd layer with a corrupt frame" "$WORK/zst-bad"

cp "$WORK/outer.tar.gz" "$WORK/outer-bad.tar.gz"  # damaged in 5
expect_exit 1 "verify of a corrupt compressed archive" "$IMGMOUNT" verify "$WORK/outer-bad.tar.gz"
grep -q "^MISMATCH  archive .*cannot be decoded: .*CRC" "$WORK/out.txt" ||
  fail "verify of a corrupt archive: no MISMATCH line: $(cat "$WORK/out.txt" "$WORK/err.txt")"
gzip -t "$WORK/outer-bad.tar.gz" 2> /dev/null && fail "gzip -t finds the damaged archive intact"
expect_exit 1 "verify --json of a corrupt compressed archive" \
  "$IMGMOUNT" verify --json "$WORK/outer-bad.tar.gz"
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
c = doc["checks"]
assert doc["ok"] is False and doc["mismatches"] == 1, doc
assert len(c) == 1 and c[0]["what"] == "archive" and c[0]["ok"] is False, c
assert c[0]["computed"] is None and "CRC" in c[0]["error"], c
' "$WORK/out.txt" || fail "verify --json of a corrupt archive: $(cat "$WORK/out.txt")"
finish

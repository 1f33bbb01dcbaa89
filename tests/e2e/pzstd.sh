#!/usr/bin/env bash
# zstd layers and outer archives written by the real pzstd (Debian's zstd package), which puts a
# skippable frame before every frame (issue 14): the sample's layers and a GNU tar layer large
# enough for several frames, each compressed by pzstd, wrapped by the fixture builder in every
# format it wraps, mounted and compared with the oracle (`umoci raw unpack` of the same layer
# tars uncompressed: umoci 0.4.7 reads no zstd); ls, cat, export and verify agree; and a whole
# docker save compressed by pzstd mounts the same tree.
source "$(dirname "$0")/lib.sh"

command -v pzstd > /dev/null || { fail "pzstd is not installed (Debian package zstd)"; finish; }

# The layers: the sample's, and a large one from GNU tar (several pzstd frames at -1).
"$FIXTURE" sample oci-dir none "$WORK/sample"
mapfile -t layers < <(python3 -c '
import json, sys
d = sys.argv[1]
index = json.load(open(d + "/index.json"))
manifest = index["manifests"][0]["digest"].split(":")[1]
for layer in json.load(open(d + "/blobs/sha256/" + manifest))["layers"]:
    print(d + "/blobs/sha256/" + layer["digest"].split(":")[1])' "$WORK/sample")
mkdir -p "$WORK/big/srv/data"
python3 -c '
import random, sys
rng = random.Random(14)
words = [w.encode() for w in "layer image frame skippable zstd pzstd mount read only tar".split()]
with open(sys.argv[1], "wb") as f:
    for _ in range(150000):
        f.write(b" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + b"\n")' \
  "$WORK/big/srv/data/words.txt"
printf 'small file\n' > "$WORK/big/srv/small"
tar --format=pax --owner=0 --group=0 --numeric-owner -C "$WORK/big" -cf "$WORK/big.tar" srv
layers+=("$WORK/big.tar")

plain=() packed=()
for i in "${!layers[@]}"; do
  cp "${layers[$i]}" "$WORK/layer$i.tar"
  plain+=("$WORK/layer$i.tar")
  pzstd -q -1 -p 2 "$WORK/layer$i.tar" -o "$WORK/layer$i.tar.zst"
  packed+=("$WORK/layer$i.tar.zst")
done
frames=$(zstd -lv "$WORK/layer$((${#layers[@]} - 1)).tar.zst" 2> /dev/null |
  awk '/^# Zstandard Frames:/ {print $4}')
skippable=$(zstd -lv "$WORK/layer$((${#layers[@]} - 1)).tar.zst" 2> /dev/null |
  awk '/^# Skippable Frames:/ {print $4}')
if [ "${frames:-0}" -ge 2 ] && [ "$frames" = "$skippable" ]; then
  say "ok: the large layer has $frames frames, each after a skippable frame"
else
  fail "the large layer has ${frames:-?} frames and ${skippable:-?} skippable frames"
fi
head -c 4 "${packed[0]}" | od -An -tx1 | grep -q '50 2a 4d 18' ||
  fail "pzstd output does not begin with a skippable frame"

"$FIXTURE" wrap oci-dir "$WORK/oracle-oci" "${plain[@]}" --tag pzstd:latest
oracle_unpack "$WORK/oracle-oci" latest "$WORK/oracle"

for format in oci-dir oci-archive docker-oci; do
  image="$WORK/pzstd-$format"
  [ "$format" = oci-dir ] || image="$image.tar"
  "$FIXTURE" wrap "$format" "$image" "${packed[@]}" --tag pzstd:latest
  mnt="$WORK/mnt-$format"
  if mount_image "$image" "$mnt"; then
    compare_trees "pzstd layers, $format" "$WORK/oracle" "$mnt"
    unmount_image "$mnt"
  else
    fail "pzstd layers, $format: mount failed"
  fi
done

# The FUSE-free verbs read the same layers.
image="$WORK/pzstd-oci-archive.tar"
expect_exit 0 "verify" "$IMGMOUNT" verify "$image"
n=$(grep -c '^ok ' "$WORK/out.txt" || true)
[ "$n" -eq $((2 + 2 * ${#layers[@]})) ] || fail "verify: $n ok lines: $(cat "$WORK/out.txt")"
expect_exit 0 "inspect" "$IMGMOUNT" inspect "$image"
[ "$(grep -c 'zstd' "$WORK/out.txt")" -ge "${#layers[@]}" ] ||
  fail "inspect does not show zstd layers: $(cat "$WORK/out.txt")"
"$IMGMOUNT" cat "$image" /srv/data/words.txt | cmp -s - "$WORK/oracle/srv/data/words.txt" ||
  fail "imgmount cat of the large file differs from the oracle"
"$IMGMOUNT" export "$image" "$WORK/export.tar"
mkdir -p "$WORK/exported"
tar -xf "$WORK/export.tar" -C "$WORK/exported" --no-same-owner 2> /dev/null || true
diff -r "$WORK/oracle/srv" "$WORK/exported/srv" > /dev/null ||
  fail "export of the pzstd image differs from the oracle under /srv"
say "ok: verify, inspect, cat and export read the pzstd layers"

# A whole docker save compressed by pzstd (a skippable frame first), layers plain inside.
"$FIXTURE" wrap docker-oci "$WORK/plain-docker.tar" "${plain[@]}" --tag pzstd:latest
pzstd -q -1 -p 2 "$WORK/plain-docker.tar" -o "$WORK/outer.tar.zst"
mnt="$WORK/mnt-outer"
if mount_image "$WORK/outer.tar.zst" "$mnt"; then
  compare_trees "docker save compressed by pzstd" "$WORK/oracle" "$mnt"
  unmount_image "$mnt"
else
  fail "docker save compressed by pzstd: mount failed"
fi
finish

#!/usr/bin/env bash
# The lazy mount: `imgmount IMAGE MNT` returns as soon as the mount is live, while the layers are
# indexed in the background. The base layer here is 2 GiB of zeros in a 2 MiB gzip blob, whose
# indexing (inflate + SHA-256 of 2 GiB) takes seconds, while the top layer is tiny, so:
#   - a file of the top layer reads back (and matches tar's copy) while the root's
#     user.imgmount.progress attribute still says "indexing"; a file opened then reads right
#     once the whole index answers, and after a lower layer failed (reads use what open
#     resolved);
#   - a listing waits for the whole index, after which the attribute says "complete";
#   - a base layer whose blob was changed: the top file still reads, listings fail with EIO, the
#     attribute says "failed: ..." naming the layer; with --wait the command exits 4 or 5 (a
#     damaged image, or a checksum that does not match) and unmounts;
#   - on a terminal the command shows per-layer progress until the indexing ends.
source "$(dirname "$0")/lib.sh"

# Layers: base = /big.bin (2 GiB of zeros) and /app/README; top = /app/ and /app/server.js.
mkdir -p "$WORK/base/app" "$WORK/top/app"
truncate -s 2G "$WORK/base/big.bin"
echo "base readme" > "$WORK/base/app/README"
printf 'console.log("hello from the top layer");\n' > "$WORK/top/app/server.js"
tar --format=pax -C "$WORK/base" -cf - big.bin app | igzip -1 -c > "$WORK/base.tar.gz"
tar --format=pax -C "$WORK/top" -cf - app | gzip -c > "$WORK/top.tar.gz"
"$FIXTURE" wrap oci-dir "$WORK/image" "$WORK/base.tar.gz" "$WORK/top.tar.gz" > /dev/null ||
  fail "cannot build the test image"
cp -r "$WORK/image" "$WORK/tampered"
base_blob="$WORK/tampered/blobs/sha256/$(sha256sum "$WORK/base.tar.gz" | cut -d' ' -f1)"
[ -f "$base_blob" ] || fail "base blob not found in the layout"
size=$(stat -c %s "$base_blob")
printf '\x55' | dd of="$base_blob" bs=1 seek=$((size - 20)) conv=notrunc status=none

progress() { getfattr --only-values -n user.imgmount.progress "$1" 2> /dev/null; }

# 1. The top layer answers at once; the listing waits for the base.
mnt="$WORK/mnt"
mkdir -p "$mnt"
MOUNTS+=("$mnt")
"$IMGMOUNT" --no-cache "$WORK/image" "$mnt" || fail "lazy mount failed"
cmp -s "$mnt/app/server.js" "$WORK/top/app/server.js" || fail "top-layer file differs"
exec 3< "$mnt/app/server.js"
state=$(progress "$mnt")
[[ $state == indexing* ]] || fail "expected the base layer still indexing after cat, got: $state"
say "ok: top-layer file read while the base was indexing ($(head -2 <<< "$state" | tail -1))"
listing=$(ls "$mnt" | tr '\n' ' ')
[ "$listing" = "app big.bin " ] || fail "root listing: '$listing'"
[ "$(progress "$mnt")" = complete ] || fail "after a listing: $(progress "$mnt")"
cmp -s - "$WORK/top/app/server.js" <&3 || fail "a file opened while indexing reads wrong after it"
exec 3<&-
[ "$(ls "$mnt/app" | tr '\n' ' ')" = "README server.js " ] || fail "app/ listing: $(ls "$mnt/app")"
[ "$(stat -c %s "$mnt/big.bin")" = 2147483648 ] || fail "big.bin size"
cmp -s -n 1048576 "$mnt/big.bin" /dev/zero || fail "big.bin content"
cmp -s "$mnt/app/README" "$WORK/base/app/README" || fail "base-layer file differs"
say "ok: listings complete once indexed"
unmount_image "$mnt"

# 2. A changed base blob: the mount stays, only what needs the base fails.
"$IMGMOUNT" --no-cache "$WORK/tampered" "$mnt" || fail "lazy mount of the tampered image failed"
cmp -s "$mnt/app/server.js" "$WORK/top/app/server.js" || fail "tampered: top-layer file differs"
exec 3< "$mnt/app/server.js"
if ls "$mnt" > /dev/null 2> "$WORK/ls.err"; then fail "listing with a bad base layer succeeded"; fi
grep -q "Input/output error" "$WORK/ls.err" || fail "bad base: expected EIO, got $(cat "$WORK/ls.err")"
cmp -s - "$WORK/top/app/server.js" <&3 || fail "tampered: a file opened before the failure reads wrong"
exec 3<&-
state=$(progress "$mnt")
[[ $state == failed:*"layer 1"* ]] || fail "bad base: progress says '$state'"
say "ok: bad base layer: top file served (also to an open made before the failure), listings EIO ($state)"
unmount_image "$mnt"

# 3. --wait reports the error with its exit code and leaves nothing mounted.
# The flipped byte breaks the deflate data (4, bad image) or only its CRC-32 (5, integrity),
# depending on what it hits in this run's blob.
code=0
"$IMGMOUNT" --wait --no-cache "$WORK/tampered" "$mnt" 2> "$WORK/err.txt" || code=$?
[[ $code == 4 || $code == 5 ]] || fail "--wait on a bad base layer: exit $code, expected 4 or 5"
grep -q "layer 1" "$WORK/err.txt" || fail "--wait: error does not name the layer: $(cat "$WORK/err.txt")"
say "ok: --wait on a bad base layer (exit $code)"
sleep 0.2
if grep -q " $mnt fuse" /proc/self/mounts; then fail "--wait left the failed mount"; fi

# 4. On a terminal: per-layer progress until the end, then exit 0 with the mount live.
script -qec "$IMGMOUNT --no-cache $WORK/image $mnt" /dev/null > "$WORK/tty.out" ||
  fail "mount on a terminal failed: $(cat "$WORK/tty.out")"
grep -q "indexing" "$WORK/tty.out" || fail "no progress shown: $(cat "$WORK/tty.out")"
grep -q "layer 1 (sha256:[0-9a-f]*): 100% .* done" "$WORK/tty.out" || fail "no final progress: $(cat "$WORK/tty.out")"
[ "$(progress "$mnt")" = complete ] || fail "returned before the indexing ended"
say "ok: progress shown on a terminal"
unmount_image "$mnt"
finish

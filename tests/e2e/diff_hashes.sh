#!/usr/bin/env bash
# `imgmount diff` compares regular files of equal size from different layers by content hashes
# kept in the index cache: two images whose top layers differ hold one file of equal size and
# other content (reported as different, as cmp(1) over the source trees says) and one of equal
# content (reported the same). The first run hashes them, the second reads them from the cache
# and reports the same; --no-cache hashes in memory only; a damaged hash file is rebuilt; and
# `imgmount cache ls|clear` count and remove the hash files. Both for layers shared by digest
# (gzip) and for layers bound to their image file (uncompressed).
source "$(dirname "$0")/lib.sh"

CACHE="$WORK/cache/imgmount"

# make_layer DIR BLOB: a reproducible tar of DIR (names sorted, fixed owner and mtime).
make_layer() {
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 --format=pax \
    --pax-option=delete=atime,delete=ctime -C "$1" -cf "$2" .
}

# Same-size files: f differs in its last byte only, g is the same in both, h only in size.
mkdir -p "$WORK/src/base/etc" "$WORK/src/A/data" "$WORK/src/B/data"
echo "base" > "$WORK/src/base/etc/issue"
head -c 3000000 /dev/zero | tr '\0' 'x' > "$WORK/src/A/data/f"
cp "$WORK/src/A/data/f" "$WORK/src/B/data/f"
printf 'y' | dd of="$WORK/src/B/data/f" bs=1 seek=2999999 conv=notrunc status=none
seq 1 200000 > "$WORK/src/A/data/g"
cp "$WORK/src/A/data/g" "$WORK/src/B/data/g"
echo "short" > "$WORK/src/A/data/h"
echo "longer" > "$WORK/src/B/data/h"
for layer in base A B; do make_layer "$WORK/src/$layer" "$WORK/$layer.tar"; done
gzip -n -k "$WORK/base.tar" "$WORK/A.tar" "$WORK/B.tar"

# The oracle: cmp over the layer sources, as the two root filesystems hold them.
want_changed=$(for name in f g h; do
  cmp -s "$WORK/src/A/data/$name" "$WORK/src/B/data/$name" || echo "/data/$name"
done)
[ "$want_changed" = "$(printf '/data/f\n/data/h')" ] || fail "the oracle says: $want_changed"

# changes JSON: "path what,what" per change, by an independent JSON parser.
changes() {
  python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for c in doc["changes"]:
    print(c["path"], c["change"], ",".join(c["what"]))' "$1"
}

# computed STDERR: the number of content hashes the run computed (its -v note).
computed() {
  sed -n 's/^imgmount: content hashes: \([0-9]*\) computed.*/\1/p' "$1"
}

# sums_digest: one checksum over every hash file of the cache.
sums_digest() {
  { cat "$CACHE"/*.sums 2> /dev/null || true; } | md5sum
}

for compression in gzip none; do
  suffix=.gz
  [ "$compression" = none ] && suffix=
  for side in A B; do
    "$FIXTURE" wrap docker-oci "$WORK/image-$side-$compression.tar" "$WORK/base.tar$suffix" \
      "$WORK/$side.tar$suffix" > /dev/null
  done
  a="$WORK/image-A-$compression.tar"
  b="$WORK/image-B-$compression.tar"
  printf '/data/f modified content\n/data/h modified size,content\n' > "$WORK/want.txt"
  for run in first second no-cache damaged rebuilt; do
    options=(-v)
    [ "$run" = no-cache ] && options+=(--no-cache)
    if [ "$run" = damaged ]; then
      for sums in "$CACHE"/*.sums; do head -c 100 "$sums" > "$sums.cut" && mv "$sums.cut" "$sums"; done
    fi
    sums_before=$(sums_digest)
    code=0
    "$IMGMOUNT" diff "${options[@]}" --json "$a" "$b" > "$WORK/diff.json" 2> "$WORK/diff.err" ||
      code=$?
    [ "$code" -eq 1 ] || fail "$compression $run: exit $code, expected 1: $(cat "$WORK/diff.err")"
    changes "$WORK/diff.json" > "$WORK/got.txt" || fail "$compression $run: output is not JSON"
    if diff -u "$WORK/want.txt" "$WORK/got.txt"; then
      say "ok: $compression $run run: f and h differ, g is the same"
    else
      fail "$compression $run run: imgmount diff disagrees with cmp"
    fi
    n=$(computed "$WORK/diff.err")
    case "$run" in
      first | no-cache | damaged) want=4 ;;  # f and g on both sides (h differs in size)
      *) want=0 ;;
    esac
    [ "$n" = "$want" ] || fail "$compression $run: $n hashes computed, expected $want"
    sums_after=$(sums_digest)
    if [ "$run" = no-cache ] && [ "$sums_before" != "$sums_after" ]; then
      fail "$compression: --no-cache changed the cached hashes"
    fi
    if [ "$run" = damaged ]; then
      grep -q "cached content hashes .* are unusable" "$WORK/diff.err" ||
        fail "$compression: no warning about the damaged hash file"
    fi
  done
  # The equal-content file alone compares the same.
  expect_exit 0 "$compression: /data/g of the two images is the same" "$IMGMOUNT" diff "$a" "$b" /data/g
  # Text report: exactly what diff -r -q says about the source trees.
  (cd "$WORK/src" && LC_ALL=C diff -r -q A B || true) | sed 's#A/#a/#; s#B/#b/#' > "$WORK/q-want.txt"
  (cd "$WORK" && ln -sf "$a" a && ln -sf "$b" b && "$IMGMOUNT" diff a b /data || true) |
    sed -e 's# (.*)$##' > "$WORK/q-got.txt"
  diff -u "$WORK/q-want.txt" "$WORK/q-got.txt" || fail "$compression: text report differs from diff -r -q"
done

# The hash files are cache entries' files: listed with a count and removed by clear.
expect_exit 0 "cache ls" "$IMGMOUNT" cache ls --cache-dir "$CACHE"
grep -E '^[0-9-]+ [0-9:]+ +[0-9.]+ [KMG]?i?B +[0-9]+ +2 ' "$WORK/out.txt" > /dev/null ||
  fail "cache ls shows no entry with 2 hashes: $(cat "$WORK/out.txt")"
expect_exit 0 "cache clear" "$IMGMOUNT" cache clear --cache-dir "$CACHE"
leftover=$(ls "$CACHE" | grep -v CACHEDIR.TAG || true)
[ -z "$leftover" ] || fail "cache clear left: $leftover"
finish

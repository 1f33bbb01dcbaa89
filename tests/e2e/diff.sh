#!/usr/bin/env bash
# `diff -r` between two mounted images that differ by one layer prints exactly that layer's
# changes: the same report as `diff -r` between the oracle unpacks of the two images.
source "$(dirname "$0")/lib.sh"

# Image A is `sample`, image B is `sample` plus one layer.
for side in A B; do
  scenario=sample
  [ "$side" = A ] || scenario=sample-plus
  "$FIXTURE" "$scenario" oci-dir none "$WORK/oci-$side"
  oracle_unpack "$WORK/oci-$side" latest "$WORK/oracle-$side"
  "$FIXTURE" "$scenario" docker-oci gzip "$WORK/image-$side.tar"
  mount_image "$WORK/image-$side.tar" "$WORK/mnt-$side" || fail "mount $scenario"
done

# diff -r, not following symlinks, with the two roots renamed to a/ and b/ in the report.
# diff cannot compare device nodes and fifos; whether it names them depends on whether it may
# open them (the oracle holds real device nodes, the mount is nodev), so those lines are dropped.
report() {
  local a=$1 b=$2 code=0
  (cd "$WORK" && LC_ALL=C diff -r --no-dereference "$a" "$b") > "$WORK/raw.txt" 2>&1 || code=$?
  grep -vE '^File .* is a (fifo|character special file|block special file) while file .* is a' \
    "$WORK/raw.txt" | sed -e "s#$a#a#g" -e "s#$b#b#g"
  return "$code"
}
code_oracle=0
report oracle-A oracle-B > "$WORK/oracle-diff.txt" || code_oracle=$?
code_mount=0
report mnt-A mnt-B > "$WORK/mount-diff.txt" || code_mount=$?

[ "$code_oracle" -eq 1 ] || fail "oracle diff exit $code_oracle (expected 1: different)"
[ "$code_mount" -eq 1 ] || fail "mounted diff exit $code_mount (expected 1: different)"
[ -s "$WORK/oracle-diff.txt" ] || fail "the two images do not differ at all"
if diff -u "$WORK/oracle-diff.txt" "$WORK/mount-diff.txt"; then
  say "ok: diff -r of the mounts equals diff -r of the oracles ($(wc -l < "$WORK/oracle-diff.txt") lines)"
else
  fail "diff -r of the mounts differs from diff -r of the oracles"
fi

# And the same image against itself: no differences at all.
"$FIXTURE" sample oci-archive zstd "$WORK/sample-zstd.tar"
mount_image "$WORK/sample-zstd.tar" "$WORK/mnt-zstd" || fail "mount zstd"
if ! report mnt-A mnt-zstd > "$WORK/same-real.txt" || [ -s "$WORK/same-real.txt" ]; then
  say "ok: the same image in two formats compares equal under diff -r"
else
  fail "diff -r of one image in two formats found differences"
  head -20 "$WORK/same-real.txt"
fi
finish

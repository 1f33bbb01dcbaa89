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
# imgmount diff, without mounting, against the oracles: every path whose entry differs between
# the two umoci unpacks (type, mode, owner, size, content, target, rdev, xattrs, mtime), with an
# added or deleted directory reported once, in both directions; and its diff -r -q part equals
# diff -r -q over the two mounts.
"$TREEDUMP" "$WORK/oracle-A" > "$WORK/dump-A.txt"
"$TREEDUMP" "$WORK/oracle-B" > "$WORK/dump-B.txt"
# expected_changes DUMP_OLD DUMP_NEW: "change path" lines, topmost added/deleted only.
expected_changes() {
  # (a directory's nlink only mirrors its subdirectories, which are listed themselves)
  sed -E '/^[^ ]+ dir /s/ nlink=[0-9]+//' "$1" > "$WORK/old-dump.txt"
  sed -E '/^[^ ]+ dir /s/ nlink=[0-9]+//' "$2" > "$WORK/new-dump.txt"
  awk 'FNR == NR { old[$1] = $0; next }
       { new[$1] = $0 }
       END {
         for (p in old) if (!(p in new)) print "deleted", p
         for (p in new) if (!(p in old)) print "added", p
         for (p in new) if ((p in old) && old[p] != new[p]) print "modified", p
       }' "$WORK/old-dump.txt" "$WORK/new-dump.txt" | sed 's# \./# #; s# \.$# #' | sort -k2 |
    awk '{ for (a in top) if (index($2, a "/") == 1) next
           if ($1 != "modified") top[$2] = 1
           print $1, "/" $2 }' | sort
}
actual_changes() {
  grep -o '"path":"[^"]*","change":"[a-z]*"' "$1" |
    sed 's/"path":"\([^"]*\)","change":"\([a-z]*\)"/\2 \1/' | sort
}
for direction in "A B" "B A"; do
  set -- $direction
  expected_changes "$WORK/dump-$1.txt" "$WORK/dump-$2.txt" > "$WORK/want.txt"
  code=0
  "$IMGMOUNT" diff --json "$WORK/image-$1.tar" "$WORK/image-$2.tar" > "$WORK/diff.json" || code=$?
  [ "$code" -eq 1 ] || fail "imgmount diff $1 $2: exit $code, expected 1"
  actual_changes "$WORK/diff.json" > "$WORK/got.txt"
  [ -s "$WORK/want.txt" ] || fail "the oracles do not differ"
  if diff -u "$WORK/want.txt" "$WORK/got.txt"; then
    say "ok: imgmount diff $1 $2 lists the $(wc -l < "$WORK/want.txt") changes the oracles show"
  else
    fail "imgmount diff $1 $2 differs from the oracle comparison"
  fi
done
# Its diff -r -q lines equal diff -r -q over the two mounts.
(cd "$WORK" && LC_ALL=C diff -r -q --no-dereference mnt-A mnt-B 2>&1 || true) |
  grep -vE '^File .* is a (fifo|character special file|block special file) while file .* is a' |
  sed -e 's#mnt-A#a#g' -e 's#mnt-B#b#g' | sort > "$WORK/mount-q.txt"
(cd "$WORK" && cp image-A.tar a && cp image-B.tar b && "$IMGMOUNT" diff a b || true) |
  grep -v '^Attributes of ' | sed 's/ ([a-z, ]*)$//' | sort > "$WORK/imgmount-q.txt"
if diff -u "$WORK/mount-q.txt" "$WORK/imgmount-q.txt"; then
  say "ok: imgmount diff agrees with diff -r -q over the mounts ($(wc -l < "$WORK/mount-q.txt") lines)"
else
  fail "imgmount diff and diff -r -q over the mounts disagree"
fi
expect_exit 0 "imgmount diff of an image with itself in another format" \
  "$IMGMOUNT" diff "$WORK/image-A.tar" "$WORK/sample-zstd.tar"
expect_exit 2 "imgmount diff with a missing image" "$IMGMOUNT" diff "$WORK/image-A.tar" "$WORK/nope.tar"
finish

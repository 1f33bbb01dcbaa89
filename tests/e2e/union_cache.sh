#!/usr/bin/env bash
# The union tree kept in the index cache (index/cache/union_cache.h), mounted: a cold mount
# builds the union and stores it, a warm mount of the same image loads it (as -v and
# `cache ls --json` say) and both trees equal the umoci oracle; an image sharing the lower layers
# but not the top, and an --upto cut, get unions of their own; a corrupted or truncated union
# file is refused with a warning naming it, the tree stays right and the file is rebuilt; a union
# whose layer index is gone is unusable and `cache gc` removes it; `cache clear` removes all.
source "$(dirname "$0")/lib.sh"

CACHE="$WORK/cache-dir"

"$FIXTURE" sample oci-dir none "$WORK/oracle-oci"
oracle_unpack "$WORK/oracle-oci" latest "$WORK/oracle"
"$FIXTURE" sample-plus oci-dir none "$WORK/oracle-plus-oci"
oracle_unpack "$WORK/oracle-plus-oci" latest "$WORK/oracle-plus"
"$FIXTURE" sample docker-oci gzip "$WORK/sample.tar"
"$FIXTURE" sample-plus oci-dir gzip "$WORK/plus"

# union_note FILE: "built", "loaded" or "none", from the -v notes in FILE.
union_note() {
  if grep -q "union tree: loaded from the cache" "$1"; then
    echo loaded
  elif grep -q "union tree: built in" "$1"; then
    echo built
  else
    echo none
  fi
}

# mount_check NAME IMAGE ORACLE EXPECTED_NOTE: mounts with the cache and -v, checks the note on
# the union and the whole tree against the oracle, unmounts.
mount_check() {
  local name=$1 image=$2 oracle=$3 want=$4
  local mnt="$WORK/mnt-$name" err="$WORK/$name.err"
  if mount_image "$image" "$mnt" --cache-dir "$CACHE" -v 2> "$err"; then
    local got
    got=$(union_note "$err")
    [ "$got" = "$want" ] || fail "$name: union tree $got, expected $want: $(cat "$err")"
    compare_trees "$name" "$oracle" "$mnt"
    unmount_image "$mnt"
  else
    fail "$name: mount failed: $(cat "$err")"
  fi
}

# unions: the union entries of `cache ls --json`, one "STEM KEY PROBLEM LAYERS" line each.
unions() {
  "$IMGMOUNT" cache ls --json --cache-dir "$CACHE" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["kind"] == "union":
        print(e["stem"], e["key"], e["problem"], len(e["layers"]), e["members"])
'
}

# 1. Cold: the union is built, then kept; warm: loaded, and the same tree.
mount_check "cold" "$WORK/sample.tar" "$WORK/oracle" built
[ "$(unions | wc -l)" -eq 1 ] || fail "expected one union after the cold mount: $(unions)"
union_file=$(ls "$CACHE"/union-*.union)
mount_check "warm" "$WORK/sample.tar" "$WORK/oracle" loaded
grep -q "used by $WORK/sample.tar" <("$IMGMOUNT" cache ls --cache-dir "$CACHE") ||
  fail "cache ls does not name the union's image"
read -r stem key problem layers members < <(unions)
[ "$problem" = "None" ] || fail "the union has a problem: $problem"
[ "$key" = "sha256:${stem#union-}" ] || fail "union key $key does not match its stem $stem"
[ "$layers" -eq 5 ] || fail "expected a union of 5 layers (sample repeats one), got $layers"
# Hardlinked names share one inode in both.
inodes=$(find "$WORK/oracle" -printf '%i\n' | sort -u | wc -l)
[ "$members" -eq "$inodes" ] || fail "union has $members inodes, the oracle $inodes"
say "ok: cold mount built the union, warm mount loaded it"

# 2. The FUSE-free verbs use it too, and list what the mount shows.
"$IMGMOUNT" ls -R -v --cache-dir "$CACHE" "$WORK/sample.tar" > "$WORK/ls-warm.txt" 2> "$WORK/ls.err"
[ "$(union_note "$WORK/ls.err")" = loaded ] || fail "ls did not load the union: $(cat "$WORK/ls.err")"
"$IMGMOUNT" ls -R --no-cache "$WORK/sample.tar" > "$WORK/ls-none.txt"
cmp -s "$WORK/ls-warm.txt" "$WORK/ls-none.txt" || fail "ls -R differs with the cached union"

# 3. Same lower layers, another top: a union of its own, never sample's.
mount_check "plus-cold" "$WORK/plus" "$WORK/oracle-plus" built
mount_check "plus-warm" "$WORK/plus" "$WORK/oracle-plus" loaded
[ "$(unions | wc -l)" -eq 2 ] || fail "expected two unions: $(unions)"

# 4. --upto: a cut of the image is a chain of its own, not the full union.
"$IMGMOUNT" ls -R -v --upto 2 --cache-dir "$CACHE" "$WORK/sample.tar" > "$WORK/upto.txt" \
  2> "$WORK/upto.err"
[ "$(union_note "$WORK/upto.err")" = built ] || fail "--upto 2 reused a union: $(cat "$WORK/upto.err")"
"$IMGMOUNT" ls -R --upto 2 --no-cache "$WORK/sample.tar" > "$WORK/upto-none.txt"
cmp -s "$WORK/upto.txt" "$WORK/upto-none.txt" || fail "ls -R --upto 2 differs with the cache"
"$IMGMOUNT" ls -R -v --upto 2 --cache-dir "$CACHE" "$WORK/sample.tar" > "$WORK/upto-warm.txt" \
  2> "$WORK/upto-warm.err"
[ "$(union_note "$WORK/upto-warm.err")" = loaded ] || fail "--upto 2 warm did not load its union"
cmp -s "$WORK/upto-warm.txt" "$WORK/upto-none.txt" || fail "ls -R --upto 2 warm differs"
[ "$(unions | wc -l)" -eq 3 ] || fail "expected three unions: $(unions)"

# 5. A corrupted union file is refused with a warning naming it; the tree is right; it is
# rebuilt, and the next mount loads it again. The same for a truncated one.
size=$(stat -c %s "$union_file")
printf '\xff\xfe' | dd of="$union_file" bs=1 seek=$((size / 2)) conv=notrunc status=none
mount_check "after-corruption" "$WORK/sample.tar" "$WORK/oracle" built
grep -q "cached union tree $union_file is unusable (checksum mismatch" "$WORK/after-corruption.err" ||
  fail "the corrupt union file is not named: $(cat "$WORK/after-corruption.err")"
mount_check "repaired" "$WORK/sample.tar" "$WORK/oracle" loaded
grep -q "unusable" "$WORK/repaired.err" && fail "still warning after the rebuild"
truncate -s $((size / 3)) "$union_file"
mount_check "after-truncation" "$WORK/sample.tar" "$WORK/oracle" built
grep -q "cached union tree $union_file is unusable (truncated" "$WORK/after-truncation.err" ||
  fail "the truncated union file is not named: $(cat "$WORK/after-truncation.err")"

# 6. A union whose layer index is gone is unusable, and gc removes it (not the others).
# sample-plus's union is the longest chain; its top layer is its own.
plus_top=$("$IMGMOUNT" cache ls --json --cache-dir "$CACHE" | python3 -c '
import json, sys
unions = [e for e in json.load(sys.stdin) if e["kind"] == "union"]
print(max(unions, key=lambda e: len(e["layers"]))["layers"][-1])
')
[ -n "$plus_top" ] && [ -e "$CACHE/$plus_top.idx" ] || fail "no layer of sample-plus alone: $plus_top"
rm -f "$CACHE/$plus_top".*
unions > "$WORK/unions-stale.txt"
[ "$(grep -c "is gone" "$WORK/unions-stale.txt")" -eq 1 ] ||
  fail "expected one stale union: $(cat "$WORK/unions-stale.txt")"
expect_exit 0 "cache gc" "$IMGMOUNT" cache gc --cache-dir "$CACHE"
[ "$(unions | wc -l)" -eq 2 ] || fail "gc kept the stale union or removed others: $(unions)"
mount_check "after-gc" "$WORK/sample.tar" "$WORK/oracle" loaded

# 7. clear removes every union with the layer indexes.
expect_exit 0 "cache clear" "$IMGMOUNT" cache clear --cache-dir "$CACHE"
[ -z "$(ls "$CACHE" | grep -v -e CACHEDIR.TAG -e '\.lock$')" ] || fail "clear left: $(ls "$CACHE")"

finish

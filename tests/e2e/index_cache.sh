#!/usr/bin/env bash
# The persistent index cache, mounted: two images sharing their base layers index those layers
# once (the second one's come from the cache, as -v says), the trees equal the umoci oracle cold
# and warm, a corrupted or truncated cache file is rebuilt with a warning, a compressed archive's
# own index is kept too, the cache directory follows --cache-dir, $XDG_CACHE_HOME and --no-cache,
# a cache that cannot be written leaves the mount working, and `imgmount cache ls|gc|clear` behave
# (`cache ls --json` agrees with lstat(2) and the .used files of the cache directory).
source "$(dirname "$0")/lib.sh"

CACHE="$WORK/cache"

"$FIXTURE" sample oci-dir none "$WORK/oracle-oci"
oracle_unpack "$WORK/oracle-oci" latest "$WORK/oracle"
"$FIXTURE" sample-plus oci-dir none "$WORK/oracle-plus-oci"
oracle_unpack "$WORK/oracle-plus-oci" latest "$WORK/oracle-plus"
"$FIXTURE" sample docker-oci gzip "$WORK/sample.tar"
"$FIXTURE" sample-plus oci-dir gzip "$WORK/plus"

# count PATTERN FILE: number of lines of FILE containing PATTERN.
count() { grep -c -- "$1" "$2" || true; }

# check_counts WHAT FILE CACHED INDEXED: the -v notes say how many layers came from where.
check_counts() {
  local what=$1 file=$2 cached=$3 indexed=$4
  local got_cached got_indexed
  got_cached=$(count "index loaded from cache" "$file")
  got_indexed=$(count ": indexed in" "$file")
  if [ "$got_cached" -ne "$cached" ] || [ "$got_indexed" -ne "$indexed" ]; then
    fail "$what: $got_cached from cache and $got_indexed indexed, expected $cached and $indexed"
    cat "$file"
    return 0
  fi
  say "ok: $what ($cached from cache, $indexed indexed)"
}

# mount_compare NAME IMAGE ORACLE STDERR [options]: mounts with the cache, compares, unmounts.
mount_compare() {
  local name=$1 image=$2 oracle=$3 err=$4
  shift 4
  local mnt="$WORK/mnt-$name"
  if mount_image "$image" "$mnt" --cache-dir "$CACHE" -v "$@" 2> "$err"; then
    compare_trees "$name" "$oracle" "$mnt"
    unmount_image "$mnt"
  else
    fail "$name: mount failed: $(cat "$err")"
  fi
}

# 1. Cold: every distinct layer of sample is indexed (the repeated one once).
"$IMGMOUNT" ls -R -v --cache-dir "$CACHE" "$WORK/sample.tar" > "$WORK/ls-cold.txt" 2> "$WORK/cold.err"
check_counts "sample, cold" "$WORK/cold.err" 0 4
# 2. sample-plus shares all of sample's layers: only its own top layer is indexed.
mount_compare "plus-shares-the-base" "$WORK/plus" "$WORK/oracle-plus" "$WORK/plus.err"
check_counts "sample-plus, base layers shared" "$WORK/plus.err" 4 1
# 3. Warm: everything from the cache, the same tree and the same listing.
mount_compare "sample-warm" "$WORK/sample.tar" "$WORK/oracle" "$WORK/warm.err"
check_counts "sample, warm" "$WORK/warm.err" 4 0
"$IMGMOUNT" ls -R --cache-dir "$CACHE" "$WORK/sample.tar" > "$WORK/ls-warm.txt"
cmp -s "$WORK/ls-cold.txt" "$WORK/ls-warm.txt" || fail "ls -R differs between cold and warm"
"$IMGMOUNT" ls -R --no-cache "$WORK/sample.tar" > "$WORK/ls-none.txt"
cmp -s "$WORK/ls-cold.txt" "$WORK/ls-none.txt" || fail "ls -R differs with and without the cache"

# 4. A corrupted and a truncated index are rebuilt with a warning; the tree stays right.
mapfile -t indexes < <(ls "$CACHE"/sha256-*.idx)
[ "${#indexes[@]}" -eq 5 ] || fail "expected 5 layer indexes, found ${#indexes[@]}"
size=$(stat -c %s "${indexes[0]}")
printf '\xff\xfe' | dd of="${indexes[0]}" bs=1 seek=$((size / 2)) conv=notrunc status=none
truncate -s $((size / 3)) "${indexes[1]}"
mount_compare "plus-after-corruption" "$WORK/plus" "$WORK/oracle-plus" "$WORK/corrupt.err"
warnings=$(count "is unusable" "$WORK/corrupt.err")
[ "$warnings" -eq 2 ] || fail "expected 2 warnings about damaged indexes: $(cat "$WORK/corrupt.err")"
grep -q "checksum mismatch" "$WORK/corrupt.err" || fail "the corruption is not named"
check_counts "sample-plus after corruption" "$WORK/corrupt.err" 3 2
"$IMGMOUNT" ls -v --cache-dir "$CACHE" "$WORK/plus" > /dev/null 2> "$WORK/repaired.err"
check_counts "sample-plus, repaired" "$WORK/repaired.err" 5 0
grep -q "unusable" "$WORK/repaired.err" && fail "still warning after the rebuild"

# 5. A gzip-compressed docker save: the outer archive's index is cached as well.
"$FIXTURE" sample docker-legacy none "$WORK/node.tar.gz" --outer gzip
mount_compare "outer-gzip-cold" "$WORK/node.tar.gz" "$WORK/oracle" "$WORK/outer-cold.err"
grep -q "archive .*node.tar.gz: indexed in" "$WORK/outer-cold.err" ||
  fail "outer archive not indexed: $(cat "$WORK/outer-cold.err")"
mount_compare "outer-gzip-warm" "$WORK/node.tar.gz" "$WORK/oracle" "$WORK/outer-warm.err"
grep -q "archive .*node.tar.gz: index loaded from cache" "$WORK/outer-warm.err" ||
  fail "outer archive index not reused: $(cat "$WORK/outer-warm.err")"
[ "$(count ": indexed in" "$WORK/outer-warm.err")" -eq 0 ] ||
  fail "warm outer archive indexed something: $(cat "$WORK/outer-warm.err")"

# 6. The default directory follows $XDG_CACHE_HOME; --no-cache writes nothing.
XDG_CACHE_HOME="$WORK/xdg" "$IMGMOUNT" ls --no-cache "$WORK/plus" > /dev/null
[ -e "$WORK/xdg/imgmount" ] && fail "--no-cache created $WORK/xdg/imgmount"
XDG_CACHE_HOME="$WORK/xdg" "$IMGMOUNT" ls "$WORK/plus" > /dev/null
[ "$(ls "$WORK/xdg/imgmount"/*.idx 2> /dev/null | wc -l)" -eq 5 ] ||
  fail "\$XDG_CACHE_HOME/imgmount was not used"

# 7. A cache that cannot be written: one warning, a working mount.
printf 'x' > "$WORK/not-a-dir"
mnt="$WORK/mnt-unwritable"
if mount_image "$WORK/plus" "$mnt" --cache-dir "$WORK/not-a-dir/cache" 2> "$WORK/unwritable.err"; then
  compare_trees "unwritable cache dir" "$WORK/oracle-plus" "$mnt"
  unmount_image "$mnt"
  [ "$(count "index cache" "$WORK/unwritable.err")" -eq 1 ] ||
    fail "expected one warning about the cache: $(cat "$WORK/unwritable.err")"
else
  fail "mount with an unwritable cache failed: $(cat "$WORK/unwritable.err")"
fi

# 8. imgmount cache ls / gc / clear. The cache holds sample's 4 gzip layers, sample-plus's own
# one, the archive, and the uncompressed layers of node.tar.gz (other digests than the gzip ones),
# and the union tree of each chain of layers mounted (union_cache.sh tests those in depth).
entries=$(ls "$CACHE"/*.idx "$CACHE"/*.union | wc -l)
[ "$entries" -ge 10 ] || fail "expected at least 10 indexes, found $entries"
expect_exit 0 "cache ls" "$IMGMOUNT" cache ls --cache-dir "$CACHE"
grep -q "^$entries indexes" "$WORK/out.txt" || fail "cache ls: $(tail -1 "$WORK/out.txt")"
grep -q "used by $WORK/plus" "$WORK/out.txt" || fail "cache ls does not name $WORK/plus"
grep -q "used by $WORK/sample.tar" "$WORK/out.txt" || fail "cache ls does not name sample.tar"
grep -q "archive" "$WORK/out.txt" || fail "cache ls does not list the archive"
cp "$WORK/out.txt" "$WORK/cache-ls.txt"
expect_exit 0 "cache ls --json" "$IMGMOUNT" cache ls --json --cache-dir "$CACHE"
ls -las --block-size=1 "$CACHE" > "$WORK/cache-ls-l.txt"
cat > "$WORK/check_cache_ls.py" << 'PYEOF'
import datetime, hashlib, json, os, re, sys

cache, listing, text, ls_l = sys.argv[1:5]
def iso(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
# The cache's files as `ls -las --block-size=1` lists them (allocated bytes first, name last),
# by stem (the name up to its first dot).
stem_re = re.compile(r"(sha256-[0-9a-f]{64}|sha512-[0-9a-f]{128}|(bound|archive|union)-[0-9a-f]{64})\.")
allocated = {}
for line in open(ls_l):
    fields = line.split()
    if len(fields) > 2 and fields[1].startswith("-") and stem_re.match(fields[-1]):
        allocated[fields[-1]] = int(fields[0])
files = {}
for name in allocated:
    files.setdefault(name.split(".")[0], []).append(name)
stems = {s for s, names in files.items() if names != [s + ".lock"]}
problems = []
if set(allocated) != {n for n in os.listdir(cache) if stem_re.match(n)}:
    problems.append(f"ls lists {sorted(allocated)}, listdir {sorted(os.listdir(cache))}")
entries = json.load(open(listing))
if sorted(e["stem"] for e in entries) != sorted(stems):
    problems.append(f"stems {sorted(e['stem'] for e in entries)}, on disk {sorted(stems)}")
text_rows = open(text).read().splitlines()
for e in entries:
    stem = e["stem"]
    names = files.get(stem, [])
    uses = []
    if stem + ".used" in names:
        for line in open(f"{cache}/{stem}.used"):
            time, image = line.rstrip("\n").split(" ", 1)
            image = image.split("\t", 1)[0]  # a tab separates the blob file's identity
            uses.append({"image": image, "last_used": iso(int(time)),
                         "last_used_unix": int(time)})
    index = f"{cache}/{stem}" + (".union" if stem.startswith("union-") else ".idx")
    last = uses[0]["last_used_unix"] if uses else int(os.lstat(index).st_mtime)
    kind, _, hex_part = stem.partition("-")
    want = {"bytes": sum(allocated[n] for n in names), "images": uses, "last_used_unix": last,
            "last_used": iso(last), "problem": None,
            "kind": {"archive": "archive", "bound": "layer, this image only",
                     "union": "union"}.get(kind, "layer")}
    if kind in ("sha256", "union"):
        want["key"] = "sha256:" + hex_part
    for key, value in want.items():
        if e.get(key) != value:
            problems.append(f"{stem}: {key} is {e.get(key)!r}, the directory says {value!r}")
    if not e["key"]:
        problems.append(f"{stem}: no key")
        continue
    if kind == "archive" and hashlib.sha256(e["key"].encode()).hexdigest() != hex_part:
        problems.append(f"{stem}: archive key {e['key']!r} does not hash to the stem")
    if e["hashes"] and stem + ".sums" not in names:
        problems.append(f"{stem}: {e['hashes']} hashes without a .sums file")
    # The text form's row of the same key shows the same time, members, hashes and kind.
    pattern = r"(\S+ \S+|-) +\S+ \S+ +(\d+) +(\d+) +(.+?) +" + re.escape(e["key"])
    rows = [m.groups() for m in map(lambda r: re.fullmatch(pattern, r), text_rows) if m]
    shown = (e["last_used"][:-1].replace("T", " "), str(e["members"]), str(e["hashes"]), e["kind"])
    if rows != [shown]:
        problems.append(f"{stem}: {shown}, the text form shows {rows}")
if [e["last_used_unix"] for e in entries] != sorted((e["last_used_unix"] for e in entries),
                                                    reverse=True):
    problems.append("entries are not most recently used first")
for p in problems:
    print(p)
print(f"{len(entries)} entries checked")
sys.exit(1 if problems else 0)
PYEOF
python_agrees "cache ls --json" "the cache directory" "$WORK/check_cache_ls.py" "$CACHE" \
  "$WORK/out.txt" "$WORK/cache-ls.txt" "$WORK/cache-ls-l.txt"
expect_exit 2 "cache gc --json" "$IMGMOUNT" cache gc --json --cache-dir "$CACHE"
expect_exit 0 "cache gc keeps recent indexes" "$IMGMOUNT" cache gc --cache-dir "$CACHE"
grep -q "removed 0 indexes" "$WORK/out.txt" || fail "gc removed recent indexes: $(cat "$WORK/out.txt")"
stale=$(ls "$CACHE"/sha256-*.idx | head -1)
printf '1000 /an/old/image\n' > "${stale%.idx}.used"
# The unions over the evicted layer (their files name its stem) go with it.
mapfile -t over_stale < <(grep -l "$(basename "${stale%.idx}")" "$CACHE"/*.union)
expect_exit 0 "cache gc --days 1" "$IMGMOUNT" cache gc --days 1 --cache-dir "$CACHE"
removed=$((1 + ${#over_stale[@]}))
grep -q "removed $removed index" "$WORK/out.txt" || fail "gc: $(cat "$WORK/out.txt"), expected $removed"
[ -e "$stale" ] && fail "gc left $stale"
for union in "${over_stale[@]}"; do
  [ -e "$union" ] && fail "gc left $union over the evicted $stale"
done
entries=$(ls "$CACHE"/*.idx "$CACHE"/*.union | wc -l)
expect_exit 2 "cache gc --days x" "$IMGMOUNT" cache gc --days x --cache-dir "$CACHE"
expect_exit 2 "cache ls --days 3" "$IMGMOUNT" cache ls --days 3 --cache-dir "$CACHE"
expect_exit 2 "cache frobnicate" "$IMGMOUNT" cache frobnicate --cache-dir "$CACHE"
expect_exit 2 "cache without a command" "$IMGMOUNT" cache
expect_exit 0 "cache --help" "$IMGMOUNT" cache --help
expect_exit 6 "cache ls of a file" "$IMGMOUNT" cache ls --cache-dir "$WORK/not-a-dir"
expect_exit 0 "cache clear" "$IMGMOUNT" cache clear --cache-dir "$CACHE"
grep -q "removed $entries indexes" "$WORK/out.txt" || fail "clear: $(cat "$WORK/out.txt")"
expect_exit 0 "cache ls after clear" "$IMGMOUNT" cache ls --cache-dir "$CACHE"
grep -q "^0 indexes" "$WORK/out.txt" || fail "cache not empty after clear: $(cat "$WORK/out.txt")"
expect_exit 0 "cache ls --json after clear" "$IMGMOUNT" cache ls --json --cache-dir "$CACHE"
[ "$(cat "$WORK/out.txt")" = "[]" ] || fail "cache ls --json after clear: $(cat "$WORK/out.txt")"
"$IMGMOUNT" ls -v --cache-dir "$CACHE" "$WORK/sample.tar" > /dev/null 2> "$WORK/after-clear.err"
check_counts "sample after clear" "$WORK/after-clear.err" 0 4
finish

#!/usr/bin/env bash
# Listings without attributes (fs/listing_attributes.h). On a fresh mount a listing gives the
# names and types of non-directories but no inodes, so the kernel looks a file up when a program
# first asks for its attributes; that lookup turns attributes on for every later listing and makes
# the kernel drop the listings it cached bare. Which requests reach the daemon is read from FUSE's
# debug log (-d); what programs see is compared with the oracle (`umoci raw unpack`) after a bare
# `find`, so the switch and the re-read listings are checked too.
source "$(dirname "$0")/lib.sh"

src="$WORK/src"
mkdir -p "$src/a/sub" "$src/b" "$src/c"
for i in $(seq 1 40); do
  echo "a$i" > "$src/a/f$i"
  echo "b$i" > "$src/b/g$i"
  echo "c$i" > "$src/c/h$i"
done
echo deep > "$src/a/sub/deep"
ln -s f1 "$src/a/link"
ln "$src/b/g1" "$src/b/hardlink"
tar -C "$src" --owner=0 --group=0 --sort=name -cf "$WORK/layer.tar" .
"$FIXTURE" wrap oci-dir "$WORK/oci" "$WORK/layer.tar" --tag imgmount/listing:latest > /dev/null
oracle_unpack "$WORK/oci" latest "$WORK/oracle"

# 1. A bare `find` lists every name the oracle has; a stat walk after it sees every attribute
#    right (lookups of bare-listed files, then re-read listings), and so does a second one.
mnt="$WORK/mnt-find"
if mount_image "$WORK/oci" "$mnt"; then
  (cd "$WORK/oracle" && find . | sort) > "$WORK/oracle-names.txt"
  (cd "$mnt" && find . | sort) > "$WORK/mount-names.txt"
  if diff -u "$WORK/oracle-names.txt" "$WORK/mount-names.txt" > "$WORK/names.diff"; then
    say "ok: find on a fresh mount lists the oracle's $(wc -l < "$WORK/oracle-names.txt") names"
  else
    fail "find on a fresh mount lists other names than the oracle"
    head -20 "$WORK/names.diff"
  fi
  compare_trees "stat walk after a bare find" "$WORK/oracle" "$mnt"
  compare_trees "second stat walk" "$WORK/oracle" "$mnt"
  unmount_image "$mnt"
else
  fail "mount for the find checks failed"
fi

# 2. The requests themselves, from the daemon's debug log.
mnt="$WORK/mnt-debug"
log="$WORK/debug.log"
mkdir -p "$mnt"
MOUNTS+=("$mnt")
"$IMGMOUNT" -d "$WORK/oci" "$mnt" 2> "$log" &
for _ in $(seq 1 100); do
  grep -q " $mnt fuse" /proc/self/mounts && break
  sleep 0.1
done

# listings DIR, lookups DIR: how many READDIRPLUS and LOOKUP requests for directory DIR (below
# the mountpoint) the daemon received.
listings() { grep -c "opcode: READDIRPLUS ([0-9]*), nodeid: $(stat -c %i "$mnt/$1")," "$log" || true; }
lookups() { grep -c "opcode: LOOKUP ([0-9]*), nodeid: $(stat -c %i "$mnt/$1")," "$log" || true; }

ls "$mnt/a" > /dev/null
before=$(lookups a)
stat "$mnt/a/f1" > /dev/null
after=$(lookups a)
if [ "$after" -gt "$before" ]; then
  say "ok: a file listed bare is looked up when first stat'ed ($before -> $after lookups in a)"
else
  fail "stat of a file after the first listing needed no lookup: the listing carried attributes"
fi

# stat_without_lookups WHAT DIR FILES...: stats FILES of directory DIR; the daemon must get no
# lookup in DIR for them (the kernel had their attributes from a listing).
stat_without_lookups() {
  local what=$1 dir=$2
  shift 2
  local before after
  before=$(lookups "$dir")
  stat "$@" > /dev/null
  after=$(lookups "$dir")
  if [ "$after" -eq "$before" ]; then
    say "ok: $what (no lookups in $dir)"
  else
    fail "$what: stat needed $((after - before)) lookups in $dir"
  fi
}

ls "$mnt/b" > /dev/null
stat_without_lookups "once attributes were asked for, a listing carries them" b "$mnt"/b/g*

# The listing of a given bare is dropped from the kernel's cache (in the background): a new
# listing reaches the daemon again, and then carries the attributes.
before=$(listings a)
for _ in $(seq 1 100); do
  ls "$mnt/a" > /dev/null
  [ "$(listings a)" -gt "$before" ] && break
  sleep 0.1
done
if [ "$(listings a)" -gt "$before" ]; then
  stat_without_lookups "the listing given bare was read again, with attributes" a "$mnt"/a/f*
else
  fail "the kernel kept the listing of a given without attributes (never read again)"
fi
unmount_image "$mnt"
wait
finish

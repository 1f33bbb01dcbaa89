#!/usr/bin/env bash
# Load and faults, mounted: 8 parallel readers doing random reads over many files of a three-layer
# image (gzip, single-frame zstd, uncompressed) with a small span cache, every byte checked
# against `umoci raw unpack` of the same image; the daemon must stay up, report no sanitizer
# finding and keep its memory bounded. Then the image's blobs are damaged while mounted (an
# uncompressed blob rewritten in place, a gzip blob truncated): reads of the damaged layer's
# files fail with EIO, never return other bytes, and the other layers' files still read right.
# LOAD_SECONDS sets the readers' time (default 60; 20 under the address sanitizer). CI also runs
# this test on the thread-sanitizer build; the daemon's sanitizer reports go to files here.
# Between the readers and the unmount, thousands of open/read/close cycles (some overlapping on
# one file): on the address-sanitizer build a per-open state that release did not free would be
# reported as a leak when the daemon exits.
source "$(dirname "$0")/lib.sh"

TOOLS="$IMGMOUNT_SOURCE_DIR/tests/tools"
case "${IMGMOUNT_SANITIZE:-}" in
  address) seconds=${LOAD_SECONDS:-20} ;;
  *) seconds=${LOAD_SECONDS:-60} ;;
esac
CACHE_MB=4
REPORTS="$WORK/sanitizer"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$REPORTS"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$REPORTS"
export TSAN_OPTIONS="${TSAN_OPTIONS:-}:log_path=$REPORTS"

# No sanitizer report from any imgmount process so far.
no_reports() {
  local report found=0
  for report in "$REPORTS".*; do
    [ -e "$report" ] || continue
    found=1
    fail "$1: sanitizer report $report:"
    head -60 "$report"
  done
  [ "$found" -eq 1 ] || say "ok: $1: no sanitizer report"
}

# ---- the image and its oracle --------------------------------------------------------------
python3 "$TOOLS/load_tree.py" "$WORK/tree" --seed 7
for layer in l1 l2 l3; do
  tar --format=pax --sort=name --owner=0 --group=0 --numeric-owner -C "$WORK/tree/$layer" \
    -cf "$WORK/$layer.tar" .
done
gzip -1 -c "$WORK/l1.tar" > "$WORK/l1.tar.gz"
zstd -q -3 --single-thread -c "$WORK/l2.tar" > "$WORK/l2.tar.zst"
"$FIXTURE" wrap oci-dir "$WORK/image" "$WORK/l1.tar.gz" "$WORK/l2.tar.zst" "$WORK/l3.tar" \
  --tag load:latest > /dev/null || fail "cannot build the load image"
# umoci 0.4.7 cannot read zstd layers: the oracle unpacks the same layers uncompressed.
"$FIXTURE" wrap oci-dir "$WORK/plain" "$WORK/l1.tar" "$WORK/l2.tar" "$WORK/l3.tar" \
  --tag load:latest > /dev/null || fail "cannot build the uncompressed twin"
oracle_unpack "$WORK/plain" latest "$WORK/oracle" || fail "umoci unpack of the load image"
say "image: $(find "$WORK/oracle" -type f | wc -l) files, $(du -sm "$WORK/oracle" | cut -f1) MiB;" \
  "blobs $(du -m "$WORK/l1.tar.gz" | cut -f1) MiB gzip, $(du -m "$WORK/l2.tar.zst" | cut -f1) MiB" \
  "zstd, $(du -m "$WORK/l3.tar" | cut -f1) MiB plain"

# Which layer supplies each file of the final tree, from the layer trees (not from imgmount):
# l3's files, then l2's not in l3, then the rest.
(cd "$WORK/oracle" && find . -type f | sed 's|^\./||' | sort) > "$WORK/all.txt"
(cd "$WORK/tree/l3" && find . -type f | sed 's|^\./||' | sort) > "$WORK/from-l3.txt"
(cd "$WORK/tree/l2" && find . -type f ! -name '.wh.*' | sed 's|^\./||' | sort |
  comm -23 - "$WORK/from-l3.txt") > "$WORK/from-l2.txt"
sort "$WORK/from-l2.txt" "$WORK/from-l3.txt" | comm -23 "$WORK/all.txt" - > "$WORK/from-l1.txt"

# allow_eio LIST: --allow-eio options for every path in LIST.
allow_eio() { sed 's|^|--allow-eio=|' "$1"; }

# ---- 8 readers against the whole image -----------------------------------------------------
mnt="$WORK/mnt"
mount_image "$WORK/image" "$mnt" -o cache_mb=$CACHE_MB || fail "mount of the load image"
compare_trees "load image mounted" "$WORK/oracle" "$mnt"
daemon=$(daemon_pid "$WORK/image" "$mnt")
# The peak is the readers' alone: the mount's indexing pass has its own memory test (bombs).
[ -n "$daemon" ] && echo 5 > "/proc/$daemon/clear_refs"
python_agrees "8 parallel readers for $seconds s" "the umoci unpack" \
  "$TOOLS/parallel_reads.py" "$mnt" "$WORK/oracle" --readers 8 --seconds "$seconds"
if [ -n "$daemon" ] && kill -0 "$daemon" 2> /dev/null; then
  peak=$(($(peak_rss_kib "$daemon") / 1024))
  # The bound: the span cache, 32 MiB for the process and its index, and per request in flight
  # the decoded spans its reply is sent from (up to two of 2 MiB here: a 1 MiB read may cross a
  # span boundary), which stay alive while the reply is written even when a tiny cache like this
  # one has evicted them. Requests in flight are the 8 readers' and the kernel's read-ahead,
  # served by at most 16 daemon threads (mount_session.cpp). Decoders' state is bounded apart
  # from threads (decode_permit.h). Measured while reading: 60-61 MiB.
  bound=$((CACHE_MB + 32 + 16 * 4))
  say "daemon peak RSS ${peak} MiB with cache_mb=$CACHE_MB (bound $bound MiB)"
  if [ -z "${IMGMOUNT_SANITIZE:-}" ] && [ "$peak" -gt "$bound" ]; then
    fail "daemon peak RSS ${peak} MiB, more than the bound of $bound MiB"
  fi
else
  fail "the daemon is gone after the readers"
fi
python_agrees "open/read/close cycles" "the umoci unpack" \
  "$TOOLS/open_cycles.py" "$mnt" "$WORK/oracle" "$WORK/all.txt" --cycles 2000
unmount_image "$mnt"
no_reports "parallel readers and open/read/close cycles"

# ---- damage while mounted ------------------------------------------------------------------
blob_of() { echo "$1/blobs/sha256/$(sha256sum "$2" | cut -d' ' -f1)"; }

# An uncompressed blob rewritten in place (same size): its files fail, the others read right.
cp -r "$WORK/image" "$WORK/damaged"
mount_image "$WORK/damaged" "$mnt" -o cache_mb=$CACHE_MB || fail "mount of the copy"
blob=$(blob_of "$WORK/damaged" "$WORK/l3.tar")
dd if=/dev/urandom of="$blob" bs=4096 seek=100 count=1 conv=notrunc status=none
mapfile -t allowed < <(allow_eio "$WORK/from-l3.txt")
python_agrees "readers after the plain layer was rewritten" "the umoci unpack (EIO allowed for its files)" \
  "$TOOLS/parallel_reads.py" "$mnt" "$WORK/oracle" --readers 8 --seconds 10 "${allowed[@]}"
unmount_image "$mnt"

# A gzip blob truncated to half: its files fail (but what is cached), the others read right.
rm -rf "$WORK/damaged" "$WORK/cache"
cp -r "$WORK/image" "$WORK/damaged"
mount_image "$WORK/damaged" "$mnt" -o cache_mb=$CACHE_MB || fail "mount of the copy"
blob=$(blob_of "$WORK/damaged" "$WORK/l1.tar.gz")
truncate -s $(($(stat -c %s "$blob") / 2)) "$blob"
mapfile -t allowed < <(allow_eio "$WORK/from-l1.txt")
python_agrees "readers after the gzip layer was truncated" "the umoci unpack (EIO allowed for its files)" \
  "$TOOLS/parallel_reads.py" "$mnt" "$WORK/oracle" --readers 8 --seconds 10 "${allowed[@]}"
file=$(head -1 "$WORK/from-l1.txt")
if cat "$mnt/$file" > /dev/null 2> "$WORK/cat.err"; then
  [ ! -s "$WORK/oracle/$file" ] || say "note: $file was served from caches"
else
  grep -q "Input/output error" "$WORK/cat.err" || fail "truncated blob: $(cat "$WORK/cat.err")"
fi
[ -n "$(daemon_pid "$WORK/damaged" "$mnt")" ] || fail "the daemon died on the damaged blob"
unmount_image "$mnt"
no_reports "damaged blobs"
finish

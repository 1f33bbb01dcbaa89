#!/usr/bin/env bash
# Every input format (docs/ARCHITECTURE.md, the inputs), with every layer compression, built by the
# project's fixture builder from the same `sample` scenario, mounted and compared entry by entry
# (type, mode, owner, size, sha256, link target, rdev, xattrs, hardlink groups, mtime) with the
# oracle: `umoci raw unpack` of the sample written as an OCI layout. Also checks `imgmount ls`
# and `imgmount cat` against the oracle tree.
source "$(dirname "$0")/lib.sh"

"$FIXTURE" sample oci-dir none "$WORK/oracle-oci"
oracle_unpack "$WORK/oracle-oci" latest "$WORK/oracle"

check_format() {
  local format=$1 compression=$2
  shift 2
  local name="$format-$compression${1:+-outer-$2}"
  local image="$WORK/$name"
  [ "$format" = oci-dir ] || image="$image.tar"
  "$FIXTURE" sample "$format" "$compression" "$image" "$@"
  local mnt="$WORK/mnt-$name"
  if ! mount_image "$image" "$mnt"; then
    fail "$name: mount failed"
    return 0
  fi
  compare_trees "$name" "$WORK/oracle" "$mnt"
  unmount_image "$mnt"
}

for compression in none gzip gzip-multi zstd zstd-multi zstd-seekable; do
  for format in docker-oci containerd docker-archive oci-dir oci-archive; do
    check_format "$format" "$compression"
  done
done
check_format docker-legacy none
check_format docker-oci gzip --outer gzip
check_format oci-archive zstd --outer zstd

# The FUSE-free verbs see the same tree: every file's bytes, every directory's names.
image="$WORK/docker-oci-gzip.tar"
files=0
while IFS= read -r -d '' path; do
  files=$((files + 1))
  if ! "$IMGMOUNT" cat "$image" "/$path" | cmp -s - "$WORK/oracle/$path"; then
    fail "imgmount cat /$path differs from the oracle"
  fi
done < <(cd "$WORK/oracle" && find . -type f -printf '%P\0')
say "ok: imgmount cat of $files files matches the oracle"
(cd "$WORK/oracle" && LC_ALL=C ls -R -1 --quoting-style=literal .) |
  sed -e 's#^\.:$#/:#' -e 's#^\./\(.*\):$#/\1:#' > "$WORK/oracle-ls.txt"
"$IMGMOUNT" ls -R "$image" / > "$WORK/imgmount-ls.txt"
if diff -u "$WORK/oracle-ls.txt" "$WORK/imgmount-ls.txt" > "$WORK/ls.diff"; then
  say "ok: imgmount ls -R prints what ls -R prints of the oracle ($(wc -l < "$WORK/oracle-ls.txt") lines)"
else
  fail "imgmount ls -R differs from ls -R of the oracle"
  head -20 "$WORK/ls.diff"
fi
finish

#!/usr/bin/env bash
# Choosing the image: several images in one archive (IMAGE:TAG, --image, an error listing them),
# multi-platform indexes (--platform, the host's by default, an error listing what exists),
# containerd exports missing other platforms' blobs, and the Docker >= 25 quirks (layer order
# from manifest.json, "manifests": null) and skopeo's legacy directories, each compared with the
# oracle tree.
source "$(dirname "$0")/lib.sh"

"$FIXTURE" sample oci-dir none "$WORK/oracle-oci"
oracle_unpack "$WORK/oracle-oci" latest "$WORK/oracle"
"$FIXTURE" sample-plus oci-dir none "$WORK/oracle-plus-oci"
oracle_unpack "$WORK/oracle-plus-oci" latest "$WORK/oracle-plus"

# compare_mount NAME IMAGE ORACLE [imgmount options]
compare_mount() {
  local name=$1 image=$2 oracle=$3
  shift 3
  local mnt="$WORK/mnt-$name"
  if mount_image "$image" "$mnt" "$@"; then
    compare_trees "$name" "$oracle" "$mnt"
    unmount_image "$mnt"
  else
    fail "$name: mount failed"
  fi
}

# Two images in one docker save archive.
multi="$WORK/multi.tar"
"$FIXTURE" sample docker-oci gzip "$multi" --tag app:1 --image sample-plus=app:2
mkdir -p "$WORK/mnt-none"
expect_exit 3 "archive with two images and no choice" "$IMGMOUNT" "$multi" "$WORK/mnt-none"
grep -q "app:1" "$WORK/err.txt" && grep -q "app:2" "$WORK/err.txt" ||
  fail "the error does not list both images: $(cat "$WORK/err.txt")"
expect_exit 3 "a tag that does not exist" "$IMGMOUNT" ls "$multi:9" /
compare_mount "image-1-by-file-tag" "$multi:1" "$WORK/oracle"
compare_mount "image-2-by-option" "$multi" "$WORK/oracle-plus" --image app:2
compare_mount "image-2-by-full-name" "$multi:app:2" "$WORK/oracle-plus"

# Multi-platform OCI index: the host's platform by default, another on request.
for format in oci-dir oci-archive containerd; do
  image="$WORK/mp-$format"
  [ "$format" = oci-dir ] || image="$image.tar"
  "$FIXTURE" sample "$format" gzip "$image" --multi-platform
  compare_mount "multi-platform-$format-default" "$image" "$WORK/oracle"
  expect_exit 3 "$format: platform that is not there" "$IMGMOUNT" ls --platform linux/s390x "$image" /
  grep -q "linux/amd64" "$WORK/err.txt" && grep -q "linux/arm64" "$WORK/err.txt" ||
    fail "$format: the platform error does not list the available ones: $(cat "$WORK/err.txt")"
done
for format in oci-dir oci-archive; do
  image="$WORK/mp-$format"
  [ "$format" = oci-dir ] || image="$image.tar"
  expect_exit 0 "$format: --platform linux/arm64/v8" \
    "$IMGMOUNT" cat --platform linux/arm64/v8 "$image" /etc/imgmount-platform
  grep -q "arm64" "$WORK/out.txt" || fail "$format: arm64 image not chosen: $(cat "$WORK/out.txt")"
done
expect_exit 3 "containerd export: a platform whose blobs are missing" \
  "$IMGMOUNT" ls --platform linux/arm64 "$WORK/mp-containerd.tar" /
grep -q "not in the image" "$WORK/err.txt" || fail "missing-blob error unclear: $(cat "$WORK/err.txt")"

# Docker >= 25 quirks and skopeo's legacy directories.
"$FIXTURE" sample docker-oci none "$WORK/shuffled.tar" --shuffle-oci-layers
compare_mount "docker-25-shuffled-oci-layers" "$WORK/shuffled.tar" "$WORK/oracle"
"$FIXTURE" sample docker-oci gzip "$WORK/null.tar" --null-oci-manifests
compare_mount "docker-25-null-manifests" "$WORK/null.tar" "$WORK/oracle"
"$FIXTURE" sample docker-archive gzip "$WORK/legacy-dirs.tar" --legacy-dirs
compare_mount "docker-archive-legacy-dirs" "$WORK/legacy-dirs.tar" "$WORK/oracle"
"$FIXTURE" sample oci-dir gzip "$WORK/docker-types" --docker-media-types
compare_mount "docker-media-types" "$WORK/docker-types" "$WORK/oracle"
finish

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
# Platform spellings (issue 16.5), normalised as containerd normalises them: the index states
# linux/arm64 and linux/arm without variants (and the sample itself is linux/amd64); every
# spelling of a platform picks the same image, and the error lists the canonical names.
spell="$WORK/mp-spellings"
"$FIXTURE" sample oci-dir gzip "$spell" --platform linux/arm64 --platform linux/arm \
  --platform linux/arm/v6
for case in aarch64=linux/arm64 linux/arm64/v8=linux/arm64 ARM64=linux/arm64 \
  Linux/AArch64=linux/arm64 armhf=linux/arm linux/arm/v7=linux/arm arm=linux/arm \
  armel=linux/arm/v6 linux/arm/6=linux/arm/v6; do
  spelling=${case%%=*} want=${case#*=}
  expect_exit 0 "--platform $spelling" \
    "$IMGMOUNT" cat --platform "$spelling" "$spell" /etc/imgmount-platform
  [ "$(cat "$WORK/out.txt")" = "$want" ] ||
    fail "--platform $spelling chose $(cat "$WORK/out.txt"), not the $want image"
done
for spelling in x86_64 x86-64 amd64 linux/AMD64; do
  expect_exit 0 "--platform $spelling" "$IMGMOUNT" ls --platform "$spelling" "$spell" /etc
  grep -q imgmount-platform "$WORK/out.txt" && fail "--platform $spelling chose an arm image"
done
mnt="$WORK/mnt-aarch64"
if mount_image "$spell" "$mnt" --platform aarch64; then
  [ "$(cat "$mnt/etc/imgmount-platform")" = linux/arm64 ] &&
    say "ok: mounted with --platform aarch64: the linux/arm64 image" ||
    fail "mounted --platform aarch64 serves $(cat "$mnt/etc/imgmount-platform")"
  unmount_image "$mnt"
else
  fail "mount --platform aarch64 failed"
fi
expect_exit 3 "a platform that is not there, canonical names listed" \
  "$IMGMOUNT" ls --platform s390x "$spell" /
listed=$(grep '^  ' "$WORK/err.txt" | sed 's/^ *//' | sort | xargs)
[ "$listed" = "linux/amd64 linux/arm/v6 linux/arm/v7 linux/arm64/v8" ] &&
  say "ok: the platform error lists $listed" ||
  fail "the platform error lists \"$listed\": $(cat "$WORK/err.txt")"
grep -q 'no platform linux/s390x' "$WORK/err.txt" ||
  fail "the platform error does not name linux/s390x: $(cat "$WORK/err.txt")"
expect_exit 2 "--platform nonsense" "$IMGMOUNT" ls --platform nonsense "$spell" /
grep -q '"nonsense"' "$WORK/err.txt" || fail "--platform nonsense: $(cat "$WORK/err.txt")"

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

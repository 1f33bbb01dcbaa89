#!/usr/bin/env bash
# Images made by real tools (umoci, buildah, skopeo; see scripts/make-real-images.sh): each one
# mounted and compared entry by entry with `umoci raw unpack` of the same image, converted by
# skopeo to a gzip OCI layout where umoci cannot read the original (zstd, archives, indexes).
source "$(dirname "$0")/lib.sh"

real="$WORK/real"
if ! "$IMGMOUNT_SOURCE_DIR/scripts/make-real-images.sh" "$real" --no-verify > "$WORK/make.log" 2>&1; then
  cat "$WORK/make.log"
  fail "make-real-images.sh failed"
  finish
fi

# oracle_for NAME: prints the OCI layout directory umoci can unpack for output NAME.
oracle_for() {
  local name=$1 source
  case "$name" in
    oci-umoci | oci-gzip | oci-uncompressed) echo "$real/$name"; return 0 ;;
    image.oci.tar) source="oci-archive:$real/$name:latest" ;;
    image.docker.tar) source="docker-archive:$real/$name" ;;
    *) source="oci:$real/$name:latest" ;;
  esac
  local converted="$WORK/converted-$name"
  skopeo copy -q --dest-compress --dest-compress-format gzip "$source" "oci:$converted:latest" \
    > "$WORK/skopeo.log" 2>&1 || { cat "$WORK/skopeo.log" >&2; return 1; }
  echo "$converted"
}

for name in oci-umoci oci-gzip oci-uncompressed oci-zstd oci-zstd-chunked image.oci.tar \
  image.docker.tar oci-multiarch; do
  if ! layout=$(oracle_for "$name"); then
    fail "$name: skopeo could not convert it for the oracle"
    continue
  fi
  oracle_unpack "$layout" latest "$WORK/oracle-$name" || { fail "$name: umoci unpack"; continue; }
  mnt="$WORK/mnt-$name"
  if mount_image "$real/$name" "$mnt"; then
    compare_trees "$name" "$WORK/oracle-$name" "$mnt"
    unmount_image "$mnt"
  else
    fail "$name: mount failed"
  fi
done

# The other platform of the multi-arch index: only it has /etc/platform.
expect_exit 0 "oci-multiarch --platform linux/arm64/v8" \
  "$IMGMOUNT" cat --platform linux/arm64/v8 "$real/oci-multiarch" /etc/platform
finish

#!/bin/bash
# make-real-images.sh OUTDIR [--no-verify] [--keep-work]
#
# Builds test images with REAL tools (GNU tar, umoci, buildah, skopeo), offline, as root, on a
# fresh Debian 12 (apt-get install skopeo umoci buildah fuse-overlayfs attr libcap2-bin). It is
# the counterpart of the project's own builder (tests/tools/imgmount-fixture): these are the
# byte layouts the tools really write, with their quirks.
#
# The rootfs is made on disk: files with content, nested dirs, relative / absolute / dangling
# symlinks, hardlinks, setuid / setgid / sticky modes, non-root owners, nanosecond mtimes, a
# user.* xattr, a security.capability (setcap), a fifo, a char and a block device, a sparse
# file, a > 100-byte name and a > 255-byte path. A second layer then deletes a file and a
# directory (whiteouts), replaces a directory's contents (opaque directory), turns the /lib
# symlink into a directory, replaces a hardlinked file, changes a mode, an xattr and contents,
# adds a hardlink to a lower-layer file and adds files.
#
# Outputs (all tagged "latest"; docker-archive as imgmount/real:latest):
#   oci-umoci/            OCI layout made by umoci 0.4.7 alone: layer 1 = GNU tar --format=posix
#                         of the rootfs (`umoci raw add-layer`), layer 2 = `umoci repack` of the
#                         changed bundle (one whiteout per deleted path, never an opaque marker),
#                         layer 3 = `umoci insert --opaque` (marker written before the directory's
#                         own entry), layer 4 = `umoci insert --whiteout`. Layers are gzip; insert
#                         layers have no end-of-archive blocks.
#   oci-gzip/             buildah (overlay driver: whiteouts are mode-0 files, partly hardlinked;
#                         opaque markers) exported by skopeo as an OCI layout, gzip layers.
#   oci-uncompressed/     the same image, uncompressed OCI layers (application/...tar).
#   oci-zstd/             the same image, zstd layers.
#   oci-zstd-chunked/     the same image, zstd:chunked layers (zstd frames + skippable-frame TOC).
#   image.oci.tar         the same image as an OCI archive (skopeo oci-archive:).
#   image.docker.tar      the same image as a docker-archive (skopeo docker-archive:): legacy
#                         layout, <id>/layer.tar symlinked to ../<diffid>.tar, uncompressed.
#   oci-multiarch/        a two-platform OCI index (linux/amd64 + linux/arm64/v8), made with
#                         `buildah manifest create/add/push --all`; arm64 adds /etc/platform.
#   rootfs.tar            layer 1 input (GNU tar, posix format with SCHILY.xattr records).
#   MANIFEST.txt          this list, plus the digests of what was written.
#
# Every output can be unpacked by `umoci raw unpack --image DIR:latest ROOTFS`, directly for the
# gzip / uncompressed OCI layouts, and after `skopeo copy --dest-compress-format gzip
# --dest-compress X oci:DIR:latest` for the others (umoci 0.4.7 cannot read zstd layers). Unless
# --no-verify is given, the script does exactly that for each output at the end.
#
# Nothing global is touched: buildah and skopeo use a temporary storage root (overlay if the
# kernel allows it here, else vfs with a warning: vfs never writes opaque markers) under a
# temporary work directory that is removed on exit (--keep-work keeps it).
set -euo pipefail

usage() { sed -n '2,2p;' "$0" | sed 's/^# //'; exit 2; }

OUT=""
VERIFY=1
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --no-verify) VERIFY=0 ;;
    --keep-work) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-real-images.sh: unknown option $arg" >&2; usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$arg ;;
  esac
done
[ -n "$OUT" ] || usage
[ "$(id -u)" = 0 ] || { echo "make-real-images.sh: must run as root" >&2; exit 2; }
# Run in a private mount namespace: storage-driver mounts vanish with it, and a tmpfs hides the
# host's /var/lib/containers (where buildah and skopeo keep their blob-info cache) from the tools.
if [ -z "${IMGMOUNT_REAL_IMAGES_NS:-}" ]; then
  IMGMOUNT_REAL_IMAGES_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
if [ -d /var/lib/containers ]; then mount -t tmpfs -o mode=0700 tmpfs /var/lib/containers; fi
for tool in tar umoci buildah skopeo setfattr setcap mknod; do
  command -v "$tool" >/dev/null || { echo "make-real-images.sh: $tool not found" >&2; exit 2; }
done
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
if [ -n "$(ls -A "$OUT")" ]; then
  echo "make-real-images.sh: $OUT is not empty" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/imgmount-real.XXXXXX)
# Local image names; buildah puts unqualified names under localhost/.
BASE_IMG=localhost/imgmount/real-base:latest
REAL_IMG=localhost/imgmount/real:latest
ARM_IMG=localhost/imgmount/real-arm64:latest
MULTI_IMG=localhost/imgmount/real-multi:latest
STORAGE_DRIVER=overlay
log() { echo "== $*" >&2; }

cleanup() {
  set +e
  if [ -d "$WORK/storage" ]; then
    bah rm --all >/dev/null 2>&1
    bah rmi --all --force >/dev/null 2>&1
  fi
  # Unmount whatever the storage driver left mounted under the work dir, deepest first.
  findmnt -rn -o TARGET | grep "^$WORK/" | sort -r | while read -r m; do umount -l "$m"; done
  if [ "$KEEP" = 1 ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR" "$WORK/storage/graph" "$WORK/storage/run"
cat > "$WORK/storage.conf" <<EOF
[storage]
driver = "$STORAGE_DRIVER"
graphroot = "$WORK/storage/graph"
runroot = "$WORK/storage/run"
EOF
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf"
cat > "$WORK/policy.json" <<'EOF'
{"default": [{"type": "insecureAcceptAnything"}]}
EOF

# buildah with the temporary storage root.
bah() {
  buildah --root "$WORK/storage/graph" --runroot "$WORK/storage/run" \
    --storage-driver "$STORAGE_DRIVER" "$@"
}
# The containers-storage reference of an image for skopeo.
cs_ref() { echo "containers-storage:[$STORAGE_DRIVER@$WORK/storage/graph+$WORK/storage/run]$1"; }
sko() { skopeo --policy "$WORK/policy.json" "$@"; }

# ---------------------------------------------------------------------------------------------
# 1. The rootfs of layer 1.
# ---------------------------------------------------------------------------------------------
make_rootfs() {
  local r=$1
  mkdir -p "$r"/{etc/conf.d/sub,usr/bin,usr/lib,usr/share/doc,var/cache/old/b,var/lib,srv/data}
  mkdir -p "$r"/{home/user,dev,run,tmp,opt/tree/y}
  echo "imgmount-real" > "$r/etc/hostname"
  echo "welcome" > "$r/etc/motd"
  echo "to be deleted" > "$r/etc/remove-me"
  echo "key=value" > "$r/etc/app.conf"
  : > "$r/etc/empty"
  echo "old" > "$r/etc/conf.d/old.conf"
  echo "deep" > "$r/etc/conf.d/sub/deep.conf"
  printf '#!/bin/sh\necho tool\n' > "$r/usr/bin/tool"
  chmod 0755 "$r/usr/bin/tool"
  ln "$r/usr/bin/tool" "$r/usr/bin/tool-hardlink"
  echo "setuid" > "$r/usr/bin/su-like" && chmod 4755 "$r/usr/bin/su-like"
  echo "setgid" > "$r/usr/bin/sg-like" && chmod 2755 "$r/usr/bin/sg-like"
  echo "needs cap_net_raw" > "$r/usr/bin/ping-like" && chmod 0755 "$r/usr/bin/ping-like"
  setcap cap_net_raw+ep "$r/usr/bin/ping-like"
  setfattr -n user.note -v "original note" "$r/usr/bin/ping-like"
  printf '\177ELF fake\n' > "$r/usr/lib/libfoo.so.1"
  ln -s libfoo.so.1 "$r/usr/lib/libfoo.so"
  ln -s usr/lib "$r/lib"
  ln -s /usr/bin "$r/bin"
  ln -s /nonexistent/target "$r/etc/dangling"
  echo "base text" > "$r/usr/share/base.txt"
  echo "hardlink target v1" > "$r/etc/hl-target"
  ln "$r/etc/hl-target" "$r/etc/hl-link"
  echo "a" > "$r/var/cache/old/a"
  echo "c" > "$r/var/cache/old/b/c"
  echo "x" > "$r/opt/tree/x"
  echo "z" > "$r/opt/tree/y/z"
  echo "old data" > "$r/srv/data/old.txt"
  echo "notes" > "$r/home/user/notes.txt"
  chown -R 1000:1000 "$r/home/user"
  chmod 0750 "$r/home/user"
  setfattr -n user.dirnote -v "a directory xattr" "$r/home/user"
  chmod 1777 "$r/tmp"
  mkdir -m 2775 "$r/var/shared" && chgrp 50 "$r/var/shared"
  mkfifo -m 0600 "$r/run/fifo"
  mknod -m 0666 "$r/dev/null-like" c 1 3
  mknod -m 0660 "$r/dev/loop-like" b 7 0 && chgrp 6 "$r/dev/loop-like"
  truncate -s 1M "$r/var/lib/sparse.img"
  printf 'AAAA' | dd of="$r/var/lib/sparse.img" bs=1 seek=0 conv=notrunc status=none
  printf 'BBBB' | dd of="$r/var/lib/sparse.img" bs=1 seek=524288 conv=notrunc status=none
  local long
  long="$r/usr/share/doc/$(printf 'l%.0s' $(seq 1 150))"
  echo "long name" > "$long"
  local deep="$r/usr/share/doc/deep"
  for seg in a b c d; do deep="$deep/$(printf "$seg%.0s" $(seq 1 60))"; done
  mkdir -p "$deep" && echo "path beyond 255 bytes" > "$deep/file.txt"
  touch -h -d '@1700000000.123456789' "$r/usr/bin/tool" "$r/etc/app.conf" "$r/etc/dangling"
  touch -d '@1600000000.5' "$r/home/user/notes.txt"
}

# The changes of layer 2, applied to a mounted / unpacked rootfs.
change_rootfs() {
  local r=$1
  rm "$r/etc/remove-me"
  rm -rf "$r/var/cache/old"
  rm -rf "$r/etc/conf.d"
  mkdir "$r/etc/conf.d" && echo "new" > "$r/etc/conf.d/new.conf"
  rm "$r/lib" && mkdir "$r/lib" && echo "modules" > "$r/lib/modules.txt"
  rm "$r/etc/hl-target" && echo "hardlink target v2" > "$r/etc/hl-target"
  chmod 0600 "$r/etc/app.conf"
  setfattr -n user.note -v "changed note" "$r/usr/bin/ping-like"
  echo "the motd changed" > "$r/etc/motd"
  mkdir -p "$r/new" && echo "added" > "$r/new/file.txt"
  ln "$r/usr/share/base.txt" "$r/new/base-link"
}

log "building the rootfs"
make_rootfs "$WORK/rootfs"
tar --format=posix --xattrs --xattrs-include='*' --numeric-owner --sort=name \
  --pax-option=delete=atime,delete=ctime -C "$WORK/rootfs" -cf "$OUT/rootfs.tar" .

# ---------------------------------------------------------------------------------------------
# 2. umoci alone.
# ---------------------------------------------------------------------------------------------
log "umoci: oci-umoci"
U="$OUT/oci-umoci"
umoci init --layout "$U"
umoci new --image "$U:latest"
umoci raw add-layer --image "$U:latest" --history.created_by "GNU tar rootfs" "$OUT/rootfs.tar"
umoci config --image "$U:latest" --config.cmd /bin/sh --config.env LANG=C.UTF-8 \
  --config.workingdir /home/user --config.user 1000:1000 --config.exposedports 8080/tcp \
  --config.label org.opencontainers.image.title=imgmount-real --os linux --architecture amd64
umoci unpack --image "$U:latest" "$WORK/bundle" >/dev/null
change_rootfs "$WORK/bundle/rootfs"
umoci repack --image "$U:latest" "$WORK/bundle" >/dev/null
mkdir -p "$WORK/opaque-src" && echo "only file after the opaque insert" > "$WORK/opaque-src/only.txt"
umoci insert --image "$U:latest" --opaque "$WORK/opaque-src" /opt/tree
umoci insert --image "$U:latest" --whiteout /srv/data
umoci gc --layout "$U"

# ---------------------------------------------------------------------------------------------
# 3. buildah + skopeo.
# ---------------------------------------------------------------------------------------------
log "buildah: probing the $STORAGE_DRIVER storage driver"
if ! ctr=$(bah from scratch 2>"$WORK/from.err") || ! bah mount "$ctr" >/dev/null 2>>"$WORK/from.err"
then
  cat "$WORK/from.err" >&2
  echo "WARNING: overlay storage does not work here; using vfs (no opaque markers)" >&2
  bah rm --all >/dev/null 2>&1 || true
  STORAGE_DRIVER=vfs
  sed -i "s/^driver = .*/driver = \"vfs\"/" "$WORK/storage.conf"
  ctr=$(bah from scratch)
fi
bah umount "$ctr" >/dev/null 2>&1 || true

log "buildah: layer 1 (ADD rootfs.tar)"
bah add "$ctr" "$OUT/rootfs.tar" / >/dev/null
bah config --os linux --arch amd64 --cmd /bin/sh --env LANG=C.UTF-8 \
  --workingdir /home/user --user 1000:1000 --port 8080/tcp \
  --label org.opencontainers.image.title=imgmount-real --created-by "ADD rootfs.tar /" "$ctr"
bah commit --quiet --signature-policy "$WORK/policy.json" "$ctr" "$BASE_IMG" >/dev/null
bah rm "$ctr" >/dev/null

log "buildah: layer 2 (changes through the mounted container)"
ctr=$(bah from --signature-policy "$WORK/policy.json" "$BASE_IMG")
mnt=$(bah mount "$ctr")
change_rootfs "$mnt"
bah umount "$ctr" >/dev/null
bah config --created-by "RUN change_rootfs" "$ctr"
bah commit --quiet --signature-policy "$WORK/policy.json" "$ctr" "$REAL_IMG" >/dev/null
bah rm "$ctr" >/dev/null

log "skopeo: exports"
SRC=$(cs_ref "$REAL_IMG")
sko copy -q "$SRC" "oci:$OUT/oci-gzip:latest"
sko copy -q --dest-compress-format zstd "$SRC" "oci:$OUT/oci-zstd:latest"
sko copy -q --dest-compress-format zstd:chunked "$SRC" "oci:$OUT/oci-zstd-chunked:latest"
sko copy -q --dest-decompress "$SRC" "dir:$WORK/plain-dir"
sko copy -q --dest-oci-accept-uncompressed-layers "dir:$WORK/plain-dir" \
  "oci:$OUT/oci-uncompressed:latest"
sko copy -q "$SRC" "oci-archive:$OUT/image.oci.tar:latest"
sko copy -q "$SRC" "docker-archive:$OUT/image.docker.tar:imgmount/real:latest"

log "buildah: two-platform index"
ctr=$(bah from --signature-policy "$WORK/policy.json" "$REAL_IMG")
mnt=$(bah mount "$ctr")
echo "linux/arm64/v8" > "$mnt/etc/platform"
bah umount "$ctr" >/dev/null
bah config --arch arm64 --variant v8 "$ctr"
bah commit --quiet --signature-policy "$WORK/policy.json" "$ctr" "$ARM_IMG" \
  >/dev/null
bah rm "$ctr" >/dev/null
bah manifest create "$MULTI_IMG" >/dev/null
bah manifest add "$MULTI_IMG" "$(cs_ref "$REAL_IMG")" >/dev/null
bah manifest add --arch arm64 --variant v8 "$MULTI_IMG" \
  "$(cs_ref "$ARM_IMG")" >/dev/null
bah manifest push --all --quiet --signature-policy "$WORK/policy.json" \
  "$MULTI_IMG" "oci:$OUT/oci-multiarch:latest"

# ---------------------------------------------------------------------------------------------
# 4. Inventory and verification.
# ---------------------------------------------------------------------------------------------
{
  echo "# made by scripts/make-real-images.sh on $(date -u +%FT%TZ), storage driver $STORAGE_DRIVER"
  echo "# $(umoci --version); $(skopeo --version); $(buildah --version)"
  for d in oci-umoci oci-gzip oci-uncompressed oci-zstd oci-zstd-chunked oci-multiarch; do
    echo "$d/ $(sha256sum "$OUT/$d/index.json" | cut -c1-16) (index.json)"
  done
  for f in image.oci.tar image.docker.tar rootfs.tar; do
    echo "$f $(sha256sum "$OUT/$f" | cut -c1-16)"
  done
} > "$OUT/MANIFEST.txt"

if [ "$VERIFY" = 1 ]; then
  log "verifying every output with umoci raw unpack"
  V="$WORK/verify"
  mkdir -p "$V"
  check() {  # check NAME LAYOUT:TAG — unpack and print the number of paths
    if umoci raw unpack --image "$2" "$V/$1" >/dev/null 2>"$V/$1.err"; then
      printf '  %-18s ok, %s paths\n' "$1" "$(find "$V/$1" | wc -l)" >&2
    else
      printf '  %-18s FAILED: %s\n' "$1" "$(tail -1 "$V/$1.err")" >&2
      return 1
    fi
  }
  to_gzip() {  # to_gzip SOURCE NAME — umoci 0.4.7 reads gzip and plain layers only
    sko copy -q --dest-compress --dest-compress-format gzip "$1" "oci:$V/$2.oci:latest" \
      2>"$V/$2.copy.err" || { cat "$V/$2.copy.err" >&2; return 1; }
  }
  ok=1
  check oci-umoci "$OUT/oci-umoci:latest" || ok=0
  check oci-gzip "$OUT/oci-gzip:latest" || ok=0
  check oci-uncompressed "$OUT/oci-uncompressed:latest" || ok=0
  to_gzip "oci:$OUT/oci-zstd:latest" zstd && check oci-zstd "$V/zstd.oci:latest" || ok=0
  to_gzip "oci:$OUT/oci-zstd-chunked:latest" chunked &&
    check oci-zstd-chunked "$V/chunked.oci:latest" || ok=0
  to_gzip "oci-archive:$OUT/image.oci.tar:latest" ociarch &&
    check image.oci.tar "$V/ociarch.oci:latest" || ok=0
  to_gzip "docker-archive:$OUT/image.docker.tar" dockerarch &&
    check image.docker.tar "$V/dockerarch.oci:latest" || ok=0
  sko copy -q --override-arch arm64 --override-variant v8 "oci:$OUT/oci-multiarch:latest" \
    "oci:$V/arm.oci:latest" && check oci-multiarch-arm64 "$V/arm.oci:latest" || ok=0
  [ "$ok" = 1 ] || { echo "make-real-images.sh: verification failed" >&2; exit 1; }
fi
log "done: $OUT"

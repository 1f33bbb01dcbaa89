#!/usr/bin/env bash
# Tar headers as the runtimes read them (issue 14.1, issue 21): every layer here is made by
# Debian's own tools (GNU tar 1.34, bsdtar, setfattr) or byte by byte by tests/tools/tar_cases.py,
# wrapped as a one-layer OCI image, and what imgmount serves (mounted, `ls`, `cat`, `export`) is
# compared with an independent oracle: GNU tar's extraction of the same layer for sparse files,
# `umoci raw unpack` (Go's archive/tar) for everything else.
#   1. sparse files in GNU old sparse and PAX 0.0 / 0.1 / 1.0: files that are all hole (512 and
#      513 bytes, 1 MiB), ending in a hole, in data, with 40 runs, and random files (the
#      property test: a new seed each run, printed), bytes and SEEK_DATA/SEEK_HOLE and st_blocks;
#   2. empty PAX values (path, linkpath, size, uid, gid, mtime, uname, gname, SCHILY.xattr);
#   3. xattrs only from SCHILY.xattr.*: bsdtar's doubled records once, vendor records none;
#   4. modes: symlinks 0777, a file's mode from its header, never from an ACL record;
#   5. names: "root/../ufo" at /ufo, climbing out dropped with a warning; a member below a file
#      of the same layer refuses the layer naming both;
#   6. malformed headers the runtimes refuse are refused with the layer and offset named.
source "$(dirname "$0")/lib.sh"

CASES="$IMGMOUNT_SOURCE_DIR/tests/tools/tar_cases.py"
CHECK="$IMGMOUNT_SOURCE_DIR/tests/tools/sparse_check.py"
MNT="$WORK/mnt"

# wrap LAYER.tar OCI_DIR: a one-layer OCI image.
wrap() { "$FIXTURE" wrap oci-dir "$2" "$1" > /dev/null; }

# layer CASE: writes $WORK/CASE.tar and wraps it as $WORK/CASE.
layer() {
  python3 "$CASES" layer "$1" "$WORK/$1.tar"
  wrap "$WORK/$1.tar" "$WORK/$1"
}

# ---- 1. sparse files, against GNU tar's extraction -------------------------------------------

SRC="$WORK/src"
mkdir -p "$SRC"
(
  cd "$SRC"
  truncate -s 512 f512 && truncate -s 513 f513 && truncate -s 1M f1m
  printf head > tail-hole && truncate -s 100000 tail-hole
  truncate -s 70000 data-end && printf end >> data-end
  for i in $(seq 0 39); do
    printf 'run%02d' "$i" | dd of=many bs=1 seek=$((i * 8192)) conv=notrunc status=none
  done
  truncate -s 400000 many
  head -c 3000 /dev/urandom > dense
)
SEED=${TAR_HEADERS_SEED:-$RANDOM}
say "property test: random sparse files of seed $SEED (TAR_HEADERS_SEED=$SEED repeats them)"
RANDOM_NAMES=$(python3 "$CASES" sparse-files "$SEED" "$SRC")
NAMES="f512 f513 f1m tail-hole data-end many dense $RANDOM_NAMES"

for format in gnu posix-0.0 posix-0.1 posix-1.0; do
  case $format in
    gnu) opts=(--format=gnu) ;;
    *) opts=(--format=posix "--sparse-version=${format#posix-}") ;;
  esac
  # shellcheck disable=SC2086 # NAMES is a list of plain names
  tar -C "$SRC" --sparse "${opts[@]}" -cf "$WORK/sparse-$format.tar" $NAMES
  mkdir -p "$WORK/gnu-$format"
  tar -C "$WORK/gnu-$format" -xf "$WORK/sparse-$format.tar"
  image="$WORK/sparse-$format"
  wrap "$WORK/sparse-$format.tar" "$image"
  if mount_image "$image" "$MNT"; then
    # shellcheck disable=SC2086
    python_agrees "sparse $format: mounted bytes, SEEK_DATA/SEEK_HOLE, st_blocks" \
      "GNU tar's extraction" "$CHECK" "$MNT" "$WORK/gnu-$format" $NAMES
    unmount_image "$MNT"
  else
    fail "sparse $format: mount failed"
  fi
  bad=""
  for name in $NAMES; do
    "$IMGMOUNT" cat "$image" "/$name" | cmp -s - "$WORK/gnu-$format/$name" || bad="$bad $name"
  done
  [ -z "$bad" ] && say "ok: sparse $format: imgmount cat agrees with GNU tar" ||
    fail "sparse $format: imgmount cat differs from GNU tar for:$bad"
  # export keeps the holes: GNU tar extracts the exported tar to the same files.
  rm -rf "$WORK/export" && mkdir -p "$WORK/export"
  if "$IMGMOUNT" export "$image" "$WORK/export.tar" 2> "$WORK/err.txt" &&
    tar -C "$WORK/export" -xf "$WORK/export.tar"; then
    # shellcheck disable=SC2086
    python_agrees "sparse $format: export extracted by GNU tar" "GNU tar's extraction" \
      "$CHECK" "$WORK/export" "$WORK/gnu-$format" $NAMES
  else
    fail "sparse $format: export failed: $(head -c 300 "$WORK/err.txt")"
  fi
done
# The PAX formats through Go's archive/tar (umoci refuses the GNU 'S' type flag itself).
for format in posix-0.0 posix-1.0; do
  oracle_unpack "$WORK/sparse-$format" latest "$WORK/umoci-$format"
  if mount_image "$WORK/sparse-$format" "$MNT"; then
    compare_trees "sparse $format vs umoci" "$WORK/umoci-$format" "$MNT"
    unmount_image "$MNT"
  fi
done

# ---- 2-5. headers compared with umoci raw unpack ---------------------------------------------

# served_as_umoci CASE: the mounted tree equals umoci's unpack of the same image.
served_as_umoci() {
  layer "$1"
  oracle_unpack "$WORK/$1" latest "$WORK/umoci-$1"
  if mount_image "$WORK/$1" "$MNT" 2> "$WORK/mount-$1.err"; then
    compare_trees "$1 vs umoci" "$WORK/umoci-$1" "$MNT"
    return 0
  fi
  fail "$1: mount failed: $(head -c 300 "$WORK/mount-$1.err")"
  return 1
}

# Empty PAX values (issue 14.1): the ustar fields stay, no empty xattr, also on the hardlink.
if served_as_umoci pax-empty; then
  [ "$(cat "$MNT/dir/file")" = "ustar fields stay" ] || fail "pax-empty: content"
  [ "$(stat -c '%a %u %Y' "$MNT/dir/file")" = "640 0 1700000000" ] ||
    fail "pax-empty: $(stat -c '%a %u %Y' "$MNT/dir/file")"
  names=$(getfattr --absolute-names -d -m - "$MNT/dir/link" | grep -v '^#' | tr '\n' ' ')
  [ "$names" = 'user.x="v"  ' ] && say "ok: pax-empty: the hardlink's xattrs are $names" ||
    fail "pax-empty: hardlink xattrs: $names"
  unmount_image "$MNT"
fi
rm -rf "$WORK/export" && mkdir -p "$WORK/export"
if "$IMGMOUNT" export "$WORK/pax-empty" "$WORK/export.tar" 2> "$WORK/err.txt" &&
  tar -C "$WORK/export" --xattrs --xattrs-include='*' -xf "$WORK/export.tar"; then
  names=$(getfattr --absolute-names -d -m - "$WORK/export/dir/file" | grep -v '^#' | tr '\n' ' ')
  [ "$names" = 'user.x="v"  ' ] && say "ok: pax-empty: export carries $names" ||
    fail "pax-empty: export carries $names"
else
  fail "pax-empty: export failed: $(head -c 300 "$WORK/err.txt")"
fi

# bsdtar writes every xattr as LIBARCHIVE.xattr.X and SCHILY.xattr.X: listed once.
mkdir -p "$WORK/bsd-src"
printf 'x\n' > "$WORK/bsd-src/file"
setfattr -n user.one -v 1 "$WORK/bsd-src/file"
setfattr -n user.two -v 2 "$WORK/bsd-src/file"
bsdtar --xattrs --format=pax -C "$WORK/bsd-src" -cf "$WORK/bsdtar.tar" file
wrap "$WORK/bsdtar.tar" "$WORK/bsdtar"
if mount_image "$WORK/bsdtar" "$MNT"; then
  listed=$(getfattr --absolute-names -d -m - "$MNT/file" | grep -v '^#' | tr '\n' ' ')
  [ "$listed" = 'user.one="1" user.two="2"  ' ] && say "ok: bsdtar xattrs listed once: $listed" ||
    fail "bsdtar xattrs: $listed"
  unmount_image "$MNT"
fi
if served_as_umoci xattr-vendors; then
  for f in libarchive-only selinux; do
    [ -z "$(getfattr --absolute-names -d -m - "$MNT/$f")" ] || fail "xattr-vendors: /$f has xattrs"
  done
  unmount_image "$MNT"
fi

# Modes: the symlink is 0777, the file keeps 0573 whatever its ACL record says.
if served_as_umoci modes; then
  [ "$(stat -c %a "$MNT/link") $(stat -c %a "$MNT/target")" = "777 573" ] ||
    fail "modes: $(stat -c %a "$MNT/link") $(stat -c %a "$MNT/target")"
  unmount_image "$MNT"
fi

# Names: cleaned lexically, as umoci places them.
if served_as_umoci names; then
  [ "$(cat "$MNT/ufo")" = ufo ] || fail "names: /ufo"
  unmount_image "$MNT"
fi
# Climbing out: dropped with a warning (umoci would clamp them to the root; the issue keeps them
# out).
layer names-escape
if mount_image "$WORK/names-escape" "$MNT" 2> "$WORK/err.txt"; then
  [ "$(ls -A "$MNT")" = ok ] || fail "names-escape: the root holds $(ls -A "$MNT" | xargs)"
  [ "$(grep -c 'unsafe name' "$WORK/err.txt")" = 3 ] &&
    say "ok: names-escape: only /ok; three names dropped with a warning" ||
    fail "names-escape: warnings: $(head -c 300 "$WORK/err.txt")"
  unmount_image "$MNT"
fi

# A 'g' header applies to nothing (Go returns it as a header of its own; docker and containerd
# skip it; umoci refuses the type flag, so it is no oracle here).
layer pax-global
if mount_image "$WORK/pax-global" "$MNT"; then
  [ "$(stat -c %u "$MNT/file") $(getfattr --absolute-names -d -m - "$MNT/file" | wc -c)" = "0 0" ] &&
    say "ok: pax-global: the 'g' records apply to nothing" ||
    fail "pax-global: uid $(stat -c %u "$MNT/file"), xattrs $(getfattr -d "$MNT/file")"
  [ "$(ls -A "$MNT")" = file ] || fail "pax-global: the root holds $(ls -A "$MNT" | xargs)"
  unmount_image "$MNT"
fi

# ---- 5-6. layers the runtimes refuse -----------------------------------------------------------

# refused CASE REGEX: umoci fails the image, and so do `imgmount ls` and a mount (exit 4).
refused() {
  layer "$1"
  if umoci raw unpack --image "$WORK/$1:latest" "$WORK/umoci-$1" > "$WORK/umoci.log" 2>&1; then
    fail "$1: umoci unpacks it (the oracle no longer refuses it)"
  fi
  expect_exit 4 "$1: ls" "$IMGMOUNT" ls -R "$WORK/$1" /
  grep -qE -- "$2" "$WORK/err.txt" || fail "$1: ls says: $(head -c 300 "$WORK/err.txt")"
  mkdir -p "$MNT"
  MOUNTS+=("$MNT")
  expect_exit 4 "$1: mount --wait" timeout 120 "$IMGMOUNT" --wait "$WORK/$1" "$MNT"
  grep -qE -- "$2" "$WORK/err.txt" || fail "$1: mount says: $(head -c 300 "$WORK/err.txt")"
  if grep -q " $MNT fuse" /proc/self/mounts; then unmount_image "$MNT"; fi
}

refused file-then-child 'layer 1 .*member "foo/bar" lies below "foo"'
refused gnu-volume-negative 'layer 1 .*damaged tar header at offset 1024: negative size'
refused bad-checksum 'layer 1 .*damaged tar header at offset 1024: bad header checksum'
refused bad-pax-record 'layer 1 .*damaged tar header at offset 1024: bad PAX record length'
refused bad-base256 'layer 1 .*damaged tar header at offset 1024: bad number in the size field'
finish

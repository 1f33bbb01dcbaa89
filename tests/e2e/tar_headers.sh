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
#   6. malformed headers the runtimes refuse are refused with the layer and offset named;
#   7. `export` writes tar that GNU tar and bsdtar read without a warning: xattrs as SCHILY.xattr
#      records only, hdrcharset=BINARY only on a member whose name is not UTF-8.
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

# ---- 7. export writes tar that GNU tar and bsdtar read without a warning (issue 16.9) -------

# Files with xattrs (a binary value too) and UTF-8 names (composed and decomposed); the second
# image adds a name and a symlink target that are not UTF-8.
mkdir -p "$WORK/x-src/dir"
printf 'p\n' > "$WORK/x-src/dir/plain"
setfattr -n user.one -v 1 "$WORK/x-src/dir/plain"
setfattr -n user.two -v "two words" "$WORK/x-src/dir/plain"
setfattr -n user.bin -v 0x00ff01 "$WORK/x-src/dir/plain"
python3 -c '
import os, sys
d = os.fsencode(sys.argv[1])
open(d + b"/caf\xc3\xa9", "w").write("composed\n")
open(d + b"/e\xcc\x81-decomposed", "w").write("decomposed\n")
' "$WORK/x-src/dir"
tar --xattrs --xattrs-include='*' --format=pax -C "$WORK/x-src" -cf "$WORK/x-utf8.tar" dir
python3 -c '
import os, sys
d = os.fsencode(sys.argv[1])
open(d + b"/latin1-\xe9t\xe9", "w").write("latin1\n")
os.symlink(b"latin1-\xe9t\xe9", d + b"/link-to-latin1")
' "$WORK/x-src/dir"
tar --xattrs --xattrs-include='*' --format=pax -C "$WORK/x-src" -cf "$WORK/x-binary.tar" dir
wrap "$WORK/x-utf8.tar" "$WORK/x-utf8"
wrap "$WORK/x-binary.tar" "$WORK/x-binary"

# pax_records TAR: each member's name (bytes, escaped) and its PAX record keys, counted from the
# raw headers (so a key written twice shows twice).
pax_records() {
  python3 - "$1" << 'PYEOF'
import sys
with open(sys.argv[1], "rb") as f:
    data = f.read()
# Walk the headers: an 'x' header's records belong to the next member.
pos, keys, path = 0, [], None
while pos + 512 <= len(data) and data[pos:pos + 512] != bytes(512):
    h = data[pos:pos + 512]
    size = int(h[124:136].split(b"\0")[0].strip() or b"0", 8)
    body = data[pos + 512:pos + 512 + size]
    if h[156:157] == b"x":
        i = 0
        while i < len(body):
            space = body.index(b" ", i)
            length = int(body[i:space])
            key, value = body[space + 1:i + length - 1].split(b"=", 1)
            keys.append(key.decode())
            if key == b"path":
                path = value
            i += length
    else:
        if path is None:
            prefix = h[345:500].split(b"\0")[0]
            path = (prefix + b"/" if prefix else b"") + h[0:100].split(b"\0")[0]
        print(repr(path)[2:-1], " ".join(sorted(keys)))
        keys, path = [], None
    pos += 512 + (size + 511) // 512 * 512
PYEOF
}

for case in utf8 binary; do
  failures_before=$FAILURES
  out="$WORK/x-$case-export.tar"
  if ! "$IMGMOUNT" export "$WORK/x-$case" "$out" 2> "$WORK/err.txt"; then
    fail "export $case: $(head -c 300 "$WORK/err.txt")"
    continue
  fi
  LC_ALL=C.UTF-8 tar -tvf "$out" > /dev/null 2> "$WORK/gnu.err" || fail "export $case: GNU tar fails"
  LC_ALL=C.UTF-8 bsdtar -tvf "$out" > /dev/null 2> "$WORK/bsd.err" || fail "export $case: bsdtar fails"
  [ -s "$WORK/bsd.err" ] && fail "export $case: bsdtar warns: $(head -c 300 "$WORK/bsd.err")"
  if [ "$case" = utf8 ]; then
    [ -s "$WORK/gnu.err" ] && fail "export $case: GNU tar warns: $(head -c 300 "$WORK/gnu.err")"
  else
    # GNU tar 1.34 does not know POSIX's hdrcharset keyword: it says so once for each of the two
    # members whose names are not UTF-8, and nothing else.
    others=$(grep -vc "Ignoring unknown extended header keyword 'hdrcharset'" "$WORK/gnu.err" || true)
    [ "$others" = 0 ] && [ "$(wc -l < "$WORK/gnu.err")" = 2 ] ||
      fail "export $case: GNU tar says: $(head -c 400 "$WORK/gnu.err")"
  fi
  pax_records "$out" > "$WORK/records.txt"
  grep -q LIBARCHIVE "$WORK/records.txt" &&
    fail "export $case: LIBARCHIVE records: $(grep LIBARCHIVE "$WORK/records.txt" | head -3)"
  plain=$(grep '^\./dir/plain ' "$WORK/records.txt" | tr ' ' '\n' | grep xattr | xargs || true)
  [ "$plain" = "SCHILY.xattr.user.bin SCHILY.xattr.user.one SCHILY.xattr.user.two" ] ||
    fail "export $case: /dir/plain carries the records: $plain"
  binary_members=$({ grep hdrcharset "$WORK/records.txt" || true; } | cut -d' ' -f1 | sort |
    paste -sd' ')
  want=""
  [ "$case" = binary ] && want='./dir/latin1-\xe9t\xe9 ./dir/link-to-latin1'
  [ "$binary_members" = "$want" ] ||
    fail "export $case: hdrcharset on \"$binary_members\", expected \"$want\""
  # GNU tar's extraction has every xattr and the names' bytes.
  rm -rf "$WORK/x-out" && mkdir -p "$WORK/x-out"
  LC_ALL=C.UTF-8 tar --xattrs --xattrs-include='*' -C "$WORK/x-out" -xf "$out" 2> /dev/null ||
    fail "export $case: GNU tar cannot extract it"
  xattrs=$(getfattr --absolute-names -e hex -d -m - "$WORK/x-out/dir/plain" | grep -v '^#' | xargs)
  [ "$xattrs" = "user.bin=0x00ff01 user.one=0x31 user.two=0x74776f20776f726473" ] ||
    fail "export $case: GNU tar extracted the xattrs $xattrs"
  names=$(cd "$WORK/x-out/dir" && python3 -c 'import os; print(sorted(os.listdir(b".")))')
  want_names=$(cd "$WORK/x-src/dir" && python3 -c 'import os; print(sorted(os.listdir(b".")))')
  [ "$case" = binary ] || want_names="[b'caf\\xc3\\xa9', b'e\\xcc\\x81-decomposed', b'plain']"
  [ "$names" = "$want_names" ] || fail "export $case: names extracted $names, expected $want_names"
  [ "$FAILURES" = "$failures_before" ] &&
    say "ok: export $case: GNU tar and bsdtar read it quietly, xattrs once as SCHILY.xattr"
done

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

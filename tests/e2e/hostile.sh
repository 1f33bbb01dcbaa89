#!/usr/bin/env bash
# Hostile images (untrusted input: docs/ARCHITECTURE.md): every case of tests/tools/hostile_images.py is a
# complete image whose poison reaches the code it attacks. Each case has one expected outcome,
# asserted both by `imgmount ls -R -a IMAGE /` and by a mount with --wait, every run under a time
# limit:
#   refused CASE CODE REGEX  both exit with CODE (3 not found, 4 bad image, 5 integrity) and a
#                            message matching REGEX; nothing stays mounted;
#   served CASE              both succeed, and the caller then checks what the mount shows (only
#                            the affected paths are absent, with a warning, or fail with EIO).
# After every served mount a canary proves that nothing outside the image was served, created or
# followed: no served file has the content of $WORK/canary or of the host's /etc/passwd, the
# canary is unchanged, and no file named by an escaping member exists anywhere.
source "$(dirname "$0")/lib.sh"

GEN="$IMGMOUNT_SOURCE_DIR/tests/tools/hostile_images.py"
# Generous: it is there to catch hangs, and the sanitizer build on a loaded CI machine indexes
# the 10 GiB bombs several times slower than release (36 s seen for the zstd one).
LIMIT=180
IMG="$WORK/img"
MNT="$WORK/mnt"
CANARY="$WORK/canary"
CANARY_TEXT="imgmount canary $$ $RANDOM"
mkdir -p "$IMG" "$MNT"
MOUNTS+=("$MNT")
printf '%s\n' "$CANARY_TEXT" > "$CANARY"
SUMMARY=()
WRAP=()  # a command prefix for imgmount in served cases

CASE_START=$SECONDS
note() {
  SUMMARY+=("$(printf '%-30s %s [%d s]' "$1" "$2" $((SECONDS - CASE_START)))")
  CASE_START=$SECONDS
}

generate() {
  rm -rf "${IMG:?}/$1"
  if ! timeout 120 python3 "$GEN" make --canary "$CANARY" "$1" "$IMG/$1" 2> "$WORK/gen.err"; then
    fail "$1: the generator failed: $(head -c 400 "$WORK/gen.err")"
    return 1
  fi
}

first_line() { { grep -v '^imgmount: warning' "$1" || true; } | head -1 | cut -c1-160; }

# refused CASE CODE REGEX [IMAGE]: IMAGE defaults to the generator's image of CASE.
refused() {
  local name=$1 code=$2 regex=$3 image=${4:-$IMG/$1}
  [ $# -eq 4 ] || generate "$name" || return 0
  expect_exit "$code" "$name: ls" timeout "$LIMIT" "$IMGMOUNT" ls -R -a "$image" /
  grep -qE -- "$regex" "$WORK/err.txt" ||
    fail "$name: ls: message does not match /$regex/: $(head -c 400 "$WORK/err.txt")"
  local message
  message=$(first_line "$WORK/err.txt")
  expect_exit "$code" "$name: mount --wait" timeout "$LIMIT" "$IMGMOUNT" --wait "$image" "$MNT"
  grep -qE -- "$regex" "$WORK/err.txt" ||
    fail "$name: mount: message does not match /$regex/: $(head -c 400 "$WORK/err.txt")"
  sleep 0.1
  if grep -q " $MNT fuse" /proc/self/mounts; then
    fail "$name: the failed mount stayed"
    "$IMGMOUNT" -u -z "$MNT" || true
  fi
  no_escape "$name"
  note "$name" "exit $code: $message"
}

# served CASE [MOUNT OPTIONS]: leaves the image mounted on $MNT; warnings of ls in $WORK/warn.txt,
# its listing in $WORK/ls.txt (ls -R -a, or ls $LS_ARGS). Returns 1 (after recording a failure) if either fails.
served() {
  local name=$1 image="$IMG/$1"
  shift
  generate "$name" || return 1
  # shellcheck disable=SC2086 # LS_ARGS is a list of options
  expect_exit 0 "$name: ls" timeout "$LIMIT" "${WRAP[@]}" "$IMGMOUNT" ls ${LS_ARGS:--R -a} "$image" /
  cp "$WORK/err.txt" "$WORK/warn.txt"
  cp "$WORK/out.txt" "$WORK/ls.txt"
  local before=$FAILURES
  expect_exit 0 "$name: mount --wait" timeout "$LIMIT" "${WRAP[@]}" "$IMGMOUNT" --wait "$@" "$image" "$MNT"
  [ "$FAILURES" -eq "$before" ] || return 1
  no_escape "$name"
}

# done_served CASE OUTCOME: unmounts and records the outcome.
done_served() {
  unmount_image "$MNT"
  local warnings
  warnings=$(grep -c '^imgmount: warning' "$WORK/warn.txt" || true)
  note "$1" "exit 0: $2 ($warnings warnings)"
}

# Nothing outside the image was served, created or changed. (SKIP_SCAN=1: the tree is too big
# to read every file again, and its few contents are checked by the case itself.)
no_escape() {
  local name=$1
  if [ -z "${SKIP_SCAN:-}" ] && grep -q " $MNT fuse" /proc/self/mounts; then
    local hits
    hits=$(find "$MNT" -type f -size +0 -size -4M -print0 2> /dev/null |
      xargs -0 -r grep -lF -e "$CANARY_TEXT" -e "root:x:0:0:" 2> /dev/null || true)
    [ -z "$hits" ] || fail "$name: served files with outside content: $hits"
  fi
  [ "$(cat "$CANARY")" = "$CANARY_TEXT" ] || fail "$name: the canary changed"
  local escaped
  # Other tests run at the same time and remove their dirs under /tmp while find walks it: find
  # then exits 1, which must not end this test (set -e, pipefail).
  escaped=$({ find "$WORK" /tmp /etc -xdev -maxdepth 3 -name 'escape-*' -not -path "$IMG/*" \
    2> /dev/null || true; } | head -3)
  [ -z "$escaped" ] || fail "$name: files escaped: $escaped"
  [ ! -e /etc/hostile-abs ] || fail "$name: /etc/hostile-abs was created"
}

# expect_file PATH CONTENT: a served regular file with this content.
expect_file() {
  if [ ! -f "$MNT/$1" ] || [ "$(cat "$MNT/$1" 2>&1)" != "$2" ]; then
    fail "$CASE: /$1 is not a file holding '$2': $(stat -c %F "$MNT/$1" 2>&1) $(head -c 80 "$MNT/$1" 2>&1)"
  fi
}

# expect_absent PATH...: none of the paths is served.
expect_absent() {
  local p
  for p in "$@"; do
    if [ -e "$MNT/$p" ] || [ -L "$MNT/$p" ]; then fail "$CASE: /$p is served"; fi
  done
}

# expect_link PATH TARGET: a served symlink with this target.
expect_link() {
  [ "$(readlink "$MNT/$1")" = "$2" ] || fail "$CASE: /$1 is not a symlink to $2: $(stat -c %F "$MNT/$1" 2>&1)"
}

expect_warning() {
  grep -qE -- "$1" "$WORK/warn.txt" || fail "$CASE: no warning matching /$1/: $(head -c 300 "$WORK/warn.txt")"
}

# ---- names ----------------------------------------------------------------------------------

CASE=name-dotdot
if served $CASE; then
  expect_file ok "inside the image"
  [ "$(ls -A "$MNT")" = ok ] || fail "$CASE: root holds $(ls -A "$MNT" | tr '\n' ' ')"
  expect_warning 'unsafe name'
  done_served $CASE "only /ok; the '..' members skipped with a warning"
fi

CASE=name-absolute
if served $CASE; then
  expect_file abs-file "absolute name"
  expect_file etc/hostile-abs "y"
  expect_file ok "inside the image"
  done_served $CASE "/x and //etc//x served as /x and /etc/x inside the image"
fi

# A NUL in a PAX path or linkpath record: Go's archive/tar refuses the archive (validPAXRecord),
# so every runtime fails the layer; a NUL in a ustar name field ends the name.
refused name-nul-pax 4 'layer 1 .*damaged tar header at offset [0-9]+: NUL in the PAX path record'

CASE=name-long-pax
if served $CASE; then
  expect_file ok "inside the image"
  deep=$(printf 'p%.0s' $(seq 200))
  deep=$(printf "$deep/%.0s" $(seq 50))deep-file
  [ -n "$(cd "$MNT" && find . -name deep-file)" ] || fail "$CASE: the 10 KB path is not served"
  [ "$("$IMGMOUNT" cat "$IMG/$CASE" "/$deep" 2> /dev/null)" = deep ] || fail "$CASE: cat of the 10 KB path"
  expect_absent "$(printf 'n%.0s' $(seq 255))"
  # A link target longer than a page cannot pass the kernel: that one readlink fails (EIO).
  if readlink "$MNT/longlink" > /dev/null 2>&1; then fail "$CASE: readlink of a 10 KB target"; fi
  [ "$(stat -c %s "$MNT/longlink")" -eq 10000 ] || fail "$CASE: size of the 10 KB link"
  expect_warning 'longer than 255'
  [ -z "$(awk 'length > 600' "$WORK/warn.txt")" ] || fail "$CASE: a warning line over 600 bytes"
  done_served $CASE "10 KB path of 200-byte names served; a 10 KB name skipped with a short warning; readlink of a 10 KB target: EIO"
fi

CASE=name-long-gnu
if served $CASE; then
  expect_file ok "inside the image"
  [ -n "$(cd "$MNT" && find . -name deep-file)" ] || fail "$CASE: the 10 KB path is not served"
  expect_warning 'longer than 255'
  done_served $CASE "as name-long-pax, with GNU ././@LongLink entries"
fi

# Regular files (type '0') named '', '.', './' and '/': Go's archive/tar reads them as files with
# data (only type '\0' with a trailing slash is a directory), so the next header is found after
# their data; each is ignored with a warning and the root stays a directory.
for CASE in name-empty-and-root name-root-file; do
  if served $CASE; then
    expect_file ok "inside the image"
    [ -d "$MNT" ] || fail "$CASE: the root is not a directory"
    [ "$(ls -A "$MNT")" = ok ] || fail "$CASE: root holds $(ls -A "$MNT" | tr '\n' ' ')"
    expect_warning 'root entry is not a directory'
    done_served $CASE "files named '', '.', './', '/' ignored with a warning; the root stays a directory"
  fi
done

CASE=name-bad-components
if served $CASE; then
  expect_file ok "inside the image"
  expect_file "   " "spaces"
  expect_file $'new\nline' "nl"
  ls "$MNT" > /dev/null || fail "$CASE: readdir failed"
  expect_warning 'longer than 255'
  done_served $CASE "a 256-byte name skipped with a warning; newline and spaces served"
fi

# ---- links and the union --------------------------------------------------------------------

CASE=symlink-then-write
if served $CASE; then
  [ -d "$MNT/a" ] && [ ! -L "$MNT/a" ] || fail "$CASE: /a is not a directory"
  expect_file a/passwd "image passwd"
  done_served $CASE "a -> /etc replaced by a directory holding the image's a/passwd"
fi

CASE=symlink-then-write-same-layer
if served $CASE; then
  expect_file a/passwd "image passwd"
  expect_file b/hostname "image hostname"
  done_served $CASE "same, within one layer, absolute and relative"
fi

CASE=symlink-canary
if served $CASE; then
  expect_link to-canary "$CANARY"
  expect_link to-passwd /etc/passwd
  expect_link loop1 loop2
  expect_link self self
  [ "$(stat -c %s "$MNT/to-canary")" -eq ${#CANARY} ] || fail "$CASE: link size"
  done_served $CASE "symlinks out of the image are served as links (data), never followed"
fi

CASE=hardlink-escape
if served $CASE; then
  expect_absent h-passwd h-up h-canary
  expect_file h-ok "inside the image"
  [ "$(stat -c %h "$MNT/ok")" -eq 2 ] || fail "$CASE: ok should have 2 links"
  expect_warning 'unsafe target|does not exist'
  done_served $CASE "links to /etc/passwd, ../.., the canary: dropped with a warning"
fi

CASE=hardlink-forward
if served $CASE; then
  expect_file early "target of a forward link"
  expect_absent cycle-a cycle-b self
  [ "$(stat -c %i "$MNT/early")" = "$(stat -c %i "$MNT/later")" ] || fail "$CASE: inode differs"
  done_served $CASE "a link to a later entry resolves; cycles and self-links dropped"
fi

CASE=hardlink-directory
if served $CASE; then
  expect_absent to-dir to-root to-root2
  expect_file d/f "f"
  done_served $CASE "links to a directory or the root dropped with a warning"
fi

CASE=hardlink-whiteout
if served $CASE; then
  expect_absent victim to-wh .wh.ok .wh.victim ok
  expect_warning 'to-wh.*dropped'
  done_served $CASE "a link to a whiteout dropped; a whiteout that is a link (.wh.ok) still whites out"
fi

CASE=whiteout-dots
if served $CASE; then
  expect_file ok "inside the image"
  expect_file sub/keep "keep"
  [ -z "$(ls -A "$MNT" | grep '^\.wh\.')" ] || fail "$CASE: markers served"
  expect_warning "bare whiteout"
  done_served $CASE ".wh.., .wh..., bare .wh.: nothing deleted, markers never served"
fi

CASE=opaque-under-symlink
if served $CASE; then
  expect_file d/keep "keep"
  [ ! -L "$MNT/l" ] || fail "$CASE: /l is still the lower symlink"
  expect_absent l/keep
  done_served $CASE "markers below lower symlinks act on a new directory, never through the link"
fi

CASE=duplicate-types
if served $CASE; then
  expect_link x ok
  expect_file y "y is a file now"
  expect_file z "z last"
  [ -d "$MNT/fifo" ] || fail "$CASE: /fifo is not the later directory"
  done_served $CASE "the last entry of a path wins, whatever the types"
fi

CASE=devices-setuid
if served $CASE; then
  [ -b "$MNT/sda" ] && [ -c "$MNT/mem" ] || fail "$CASE: device nodes not served"
  if head -c 1 "$MNT/mem" > /dev/null 2>&1; then fail "$CASE: a device of the image opened"; fi
  [ -u "$MNT/suid-shell" ] || fail "$CASE: setuid bit not served"
  opts=$(awk -v m="$MNT" '$2 == m {print $4}' /proc/self/mounts)
  grep -q nodev <<< "$opts" && grep -q nosuid <<< "$opts" || fail "$CASE: options $opts"
  done_served $CASE "devices and setuid served as metadata; nodev,nosuid make them inert"
fi

CASE=xattr-huge
if served $CASE; then
  expect_file ok "inside the image"
  expect_file big-xattr "x"
  expect_file many-xattrs "y"
  getfattr -d "$MNT/big-xattr" "$MNT/many-xattrs" > /dev/null 2>&1 || true
  ls "$MNT" > /dev/null || fail "$CASE: readdir after getfattr"
  done_served $CASE "files served; oversized xattrs fail alone (E2BIG/ERANGE), never the mount"
fi

CASE=header-extremes
if served $CASE; then
  expect_file extreme "e"
  [ "$(stat -c %u "$MNT/extreme")" = 65534 ] || fail "$CASE: uid $(stat -c %u "$MNT/extreme")"
  done_served $CASE "base-256 uid 2^40 and gid -5 served as 65534; mtime -2^60 and mode 7777 kept"
fi

CASE=sparse-huge
if served $CASE; then
  [ "$(stat -c %s "$MNT/huge")" = $((1 << 50)) ] || fail "$CASE: size $(stat -c %s "$MNT/huge")"
  [ "$(tail -c 3 "$MNT/huge")" = zzz ] || fail "$CASE: the run at the end"
  cmp -s -n 4096 <(dd if="$MNT/huge" bs=4096 skip=$((1 << 37)) count=1 status=none) /dev/zero ||
    fail "$CASE: the hole at 512 TiB is not zeros"
  done_served $CASE "a 1 PiB sparse file: holes read as zeros, the last run as data"
fi

# ---- codecs and tar framing -----------------------------------------------------------------

refused gzip-truncated 4 'layer 1 .*(truncated|unexpected end)'
refused gzip-bad-crc 5 'layer 1 .*CRC-32 mismatch'
refused gzip-bad-length 5 'layer 1 .*size mismatch'
refused gzip-corrupt-deflate 5 'layer 1 .*CRC-32 mismatch'
refused gzip-trailing-garbage 4 'layer 1 .*(trailing|garbage|not gzip|member)'
refused gzip-bad-header-flags 4 'layer 1 .*'
refused zstd-garbage 4 'layer 1 .*'
refused zstd-truncated 4 'layer 1 .*(truncated|unexpected end)'
refused tar-truncated 4 'layer 1 .*'
refused tar-not-tar 4 'layer 1 .*'
refused tar-bad-checksum 4 'layer 1 .*(header|checksum)'
refused tar-size-too-large 4 'layer 1 .*'
refused tar-size-base256 4 'layer 1 .*'
refused tar-size-negative 4 'layer 1 .*'
# A sparse map whose regions lie past the file's size: Go refuses it (validateSparseEntries).
refused tar-sparse-lies 4 'layer 1 .*damaged tar header at offset [0-9]+: invalid sparse map'
CASE=gzip-multi-member
if served $CASE; then
  expect_file ok "inside the image"
  [ "$(stat -c %s "$MNT/big")" -eq 131072 ] || fail "$CASE: size of /big"
  done_served $CASE "a gzip of two members reads as one stream"
fi
refused empty-blob 4 'layer 1 .*not a tar archive'
# zstd skippable frames (issue 14): pzstd's layout, metadata first, between frames, at the end.
# A stream of skippable frames only is a valid zstd stream with no content: an empty layer
# stream, refused like empty-blob.
CASE=zstd-skippable-frames
if served $CASE; then
  expect_file ok "inside the image"
  [ "$(stat -c %s "$MNT/big")" -eq 131072 ] || fail "$CASE: size of /big"
  [ "$(head -c 16 "$MNT/big")" = 0123456789abcdef ] || fail "$CASE: content of /big"
  expect_exit 0 "$CASE: verify" timeout "$LIMIT" "$IMGMOUNT" verify "$IMG/$CASE"
  [ "$(grep -c '^ok ' "$WORK/out.txt")" -eq 4 ] || fail "$CASE: verify: $(cat "$WORK/out.txt")"
  done_served $CASE "zstd with skippable frames first, between frames and last: served; verify ok"
fi
refused zstd-skippable-only 4 'layer 1 .*not a tar archive'

# ---- bombs and scale ------------------------------------------------------------------------

# 10 GiB of zeros in a ~10 MB gzip blob and a ~320 KB zstd blob (one frame of RLE blocks): the
# mount indexes it within the limit (the daemon decodes and hashes it all, and stores the index),
# the daemon's peak memory stays bounded, a read deep inside is zeros, and ls then answers from
# the index cache.
for CASE in bomb-gzip bomb-zstd; do
  generate $CASE || continue
  start=$SECONDS
  expect_exit 0 "$CASE: mount --wait" timeout "$LIMIT" "$IMGMOUNT" --wait "$IMG/$CASE" "$MNT"
  grep -q " $MNT fuse" /proc/self/mounts || continue
  took=$((SECONDS - start))
  rss=$(peak_rss_kib "$(daemon_pid "$IMG/$CASE" "$MNT")")
  # 128 MiB: the span cache (64 MiB) and the indexer's buffers; sanitizers add their shadow.
  rss_limit=$((128 * 1024))
  [ -z "${IMGMOUNT_SANITIZE:-}" ] || rss_limit=$((1024 * 1024))
  [ "${rss:-0}" -lt "$rss_limit" ] || fail "$CASE: daemon peak RSS ${rss} KiB, limit $rss_limit KiB"
  [ "$(stat -c %s "$MNT/bomb")" -eq $(((10 << 30) - 1024)) ] || fail "$CASE: size of /bomb"
  cmp -s -n 1048576 <(dd if="$MNT/bomb" bs=1M skip=7000 count=1 status=none) /dev/zero ||
    fail "$CASE: a read at 7000 MiB is not zeros"
  expect_file small "a small upper layer"
  expect_exit 0 "$CASE: ls" timeout "$LIMIT" "$IMGMOUNT" ls -R -a "$IMG/$CASE" /
  cp "$WORK/err.txt" "$WORK/warn.txt"
  no_escape $CASE
  done_served $CASE "10 GiB indexed in ${took} s with a daemon peak RSS of $((rss / 1024)) MiB"
done

# A million empty files in one directory (HOSTILE_MANY_FILES, read by the generator too).
CASE=many-files
many=${HOSTILE_MANY_FILES:-1000000}
if LS_ARGS=-a SKIP_SCAN=1 served $CASE; then
  n=$(grep -c '^f' "$WORK/ls.txt")
  [ "$n" -eq "$many" ] || fail "$CASE: ls lists $n files"
  n=$(ls -f "$MNT" | grep -c '^f')
  [ "$n" -eq "$many" ] || fail "$CASE: the mount lists $n files"
  peak=$(($(peak_rss_kib "$(daemon_pid "$IMG/$CASE" "$MNT")") / 1024))
  done_served $CASE "$many empty files in one directory listed by ls and the mount; daemon peak RSS $peak MiB"
fi

# (ls -R and find -print would print 20000 paths of up to 40 KB each: count instead.)
CASE=deep-dirs
if LS_ARGS=-a SKIP_SCAN=1 served $CASE; then
  walk=$(find "$MNT" \( -type d -printf d \) -o \( -name leaf -execdir cat {} \; \))
  n=$(tr -cd d <<< "$walk" | wc -c)
  [ "$n" -eq 20001 ] || fail "$CASE: find sees $n directories"
  [ "${walk//d/}" = bottom ] || fail "$CASE: the leaf at depth 20000 reads '${walk//d/}'"
  done_served $CASE "20000 nested directories walked by find; the leaf reads"
fi

CASE=many-layers
if served $CASE; then
  expect_file top "layer 4095"
  n=$(ls "$MNT/l" | wc -l)
  [ "$n" -eq 2048 ] || fail "$CASE: /l holds $n files, expected 2048"
  done_served $CASE "4096 layers, every other whiting out its predecessor's file"
fi

# One open blob file per layer, under the common soft limit of 1024 open files (imgmount raises
# its soft limit towards the hard one).
CASE=many-layers-dir
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 4200 ]; then
  WRAP=(prlimit --nofile=1024:)
  if served $CASE; then
    expect_file top "layer 2047"
    done_served $CASE "2048 layers of an OCI layout directory, soft limit of 1024 open files"
  fi
  WRAP=()
else
  note $CASE "skipped: the hard limit of open files is $hard"
fi

# ---- digests --------------------------------------------------------------------------------

refused digest-blob-mismatch 5 'layer 1 .*blob digest mismatch'
refused digest-diff-id-mismatch 5 'layer 1 .*diff_id mismatch'
CASE=digest-sha512
if served $CASE; then
  expect_file ok "inside the image"
  expect_file top "sha512 layer"
  expect_exit 0 "$CASE: verify" "$IMGMOUNT" verify "$IMG/$CASE"
  grep -q 'sha512:' "$WORK/out.txt" || fail "$CASE: verify does not show the sha512 digests"
  done_served $CASE "manifest, config, blobs and diff_ids all sha512: served, verify checks them"
fi
refused digest-sha512-mismatch 5 'layer 1 .*blob digest mismatch: expected sha512:.*content has sha512:'
refused digest-sha512-config-mismatch 5 'config digest mismatch: expected sha512:'
refused digest-config-mismatch 5 'config digest mismatch'
expect_exit 1 "digest-config-mismatch: verify" timeout "$LIMIT" "$IMGMOUNT" verify "$IMG/digest-config-mismatch"
refused digest-manifest-mismatch 5 'manifest digest mismatch'
expect_exit 1 "digest-manifest-mismatch: verify" timeout "$LIMIT" "$IMGMOUNT" verify "$IMG/digest-manifest-mismatch"
refused digest-bad-form 4 'invalid digest'
refused digest-bad-form-config 4 'invalid digest'
refused digest-bad-form-index 4 'invalid digest'
refused diff-ids-count 4 'diff_ids'
# An uncompressed layer is indexed from its headers alone, so its digest is checked by verify.
CASE=digest-blob-mismatch-plain
if served $CASE; then
  expect_file ok "INSIDE THE IMAGE"
  expect_exit 1 "$CASE: verify" timeout "$LIMIT" "$IMGMOUNT" verify "$IMG/$CASE"
  grep -q MISMATCH "$WORK/out.txt" || fail "$CASE: verify shows no mismatch"
  done_served $CASE "uncompressed layer: served from its headers; verify exits 1 (MISMATCH)"
fi

# ---- the outer container --------------------------------------------------------------------

refused manifest-json-absolute 3 'missing from the image'
refused manifest-json-climb 4 'leaves the archive'
refused manifest-json-climb-dir 4 'leaves the archive'
refused outer-symlink-escape 4 'outside the archive'
refused outer-symlink-absolute 4 'outside the archive'
refused outer-symlink-loop 4 'too many'
refused outer-hardlink-loop 4 'too many'
refused outer-dir-symlink-escape 4 'outside the image directory'
refused outer-dir-blobs-symlink 4 'outside the image directory'
refused outer-gzip-truncated 4 'truncated|unexpected end'
refused outer-zstd-garbage 4 'zstd'
CASE=outer-pzstd
if served $CASE; then
  expect_file ok "inside the image"
  done_served $CASE "a docker save compressed as pzstd writes it (a skippable frame first)"
fi
refused missing-blob 3 'missing from the image'
refused blob-is-directory 4 'is a directory'
refused blob-is-fifo 4 'not a regular file'
refused config-is-fifo 4 'not a regular file'
refused blob-is-fifo-in-tar 4 'not a regular file'
refused foreign-layer 3 'foreign layer'
# Not images at all: a fifo and a device must not hang or be read forever.
mkfifo "$WORK/fifo-image"
refused image-is-fifo 4 'not a regular file' "$WORK/fifo-image"
refused image-is-dev-zero 4 'not a regular file' /dev/zero

# ---- JSON -----------------------------------------------------------------------------------

refused json-not-object 4 'index.json: expected a JSON object'
refused json-manifest-not-array 4 'manifest.json: expected a JSON array'
refused json-config-not-object 4 'expected a JSON object'
refused json-deep 4 'nested deeper'
refused json-deep-objects 4 'nested deeper'
refused json-duplicate-keys 4 'duplicate key'
refused json-wrong-types 4 'is not a string'
refused json-wrong-types-manifest 4 'is not a string'
refused json-huge 4 'more than the limit'
refused json-invalid-utf8 4 'manifest.json'

# ---- descriptors: sizes and schemaVersion --------------------------------------------------

# A blob whose length is not its descriptor's size is refused (5), naming it and both sizes;
# verify reports it as a MISMATCH line and exits 1: a layer's as a failed blob check (JSON:
# size_problem), and it goes on checking; a manifest's or config's as their digest mismatches,
# which stop it (JSON: error).
SIZES='says [0-9]+ bytes, the blob has [0-9]+'
refused size-layer-mismatch 5 "layer 1 \(blobs/sha256/[0-9a-f]{64}\): blob size mismatch: its descriptor $SIZES"
refused size-layer-mismatch-dir 5 "layer 1 .*blob size mismatch: its descriptor $SIZES"
refused size-layer-mismatch-docker-oci 5 "layer 1 .*blob size mismatch: its descriptor $SIZES"
refused size-config-mismatch 5 "blobs/sha256/[0-9a-f]{64}: config size mismatch: its descriptor $SIZES"
refused size-config-mismatch-docker-oci 5 "config size mismatch: its descriptor $SIZES"
refused size-manifest-mismatch 5 "blobs/sha256/[0-9a-f]{64}: manifest size mismatch: its descriptor $SIZES"
for name in size-layer-mismatch size-config-mismatch-docker-oci size-manifest-mismatch; do
  expect_exit 1 "$name: verify" timeout "$LIMIT" "$IMGMOUNT" verify "$IMG/$name"
  grep -qE "^MISMATCH .*size mismatch: its descriptor $SIZES" "$WORK/out.txt" ||
    fail "$name: verify prints no MISMATCH line: $(head -c 300 "$WORK/out.txt")"
  expect_exit 1 "$name: verify --json" timeout "$LIMIT" "$IMGMOUNT" verify --json "$IMG/$name"
  python3 -c 'import json, sys; r = json.load(sys.stdin); sys.exit(r["ok"] or not (
      "size mismatch" in r.get("error", "") or any("says" in c.get("size_problem", "") and
      c["what"] == "blob" and c["ok"] is False for c in r["checks"])))' \
    < "$WORK/out.txt" || fail "$name: verify --json: $(head -c 300 "$WORK/out.txt")"
done
# A size that is not a non-negative integer, a schemaVersion that is not the number 2 (4).
refused size-float 4 'size of layer sha256:[0-9a-f]{12} is not a non-negative integer: 1e30'
refused size-negative 4 'size of config .* is not a non-negative integer: -1'
refused size-string 4 'index.json: the size of manifest .* is not a non-negative integer: "1234"'
refused size-fraction-docker-oci 4 'size of layer .* is not a non-negative integer: 100.5'
refused size-missing 4 'descriptor of layer .* has no size'
refused schema-version-1 4 'schemaVersion is 1, not 2'
refused schema-version-string 4 'index.json: schemaVersion is "2", not 2'
refused schema-version-missing 4 'index.json: no schemaVersion'
refused annotation-not-string 4 'annotation of layer .* is not a string'

# Every case of the generator has an outcome here.
while read -r name; do
  [[ " ${SUMMARY[*]%% *} " == *" $name "* ]] || fail "case $name has no outcome in this test"
done < <(python3 "$GEN" list)

say "outcomes:"
printf '  %s\n' "${SUMMARY[@]}"
finish

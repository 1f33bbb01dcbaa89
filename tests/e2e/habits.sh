#!/usr/bin/env bash
# The verbs keep the habits of their coreutils namesakes (issue 16 point 8), each compared with
# the real coreutils command on the oracle tree (umoci raw unpack of the same image):
#   - `ls -l` of a symlink shows the link itself, `-L` what it leads to, a final "/" follows it,
#     a plain `ls` follows it: the columns imgmount prints equal `ls -ln`'s / `ls -lnL`'s;
#   - `cat A B C` writes every file it can, says why for each one it cannot (strerror's words, as
#     cat's) and exits 1, also for a file whose layer is damaged (EIO);
#   - `which` resolves symlinked directories on the way as the kernel would (realpath inside the
#     oracle root, under chroot) and names the links it followed;
#   - messages name the path with its leading "/" and the image;
#   - a closed pipe ends every verb by SIGPIPE with no message (status 141 under pipefail), also
#     when the parent left SIGPIPE ignored.
# And the progress display on a terminal (issue 16 point 10), under script(1) with 40 columns: no
# line wider than the terminal, a second mount from the index cache says "cached", and nothing at
# all when stderr is not a terminal.
source "$(dirname "$0")/lib.sh"

export LC_ALL=C TZ=UTC
# The image: two gzip layers written by GNU tar, with symlinked directories (/lib relative,
# /bin absolute), a link among files, a dangling link and a 1 MiB file.
layer1="$WORK/layer1"
mkdir -p "$layer1"/{etc,usr/bin,usr/lib,usr/share}
echo habits-host > "$layer1/etc/hostname"
echo "welcome to the habits image" > "$layer1/etc/motd"
printf '#!/bin/sh\necho tool\n' > "$layer1/usr/bin/tool"
chmod 755 "$layer1/usr/bin/tool"
echo "ELF fake library" > "$layer1/usr/lib/libfoo.so.1"
ln -s libfoo.so.1 "$layer1/usr/lib/libfoo.so"
ln -s usr/lib "$layer1/lib"
ln -s /usr/bin "$layer1/bin"
ln -s /nonexistent/target "$layer1/etc/dangling"
python3 -c '
import random
r = random.Random(16)
words = ["layer", "union", "whiteout", "opaque", "inode", "digest", "blob", "index"]
print("\n".join(" ".join(r.choice(words) + str(r.randrange(1000)) for _ in range(12))
                for _ in range(12000)))' > "$layer1/usr/share/big.txt"
layer2="$WORK/layer2"
mkdir -p "$layer2/usr/lib" "$layer2/etc"
mv "$layer1/etc/hostname" "$layer2/etc/hostname"  # in another blob than the damaged one
echo "key=value" > "$layer2/etc/app.conf"
echo "ELF another" > "$layer2/usr/lib/libbar.so.2"
tar_layer() {
  local dir=$1 out=$2
  shift 2
  (cd "$dir" && tar --numeric-owner --owner=0 --group=0 --mtime=@1700000000 --no-recursion \
    -cf - "$@") | gzip -n > "$out"
}
tar_layer "$layer1" "$WORK/layer1.tar.gz" . etc etc/motd etc/dangling usr usr/bin \
  usr/bin/tool usr/lib usr/lib/libfoo.so.1 usr/lib/libfoo.so usr/share usr/share/big.txt lib bin
tar_layer "$layer2" "$WORK/layer2.tar.gz" etc etc/app.conf etc/hostname usr usr/lib usr/lib/libbar.so.2
image="$WORK/oci"
"$FIXTURE" wrap oci-dir "$image" "$WORK/layer1.tar.gz" "$WORK/layer2.tar.gz" --tag habits:latest
oracle_unpack "$image" latest "$WORK/oracle"
oracle="$WORK/oracle"

# --- ls -------------------------------------------------------------------------------------
# columns FILE: per line "MODE UID GID SIZE DATE TIME NAME" (no nlink, and no size for a
# directory: both depend on the filesystem the oracle is unpacked on), "total" lines dropped,
# the oracle's root prefix taken off names.
columns() {
  { grep -v '^total ' "$1" || true; } | sed "s|$oracle||g" | awk '{
    mode = $1; sub(/[.+]$/, "", mode)
    size = (mode ~ /^d/) ? "-" : $5
    name = $8; for (i = 9; i <= NF; i++) name = name " " $i
    print mode, $3, $4, size, $6, $7, name }'
}
# ls_agrees FLAGS PATH: `imgmount ls FLAGS IMAGE PATH` and `ls -n FLAGS ORACLE/PATH` print the
# same columns and exit alike (0, or 1 for a link that leads nowhere).
ls_agrees() {
  local flags=$1 path=$2 want=0 got=0 long=()
  [[ $flags == *l* ]] && long=(-n --time-style='+%Y-%m-%d %H:%M')
  ls "${long[@]}" $flags "$oracle$path" > "$WORK/ls-want.txt" 2> /dev/null || want=$?
  "$IMGMOUNT" ls $flags "$image" "$path" > "$WORK/ls-got.txt" 2> "$WORK/ls-err.txt" || got=$?
  if [[ $flags == *l* ]]; then
    columns "$WORK/ls-want.txt" > "$WORK/ls-want.cols"
    columns "$WORK/ls-got.txt" > "$WORK/ls-got.cols"
  else
    sed "s|$oracle||" "$WORK/ls-want.txt" > "$WORK/ls-want.cols"
    cp "$WORK/ls-got.txt" "$WORK/ls-got.cols"
  fi
  if [ "$want" -ne "$got" ]; then
    fail "ls $flags $path: exit $got, coreutils $want: $(cat "$WORK/ls-err.txt")"
  elif ! diff -u "$WORK/ls-want.cols" "$WORK/ls-got.cols" > "$WORK/ls.diff"; then
    fail "ls $flags $path differs from coreutils:"
    cat "$WORK/ls.diff"
  else
    say "ok: ls $flags $path agrees with coreutils ($(wc -l < "$WORK/ls-got.cols") lines, exit $got)"
  fi
}
ls_agrees -l /lib            # the link itself
ls_agrees -lL /lib           # the directory it leads to
ls_agrees -l /lib/           # a final "/" follows it
ls_agrees "" /lib            # without -l, followed
ls_agrees -l /usr/lib        # a relative link among files
ls_agrees -lL /usr/lib       # ... shown as its target
ls_agrees -l /lib/libfoo.so  # through a symlinked directory, the last link not followed
ls_agrees -lL /lib/libfoo.so
ls_agrees -l /etc            # a directory lists its entries, as before
ls_agrees -l /               # the root, with both symlinked directories
ls_agrees -l /usr/bin/tool   # a file shows itself
# A dangling link under -L: reported (with the image) and listed, exit 1 like ls.
ls_agrees -lL /etc
grep -qxF "imgmount: ls: /etc/dangling: No such file or directory (in $image)" \
  "$WORK/ls-err.txt" || fail "ls -lL /etc: $(cat "$WORK/ls-err.txt")"
expect_exit 3 "ls of a missing path" "$IMGMOUNT" ls "$image" etc/nope
grep -qxF "imgmount: ls: /etc/nope: No such file or directory (in $image)" "$WORK/err.txt" ||
  fail "ls of a missing path: $(cat "$WORK/err.txt")"

# --- cat ------------------------------------------------------------------------------------
# reasons FILE: "PATH: REASON" of each error line, ours or cat's, with the leading "/".
reasons() {
  sed -E -e 's/^imgmount: cat: (.*) \(in .*\)$/\1/' -e 's|^cat: ([^/])|/\1|' "$1"
}
operands=(etc/motd etc/nope etc etc/dangling etc/motd/x lib/libfoo.so etc/hostname)
want=0
(cd "$oracle" && cat "${operands[@]}") > "$WORK/cat-want.txt" 2> "$WORK/cat-want.err" || want=$?
got=0
"$IMGMOUNT" cat "$image" "${operands[@]}" > "$WORK/cat-got.txt" 2> "$WORK/cat-got.err" || got=$?
[ "$got" -eq "$want" ] || fail "cat of good and bad files: exit $got, cat's $want"
cmp -s "$WORK/cat-want.txt" "$WORK/cat-got.txt" ||
  fail "cat of good and bad files: stdout differs from cat's"
if diff -u <(reasons "$WORK/cat-want.err") <(reasons "$WORK/cat-got.err"); then
  say "ok: cat of good and bad files writes what cat writes, exit $got, reasons: $(reasons "$WORK/cat-got.err" | tr '\n' ';')"
else
  fail "cat of good and bad files: the errors are not cat's"
fi
grep -qxF "imgmount: cat: /etc/nope: No such file or directory (in $image)" "$WORK/cat-got.err" ||
  fail "cat: the message does not name the path and the image: $(cat "$WORK/cat-got.err")"

# A file of a damaged layer (bytes changed in place, size and mtime kept, so that the cached
# index is trusted): cat says why (EIO) and still writes the other files.
damaged="$WORK/damaged"
cp -a "$image" "$damaged"
"$IMGMOUNT" ls "$damaged" / > /dev/null
blob=$(python3 - "$damaged" << 'PYEOF'
import json, sys
layout = sys.argv[1]
def blob(digest):
    return f"{layout}/blobs/sha256/{digest.split(':')[1]}"
manifest = json.load(open(blob(json.load(open(f"{layout}/index.json"))["manifests"][0]["digest"])))
print(blob(max(manifest["layers"], key=lambda l: l["size"])["digest"]))
PYEOF
)
touch -r "$blob" "$WORK/stamp"
size=$(stat -c %s "$blob")
printf '%*s' 4096 '' | tr ' ' 'Z' | dd of="$blob" bs=1 seek=$((size / 2)) conv=notrunc status=none
touch -r "$WORK/stamp" "$blob"
code=0
"$IMGMOUNT" cat "$damaged" /usr/share/big.txt /etc/hostname > "$WORK/cat-damaged.txt" \
  2> "$WORK/err.txt" || code=$?
[ "$code" -eq 1 ] || fail "cat of a damaged file: exit $code, expected 1: $(cat "$WORK/err.txt")"
grep -q "^imgmount: cat: /usr/share/big.txt: Input/output error: .* (in $damaged)\$" \
  "$WORK/err.txt" || fail "cat of a damaged file: $(cat "$WORK/err.txt")"
[ "$(tail -1 "$WORK/cat-damaged.txt")" = "$(cat "$oracle/etc/hostname")" ] ||
  fail "cat of a damaged file: the next file is not written"
say "ok: cat of a file of a damaged layer: $(head -c 160 "$WORK/err.txt")"

# --- which ----------------------------------------------------------------------------------
# The oracle: the path's directory resolved by realpath inside the unpacked root (chroot, so that
# absolute links lead inside it), its last component kept.
oracle_resolve() {
  python3 - "$oracle" "$1" << 'PYEOF'
import os, sys
os.chroot(sys.argv[1])
os.chdir("/")
path = sys.argv[2]
head, tail = os.path.split(path)
if tail in ("", ".", ".."):
    print(os.path.realpath(path))
else:
    print(os.path.join(os.path.realpath(head or "/"), tail))
PYEOF
}
for path in /lib/libfoo.so.1 /lib/libfoo.so /bin/tool /lib/../etc/motd /usr/lib/../../bin/tool \
  /etc/motd /lib /lib/nope; do
  want=$(oracle_resolve "$path")
  code=0
  "$IMGMOUNT" which --json "$image" "$path" > "$WORK/which.json" 2> "$WORK/err.txt" || code=$?
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' \
    "$WORK/which.json" 2> /dev/null || echo "no answer: $(cat "$WORK/err.txt")")
  present=$([ -e "$oracle$want" ] || [ -L "$oracle$want" ] && echo 0 || echo 3)
  if [ "$got" != "$want" ] || [ "$code" -ne "$present" ]; then
    fail "which $path: $got (exit $code), realpath says $want (exit $present)"
  else
    say "ok: which $path resolves to $want as realpath does (exit $code)"
  fi
done
"$IMGMOUNT" which "$image" /lib/libfoo.so.1 > "$WORK/which.txt" || true
grep -qxF "/lib/libfoo.so.1: resolved to /usr/lib/libfoo.so.1 via /lib -> usr/lib" \
  "$WORK/which.txt" || fail "which does not say it resolved a link: $(head -1 "$WORK/which.txt")"
grep -q "^/usr/lib/libfoo.so.1: regular file from layer 1 " "$WORK/which.txt" ||
  fail "which through a link: $(cat "$WORK/which.txt")"
{ "$IMGMOUNT" which "$image" /bin/tool || true; } | head -1 | grep -qxF \
  "/bin/tool: resolved to /usr/bin/tool via /bin -> /usr/bin" || fail "which /bin/tool"

# --- a closed pipe --------------------------------------------------------------------------
"$FIXTURE" sample-plus oci-dir gzip "$WORK/plus"
# Every verb that prints, with its standard output a pipe whose reader is gone: it dies of
# SIGPIPE and says nothing, whether the parent left SIGPIPE at its default or ignored it.
cat > "$WORK/closed_pipe.py" << 'PYEOF'
import os, signal, subprocess, sys
failures = 0
for ignored in (False, True):
    for line in sys.stdin:
        argv = line.split()
        r, w = os.pipe()
        os.close(r)
        prepare = (lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if ignored else None
        p = subprocess.run(argv, stdout=w, stderr=subprocess.PIPE, preexec_fn=prepare)
        os.close(w)
        how = "SIGPIPE ignored" if ignored else "SIGPIPE default"
        if p.returncode != -signal.SIGPIPE or p.stderr:
            failures += 1
            print(f"{argv[1]} ({how}): status {p.returncode}, stderr {p.stderr[:200]!r}")
    sys.stdin.seek(0)
print(f"{'no' if failures == 0 else failures} verb(s) ended otherwise than by a quiet SIGPIPE")
sys.exit(1 if failures else 0)
PYEOF
cat > "$WORK/verbs.txt" << VERBS
$IMGMOUNT cat $image /usr/share/big.txt
$IMGMOUNT cat $image /etc/motd
$IMGMOUNT ls -R $image /
$IMGMOUNT ls -l --json $image /
$IMGMOUNT inspect $image
$IMGMOUNT inspect --json $image
$IMGMOUNT diff $image $WORK/plus
$IMGMOUNT export $image -
$IMGMOUNT verify $image
$IMGMOUNT which $image /etc/motd
$IMGMOUNT cache ls
$IMGMOUNT --help
VERBS
python_agrees "every verb on a closed pipe" "coreutils' way (SIGPIPE, no message)" \
  "$WORK/closed_pipe.py" < "$WORK/verbs.txt"
# As the brief's users type it: under pipefail, a reader that stops early.
set +e
(
  set -o pipefail
  "$IMGMOUNT" cat "$image" /usr/share/big.txt 2> "$WORK/p1.err" | head -c1 > /dev/null
  echo "cat $? $(wc -c < "$WORK/p1.err")"
  "$IMGMOUNT" export "$image" - 2> "$WORK/p2.err" | head -c1 > /dev/null
  echo "export $? $(wc -c < "$WORK/p2.err")"
  (trap '' PIPE; "$IMGMOUNT" cat "$image" /usr/share/big.txt 2> "$WORK/p3.err" | head -c1 > /dev/null)
  echo "cat-ignored $? $(wc -c < "$WORK/p3.err")"
) > "$WORK/pipefail.txt"
set -e
while read -r what status errbytes; do
  if [ "$status" -eq 141 ] && [ "$errbytes" -eq 0 ]; then
    say "ok: $what | head -c1 under pipefail: status 141, no message"
  else
    fail "$what | head -c1 under pipefail: status $status, $errbytes bytes on stderr"
  fi
done < "$WORK/pipefail.txt"

# --- progress on a terminal -----------------------------------------------------------------
mnt="$WORK/mnt"
mkdir -p "$mnt"
MOUNTS+=("$mnt")
# too_wide FILE COLUMNS: the lines of a terminal transcript wider than COLUMNS once escape
# sequences are taken out (a carriage return starts a line again).
too_wide() {
  python3 - "$1" "$2" << 'PYEOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
for line in re.split(r"[\r\n]", text):
    if len(line) > int(sys.argv[2]):
        print(repr(line))
PYEOF
}
failures_before=$FAILURES
for run in first second; do
  script -qec "stty cols 40 rows 30; $IMGMOUNT --wait --cache-dir $WORK/tty-cache $image $mnt" \
    /dev/null > "$WORK/tty-$run.out" ||
    fail "mount on a terminal ($run): $(cat "$WORK/tty-$run.out")"
  unmount_image "$mnt"
  wide=$(too_wide "$WORK/tty-$run.out" 40)
  [ -z "$wide" ] || fail "progress ($run run) wider than 40 columns: $wide"
  grep -q "layer 1" "$WORK/tty-$run.out" || fail "no progress line ($run run): $(cat -v "$WORK/tty-$run.out")"
done
grep -q "cached" "$WORK/tty-first.out" && fail "the first mount says cached: $(cat -v "$WORK/tty-first.out")"
grep -aq "layer 1.*: cached" "$WORK/tty-second.out" ||
  fail "the second mount (index cached) does not say cached: $(cat -v "$WORK/tty-second.out")"
grep -aq "/s" "$WORK/tty-second.out" &&
  fail "the second mount shows a rate for cached layers: $(cat -v "$WORK/tty-second.out")"
[ "$FAILURES" -eq "$failures_before" ] &&
  say "ok: progress within 40 columns, a cached layer says so: $(tr '\r' '\n' < "$WORK/tty-second.out" |
    sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | grep -a 'layer 1' | tail -1)"
# stderr not a terminal (stdout one): nothing.
script -qec "stty cols 40; $IMGMOUNT --wait --no-cache $image $mnt 2> $WORK/notty.err" /dev/null \
  > "$WORK/tty-notty.out" || fail "mount with stderr not a terminal"
unmount_image "$mnt"
[ -s "$WORK/notty.err" ] && fail "progress with stderr not a terminal: $(cat -v "$WORK/notty.err")"
[ -s "$WORK/tty-notty.out" ] && fail "output with stderr not a terminal: $(cat -v "$WORK/tty-notty.out")"
say "ok: nothing on stderr when it is not a terminal"
# A verb that has to index (a cold ls of a layer that takes seconds) shows the same progress on
# a terminal once it waits over half a second, within the width, and erases it before its output;
# with stderr not a terminal, nothing.
mkdir -p "$WORK/slow"
truncate -s 2G "$WORK/slow/zeros.bin"
tar --format=pax -C "$WORK/slow" -cf - zeros.bin | igzip -1 -c > "$WORK/slow.tar.gz"
"$FIXTURE" wrap oci-dir "$WORK/slow-image" "$WORK/slow.tar.gz" > /dev/null
script -qec "stty cols 40 rows 30; $IMGMOUNT ls --no-cache $WORK/slow-image /" /dev/null \
  > "$WORK/tty-ls.out" || fail "ls on a terminal: $(cat -v "$WORK/tty-ls.out")"
wide=$(too_wide "$WORK/tty-ls.out" 40)
[ -z "$wide" ] || fail "ls progress wider than 40 columns: $wide"
grep -aq "layer 1 .*%" "$WORK/tty-ls.out" || fail "ls shows no progress: $(cat -v "$WORK/tty-ls.out")"
# What stays on the screen: the progress erased ("ESC[nA" up, "ESC[J" clear), then the listing.
grep -aq $'\e\[J'"zeros.bin" "$WORK/tty-ls.out" ||
  fail "ls does not erase its progress before the listing: $(tail -c 300 "$WORK/tty-ls.out" | cat -v)"
script -qec "$IMGMOUNT ls --no-cache $WORK/slow-image / 2> $WORK/ls-notty.err" /dev/null \
  > /dev/null || fail "ls with stderr not a terminal"
[ -s "$WORK/ls-notty.err" ] && fail "ls progress with stderr not a terminal: $(cat -v "$WORK/ls-notty.err")"
say "ok: a verb that indexes shows its progress on a terminal and erases it"
finish

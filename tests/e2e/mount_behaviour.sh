#!/usr/bin/env bash
# How the mount behaves as a filesystem and as a command: errors for bad mountpoints and
# images with the documented exit codes, read-only answers (EROFS), hardlink counts, sparse
# files, foreground mode, FUSE option pass-through, unmount while busy, a killed daemon, the
# root directory's attributes (against umoci), the mount's source in /proc/mounts and `status`,
# and --help everywhere.
source "$(dirname "$0")/lib.sh"

image="$WORK/sample.tar"
"$FIXTURE" sample docker-oci gzip "$image"

# --help on every command.
for command in "" ls cat; do
  expect_exit 0 "imgmount $command --help" "$IMGMOUNT" $command --help
  grep -q "usage: imgmount" "$WORK/out.txt" || fail "imgmount $command --help prints no usage"
done
expect_exit 0 "imgmount -u --help" "$IMGMOUNT" -u --help

# Mountpoint and image problems, each with its own exit code and a message naming the culprit.
touch "$WORK/plain-file"
expect_exit 3 "missing mountpoint" "$IMGMOUNT" "$image" "$WORK/does-not-exist"
grep -q "does-not-exist" "$WORK/err.txt" || fail "missing mountpoint: message does not name it"
expect_exit 7 "mountpoint is a file" "$IMGMOUNT" "$image" "$WORK/plain-file"
expect_exit 3 "missing image" "$IMGMOUNT" "$WORK/no-such-image.tar" "$WORK"
head -c 4096 /dev/urandom > "$WORK/garbage.tar"
mkdir -p "$WORK/mnt-garbage"
expect_exit 4 "not an image" "$IMGMOUNT" "$WORK/garbage.tar" "$WORK/mnt-garbage"
grep -q "garbage.tar" "$WORK/err.txt" || fail "not an image: message does not name the file"
expect_exit 2 "bad usage" "$IMGMOUNT" "$image"
expect_exit 2 "unknown option" "$IMGMOUNT" --no-such-option "$image" "$WORK/mnt-garbage"
expect_exit 7 "unmount of a directory that is not mounted" "$IMGMOUNT" -u "$WORK/mnt-garbage"
if grep -q "$WORK/mnt-garbage" /proc/self/mounts; then fail "a failed mount left a mount behind"; fi

mnt="$WORK/mnt"
mount_image "$image" "$mnt" || fail "mount"
expect_exit 7 "mounting on an active mount" "$IMGMOUNT" "$image" "$mnt"
grep -q "already mounted" "$WORK/err.txt" || fail "mounting twice: message does not say why"

# Read-only: every kind of write fails with EROFS.
for attempt in "touch $mnt/new-file" "mkdir $mnt/new-dir" "rm -f $mnt/etc/hostname" \
  "chmod 777 $mnt/etc/hostname" "ln -s x $mnt/new-link" "mv $mnt/etc/hostname $mnt/etc/h2" \
  "setfattr -n user.x -v 1 $mnt/etc/hostname"; do
  if out=$(bash -c "$attempt" 2>&1); then
    fail "write succeeded: $attempt"
  elif ! grep -q "Read-only file system" <<< "$out"; then
    fail "write did not fail with EROFS: $attempt: $out"
  fi
done
if (echo x >> "$mnt/etc/hostname") 2> "$WORK/err.txt"; then fail "append succeeded"; fi
grep -q "Read-only file system" "$WORK/err.txt" || fail "append: not EROFS: $(cat "$WORK/err.txt")"
say "ok: writes fail with EROFS"

# Mount options: read-only, nodev, nosuid; allow_other passes through (checked on a 2nd mount).
opts=$(awk -v m="$mnt" '$2 == m {print $4}' /proc/self/mounts)
for want in ro nosuid nodev; do
  grep -qw "$want" <<< "${opts//,/ }" || fail "mount options '$opts' lack $want"
done
say "ok: mounted with $opts"

# Read-ahead: 1 MiB, FUSE's largest read request (root may set it; others keep the default).
if [ "$(id -u)" -eq 0 ]; then
  ra=$(cat "/sys/class/bdi/$(mountpoint -d "$mnt")/read_ahead_kb")
  if [ "$ra" -eq 1024 ]; then say "ok: read-ahead $ra KiB"; else fail "read-ahead $ra KiB, not 1024"; fi
fi

# Stable inode numbers: a second mount of the same image gives every path the same inode.
mnt2="$WORK/mnt2"
mount_image "$image" "$mnt2" -o allow_other || fail "mount with -o allow_other"
awk -v m="$mnt2" '$2 == m {print $4}' /proc/self/mounts | grep -q allow_other ||
  fail "-o allow_other did not reach the mount"
(cd "$mnt" && find . -printf '%i %p\n' | sort -k2) > "$WORK/inodes1.txt"
(cd "$mnt2" && find . -printf '%i %p\n' | sort -k2) > "$WORK/inodes2.txt"
cmp -s "$WORK/inodes1.txt" "$WORK/inodes2.txt" || fail "inode numbers differ between mounts"
say "ok: inode numbers stable across mounts ($(wc -l < "$WORK/inodes1.txt") paths)"
unmount_image "$mnt2"

# Unmount while a file is open: EBUSY with a hint, then a lazy unmount works.
exec 7< "$mnt/etc/hostname"
expect_exit 7 "unmount while a file is open" "$IMGMOUNT" -u "$mnt"
grep -q "busy" "$WORK/err.txt" || fail "busy unmount: message does not say busy"
expect_exit 0 "lazy unmount while a file is open" "$IMGMOUNT" -u -z "$mnt"
head -c 5 <&7 > /dev/null || fail "the open file became unreadable after a lazy unmount"
exec 7<&-
sleep 0.3
if grep -q " $mnt fuse" /proc/self/mounts; then fail "lazy unmount left the mount"; fi

# A killed daemon: readers get an error (ENOTCONN), never hang; -u then cleans up; remount works.
mount_image "$image" "$mnt" || fail "remount"
daemon=$(daemon_pid "$image" "$mnt")
[ -n "$daemon" ] || fail "no daemon process found"
kill -KILL "$daemon"
sleep 0.2
if timeout 10 ls "$mnt" > /dev/null 2> "$WORK/err.txt"; then fail "ls on a dead mount succeeded"; fi
grep -q "Transport endpoint is not connected" "$WORK/err.txt" ||
  fail "dead mount: expected ENOTCONN, got $(cat "$WORK/err.txt")"
expect_exit 7 "mounting on a dead mount says what to do" "$IMGMOUNT" "$image" "$mnt"
grep -q "imgmount -u" "$WORK/err.txt" || fail "dead mount: message does not suggest imgmount -u"
expect_exit 0 "unmount of a dead mount" "$IMGMOUNT" -u "$mnt"
mount_image "$image" "$mnt" || fail "mount after a killed daemon"
[ -s "$mnt/etc/hostname" ] || fail "remounted image unreadable"
unmount_image "$mnt"

# The root directory (issue 16.11): mode, owner and mtime from the topmost layer with a root
# entry, whether it is written "./", "." or "/"; with none, what umoci gives (0755 root:root,
# mtime 0). Layers written by Python's tarfile, compared with umoci raw unpack (the treedump's
# first line is the root).
python3 - "$WORK" << 'PYEOF'
import io, sys, tarfile
def layer(name, root, files):
    with tarfile.open(f"{sys.argv[1]}/{name}.tar", "w", format=tarfile.PAX_FORMAT) as t:
        if root:
            entry = tarfile.TarInfo(root[0])
            entry.type = tarfile.DIRTYPE
            entry.mode, entry.uid, entry.gid, entry.mtime = root[1:]
            t.addfile(entry)
        for f in files:
            entry = tarfile.TarInfo(f)
            entry.size, entry.mtime = 2, 1600000000
            t.addfile(entry, io.BytesIO(b"x\n"))
layer("root-low", ("./", 0o700, 11, 12, 1500000000), ["a"])
layer("root-high", ("./", 0o751, 21, 22, 1700000000), ["b"])
layer("root-none", None, ["c"])
layer("root-dot", (".", 0o750, 31, 32, 1650000000), ["d"])
layer("root-slash", ("/", 0o705, 41, 42, 1660000000), ["e"])
PYEOF
root_case() {
  local name=$1 want=$2
  shift 2
  local layers=()
  for l in "$@"; do layers+=("$WORK/root-$l.tar"); done
  "$FIXTURE" wrap oci-dir "$WORK/$name" "${layers[@]}" > /dev/null
  oracle_unpack "$WORK/$name" latest "$WORK/umoci-$name"
  [ "$(stat -c '%a %u %g %Y' "$WORK/umoci-$name")" = "$want" ] ||
    fail "$name: umoci's root is $(stat -c '%a %u %g %Y' "$WORK/umoci-$name"), expected $want"
  if mount_image "$WORK/$name" "$mnt"; then
    compare_trees "$name: the root and tree vs umoci" "$WORK/umoci-$name" "$mnt"
    unmount_image "$mnt"
  else
    fail "$name: mount failed"
  fi
}
root_case root-topmost "751 21 22 1700000000" low high none
root_case root-dot "750 31 32 1650000000" low dot none
root_case root-slash "705 41 42 1660000000" low slash
root_case root-absent "755 0 0 0" none

# The mount's source in /proc/mounts and `imgmount status` (issue 16.11): the image's absolute
# path (however it was given), ":TAG" if chosen, ",upto=N" with --upto; commas and spaces kept.
source_of() { # MNT: the source field of MNT's line in /proc/self/mountinfo, unescaped
  python3 -c '
import sys
for line in open("/proc/self/mountinfo"):
    fields = line.split()
    unescape = lambda f: f.encode().decode("unicode_escape").encode("latin-1").decode()
    if unescape(fields[4]) == sys.argv[1]:
        source = unescape(fields[fields.index("-") + 2])
print(source)' "$1"
}
odd="$WORK/images, odd"
mkdir -p "$odd"
cp -r "$WORK/root-topmost" "$odd/img"
if (cd "$odd" && mount_image img "$mnt" --upto 2); then
  [ "$(source_of "$mnt")" = "$odd/img,upto=2" ] && say "ok: the source is $(source_of "$mnt")" ||
    fail "the source is \"$(source_of "$mnt")\", expected \"$odd/img,upto=2\""
  "$IMGMOUNT" status "$mnt" > "$WORK/status.txt"
  grep -qF "$mnt  $odd/img,upto=2  2/2" "$WORK/status.txt" ||
    fail "status says: $(cat "$WORK/status.txt")"
  "$IMGMOUNT" status --json "$mnt" > "$WORK/status.json"
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["mounts"][0]
assert (m["image"], m["upto"]) == (sys.argv[2], 2), m' "$WORK/status.json" "$odd/img" ||
    fail "status --json says: $(cat "$WORK/status.json")"
  unmount_image "$mnt"
else
  fail "mount of a relative image path with --upto failed"
fi
if (cd "$WORK" && mount_image sample.tar:latest "$mnt"); then
  [ "$(source_of "$mnt")" = "$WORK/sample.tar:latest" ] ||
    fail "the source is \"$(source_of "$mnt")\", expected \"$WORK/sample.tar:latest\""
  "$IMGMOUNT" status --json "$mnt" > "$WORK/status.json"
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["mounts"][0]
assert (m["image"], m["upto"]) == (sys.argv[2], None), m' "$WORK/status.json" "$WORK/sample.tar:latest" ||
    fail "status --json says: $(cat "$WORK/status.json")"
  unmount_image "$mnt"
else
  fail "mount of sample.tar:latest failed"
fi

# Foreground mode: -f serves until unmounted, then exits 0.
"$IMGMOUNT" -f "$image" "$mnt" &
foreground=$!
for _ in $(seq 1 100); do
  grep -q " $mnt fuse" /proc/self/mounts && break
  sleep 0.1
done
[ -s "$mnt/etc/hostname" ] || fail "foreground mount not serving"
"$IMGMOUNT" -u "$mnt"
if wait "$foreground"; then say "ok: foreground daemon exited 0 after -u"; else fail "-f exit status"; fi
finish

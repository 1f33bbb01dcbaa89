#!/usr/bin/env bash
# A lazy mount whose layer fails is visible (issue 14 point 4):
#   - `imgmount status [--json] [MNT]` tells each mount's image, layers indexed / total and
#     state (indexing N%, complete, failed: why), checked against the layout's manifest, the
#     blobs' sizes and the daemon's pid; exit 0 when all listed are fine, 1 when one failed
#     (also a mount whose daemon was killed), 2 on bad usage, 3 for a path that is no imgmount
#     mount;
#   - a damaged gzip layer (an invalid deflate block: exit 4) and a layer whose digest does not
#     match (its gzip header changed: exit 5): on a terminal the mount command prints the
#     failure naming the layer and exits with its code; the mount stays, the other layer's files
#     read, what needs the failed layer answers EIO;
#   - a stopped daemon makes `status` say "unknown: did not answer" after 5 s, not hang;
#   - the daemon logs the failure to syslog (ident imgmount, priority daemon.err) naming the
#     mountpoint, the image and the layer: run in a private mount namespace whose /dev/log is a
#     datagram socket served by Python (the machine's own /dev is left alone).
source "$(dirname "$0")/lib.sh"

# Layers: base = /big.bin (2 GiB of zeros: seconds to index) and /app/README; top = /app/server.js.
mkdir -p "$WORK/base/app" "$WORK/top/app"
truncate -s 2G "$WORK/base/big.bin"
echo "base readme" > "$WORK/base/app/README"
printf 'console.log("top");\n' > "$WORK/top/app/server.js"
tar --format=pax -C "$WORK/base" -cf - big.bin app | igzip -1 -c > "$WORK/base.tar.gz"
tar --format=pax -C "$WORK/top" -cf - app | gzip -n -c > "$WORK/top.tar.gz"
"$FIXTURE" wrap oci-dir "$WORK/image" "$WORK/base.tar.gz" "$WORK/top.tar.gz" > /dev/null ||
  fail "cannot build the test image"
blob_of() { echo "$1/blobs/sha256/$(sha256sum "$2" | cut -d' ' -f1)"; }

# damaged: the base layer's first deflate block header set to the reserved block type.
cp -r "$WORK/image" "$WORK/damaged"
python3 -c '
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
assert data[:3] == b"\x1f\x8b\x08" and data[3] == 0, "expected a 10-byte gzip header"
data[10] = 0xFF  # BFINAL=1, BTYPE=11: reserved, an error for every inflater
open(path, "wb").write(data)
' "$(blob_of "$WORK/damaged" "$WORK/base.tar.gz")"
python3 -c 'import gzip, sys; gzip.decompress(open(sys.argv[1], "rb").read())' \
  "$(blob_of "$WORK/damaged" "$WORK/base.tar.gz")" 2> /dev/null &&
  fail "Python still inflates the damaged base layer"

# mismatch: the top layer's gzip header MTIME changed: the stream still inflates to the same tar,
# but the blob no longer has the manifest's digest (and the size stays the same).
cp -r "$WORK/image" "$WORK/mismatch"
python3 -c '
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[4:8] = (12345678).to_bytes(4, "little")
open(path, "wb").write(data)
' "$(blob_of "$WORK/mismatch" "$WORK/top.tar.gz")"

mnt="$WORK/mnt"
mkdir -p "$mnt"
MOUNTS+=("$mnt")

# check_status_json FILE MNT IMAGE STATE: the --json report of one mount against the layout's
# manifest (digests), the blob files (sizes) and the running daemon (pid).
check_status_json() {
  python3 - "$@" "$(daemon_pid "$3" "$2")" << 'PYEOF'
import json, os, sys
report, mnt, image, want_state, pid = sys.argv[1:6]
doc = json.load(open(report))
problems = []
mounts = [m for m in doc["mounts"] if m["mountpoint"] == mnt]
if len(mounts) != 1:
    print(f"{len(mounts)} mounts on {mnt} in {doc}")
    sys.exit(1)
m = mounts[0]
index = json.load(open(f"{image}/index.json"))
def blob(digest):
    return f"{image}/blobs/sha256/{digest.split(':')[1]}"
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
digests = [l["digest"] for l in manifest["layers"]]
if m["image"] != image:
    problems.append(f"image {m['image']!r}")
if str(m["pid"]) != pid:
    problems.append(f"pid {m['pid']}, the daemon is {pid}")
if m["state"] != want_state:
    problems.append(f"state {m['state']}, expected {want_state}")
if [l["digest"] for l in m["layers"]] != digests or [l["layer"] for l in m["layers"]] != [1, 2]:
    problems.append(f"layers {m['layers']}, manifest {digests}")
for l in m["layers"]:
    if l["total"] != os.path.getsize(blob(l["digest"])):
        problems.append(f"layer {l['layer']}: total {l['total']}")
    if not 0 <= l["done"] <= l["total"]:
        problems.append(f"layer {l['layer']}: done {l['done']}")
    if (l["state"] == "failed") != (l["error"] is not None):
        problems.append(f"layer {l['layer']}: state {l['state']} with error {l['error']!r}")
ready = sum(l["state"] == "ready" for l in m["layers"])
if m["layers_indexed"] != ready or m["layers_total"] != 2:
    problems.append(f"layers {m['layers_indexed']}/{m['layers_total']}, {ready} ready")
if want_state == "failed":
    failed = [l for l in m["layers"] if l["state"] == "failed"]
    if not failed or m["error"] != failed[0]["error"]:
        problems.append(f"error {m['error']!r}, failed layers {failed}")
elif m["error"] is not None:
    problems.append(f"error {m['error']!r}")
if want_state == "complete" and (m["percent"] != 100 or ready != 2):
    problems.append(f"complete at {m['percent']}% with {ready} layers ready")
if want_state == "indexing" and not 0 <= m["percent"] < 100:
    problems.append(f"indexing at {m['percent']}%")
for p in problems:
    print(p)
print(f"{m['state']}, {m['layers_indexed']}/{m['layers_total']} layers, {m['percent']}%")
sys.exit(1 if problems else 0)
PYEOF
}

# status_json_agrees WHAT CODE IMAGE STATE: `status --json MNT` exits CODE and agrees with the
# layout and the daemon.
status_json_agrees() {
  local what=$1 code=$2 image=$3 state=$4
  expect_exit "$code" "$what: status --json" "$IMGMOUNT" status --json "$mnt"
  if check_status_json "$WORK/out.txt" "$mnt" "$image" "$state" > "$WORK/check.txt"; then
    say "ok: $what: status --json agrees with the layout ($(tail -1 "$WORK/check.txt"))"
  else
    fail "$what: status --json: $(cat "$WORK/check.txt")"
  fi
}

# 1. A healthy mount: indexing, then complete; text and JSON.
"$IMGMOUNT" --no-cache "$WORK/image" "$mnt" || fail "lazy mount failed"
status_json_agrees "while the base layer is indexed" 0 "$WORK/image" indexing
expect_exit 0 "status while indexing" "$IMGMOUNT" status "$mnt"
grep -q "^$mnt  *$WORK/image  *[01]/2  *indexing [0-9]*%\$" "$WORK/out.txt" ||
  fail "status text while indexing: $(cat "$WORK/out.txt")"
ls "$mnt" > /dev/null || fail "listing the healthy mount failed"
status_json_agrees "once indexed" 0 "$WORK/image" complete
expect_exit 0 "status text once indexed" "$IMGMOUNT" status "$mnt"
grep -q "^$mnt  *$WORK/image  *2/2  *complete\$" "$WORK/out.txt" ||
  fail "status text once complete: $(cat "$WORK/out.txt")"
# Without MNT every imgmount mount is listed (other tests' mounts may be there too).
"$IMGMOUNT" status > "$WORK/all.txt" || true
head -1 "$WORK/all.txt" | grep -q "^MOUNTPOINT  *IMAGE  *LAYERS  *STATE" || fail "no header"
grep -q "^$mnt  *$WORK/image  *2/2  *complete" "$WORK/all.txt" || fail "status lists no $mnt"
unmount_image "$mnt"

# 2. Usage and paths that are no imgmount mounts.
expect_exit 0 "status --help" "$IMGMOUNT" status --help
grep -q -- "--json" "$WORK/out.txt" || fail "status --help does not name --json"
expect_exit 2 "status with an unknown option" "$IMGMOUNT" status --bogus
expect_exit 3 "status of a directory" "$IMGMOUNT" status "$WORK/base"
grep -q "$WORK/base is not an imgmount mount" "$WORK/err.txt" || fail "$(cat "$WORK/err.txt")"
expect_exit 3 "status of a missing path" "$IMGMOUNT" status "$WORK/nowhere"
grep -q "$WORK/nowhere is not an imgmount mount (it does not exist)" "$WORK/err.txt" ||
  fail "$(cat "$WORK/err.txt")"

# failed_mount_checks WHAT IMAGE: the failed mount is still usable where it can be.
failed_mount_checks() {
  local what=$1 image=$2
  grep -q " $mnt fuse" /proc/self/mounts || fail "$what: the mount did not stay"
  expect_exit 1 "$what: status" "$IMGMOUNT" status "$mnt"
  grep -q "^$mnt  *$image  *[01]/2  *failed: layer [12] (sha256:[0-9a-f]*): " "$WORK/out.txt" ||
    fail "$what: status text: $(cat "$WORK/out.txt")"
  status_json_agrees "$what" 1 "$image" failed
  if ls "$mnt" > /dev/null 2> "$WORK/ls.err"; then fail "$what: listing succeeded"; fi
  grep -q "Input/output error" "$WORK/ls.err" || fail "$what: listing: $(cat "$WORK/ls.err")"
}

# 3. On a terminal: the failure is printed and the command exits with its code.
for case in "damaged 4 1" "mismatch 5 2"; do
  read -r name want layer <<< "$case"
  code=0
  script -qec "$IMGMOUNT --no-cache $WORK/$name $mnt" /dev/null > "$WORK/tty.out" || code=$?
  [ "$code" = "$want" ] || fail "$name on a terminal: exit $code, expected $want: $(cat "$WORK/tty.out")"
  grep -q "imgmount: layer $layer (sha256:[0-9a-f]*): .*" "$WORK/tty.out" ||
    fail "$name on a terminal: the failure is not shown: $(cat "$WORK/tty.out")"
  grep -q "stays mounted" "$WORK/tty.out" || fail "$name: $(cat "$WORK/tty.out")"
  [ "$name" = mismatch ] && { grep -q "digest mismatch" "$WORK/tty.out" || fail "no mismatch shown"; }
  say "ok: $name layer on a terminal: shown, exit $code"
  # What does not need the failed layer still reads: with the base failed, the top layer's file
  # (with the top failed, every lookup needs it).
  if [ "$name" = damaged ]; then
    cmp -s "$mnt/app/server.js" "$WORK/top/app/server.js" ||
      fail "damaged: the top layer's file does not read"
    if cat "$mnt/app/README" > /dev/null 2> "$WORK/cat.err"; then
      fail "damaged: the base layer's file reads"
    fi
    grep -q "Input/output error" "$WORK/cat.err" || fail "damaged: README: $(cat "$WORK/cat.err")"
  fi
  failed_mount_checks "$name layer" "$WORK/$name"
  unmount_image "$mnt"
done

# 4. A mount whose daemon is gone is failed (exit 1).
"$IMGMOUNT" --no-cache "$WORK/image" "$mnt" || fail "mount for the kill test failed"
pid=$(daemon_pid "$WORK/image" "$mnt")
kill -KILL "$pid"
for i in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
expect_exit 1 "status of a mount whose daemon was killed" "$IMGMOUNT" status "$mnt"
grep -q "failed: the daemon serving the mount is gone" "$WORK/out.txt" || fail "$(cat "$WORK/out.txt")"
umount -l "$mnt" 2> /dev/null || fusermount3 -u -z "$mnt" 2> /dev/null || true

# 4b. A daemon that does not answer (stopped) does not hang status: it is unknown (exit 1),
# named by path as given and in the list of all mounts, within the time limit.
"$IMGMOUNT" --no-cache --wait "$WORK/image" "$mnt" || fail "mount for the stopped-daemon test failed"
pid=$(daemon_pid "$WORK/image" "$mnt")
kill -STOP "$pid"
code=0
timeout 60 "$IMGMOUNT" status "$mnt" > "$WORK/out.txt" 2>&1 || code=$?
kill -CONT "$pid"
[ "$code" = 1 ] || fail "status of a stopped daemon: exit $code, expected 1: $(cat "$WORK/out.txt")"
grep -q "unknown: the daemon did not answer within" "$WORK/out.txt" ||
  fail "status of a stopped daemon: $(cat "$WORK/out.txt")"
unmount_image "$mnt"

# 5. syslog, in a private mount namespace (root only) whose /dev/log is ours.
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2> /dev/null; then
  say "skip: syslog needs root for a private mount namespace"
  finish
  exit 0
fi
cat > "$WORK/listener.py" << 'PYEOF'
import os, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("/dev/log")
open(sys.argv[2], "w").close()  # ready
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(sock.recv(65536).replace(b"\n", b" ") + b"\n")
PYEOF
cat > "$WORK/in_namespace.sh" << 'SHEOF'
set -u
WORK=$1 IMGMOUNT=$2 mnt=$3
mkdir -p "$WORK/dev"
mount -t tmpfs -o mode=755 imgmount-test-dev "$WORK/dev"
for node in null zero full random urandom tty fuse; do cp -a "/dev/$node" "$WORK/dev/"; done
ln -s /proc/self/fd "$WORK/dev/fd"
mount --bind "$WORK/dev" /dev
python3 "$WORK/listener.py" "$WORK/syslog.txt" "$WORK/listening" &
listener=$!
for i in $(seq 1 100); do [ -e "$WORK/listening" ] && break; sleep 0.1; done
"$IMGMOUNT" --no-cache "$WORK/damaged" "$mnt" < /dev/null > /dev/null 2>&1 || echo "mount failed"
for i in $(seq 1 300); do grep -q "imgmount\[" "$WORK/syslog.txt" 2> /dev/null && break; sleep 0.1; done
"$IMGMOUNT" -u "$mnt"
kill "$listener"
SHEOF
unshare -m --propagation private bash "$WORK/in_namespace.sh" "$WORK" "$IMGMOUNT" "$mnt" \
  > "$WORK/ns.out" 2>&1 || fail "namespace script: $(cat "$WORK/ns.out")"
[ -s "$WORK/ns.out" ] && fail "namespace script said: $(cat "$WORK/ns.out")"
# <27>: facility daemon (3) * 8 + priority err (3).
if grep -q "^<27>.* imgmount\[[0-9]*\]: $mnt ($WORK/damaged): layer 1 (sha256:[0-9a-f]*): .*EIO" \
  "$WORK/syslog.txt"; then
  say "ok: the daemon logged the failure to syslog: $(head -1 "$WORK/syslog.txt")"
else
  fail "syslog: $(cat "$WORK/syslog.txt" 2> /dev/null)"
fi
finish

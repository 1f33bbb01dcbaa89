# Shared by the mounted end-to-end tests: tools, a scratch directory, mounting with guaranteed
# cleanup (unmount and kill the daemon even when the test fails), and tree comparison against
# an independent oracle (umoci raw unpack).
set -euo pipefail

: "${IMGMOUNT:?set IMGMOUNT to the imgmount binary}"
: "${FIXTURE:?set FIXTURE to the imgmount-fixture binary}"
: "${TREEDUMP:?set TREEDUMP to the imgmount-treedump binary}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgmount-e2e.XXXXXX")
# Index cache entries of a test stay in its scratch directory.
export XDG_CACHE_HOME="$WORK/cache"
MOUNTS=()
# Background servers a test starts (e.g. a registry): killed by cleanup, even on failure.
SERVER_PIDS=()
# Paths outside $WORK a test creates (e.g. a certs.d entry under /etc): removed by cleanup.
OUTSIDE_PATHS=()
FAILURES=0

cleanup() {
  local m p
  for p in "${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do
    if grep -q " $m fuse" /proc/self/mounts 2>/dev/null; then
      umount -l "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || true
    fi
  done
  pkill -KILL -f -- "imgmount.* $WORK/" 2>/dev/null || true
  for p in "${OUTSIDE_PATHS[@]+"${OUTSIDE_PATHS[@]}"}"; do rm -rf -- "$p"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }

# Records a failure with a message; the test exits non-zero at the end (see finish).
fail() {
  say "FAIL: $*"
  FAILURES=$((FAILURES + 1))
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    say "$FAILURES check(s) failed"
    exit 1
  fi
  say "all checks passed"
}

# mount_image IMAGE MOUNTPOINT [imgmount options...]: mounts in the background and returns once
# the image is fully indexed (tests of the lazy phase call imgmount themselves).
mount_image() {
  local image=$1 mnt=$2
  shift 2
  mkdir -p "$mnt"
  MOUNTS+=("$mnt")
  timeout 300 "$IMGMOUNT" --wait "$@" "$image" "$mnt"
}

unmount_image() {
  "$IMGMOUNT" -u "$1"
  # The daemon exits once the kernel drops the connection.
  local i
  for i in $(seq 1 50); do
    pgrep -f -- "imgmount.* $1\$" > /dev/null || return 0
    sleep 0.1
  done
  return 0
}

# daemon_pid IMAGE MOUNTPOINT: the pid of the imgmount daemon serving IMAGE on MOUNTPOINT.
daemon_pid() { pgrep -f -- "imgmount.* $1 $2\$" | head -1; }

# peak_rss_kib PID: the process's peak resident size (VmHWM) in KiB, 0 if it is gone.
peak_rss_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }

# oracle_unpack OCI_DIR TAG ROOTFS: the independent reference tree.
oracle_unpack() {
  local dir=$1 tag=$2 rootfs=$3
  umoci raw unpack --image "$dir:$tag" "$rootfs" > "$WORK/umoci.log" 2>&1 || {
    cat "$WORK/umoci.log"
    return 1
  }
}

# compare_trees WHAT EXPECTED_DIR ACTUAL_DIR [treedump options]: whole-tree comparison.
compare_trees() {
  local what=$1 expected=$2 actual=$3
  shift 3
  local a="$WORK/expected.$$.txt" b="$WORK/actual.$$.txt"
  "$TREEDUMP" "$@" "$expected" > "$a"
  "$TREEDUMP" "$@" "$actual" > "$b"
  if ! diff -u "$a" "$b" > "$WORK/tree.diff"; then
    fail "$what: trees differ"
    head -60 "$WORK/tree.diff"
    return 0
  fi
  say "ok: $what ($(wc -l < "$a") entries identical)"
}

# python_agrees WHAT ORACLE SCRIPT ARGS...: runs a Python checker (exit 0 if WHAT agrees with
# ORACLE); the ok line quotes its last line, a failure the first 20 lines of its report.
python_agrees() {
  local what=$1 oracle=$2
  shift 2
  if python3 "$@" > "$WORK/check.txt"; then
    say "ok: $what agrees with $oracle ($(tail -1 "$WORK/check.txt"))"
  else
    fail "$what disagrees with $oracle:"
    head -20 "$WORK/check.txt"
  fi
}

# expect_exit CODE WHAT COMMAND...: runs a command that must exit with CODE.
expect_exit() {
  local want=$1 what=$2
  shift 2
  local got=0
  "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$what: exit $got, expected $want; stderr: $(head -c 600 "$WORK/err.txt")"
    return 0
  fi
  say "ok: $what (exit $got)"
}

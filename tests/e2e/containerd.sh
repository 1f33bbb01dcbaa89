#!/usr/bin/env bash
# Images of containerd's store mounted by name (issue 20): Debian's containerd started on a
# private socket with a temporary root (CRI and the runtime plugins off), images imported with
# `ctr images import` from a docker-archive and OCI archives made by skopeo (gzip and zstd
# layers, a multi-platform index imported for one platform only); each mounted as
# containerd://NAME while the daemon runs and after it stopped, and compared with `umoci raw
# unpack` of the same image; inspect, ls, cat and diff by name against the same verbs on the OCI
# layouts; `images containerd://` against `ctr images ls`; and the errors a user can act on:
# unknown name, unknown namespace, a platform whose blobs are absent, a garbage-collected layer,
# a root the user may not read.
source "$(dirname "$0")/lib.sh"

command -v containerd > /dev/null && command -v ctr > /dev/null ||
  { say "SKIP: containerd is not installed"; exit 0; }

ROOT=$WORK/ctrd/root
SOCK=$WORK/ctrd/c.sock
mkdir -p "$ROOT" "$WORK/ctrd/state"
cat > "$WORK/ctrd/config.toml" << TOML
version = 2
root = "$ROOT"
state = "$WORK/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
  "io.containerd.runtime.v1.linux", "io.containerd.runtime.v2.task",
  "io.containerd.monitor.v1.cgroups", "io.containerd.service.v1.tasks-service",
  "io.containerd.grpc.v1.tasks"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
containerd --config "$WORK/ctrd/config.toml" > "$WORK/ctrd/log" 2>&1 &
CONTAINERD_PID=$!
SERVER_PIDS+=("$CONTAINERD_PID")
for i in $(seq 1 100); do
  ctr -a "$SOCK" version > /dev/null 2>&1 && break
  kill -0 "$CONTAINERD_PID" 2> /dev/null || break
  sleep 0.1
done
ctr -a "$SOCK" version > /dev/null 2>&1 ||
  { say "FAIL: containerd did not start: $(tail -c 600 "$WORK/ctrd/log")"; exit 1; }
say "containerd $(containerd --version | awk '{print $3}') on $SOCK"

ctr_() { ctr -a "$SOCK" "$@"; }
C=(--containerd-root "$ROOT")
tag_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$1/index.json"; }

# The images: fixture layouts, turned into archives by skopeo, imported by ctr.
"$FIXTURE" sample-plus oci-dir gzip "$WORK/plus" > /dev/null
"$FIXTURE" sample oci-dir zstd "$WORK/zstd" > /dev/null
"$FIXTURE" sample oci-dir gzip "$WORK/multi" --multi-platform > /dev/null
skopeo copy -q "oci:$WORK/plus:$(tag_of "$WORK/plus")" "oci-archive:$WORK/plus.tar:gzip"
skopeo copy -q "oci:$WORK/zstd:$(tag_of "$WORK/zstd")" "oci-archive:$WORK/zstd.tar:zstd"
skopeo copy -q "oci:$WORK/plus:$(tag_of "$WORK/plus")" "docker-archive:$WORK/app.tar:app:v1"
# The index of the multi-platform image, with the blobs of its arm64 image only.
skopeo copy -q --all "oci:$WORK/multi:$(tag_of "$WORK/multi")" "oci:$WORK/multi-arm:multi"
python3 - "$WORK/multi-arm" << 'PY'
import json, os, sys
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", *d.split(":"))
top = json.load(open(os.path.join(root, "index.json")))["manifests"][0]
for m in json.load(open(blob(top["digest"])))["manifests"]:
    if m.get("platform", {}).get("architecture") != "arm64":
        os.remove(blob(m["digest"]))
PY
tar -C "$WORK/multi-arm" -cf "$WORK/multi.tar" .
ctr_ -n default images import --no-unpack --base-name example.com/plus "$WORK/plus.tar" > /dev/null
ctr_ -n default images import --no-unpack --base-name example.com/sample "$WORK/zstd.tar" > /dev/null
ctr_ -n default images import --no-unpack "$WORK/app.tar" > /dev/null
ctr_ -n other images import --no-unpack --platform linux/arm64 --base-name example.com/multi \
  "$WORK/multi.tar" > /dev/null
ctr_ -n default images tag example.com/plus:gzip example.com/plus:second > /dev/null
say "imported: $(ctr_ -n default images ls -q | tr '\n' ' ')$(ctr_ -n other images ls -q)"

oracle_unpack "$WORK/plus" "$(tag_of "$WORK/plus")" "$WORK/oracle-plus"
"$FIXTURE" sample oci-dir gzip "$WORK/sample-gzip" > /dev/null
oracle_unpack "$WORK/sample-gzip" "$(tag_of "$WORK/sample-gzip")" "$WORK/oracle-sample"
skopeo copy -q "oci:$WORK/multi:$(tag_of "$WORK/multi")" --override-arch arm64 \
  --override-variant v8 "oci:$WORK/arm:arm"
oracle_unpack "$WORK/arm" arm "$WORK/oracle-arm"

# mount_all WHEN: every image mounted by name and compared with its oracle. umoci cannot unpack
# zstd layers: the zstd image is compared with the gzip sample's unpack (the same files).
mount_all() {
  local when=$1 name oracle extra n=0
  for spec in "example.com/plus:gzip plus" "example.com/plus:second plus" "app:v1 plus" \
    "example.com/sample:zstd sample" "example.com/multi:multi arm other"; do
    set -- $spec
    name=$1 oracle=$2 extra=()
    [ "${3:-}" != other ] || extra=(--namespace other --platform linux/arm64)
    n=$((n + 1))
    if mount_image "containerd://$name" "$WORK/mnt-$when-$n" "${C[@]}" "${extra[@]}"; then
      compare_trees "containerd://$name ($when)" "$WORK/oracle-$oracle" "$WORK/mnt-$when-$n"
      unmount_image "$WORK/mnt-$when-$n"
    else
      fail "mount of containerd://$name ($when) failed"
    fi
  done
}

# 1. Mounted by name while containerd runs (and holds its flock on meta.db).
mount_all running

# 2. The verbs by name, against the same verbs on the OCI layouts.
same_output() {
  local what=$1 a=$2 b=$3
  if diff -u "$a" "$b" > "$WORK/verb.diff"; then
    say "ok: $what"
  else
    fail "$what differs:"
    head -20 "$WORK/verb.diff"
  fi
}
"$IMGMOUNT" ls -R "${C[@]}" containerd://example.com/plus:gzip / > "$WORK/ls-ctrd.txt"
"$IMGMOUNT" ls -R "$WORK/plus" / > "$WORK/ls-oci.txt"
same_output "ls -R by name" "$WORK/ls-oci.txt" "$WORK/ls-ctrd.txt"
"$IMGMOUNT" cat "${C[@]}" containerd://app:v1 /etc/layer-marker > "$WORK/cat-ctrd.txt"
cat "$WORK/oracle-plus/etc/layer-marker" > "$WORK/cat-oracle.txt"
same_output "cat by name" "$WORK/cat-oracle.txt" "$WORK/cat-ctrd.txt"
"$IMGMOUNT" diff "${C[@]}" containerd://example.com/sample:zstd containerd://example.com/plus:gzip \
  > "$WORK/diff-ctrd.txt" || true
"$IMGMOUNT" diff "$WORK/zstd" "$WORK/plus" > "$WORK/diff-oci.txt" || true
sed -i -e "s|containerd://example.com/sample:zstd|A|g; s|containerd://example.com/plus:gzip|B|g" \
  "$WORK/diff-ctrd.txt"
sed -i -e "s|$WORK/zstd|A|g; s|$WORK/plus|B|g" "$WORK/diff-oci.txt"
same_output "diff of two tags" "$WORK/diff-oci.txt" "$WORK/diff-ctrd.txt"
[ -s "$WORK/diff-ctrd.txt" ] || fail "diff of two different images printed nothing"
"$IMGMOUNT" inspect --json "${C[@]}" containerd://docker.io/library/app:v1 > "$WORK/inspect.json"
python_agrees "inspect --json by name" "skopeo inspect --config" - "$WORK/inspect.json" \
  "$(skopeo inspect --config "docker-archive:$WORK/app.tar")" << 'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.loads(sys.argv[2])
assert ours["config"]["Env"] == theirs["config"]["Env"], (ours["config"]["Env"],)
assert ours["format"] == "containerd content store", ours["format"]
assert "docker.io/library/app:v1" in ours["names"], ours["names"]
print("env and names agree")
PY

# 3. images containerd:// against ctr images ls.
for ns in default other; do
  "$IMGMOUNT" images --json --namespace "$ns" "${C[@]}" containerd:// > "$WORK/images-$ns.json"
  ctr_ -n "$ns" images ls > "$WORK/ctr-$ns.txt"
  python_agrees "images containerd:// (namespace $ns)" "ctr images ls" - "$WORK/images-$ns.json" \
    "$WORK/ctr-$ns.txt" << 'PY'
import json, sys
ours = {(i["name"], i["media_type"], i["digest"]) for i in json.load(open(sys.argv[1]))}
lines = open(sys.argv[2]).read().splitlines()[1:]
theirs = {tuple(line.split()[:3]) for line in lines}
assert ours == theirs, (sorted(ours), sorted(theirs))
print("%d images" % len(ours))
PY
done
"$IMGMOUNT" images --all "${C[@]}" containerd:// > "$WORK/images-all.txt"
grep -q "^other  *example.com/multi:multi" "$WORK/images-all.txt" &&
  grep -q "^default  *docker.io/library/app:v1" "$WORK/images-all.txt" &&
  say "ok: images --all lists every namespace" ||
  { fail "images --all:"; cat "$WORK/images-all.txt"; }

# 4. Errors a user can act on.
expect_error() {
  local code=$1 what=$2 pattern=$3
  shift 3
  expect_exit "$code" "$what" "$IMGMOUNT" "$@"
  grep -q -- "$pattern" "$WORK/err.txt" || fail "$what: no \"$pattern\" in: $(cat "$WORK/err.txt")"
}
expect_error 3 "unknown name lists the namespace's images" "example.com/plus:second" \
  inspect "${C[@]}" containerd://nothing:here
expect_error 3 "unknown namespace lists the namespaces" "other" \
  inspect "${C[@]}" --namespace nope containerd://app:v1
expect_error 3 "a platform whose blobs are absent" "linux/arm64" \
  inspect "${C[@]}" --namespace other --platform linux/amd64 containerd://example.com/multi:multi
grep -q "not in the image" "$WORK/err.txt" || fail "absent platform: $(cat "$WORK/err.txt")"
expect_error 2 "containerd:// without a name" "images containerd://" \
  inspect "${C[@]}" containerd://
expect_error 3 "a root without metadata" "no metadata database" \
  inspect --containerd-root "$WORK" containerd://app:v1

# 5. The daemon stopped: the same mounts, from the files alone.
kill "$CONTAINERD_PID"
wait "$CONTAINERD_PID" 2> /dev/null || true
mount_all stopped

# 6. A layer garbage-collected from the store; a root the user may not read.
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][-1]["digest"])' \
  "$WORK/plus/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$WORK/plus/index.json")")
rm "$ROOT/io.containerd.content.v1.content/blobs/sha256/${layer#sha256:}"
expect_error 3 "a layer missing from the content store" "missing" \
  ls --no-cache "${C[@]}" containerd://example.com/plus:gzip /
if setpriv --reuid=65534 --regid=65534 --clear-groups "$IMGMOUNT" --version > /dev/null 2>&1; then
  chmod 711 "$WORK" "$WORK/ctrd"
  chmod 700 "$ROOT"
  expect_exit 6 "a root the user may not read" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$IMGMOUNT" inspect --no-cache "${C[@]}" containerd://app:v1
  grep -q "needs root, or membership of the group" "$WORK/err.txt" ||
    fail "no permission: $(cat "$WORK/err.txt")"
else
  say "skip: imgmount cannot run as nobody here"
fi

finish

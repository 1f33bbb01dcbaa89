#!/usr/bin/env bash
# The FUSE-free verbs against independent oracles: `export` unpacks (GNU tar) to exactly the
# tree umoci unpacks, for every format; `inspect` names the format, the layers (digests as
# skopeo reports them, diff_ids from the config) and the history (as umoci stat reports it);
# `verify --json` names exactly the digests that Python's hashlib finds wrong in the layout.
source "$(dirname "$0")/lib.sh"

"$FIXTURE" sample oci-dir none "$WORK/oracle-oci"
oracle_unpack "$WORK/oracle-oci" latest "$WORK/oracle"

declare -A FORMAT_NAME=(
  [docker-legacy]="docker save (Docker <= 24)"
  [docker-oci]="docker save (Docker >= 25, OCI layout inside)"
  [containerd]="docker save (Docker >= 25, OCI layout inside)"
  [docker-archive]="docker-archive (skopeo/podman)"
  [oci-dir]="OCI layout"
  [oci-archive]="OCI archive"
)

for format in docker-legacy docker-oci containerd docker-archive oci-dir oci-archive; do
  compression=gzip
  [ "$format" = docker-legacy ] && compression=none
  image="$WORK/$format"
  [ "$format" = oci-dir ] || image="$image.tar"
  "$FIXTURE" sample "$format" "$compression" "$image"

  # export -> tar -x equals the oracle, every attribute included.
  mkdir -p "$WORK/export-$format"
  if "$IMGMOUNT" export "$image" "$WORK/export-$format.tar" 2> "$WORK/err.txt"; then
    tar --xattrs --xattrs-include='*' --numeric-owner -xpf "$WORK/export-$format.tar" \
      -C "$WORK/export-$format" 2> /dev/null
    compare_trees "export $format" "$WORK/oracle" "$WORK/export-$format"
  else
    fail "export $format: $(cat "$WORK/err.txt")"
  fi

  # inspect: format, layer digests (skopeo), diff_ids and history (the config, via skopeo).
  "$IMGMOUNT" inspect --json "$image" > "$WORK/inspect.json"
  grep -qF "\"format\": \"${FORMAT_NAME[$format]}\"" "$WORK/inspect.json" ||
    fail "inspect $format: format is not \"${FORMAT_NAME[$format]}\""
  case "$format" in
    oci-dir) ref="oci:$image:latest" ;;
    oci-archive) ref="oci-archive:$image:latest" ;;
    *) ref="docker-archive:$image" ;;
  esac
  if skopeo inspect --config "$ref" > "$WORK/config.json" 2> "$WORK/skopeo.err"; then
    for diff_id in $(grep -oE 'sha256:[0-9a-f]{64}' "$WORK/config.json"); do
      grep -q "\"diff_id\": \"$diff_id\"" "$WORK/inspect.json" ||
        fail "inspect $format: diff_id $diff_id missing"
    done
    history() { grep -o '"created_by": *"[^"]*"' "$1" | sed 's/": *"/": "/' || true; }
    want=$(history "$WORK/config.json")
    got=$(history "$WORK/inspect.json")
    [ -n "$want" ] || fail "inspect $format: the oracle shows no history"
    [ "$want" = "$got" ] || fail "inspect $format: history differs: want [$want] got [$got]"
  else
    fail "inspect $format: skopeo cannot read it: $(head -c 300 "$WORK/skopeo.err")"
  fi
  # (skopeo reports a docker-archive's layers by their uncompressed digests, so only OCI here.)
  if [ "$format" = oci-dir ] || [ "$format" = oci-archive ]; then
    skopeo inspect "$ref" > "$WORK/skopeo.json"
    for digest in $(sed -n '/"Layers"/,/]/p' "$WORK/skopeo.json" | grep -oE 'sha256:[0-9a-f]{64}'); do
      grep -q "\"digest\": \"$digest\"" "$WORK/inspect.json" ||
        fail "inspect $format: layer digest $digest (from skopeo) missing"
    done
  fi
  say "ok: inspect $format"
done

# export to standard output, and of an intermediate state (--upto).
"$IMGMOUNT" export "$WORK/oci-dir" - | tar -tf - > "$WORK/names.txt" 2> /dev/null
grep -qx './etc/motd' "$WORK/names.txt" || fail "export - does not write a tar to stdout"
"$IMGMOUNT" export --upto 1 "$WORK/oci-dir" "$WORK/upto1.tar"
tar -tf "$WORK/upto1.tar" > "$WORK/upto1.txt" 2> /dev/null
grep -qx './etc/conf.d/old.conf' "$WORK/upto1.txt" ||
  fail "export --upto 1 lacks a file that only later layers delete"
# which / user.imgmount.layer: the topmost layer whose tar lists a path (GNU tar, per layer blob)
# supplies it, for paths that no upper layer deletes.
image="$WORK/oci-dir"
manifest=$(grep -oE 'sha256:[0-9a-f]{64}' "$image/index.json" | head -1)
mapfile -t layer_digests < <(sed 's/"layers"/\n&/' "$image/blobs/sha256/${manifest#sha256:}" |
  sed -n '2p' | grep -oE 'sha256:[0-9a-f]{64}')
for i in "${!layer_digests[@]}"; do
  gzip -dc "$image/blobs/sha256/${layer_digests[$i]#sha256:}" | tar -tf - 2> /dev/null |
    sed -e 's#^\./##' -e 's#/$##' > "$WORK/layer-$i.txt"
done
mount_image "$image" "$WORK/mnt-which" || fail "mount for which"
for path in etc/motd usr/bin/tool srv/data/new.txt etc/conf.d/new.conf etc; do
  want=""
  for i in "${!layer_digests[@]}"; do
    grep -qxF "$path" "$WORK/layer-$i.txt" && want="layer $((i + 1)) (${layer_digests[$i]})"
  done
  [ -n "$want" ] || fail "no layer tar lists /$path: the test data changed"
  got=$(getfattr --only-values -n user.imgmount.layer "$WORK/mnt-which/$path" 2> /dev/null || true)
  [ "$got" = "$want" ] || fail "user.imgmount.layer of /$path: got [$got], want [$want]"
  short="layer ${want#layer }"
  short="${short%% (*}"
  "$IMGMOUNT" which "$image" "/$path" > "$WORK/which.txt" || fail "which /$path: exit $?"
  head -1 "$WORK/which.txt" | grep -qF "from $short (" || fail "which /$path: $(head -1 "$WORK/which.txt"), want $short"
done
getfattr -d -m- "$WORK/mnt-which/etc/motd" 2> /dev/null | grep -q imgmount &&
  fail "user.imgmount.layer must not be listed by listxattr"
unmount_image "$WORK/mnt-which"
expect_exit 3 "which of a deleted path" "$IMGMOUNT" which "$image" /etc/remove-me
grep -q "deletes it (whiteout)" "$WORK/out.txt" || fail "which does not report the whiteout"
say "ok: which and user.imgmount.layer agree with the layer tars"

# verify: a clean image passes; a layer changed behind the manifest's back is reported (exit 1),
# and indexing refuses the changed compressed layer with an integrity error (exit 5).
expect_exit 0 "verify of an intact image" "$IMGMOUNT" verify "$WORK/oci-dir"
grep -q '^ok .*diff_id' "$WORK/out.txt" || fail "verify printed no diff_id check"
cp -r "$WORK/oci-dir" "$WORK/tampered"
blob=$(grep -l 'welcome to the sample image' "$WORK"/tampered/blobs/sha256/* 2> /dev/null | head -1 || true)
if [ -z "$blob" ]; then
  # gzip layers: find the one holding /etc/motd and rewrite it with one byte changed.
  for candidate in "$WORK"/tampered/blobs/sha256/*; do
    if gzip -dc "$candidate" 2> /dev/null | grep -c 'welcome to the sample image' > /dev/null; then
      gzip -dc "$candidate" | sed 's/welcome to the sample image/welcome to the tampered one/' |
        gzip -n > "$WORK/layer.new"
      chmod u+w "$candidate"
      cat "$WORK/layer.new" > "$candidate"
      blob=$candidate
      break
    fi
  done
fi
[ -n "$blob" ] || fail "the test could not find the layer holding /etc/motd"
expect_exit 1 "verify of an image with a changed layer" "$IMGMOUNT" verify "$WORK/tampered"
grep -q "^MISMATCH .*blob" "$WORK/out.txt" || fail "verify did not report the blob mismatch"
grep -q "^MISMATCH .*diff_id" "$WORK/out.txt" || fail "verify did not report the diff_id mismatch"

# verify --json against the layout read by Python: the digests index.json, the manifest and the
# config state, each blob hashed by hashlib (layers gunzipped for the diff_id); the checks that
# fail must be exactly those where the two differ, and the exit code stays 1 on a mismatch.
cat > "$WORK/check_verify.py" << 'PYEOF'
import gzip, hashlib, json, sys

layout, report, want_ok = sys.argv[1], sys.argv[2], sys.argv[3] == "ok"
def path(digest):
    return "blobs/sha256/" + digest.split(":")[1]
def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()
def blob(digest):
    return open(f"{layout}/{path(digest)}", "rb").read()
manifest_digest = json.load(open(f"{layout}/index.json"))["manifests"][0]["digest"]
manifest = json.loads(blob(manifest_digest))
config_digest = manifest["config"]["digest"]
diff_ids = json.loads(blob(config_digest))["rootfs"]["diff_ids"]
want = [("manifest", None, path(manifest_digest), manifest_digest, sha(blob(manifest_digest))),
        ("config", None, path(config_digest), config_digest, sha(blob(config_digest)))]
for n, (layer, diff_id) in enumerate(zip(manifest["layers"], diff_ids), 1):
    data = blob(layer["digest"])
    stream = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    want.append(("blob", n, path(layer["digest"]), layer["digest"], sha(data)))
    want.append(("diff_id", n, path(layer["digest"]), diff_id, sha(stream)))
doc = json.load(open(report))
got = [(c["what"], c["layer"], c["path"], c["expected"], c["computed"]) for c in doc["checks"]]
problems = []
if got != want:
    problems.append(f"checks {got}, hashlib says {want}")
bad = [c for c in doc["checks"] if c["ok"] is not (c["expected"] == c["computed"])]
if bad:
    problems.append(f"ok disagrees with the digests: {bad}")
mismatched = sorted((w[0], w[1]) for w in want if w[3] != w[4])
failed = sorted((c["what"], c["layer"]) for c in doc["checks"] if c["ok"] is False)
if failed != mismatched:
    problems.append(f"failed checks {failed}, hashlib finds {mismatched} wrong")
if want_ok != (not mismatched):
    problems.append(f"the test expected the image to be {sys.argv[3]}")
if doc["ok"] != (not mismatched) or doc["mismatches"] != len(mismatched):
    problems.append(f"overall ok {doc['ok']}, mismatches {doc['mismatches']}")
if doc["image"] != layout:
    problems.append(f"image {doc['image']!r}")
for p in problems:
    print(p)
print(f"{len(got)} checks, {len(failed)} failed: {failed}")
sys.exit(1 if problems else 0)
PYEOF
for case in "0 intact oci-dir" "1 tampered tampered"; do
  read -r code state dir <<< "$case"
  expect_exit "$code" "verify --json of the $state image" "$IMGMOUNT" verify --json "$WORK/$dir"
  [ "$(wc -l < "$WORK/out.txt")" -eq 1 ] || fail "verify --json printed more than one line"
  want=ok
  [ "$state" = tampered ] && want=tampered
  python_agrees "verify --json of the $state image" hashlib "$WORK/check_verify.py" \
    "$WORK/$dir" "$WORK/out.txt" "$want"
done
grep -q '"what":"blob","layer":[0-9]*,[^}]*"ok":false' "$WORK/out.txt" ||
  fail "verify --json of the tampered image names no failed blob check"
expect_exit 0 "verify --help names --json" "$IMGMOUNT" verify --help
grep -q -- "--json" "$WORK/out.txt" || fail "verify --help does not name --json"
expect_exit 5 "indexing refuses a changed compressed layer" "$IMGMOUNT" ls "$WORK/tampered" /
grep -q "mismatch" "$WORK/err.txt" || fail "the refusal does not say mismatch: $(cat "$WORK/err.txt")"
finish

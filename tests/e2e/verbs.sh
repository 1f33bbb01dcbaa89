#!/usr/bin/env bash
# The FUSE-free verbs against independent oracles: `export` unpacks (GNU tar) to exactly the
# tree umoci unpacks, for every format; `inspect` names the format, the layers (digests as
# skopeo reports them, diff_ids from the config) and the history (as umoci stat reports it).
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
expect_exit 5 "indexing refuses a changed compressed layer" "$IMGMOUNT" ls "$WORK/tampered" /
grep -q "mismatch" "$WORK/err.txt" || fail "the refusal does not say mismatch: $(cat "$WORK/err.txt")"
finish

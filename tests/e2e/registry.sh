#!/usr/bin/env bash
# Registry references (issue 17, first step): the verbs that read no layer (manifest, config,
# inspect, history) on images pushed by skopeo to Debian's docker-registry (distribution 2.8)
# on 127.0.0.1, checked against skopeo reading the same registry: manifest and config byte for
# byte, inspect's layers against the manifest, --platform of a multi-platform index, and the
# errors: unknown repository or tag (exit 3, naming it), a malformed reference (exit 2), a
# registry that is down (exit 6, "network error").
source "$(dirname "$0")/lib.sh"

command -v docker-registry > /dev/null || { say "SKIP: docker-registry is not installed"; exit 0; }

source "$(dirname "$0")/registry_lib.sh"

start_registry
say "registry on $REGISTRY"

"$FIXTURE" sample oci-dir gzip "$WORK/sample" > /dev/null
"$FIXTURE" sample oci-dir gzip "$WORK/multi" --multi-platform > /dev/null
tag_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$1/index.json"; }
skopeo copy -q --dest-tls-verify=false "oci:$WORK/sample:$(tag_of "$WORK/sample")" \
  "docker://$REGISTRY/team/sample:1.0"
skopeo copy -q --all --dest-tls-verify=false "oci:$WORK/multi:$(tag_of "$WORK/multi")" \
  "docker://$REGISTRY/multi:v1"
SAMPLE=docker://$REGISTRY/team/sample:1.0
MULTI=docker://$REGISTRY/multi:v1
sk() { skopeo inspect --tls-verify=false "$@"; }

# same_bytes WHAT EXPECTED ACTUAL
same_bytes() {
  if cmp -s "$2" "$3"; then say "ok: $1 byte-identical"; else fail "$1 differs: $(cmp "$2" "$3")"; fi
}

# 1. manifest and config, byte for byte as skopeo reads them; the bare HOST/REPO:TAG form too.
"$IMGMOUNT" manifest "$SAMPLE" > "$WORK/manifest"
sk --raw "$SAMPLE" > "$WORK/manifest.skopeo"
same_bytes "manifest of $SAMPLE" "$WORK/manifest.skopeo" "$WORK/manifest"
"$IMGMOUNT" config "$SAMPLE" > "$WORK/config"
sk --config --raw "$SAMPLE" > "$WORK/config.skopeo"
same_bytes "config of $SAMPLE" "$WORK/config.skopeo" "$WORK/config"
(cd "$WORK" && "$IMGMOUNT" config "$REGISTRY/team/sample:1.0") > "$WORK/config.bare"
same_bytes "config of the bare $REGISTRY/team/sample:1.0" "$WORK/config.skopeo" "$WORK/config.bare"
digest=$(python3 -c 'import hashlib,sys; print("sha256:"+hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$WORK/manifest.skopeo")
"$IMGMOUNT" manifest "docker://$REGISTRY/team/sample@$digest" > "$WORK/manifest.digest"
same_bytes "manifest by digest" "$WORK/manifest.skopeo" "$WORK/manifest.digest"

# 2. inspect --json: the layers of the manifest, digests and sizes; history has them too.
"$IMGMOUNT" inspect --json "$SAMPLE" > "$WORK/inspect.json"
python_agrees "inspect --json of $SAMPLE" "the manifest skopeo reads" - \
  "$WORK/manifest.skopeo" "$WORK/inspect.json" "$digest" << 'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
want = [(l["digest"], l["size"]) for l in manifest["layers"]]
have = [(h["digest"], h["compressed_size"]) for h in got["history"] if h.get("layer")]
problems = []
if want != have:
    problems.append(f"layers {have} != {want}")
if got["manifest_digest"] != sys.argv[3]:
    problems.append(f"manifest digest {got['manifest_digest']} != {sys.argv[3]}")
if got["config_digest"] != manifest["config"]["digest"]:
    problems.append(f"config digest {got['config_digest']} != {manifest['config']['digest']}")
if got["layer_count"] != len(want):
    problems.append(f"layer_count {got['layer_count']} != {len(want)}")
print("\n".join(problems) if problems else f"{len(want)} layers")
sys.exit(1 if problems else 0)
PY
expect_exit 0 "history of $SAMPLE" "$IMGMOUNT" history "$SAMPLE"
grep -q "RUN change-2" "$WORK/out.txt" || fail "history lacks the config's lines: $(cat "$WORK/out.txt")"

# 3. A multi-platform index: --platform chooses, --index writes the index itself.
"$IMGMOUNT" manifest --index "$MULTI" > "$WORK/index"
sk --raw "$MULTI" > "$WORK/index.skopeo"
same_bytes "index of $MULTI" "$WORK/index.skopeo" "$WORK/index"
for arch in amd64 arm64; do
  "$IMGMOUNT" manifest --platform "linux/$arch" "$MULTI" > "$WORK/manifest.$arch"
  sk --raw --override-os linux --override-arch "$arch" "$MULTI" > /dev/null
  want=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if m.get("platform",{}).get("architecture")==sys.argv[2]][0])' "$WORK/index.skopeo" "$arch")
  sk --raw "docker://$REGISTRY/multi@$want" > "$WORK/manifest.$arch.skopeo"
  same_bytes "manifest --platform linux/$arch of $MULTI" "$WORK/manifest.$arch.skopeo" "$WORK/manifest.$arch"
  "$IMGMOUNT" config --platform "linux/$arch" "$MULTI" > "$WORK/config.$arch"
  sk --config --raw --override-os linux --override-arch "$arch" "$MULTI" > "$WORK/config.$arch.skopeo"
  same_bytes "config --platform linux/$arch of $MULTI" "$WORK/config.$arch.skopeo" "$WORK/config.$arch"
done
expect_exit 0 "inspect --platform linux/arm64 of $MULTI" \
  "$IMGMOUNT" inspect --platform linux/arm64 "$MULTI"
grep -q "^Platform: *linux/arm64" "$WORK/out.txt" || fail "inspect shows another platform: $(grep Platform "$WORK/out.txt")"

# 4. What is not there: exit 3 and a message naming the repository or the tag.
expect_exit 3 "unknown repository" "$IMGMOUNT" inspect "docker://$REGISTRY/nosuch:1.0"
grep -q 'repository "nosuch" not found' "$WORK/err.txt" || fail "message: $(cat "$WORK/err.txt")"
expect_exit 3 "unknown tag" "$IMGMOUNT" manifest "docker://$REGISTRY/team/sample:2.0"
grep -q 'tag "2.0" not found in repository "team/sample"' "$WORK/err.txt" ||
  fail "message: $(cat "$WORK/err.txt")"
expect_exit 2 "malformed reference" "$IMGMOUNT" config "docker://$REGISTRY/Team/sample"
grep -q 'not a valid image reference.*"Team"' "$WORK/err.txt" || fail "message: $(cat "$WORK/err.txt")"

# 5. A registry that is down: a network error, said as such.
kill "$REGISTRY_PID"
wait "$REGISTRY_PID" 2> /dev/null || true
expect_exit 6 "a stopped registry" "$IMGMOUNT" config "$SAMPLE"
grep -q "network error: cannot connect to registry $REGISTRY" "$WORK/err.txt" ||
  fail "message: $(cat "$WORK/err.txt")"

finish

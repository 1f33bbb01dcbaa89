#!/usr/bin/env bash
# The verbs that read manifests and config only (inspect, history, config, manifest, images),
# against Python reading the blobs and against skopeo. inspect reads no layer: a layer whose bytes
# after its magic are garbage still inspects, and the index cache stays empty; what only an
# index knows (uncompressed size, entries) is shown once the index is cached, and equals what
# Python's gzip and tarfile find. JSON output holds no "" value. A file of several images is
# listed by inspect and images; config and manifest are the stored bytes (cmp), and a docker save
# without a manifest gets the one skopeo makes.
source "$(dirname "$0")/lib.sh"

# Python oracle: reads an OCI layout's index.json -> manifest -> config, and compares with
# imgmount inspect --json (argv: layout dir, inspect json, "cached" or "cold").
cat > "$WORK/check_inspect.py" << 'PY'
import gzip, hashlib, json, os, sys, tarfile
layout, got_path, mode = sys.argv[1:4]
blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
mdesc = index["manifests"][0]
manifest = json.load(open(blob(mdesc["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
got = json.load(open(got_path))
problems = []
def want(what, a, b):
    if a != b: problems.append(f"{what}: imgmount {a!r}, oracle {b!r}")
def no_empty(v, where):
    if v == "": problems.append(f'"" at {where}')
    if isinstance(v, dict):
        for k, x in v.items(): no_empty(x, where + "." + k)
    if isinstance(v, list):
        for i, x in enumerate(v): no_empty(x, f"{where}[{i}]")
no_empty(got, "$")
want("manifest_digest", got["manifest_digest"], mdesc["digest"])
want("config_digest", got["config_digest"], manifest["config"]["digest"])
want("created", got["created"], config.get("created"))
want("platform", got["platform"].split("/")[:2], [config["os"], config["architecture"]])
layers = [h for h in got["history"] if not h["empty_layer"]]
want("layer digests", [h["digest"] for h in layers], [l["digest"] for l in manifest["layers"]])
want("layer sizes", [h["compressed_size"] for h in layers], [l["size"] for l in manifest["layers"]])
want("diff_ids", [h["diff_id"] for h in layers], config["rootfs"]["diff_ids"])
want("history", [(h["created"], h["created_by"], h["empty_layer"]) for h in got["history"]],
     [(x.get("created"), x.get("created_by"), x.get("empty_layer", False)) for x in config["history"]])
for h, l in zip(layers, manifest["layers"]):
    if mode == "cold":
        want("uncompressed_size (cold)", h["uncompressed_size"], None)
        want("entries (cold)", h["entries"], None)
        continue
    data = gzip.open(blob(l["digest"])).read()
    with tarfile.open(fileobj=gzip.open(blob(l["digest"]))) as t:
        members = len(t.getmembers())
    want("uncompressed_size", h["uncompressed_size"], len(data))
    want("entries", h["entries"], members)
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(layers)} layers, {len(got['history'])} history lines, mode {mode}")
PY

# --- inspect reads no layer ------------------------------------------------------------------
"$FIXTURE" sample oci-dir gzip "$WORK/oci"
cp -a "$WORK/oci" "$WORK/broken"
manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$WORK/oci/index.json")
for digest in $(python3 -c 'import json,sys; [print(l["digest"].split(":")[1]) for l in json.load(open(sys.argv[1]))["layers"]]' "$WORK/oci/blobs/sha256/$manifest"); do
  f="$WORK/broken/blobs/sha256/$digest"
  rm -f "$f" && cp "$WORK/oci/blobs/sha256/$digest" "$f"  # break a hard link to the good copy
  size=$(stat -c %s "$f")
  # Keep the gzip magic and the size; everything after byte 16 is garbage.
  head -c $((size - 16)) /dev/urandom | dd of="$f" bs=1M seek=16 oflag=seek_bytes conv=notrunc 2> /dev/null
done
expect_exit 0 "inspect of a layout whose layers are garbage" \
  "$IMGMOUNT" inspect --json --cache-dir "$WORK/cold-cache" "$WORK/broken"
cp "$WORK/out.txt" "$WORK/broken.json"
python_agrees "inspect --json of the garbage-layer layout" "python reading the blobs" \
  "$WORK/check_inspect.py" "$WORK/broken" "$WORK/broken.json" cold
[ -z "$(ls -A "$WORK/cold-cache" 2> /dev/null)" ] ||
  fail "inspect wrote to the index cache: $(ls -A "$WORK/cold-cache")"
expect_exit 0 "text inspect of the garbage-layer layout" \
  "$IMGMOUNT" inspect --cache-dir "$WORK/cold-cache" "$WORK/broken"
grep -qE '^  1 .* gzip .* - +- ' "$WORK/out.txt" ||
  fail "text inspect does not show - for unknown sizes: $(cat "$WORK/out.txt")"
expect_exit 0 "history of the garbage-layer layout" \
  "$IMGMOUNT" history --cache-dir "$WORK/cold-cache" "$WORK/broken"
# ... while a verb that reads the layers does notice the garbage.
if "$IMGMOUNT" ls --cache-dir "$WORK/cold-cache" "$WORK/broken" / > /dev/null 2>&1; then
  fail "ls of the garbage layers succeeded: the corruption did not take"
fi

# --- cached facts: after ls indexed the layers, inspect shows them -----------------------------
"$IMGMOUNT" ls --cache-dir "$WORK/cache" "$WORK/oci" / > /dev/null
"$IMGMOUNT" inspect --json --cache-dir "$WORK/cache" "$WORK/oci" > "$WORK/cached.json"
python_agrees "inspect --json with cached indexes" "python's gzip and tarfile" \
  "$WORK/check_inspect.py" "$WORK/oci" "$WORK/cached.json" cached

# skopeo agrees on digest, layers, architecture, os and created.
skopeo inspect "oci:$WORK/oci:latest" > "$WORK/skopeo.json"
python_agrees "inspect" "skopeo inspect" - "$WORK/skopeo.json" "$WORK/cached.json" << 'PY'
import json, sys
s, g = (json.load(open(p)) for p in sys.argv[1:3])
layers = [h["digest"] for h in g["history"] if not h["empty_layer"]]
pairs = [("Digest", s["Digest"], g["manifest_digest"]), ("Layers", s["Layers"], layers),
         ("Architecture/Os", [s["Os"], s["Architecture"]], g["platform"].split("/")[:2]),
         ("Created", s["Created"][:19], g["created"][:19])]
bad = [f"{n}: skopeo {a!r}, imgmount {b!r}" for n, a, b in pairs if a != b]
print("\n".join(bad) or f"{len(layers)} layers"); sys.exit(1 if bad else 0)
PY

# --upto 1: layer 1 and its history only, nothing invented above it.
"$IMGMOUNT" inspect --json --upto 1 --cache-dir "$WORK/cache" "$WORK/oci" > "$WORK/upto.json"
python3 - "$WORK/upto.json" << 'PY' || fail "inspect --upto 1 shows more than layer 1"
import json, sys
g = json.load(open(sys.argv[1]))
layers = [h["layer"] for h in g["history"] if not h["empty_layer"]]
assert layers == [1], layers
assert g["upto"] == 1 and g["layer_count"] >= 2, (g["upto"], g["layer_count"])
PY

# --- history -----------------------------------------------------------------------------------
"$IMGMOUNT" history --json --no-cache "$WORK/oci" > "$WORK/history.json"
"$IMGMOUNT" history --human=false --no-trunc --no-cache "$WORK/oci" > "$WORK/history.txt"
"$IMGMOUNT" history --no-cache "$WORK/oci" > "$WORK/history-human.txt"
python_agrees "history" "the config's history" - "$WORK/oci" "$WORK/history.json" \
  "$WORK/history.txt" "$WORK/history-human.txt" << 'PY'
import datetime, json, os, sys
layout, hjson, htext, hhuman = sys.argv[1:5]
blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
m = json.load(open(blob(json.load(open(os.path.join(layout, "index.json")))["manifests"][0]["digest"])))
c = json.load(open(blob(m["config"]["digest"])))
hist = list(reversed(c["history"]))
got = json.load(open(hjson))
bad = []
if [(h["created"], h["created_by"]) for h in got] != [(x.get("created"), x.get("created_by")) for x in hist]:
    bad.append("history lines differ (newest first)")
sizes = iter(reversed([l["size"] for l in m["layers"]]))
for h, x in zip(got, hist):
    want = 0 if x.get("empty_layer") else next(sizes)
    if h["size"] != want: bad.append(f"size {h['size']} != {want}")
    if h["size_kind"] != (None if x.get("empty_layer") else "compressed"): bad.append("size_kind")
rows = open(htext).read().splitlines()
if not rows[0].startswith("CREATED") or len(rows) != len(hist) + 1: bad.append("table rows")
for row, x in zip(rows[1:], hist):
    stamp = row.split()[0]
    t = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    w = datetime.datetime.fromisoformat(x["created"].replace("Z", "+00:00")).replace(microsecond=0)
    if t != w: bad.append(f"created {stamp} != {x['created']}")
    if x.get("created_by", "") not in row: bad.append(f"CREATED BY missing: {x.get('created_by')}")
for row in open(hhuman).read().splitlines()[1:]:
    if " ago" not in row: bad.append(f"no relative time: {row}")
print("\n".join(bad) or f"{len(hist)} lines"); sys.exit(1 if bad else 0)
PY
python3 -c 'import json,sys; s=open(sys.argv[1]).read(); sys.exit(1 if "\"\"" in s else 0)' \
  "$WORK/history.json" || fail "history --json holds \"\""

# --- config and manifest: the stored bytes -------------------------------------------------------
config=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"].split(":")[1])' "$WORK/oci/blobs/sha256/$manifest")
"$IMGMOUNT" config "$WORK/oci" | cmp -s - "$WORK/oci/blobs/sha256/$config" ||
  fail "config differs from the config blob"
"$IMGMOUNT" manifest "$WORK/oci" | cmp -s - "$WORK/oci/blobs/sha256/$manifest" ||
  fail "manifest differs from the manifest blob"
"$IMGMOUNT" manifest --index "$WORK/oci" | cmp -s - "$WORK/oci/index.json" ||
  fail "manifest --index differs from index.json"
for format in docker-legacy docker-archive; do
  "$FIXTURE" sample "$format" none "$WORK/$format.tar"
  skopeo inspect --raw "docker-archive:$WORK/$format.tar" > "$WORK/skopeo-$format.json"
  "$IMGMOUNT" manifest "$WORK/$format.tar" | cmp -s - "$WORK/skopeo-$format.json" ||
    fail "manifest of $format differs from skopeo inspect --raw"
  skopeo inspect --config --raw "docker-archive:$WORK/$format.tar" > "$WORK/skopeo-config.json"
  "$IMGMOUNT" config "$WORK/$format.tar" | cmp -s - "$WORK/skopeo-config.json" ||
    fail "config of $format differs from skopeo inspect --config --raw"
  expect_exit 3 "manifest --index of $format (no index)" "$IMGMOUNT" manifest --index "$WORK/$format.tar"
done
"$FIXTURE" sample docker-oci gzip "$WORK/docker-oci.tar"
mkdir "$WORK/docker-oci" && tar -xf "$WORK/docker-oci.tar" -C "$WORK/docker-oci"
python3 - "$WORK/docker-oci" > "$WORK/want-manifest.txt" << 'PY'
import json, os, sys
root = sys.argv[1]
cfg = json.load(open(os.path.join(root, "manifest.json")))[0]["Config"]
def walk(path):
    for d in json.load(open(os.path.join(root, path)))["manifests"]:
        p = "blobs/" + d["digest"].replace(":", "/")
        doc = json.load(open(os.path.join(root, p)))
        if "manifests" in doc: yield from walk(p)
        elif "blobs/" + doc["config"]["digest"].replace(":", "/") == cfg: yield p
print(next(walk("index.json")))
PY
"$IMGMOUNT" manifest "$WORK/docker-oci.tar" | cmp -s - "$WORK/docker-oci/$(cat "$WORK/want-manifest.txt")" ||
  fail "manifest of a Docker >= 25 save differs from its OCI manifest blob"

# --- several images: inspect lists them, images names them all -----------------------------
"$FIXTURE" sample docker-oci gzip "$WORK/multi.tar" --tag app:1 --image sample-plus=tool:2
expect_exit 0 "inspect of a file with two images" "$IMGMOUNT" inspect "$WORK/multi.tar"
grep -q 'app:1' "$WORK/out.txt" && grep -q 'tool:2' "$WORK/out.txt" ||
  fail "inspect does not list both images: $(cat "$WORK/out.txt")"
expect_exit 0 "inspect of one of them (IMAGE:TAG)" "$IMGMOUNT" inspect --json "$WORK/multi.tar:tool:2"
grep -q '"tool:2"' "$WORK/out.txt" || fail "inspect multi.tar:tool:2 is not tool:2"
"$IMGMOUNT" images --json --no-trunc "$WORK/multi.tar" > "$WORK/images.json"
mkdir "$WORK/multi" && tar -xf "$WORK/multi.tar" -C "$WORK/multi"
python_agrees "images --json" "python reading manifest.json" - "$WORK/multi" "$WORK/images.json" << 'PY'
import json, os, sys
root, got = sys.argv[1], json.load(open(sys.argv[2]))
want = json.load(open(os.path.join(root, "manifest.json")))
bad = []
if sorted(n for g in got for n in g["names"]) != sorted(n for w in want for n in w["RepoTags"]):
    bad.append(f"names: {[g['names'] for g in got]}")
for g, w in zip(got, want):
    if "blobs/" + g["config_digest"].replace(":", "/") != w["Config"]: bad.append("config digest")
    size = sum(os.path.getsize(os.path.join(root, p)) for p in [w["Config"]] + w["Layers"])
    if g["size"] != size: bad.append(f"size {g['size']} != {size}")
    if g["layers"] != len(w["Layers"]): bad.append("layer count")
    if not g["manifest_digest"] or not g["platform"]: bad.append("missing digest/platform")
print("\n".join(bad) or f"{len(got)} images"); sys.exit(1 if bad else 0)
PY
expect_exit 0 "images (text)" "$IMGMOUNT" images "$WORK/multi.tar"
[ "$(grep -c -E '^(app:1|tool:2) ' "$WORK/out.txt")" -eq 2 ] || fail "images text: $(cat "$WORK/out.txt")"

# A containerd-store export names more platforms in its OCI index than in manifest.json (their
# blobs left out): images lists every one, those without blobs saying so; inspect still shows one.
"$FIXTURE" sample containerd gzip "$WORK/mp.tar" --multi-platform
mkdir "$WORK/mp" && tar -xf "$WORK/mp.tar" -C "$WORK/mp"
"$IMGMOUNT" images --json --no-trunc "$WORK/mp.tar" > "$WORK/mp.json"
python_agrees "images --json of a containerd export" "python walking index.json" - "$WORK/mp" \
  "$WORK/mp.json" << 'PY'
import json, os, sys
root, got = sys.argv[1], json.load(open(sys.argv[2]))
def blob(d): return os.path.join(root, "blobs", *d.split(":"))
want = {}
def walk(index):
    for m in index["manifests"]:
        if "index" in m["mediaType"] or "list" in m["mediaType"]:
            walk(json.load(open(blob(m["digest"]))))
        elif m.get("platform", {}).get("os") != "unknown":
            p = m["platform"]
            want[m["digest"]] = "/".join(x for x in (p["os"], p["architecture"], p.get("variant")) if x)
walk(json.load(open(os.path.join(root, "index.json"))))
bad = []
got_digests = {g["manifest_digest"]: g for g in got}
if set(got_digests) != set(want): bad.append(f"manifests {sorted(got_digests)} != {sorted(want)}")
for d, g in got_digests.items():
    if d in want and not g["platform"].startswith(want[d]): bad.append(f"{d}: {g['platform']} vs {want[d]}")
    if os.path.exists(blob(d)) == (g["unavailable"] is not None): bad.append(f"{d}: unavailable {g['unavailable']}")
    if g["names"] != ["imgmount/sample:latest"]: bad.append(f"{d}: names {g['names']}")
print("\n".join(bad) or f"{len(got)} platforms"); sys.exit(1 if bad else 0)
PY
expect_exit 0 "inspect of the containerd export" "$IMGMOUNT" inspect "$WORK/mp.tar"
grep -q '^Manifest:' "$WORK/out.txt" || fail "inspect of the containerd export lists instead of inspecting"

# --- usage and errors --------------------------------------------------------------------------
for verb in inspect history config manifest images; do
  expect_exit 0 "$verb --help" "$IMGMOUNT" "$verb" --help
  expect_exit 2 "$verb with an unknown option" "$IMGMOUNT" "$verb" --bogus "$WORK/oci"
  expect_exit 3 "$verb of a missing file" "$IMGMOUNT" "$verb" "$WORK/no-such-image"
done
expect_exit 3 "inspect of a tag not in the file" "$IMGMOUNT" inspect "$WORK/multi.tar:nope"
finish

#!/usr/bin/env bash
# `imgmount diff` gives one answer whatever the container formats of the two images: the same
# images as OCI layouts (gzip layers, whose digests indexing proves), as docker-archives (skopeo:
# uncompressed layers, whose big files indexing skips, so their digests stay unproven) and as OCI
# layouts with zstd layers (skopeo) are compared in every pairing, and each answer equals the
# comparison of two `umoci raw unpack` trees by imgmount-treedump (type, mode, owner, links, size,
# content, target, xattrs, mtime). The images share their lower layers, and the upper layers
# change entries of the shared ones: a hardlink (the lower file's link count), a whiteout, an
# opaque directory, a directory's mode, a symlink's target, an xattr, an mtime. Then: a tampered
# docker-archive layer that still claims its digest, a PATH present in one image only, and
# `--config` with both values (text and JSON) against the config blobs read by python.
source "$(dirname "$0")/lib.sh"

# Layers, written by python's tarfile: base, then A's top or B's top; C is B plus one hardlink.
python3 - "$WORK" << 'EOF'
import io, sys, tarfile
work = sys.argv[1]

def layer(name, entries):
    with tarfile.open(f"{work}/{name}.tar", "w", format=tarfile.PAX_FORMAT) as t:
        for path, kind, value, extra in entries:
            info = tarfile.TarInfo(path)
            info.mtime = extra.get("mtime", 1700000000)
            info.mode = extra.get("mode", 0o755 if kind == "dir" else 0o644)
            info.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in extra.get("xattrs", {}).items()}
            data = None
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "file":
                data = value.encode() if isinstance(value, str) else value
                info.size = len(data)
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, value
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, value
            t.addfile(info, io.BytesIO(data) if data is not None else None)

big = b"BIGSTART" + b"x" * (2 << 20)
layer("base", [
    ("etc", "dir", None, {}), ("etc/f", "file", "hello\n", {}), ("etc/keep", "file", "same\n", {}),
    ("d", "dir", None, {}), ("d/a", "file", "aaaa", {}), ("d/b", "file", "bbbb", {}),
    ("e", "dir", None, {"mode": 0o750}), ("e/c", "file", "cccc", {}),
    ("big", "file", big, {}), ("s", "symlink", "d/a", {}),
    ("xf", "file", "xattr\n", {"xattrs": {"user.k": "v"}}),
])
layer("top-a", [("x", "file", "x\n", {}), ("e", "dir", None, {"mode": 0o700})])
layer("top-b", [
    ("etc/g", "hardlink", "etc/f", {}), ("d/.wh.b", "file", "", {}),
    ("e/.wh..wh..opq", "file", "", {}), ("e/n", "file", "nnnn", {}),
    ("s", "symlink", "d/b", {}), ("xf", "file", "xattr\n", {"xattrs": {"user.k": "w"}}),
    ("etc/keep", "file", "same\n", {"mtime": 1700000001}),
])
layer("top-c", [("etc/h", "hardlink", "etc/f", {})])
EOF
gzip -n "$WORK"/base.tar "$WORK"/top-*.tar
# layers IMAGE: the layer blobs of an image, bottom first.
layers() {
  case $1 in
    A) echo "$WORK/base.tar.gz $WORK/top-a.tar.gz" ;;
    B) echo "$WORK/base.tar.gz $WORK/top-b.tar.gz" ;;
    C) echo "$WORK/base.tar.gz $WORK/top-b.tar.gz $WORK/top-c.tar.gz" ;;
  esac
}

# Each image as an OCI layout (gzip), a docker-archive and an OCI layout with zstd layers; the
# configs of A and B differ (umoci config), C keeps B's.
for image in A B C; do
  # shellcheck disable=SC2046
  "$FIXTURE" wrap oci-dir "$WORK/oci-$image" $(layers "$image") > /dev/null
done
umoci config --image "$WORK/oci-A:latest" --config.env FOO=1 --config.cmd sh \
  --config.label k=1 --config.label same=yes
umoci config --image "$WORK/oci-B:latest" --config.env FOO=2 --config.cmd sh --config.cmd -c \
  --config.cmd true --config.label same=yes --config.label k=2 --config.workingdir /srv
umoci config --image "$WORK/oci-C:latest" --config.env FOO=2 --config.cmd sh --config.cmd -c \
  --config.cmd true --config.label same=yes --config.label k=2 --config.workingdir /srv
for image in A B C; do
  skopeo copy -q "oci:$WORK/oci-$image:latest" "docker-archive:$WORK/docker-$image.tar:img:latest"
  skopeo copy -q --dest-compress-format zstd "oci:$WORK/oci-$image:latest" \
    "oci:$WORK/zstd-$image:latest"
  oracle_unpack "$WORK/oci-$image" latest "$WORK/oracle-$image"
  "$TREEDUMP" "$WORK/oracle-$image" > "$WORK/dump-$image.txt"
done
# path FORMAT IMAGE: the image in that format.
path() { case $1 in docker) echo "$WORK/docker-$2.tar" ;; *) echo "$WORK/$1-$2" ;; esac }

# The oracle: "path change what,what" per difference between two treedumps, in imgmount's terms;
# an added or deleted directory is listed alone, a directory's link count is left out (it only
# mirrors its subdirectories), and a size change is a content change too.
oracle_changes() {
  python3 - "$1" "$2" << 'EOF'
import sys

def load(name):
    entries = {}
    for line in open(name):
        path, kind, mode, owner, *rest = line.split()
        fields = {"type": kind, "mode": mode}
        fields["uid"], fields["gid"] = owner.split(":")
        for item in rest:
            key, _, value = item.partition("=")
            if key == "nlink" and kind != "dir":
                fields["links"] = value
            elif key in ("size", "target", "rdev", "mtime"):
                fields[key] = value
            elif key == "sha256":
                fields["content"] = value
            elif key.startswith("xattr."):
                fields["xattrs"] = fields.get("xattrs", "") + item + " "
        entries["/" + path if path != "." else "/"] = fields
    return entries

old, new = load(sys.argv[1]), load(sys.argv[2])
order = ["type", "mode", "uid", "gid", "links", "size", "content", "target", "rdev", "xattrs",
         "mtime"]
out, gone = [], []
for path in sorted(set(old) | set(new)):
    if any(path.startswith(top + "/") for top in gone):
        continue
    if path not in new or path not in old:
        out.append(f"{path} {'deleted' if path not in new else 'added'} ")
        gone.append(path)
        continue
    a, b = old[path], new[path]
    if a["type"] != b["type"]:
        what = ["type"]
        gone.append(path)
    else:
        what = [k for k in order if a.get(k) != b.get(k)]
    if what:
        out.append(f"{path} modified {','.join(what)}")
for line in out:
    print(line)
EOF
}
# ok_if_none_since COUNT MESSAGE: says MESSAGE if no check failed since FAILURES was COUNT.
ok_if_none_since() { [ "$FAILURES" -ne "$1" ] || say "ok: $2"; }

# changes JSON: the same form from imgmount's --json report.
changes() {
  python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["changes"]:
    print(c["path"], c["change"], ",".join(c["what"]))' "$1"
}

formats=(oci docker zstd)
for pair in "A B" "B C" "C A"; do
  set -- $pair
  before=$FAILURES
  oracle_changes "$WORK/dump-$1.txt" "$WORK/dump-$2.txt" > "$WORK/want.txt"
  [ -s "$WORK/want.txt" ] || fail "$1 $2: the oracles do not differ"
  for fa in "${formats[@]}"; do
    for fb in "${formats[@]}"; do
      code=0
      "$IMGMOUNT" diff --json "$(path "$fa" "$1")" "$(path "$fb" "$2")" > "$WORK/diff.json" ||
        code=$?
      [ "$code" -eq 1 ] || fail "diff $fa:$1 $fb:$2: exit $code, expected 1"
      changes "$WORK/diff.json" > "$WORK/got.txt" || fail "diff $fa:$1 $fb:$2: not JSON"
      if ! diff -u "$WORK/want.txt" "$WORK/got.txt"; then
        fail "diff $fa:$1 $fb:$2 differs from the oracle comparison"
      fi
      # The whole JSON document (with old and new values) is the same in every pairing.
      if [ "$fa$fb" = ocioci ]; then
        cp "$WORK/diff.json" "$WORK/reference.json"
      elif ! cmp -s "$WORK/reference.json" "$WORK/diff.json"; then
        fail "diff --json $fa:$1 $fb:$2 differs from oci:$1 oci:$2"
      fi
    done
  done
  ok_if_none_since "$before" \
    "diff $1 $2 equals the oracle's $(wc -l < "$WORK/want.txt") changes in all 9 format pairings"
done
grep -qx '/etc/f modified links' <(oracle_changes "$WORK/dump-A.txt" "$WORK/dump-B.txt") ||
  fail "the oracle does not see the link count of /etc/f change"

# A tampered docker-archive layer that still claims its digest: its big file's data was not read
# while indexing, so nothing proves the layer equal to the original's, and the file is compared.
python3 - "$WORK/docker-A.tar" "$WORK/tampered-A.tar" << 'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(b"BIGSTART") + 100
data[at] = ord("y")
open(sys.argv[2], "wb").write(data)
EOF
before=$FAILURES
tar_member() {  # tar_member ARCHIVE: /big of its only layer, by GNU tar
  local dir
  dir=$(mktemp -d "$WORK/x.XXXXXX")
  tar -xf "$1" -C "$dir"
  for layer in "$dir"/*.tar; do tar -xOf "$layer" big 2> /dev/null || true; done
}
cmp -s <(tar_member "$WORK/docker-A.tar") <(tar_member "$WORK/tampered-A.tar") &&
  fail "the tampered archive's /big is unchanged"
code=0
"$IMGMOUNT" diff --json "$WORK/docker-A.tar" "$WORK/tampered-A.tar" > "$WORK/diff.json" || code=$?
[ "$code" -eq 1 ] || fail "diff of a tampered docker-archive: exit $code, expected 1"
[ "$(changes "$WORK/diff.json")" = "/big modified content" ] ||
  fail "diff of a tampered docker-archive: $(changes "$WORK/diff.json")"
ok_if_none_since "$before" "a tampered layer claiming the original's digest is compared, not trusted"

# A PATH present in one image only is one "Only in" difference (exit 1) in every format, as
# diff -r reports such an entry of the oracles' parent directories; absent from both is exit 2.
before=$FAILURES
for spec in "/etc/g etc g" "/d/b d b" "/x . x"; do
  set -- $spec
  want=$(cd "$WORK" && LC_ALL=C diff -r oracle-A/$2 oracle-B/$2 2> /dev/null |
    grep "^Only in .*: $3\$" | sed 's#oracle-\([AB]\)#\1#; s#/\.: #: #') || true
  [ -n "$want" ] || fail "the oracles show no 'Only in' for $1"
  for fa in "${formats[@]}"; do
    for fb in "${formats[@]}"; do
      (cd "$WORK" && ln -sfn "$(path "$fa" A)" A && ln -sfn "$(path "$fb" B)" B)
      code=0
      got=$(cd "$WORK" && "$IMGMOUNT" diff A B "$1") || code=$?
      [ "$code" -eq 1 ] || fail "diff $fa:A $fb:B $1: exit $code, expected 1"
      [ "$got" = "$want" ] || fail "diff $fa:A $fb:B $1: '$got', expected '$want'"
    done
  done
done
ok_if_none_since "$before" "a PATH in one image only is reported as 'Only in', exit 1"
code=0
"$IMGMOUNT" diff "$(path oci A)" "$(path docker B)" /nope 2> "$WORK/err.txt" || code=$?
[ "$code" -eq 2 ] || fail "diff of a PATH in neither image: exit $code, expected 2"
grep -q "diff: /nope: No such file or directory (in .* nor in " "$WORK/err.txt" ||
  fail "diff of a PATH in neither image: $(cat "$WORK/err.txt")"

# --config: each differing field with both values, against the config blobs read by python.
python3 - "$WORK/oci-A" "$WORK/oci-B" > "$WORK/config-want.json" << 'EOF'
import json, sys

def config(layout):
    def blob(digest):
        return json.load(open(f"{layout}/blobs/{digest.replace(':', '/')}"))
    index = json.load(open(f"{layout}/index.json"))
    tagged = [m for m in index["manifests"]
              if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "latest"]
    return blob(blob(tagged[0]["digest"])["config"]["digest"])

fields = []
a, b = config(sys.argv[1]), config(sys.argv[2])
for name, empty in [("Env", []), ("Cmd", []), ("Entrypoint", []), ("WorkingDir", ""),
                    ("User", ""), ("ExposedPorts", {}), ("Volumes", {}), ("Labels", {})]:
    def value(doc):
        v = doc.get("config", {}).get(name) or empty
        return sorted(v) if name in ("ExposedPorts", "Volumes") else v
    old, new = value(a), value(b)
    if old != new:
        fields.append({"field": name, "old": old, "new": new})
print(json.dumps(fields, sort_keys=True))
EOF
before=$FAILURES
[ "$(cat "$WORK/config-want.json")" != "[]" ] || fail "the configs of A and B do not differ"
for fa in "${formats[@]}"; do
  code=0
  "$IMGMOUNT" diff --json --config "$(path "$fa" A)" "$(path oci B)" > "$WORK/diff.json" ||
    code=$?
  [ "$code" -eq 1 ] || fail "diff --config $fa: exit $code"
  got=$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["config"],
    sort_keys=True))' "$WORK/diff.json")
  [ "$got" = "$(cat "$WORK/config-want.json")" ] ||
    fail "diff --json --config $fa: $got, expected $(cat "$WORK/config-want.json")"
done
python3 -c '
import json, sys
for f in json.load(open(sys.argv[1])):
    dump = lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True)
    print("Config", f["field"], "differs:", dump(f["old"]), "->", dump(f["new"]))' \
  "$WORK/config-want.json" > "$WORK/config-text-want.txt"
for mode in "" --stat; do
  "$IMGMOUNT" diff --config $mode "$(path docker A)" "$(path zstd B)" > "$WORK/out.txt" || true
  grep '^Config ' "$WORK/out.txt" > "$WORK/config-text-got.txt" || true
  diff -u "$WORK/config-text-want.txt" "$WORK/config-text-got.txt" ||
    fail "diff --config $mode: text lines differ from the config blobs"
done
expect_exit 0 "diff --config of two formats of one image" \
  "$IMGMOUNT" diff --config "$(path docker B)" "$(path zstd B)"
ok_if_none_since "$before" "--config shows both values of each differing field, text and JSON"
finish

#!/usr/bin/env bash
# `ls --json` and `which --json` read by an independent JSON parser (Python's json module) and
# checked against independent oracles: every entry of `ls -lRa --json` against lstat(2) over the
# umoci unpack of the same image, and `which --json` against the layer tars read by Python's
# tarfile module (the topmost layer holding a path supplies it; whiteouts are named).
source "$(dirname "$0")/lib.sh"

"$FIXTURE" sample oci-dir none "$WORK/oci"
oracle_unpack "$WORK/oci" latest "$WORK/oracle"
"$FIXTURE" sample docker-oci gzip "$WORK/image.tar"

expect_exit 0 "ls -lRa --json" "$IMGMOUNT" ls -lRa --json "$WORK/image.tar"
cp "$WORK/out.txt" "$WORK/ls.json"
expect_exit 0 "ls --json of one file" "$IMGMOUNT" ls -l --json "$WORK/image.tar" /etc/hostname
cp "$WORK/out.txt" "$WORK/ls-file.json"
expect_exit 0 "ls --json of a directory" "$IMGMOUNT" ls --json "$WORK/image.tar" /etc/
cp "$WORK/out.txt" "$WORK/ls-etc.json"

cat > "$WORK/check_ls.py" << 'EOF'
import json, os, stat, sys

root, listing, one_file, etc = sys.argv[1:5]
problems = []
kinds = {stat.S_IFREG: "regular file", stat.S_IFDIR: "directory", stat.S_IFLNK: "symlink",
         stat.S_IFCHR: "character device", stat.S_IFBLK: "block device", stat.S_IFIFO: "fifo"}

def check(entry):
    path = entry["path"]
    st = os.lstat(root + path)
    want = {"type": kinds[stat.S_IFMT(st.st_mode)], "mode": stat.S_IMODE(st.st_mode),
            "uid": st.st_uid, "gid": st.st_gid, "mtime": st.st_mtime_ns // 10**9,
            "mtime_nsec": st.st_mtime_ns % 10**9}
    if not stat.S_ISDIR(st.st_mode):
        want["size"] = st.st_size if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode) else 0
        want["nlink"] = st.st_nlink
    if stat.S_ISLNK(st.st_mode):
        want["target"] = os.readlink(root + path)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        want["rdev_major"], want["rdev_minor"] = os.major(st.st_rdev), os.minor(st.st_rdev)
    for key, value in want.items():
        if entry.get(key) != value:
            problems.append(f"{path}: {key} is {entry.get(key)!r}, lstat says {value!r}")

doc = json.load(open(listing))
assert doc["path"] == "/", doc["path"]
seen = set()
for entry in doc["entries"]:
    name = entry["name"]
    if name in (".", ".."):
        continue
    if os.path.basename(entry["path"]) != name:
        problems.append(f"{entry['path']}: name {name!r}")
    seen.add(entry["path"])
    check(entry)
dots = sum(1 for e in doc["entries"] if e["name"] == ".")
expected = set()
for dirpath, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames:
        expected.add(os.path.join(dirpath, name)[len(root):])
directories = 1 + sum(1 for p in expected if stat.S_ISDIR(os.lstat(root + p).st_mode))
if seen != expected:
    problems.append(f"paths only listed: {sorted(seen - expected)[:5]}, "
                    f"only unpacked: {sorted(expected - seen)[:5]}")
if dots != directories:
    problems.append(f"{dots} '.' entries for {directories} directories")

single = json.load(open(one_file))
if [e["path"] for e in single["entries"]] != ["/etc/hostname"]:
    problems.append(f"ls of one file: {single}")
check(single["entries"][0])
listed = json.load(open(etc))
names = sorted(e["name"] for e in listed["entries"])
if listed["path"] != "/etc" or names != sorted(os.listdir(root + "/etc")):
    problems.append(f"ls /etc: {listed['path']} {names}")
if any("mode" in e for e in listed["entries"]):
    problems.append("ls --json without -l shows details")
for p in problems:
    print(p)
print(f"{len(seen)} entries checked")
sys.exit(1 if problems else 0)
EOF
python_agrees "ls --json" "lstat over the oracle" "$WORK/check_ls.py" "$WORK/oracle" \
  "$WORK/ls.json" "$WORK/ls-file.json" "$WORK/ls-etc.json"

# which --json for every path the image has, two that it deleted, and one it never had (on the
# layout whose layer tars the oracle reads).
python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["entries"]:
    if e["name"] not in (".", ".."):
        print(e["path"])' "$WORK/ls.json" > "$WORK/paths.txt"
printf "%s\n" /etc/remove-me /var/cache-old /no/such/path >> "$WORK/paths.txt"
: > "$WORK/which.jsonl"
while IFS= read -r path; do
  code=0
  "$IMGMOUNT" which --json "$WORK/oci" "$path" >> "$WORK/which.jsonl" || code=$?
  [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || fail "which $path: exit $code"
done < "$WORK/paths.txt"

cat > "$WORK/check_which.py" << 'EOF'
import json, posixpath, sys, tarfile

layout, results = sys.argv[1:3]
def blob(digest):
    return f"{layout}/blobs/sha256/{digest.split(':')[1]}"
index = json.load(open(f"{layout}/index.json"))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
layers = []
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"])) as tar:
        names = {posixpath.normpath("/" + m.name) for m in tar.getmembers()}
    layers.append((layer["digest"], names))

problems = []
checked = 0
for line in open(results):
    doc = json.loads(line)
    path = doc["path"]
    holders = [i for i, (_, names) in enumerate(layers) if path in names]
    whiteout = posixpath.join(posixpath.dirname(path), ".wh." + posixpath.basename(path))
    deleters = [i for i, (_, names) in enumerate(layers) if whiteout in names]
    added = [e["layer"] - 1 for e in doc["events"] if e["action"] == "added"]
    whiteouts = [e["layer"] - 1 for e in doc["events"] if e["action"] == "whiteout"]
    if added != holders:
        problems.append(f"{path}: added by layers {added}, tars hold it in {holders}")
    if whiteouts != deleters:
        problems.append(f"{path}: whiteouts in {whiteouts}, tars have them in {deleters}")
    supplier = doc["supplier"]
    if doc["present"] and holders and not doc["implied"]:
        top = holders[-1]
        if supplier is None or supplier["layer"] - 1 != top or not supplier["supplies"]:
            problems.append(f"{path}: supplier {supplier}, topmost tar holding it is {top}")
        elif supplier["digest"] != layers[top][0]:
            problems.append(f"{path}: supplier digest {supplier['digest']}")
    if doc["present"] and not holders and not doc["implied"]:
        problems.append(f"{path}: present in no tar, yet not implied")
    if not doc["present"] and supplier is not None:
        problems.append(f"{path}: absent with a supplier")
    checked += 1
for p in problems:
    print(p)
print(f"{checked} paths checked")
sys.exit(1 if problems else 0)
EOF
python_agrees "which --json" "the layer tars" "$WORK/check_which.py" "$WORK/oci" \
  "$WORK/which.jsonl"
grep -q '"action":"whiteout"' "$WORK/which.jsonl" || fail "which --json names no whiteout"
# A missing value is null, never "".
! grep -q '""' "$WORK/which.jsonl" || fail "which --json holds \"\": $(grep -m1 '""' "$WORK/which.jsonl")"
grep -q '"path":"/no/such/path","present":false' "$WORK/which.jsonl" ||
  fail "which --json of a missing path"
expect_exit 3 "which --json of a missing path" "$IMGMOUNT" which --json "$WORK/image.tar" /nope
expect_exit 0 "ls --help names --json" "$IMGMOUNT" ls --help
grep -q -- "--json" "$WORK/out.txt" || fail "ls --help does not name --json"
expect_exit 0 "which --help names --json" "$IMGMOUNT" which --help
grep -q -- "--json" "$WORK/out.txt" || fail "which --help does not name --json"
finish

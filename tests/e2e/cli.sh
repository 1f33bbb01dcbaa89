#!/usr/bin/env bash
# The command line (issue 16 point 4): global options before or after the verb, `--` ending the
# options, unknown verbs and options, help for every verb, --version, the bare mount form and
# -u, the mount's own options, and IMAGE:TAG against --image refused by every verb. File
# contents come from Python's tarfile, which wrote the layer.
source "$(dirname "$0")/lib.sh"

VERBS=(mount ls cat inspect export verify which diff cache status help)

# An image with two layers whose files have names that look like options.
python3 - "$WORK" << 'PYEOF'
import io, sys, tarfile
work = sys.argv[1]
def layer(path, files):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
layer(f"{work}/l1.tar", {"-x": b"dash x\n", "--json": b"dash dash json\n", "a": b"plain a\n"})
layer(f"{work}/l2.tar", {"b": b"plain b\n"})
with open(f"{work}/want-dash-x", "wb") as out:
    out.write(b"dash x\n")
with open(f"{work}/want-a-x-json", "wb") as out:
    out.write(b"plain a\n" b"dash x\n" b"dash dash json\n")
PYEOF
"$FIXTURE" wrap oci-dir "$WORK/dashes" "$WORK/l1.tar" "$WORK/l2.tar" > /dev/null ||
  fail "wrap the dashes image"
image="$WORK/dashes"

# 1. `--` ends the options; without it a dash word is an option.
expect_exit 0 "cat IMAGE -- -x" "$IMGMOUNT" cat "$image" -- -x
cmp -s "$WORK/out.txt" "$WORK/want-dash-x" || fail "cat -- -x printed $(head -c 200 "$WORK/out.txt")"
expect_exit 0 "cat IMAGE /a -- -x --json" "$IMGMOUNT" cat "$image" /a -- -x --json
cmp -s "$WORK/out.txt" "$WORK/want-a-x-json" || fail "cat /a -- -x --json: $(cat "$WORK/out.txt")"
expect_exit 0 "ls IMAGE -- -x" "$IMGMOUNT" ls "$image" -- -x
[ "$(cat "$WORK/out.txt")" = "-x" ] || fail "ls -- -x printed $(cat "$WORK/out.txt")"
expect_exit 2 "cat IMAGE -x (an unknown option)" "$IMGMOUNT" cat "$image" -x
grep -q "unknown option -x" "$WORK/err.txt" || fail "cat -x: $(cat "$WORK/err.txt")"

# 2. Global options before the verb, after it, and with =, on a multi-platform image.
mp="$WORK/mp"
"$FIXTURE" sample oci-dir gzip "$mp" --multi-platform > /dev/null
"$IMGMOUNT" ls "$mp" /etc > "$WORK/ls-default.txt" || fail "ls of the default platform"
n=0
for spelling in "--platform linux/arm64 ls $mp /etc" "ls $mp /etc --platform linux/arm64" \
  "ls --platform=linux/arm64 $mp /etc" "ls $mp --platform linux/arm64 /etc"; do
  n=$((n + 1))
  # shellcheck disable=SC2086  # the spelling is split on purpose
  expect_exit 0 "imgmount $spelling" "$IMGMOUNT" $spelling
  cp "$WORK/out.txt" "$WORK/ls-$n.txt"
  [ "$n" -eq 1 ] || cmp -s "$WORK/ls-1.txt" "$WORK/ls-$n.txt" ||
    fail "imgmount $spelling lists otherwise than the first spelling"
done
cmp -s "$WORK/ls-1.txt" "$WORK/ls-default.txt" &&
  fail "--platform linux/arm64 lists the same as the default platform: not applied"
for spelling in "--platform linux/arm64 cat" "cat --platform=linux/arm64"; do
  # shellcheck disable=SC2086
  expect_exit 0 "imgmount $spelling" "$IMGMOUNT" $spelling "$mp" /etc/imgmount-platform
  grep -q arm64 "$WORK/out.txt" || fail "imgmount $spelling: $(cat "$WORK/out.txt")"
done
expect_exit 0 "cat IMAGE PATH --platform (after the paths)" \
  "$IMGMOUNT" cat "$mp" /etc/imgmount-platform --platform linux/arm64
grep -q arm64 "$WORK/out.txt" || fail "cat ... --platform: $(cat "$WORK/out.txt")"
expect_exit 2 "a verb refuses a global option it does not use" "$IMGMOUNT" status -q
grep -q -- "-q does not go with imgmount status" "$WORK/err.txt" || fail "$(cat "$WORK/err.txt")"
expect_exit 2 "cache refuses --platform" "$IMGMOUNT" cache ls --platform linux/arm64

# 3. Unknown verbs; the bare mount form; a verb wins over a file of its name.
expect_exit 2 "unknown command" "$IMGMOUNT" frobnicate
head -1 "$WORK/err.txt" | grep -q '^imgmount: unknown command "frobnicate"' ||
  fail "unknown command: $(cat "$WORK/err.txt")"
for verb in "${VERBS[@]}"; do
  grep -q "^  $verb " "$WORK/err.txt" || fail "unknown command: the verb $verb is not listed"
done
expect_exit 2 "unknown command with more words" "$IMGMOUNT" frobnicate "$image" /
grep -q 'unknown command "frobnicate"' "$WORK/err.txt" || fail "$(cat "$WORK/err.txt")"
mnt="$WORK/mnt"
mkdir -p "$mnt"
MOUNTS+=("$mnt")
(cd "$WORK" && "$IMGMOUNT" dashes "$mnt") || fail "bare mount of an existing relative path"
cmp -s "$mnt/-x" "$WORK/want-dash-x" || fail "bare mount: -x differs"
unmount_image "$mnt"
"$FIXTURE" sample docker-oci gzip "$WORK/tagged.tar" --tag app:1 --image sample-plus=app:2 \
  > /dev/null
(cd "$WORK" && "$IMGMOUNT" tagged.tar:app:2 "$mnt") || fail "bare mount of FILE:TAG"
unmount_image "$mnt"
mkdir -p "$WORK/cwd" && cp -r "$image" "$WORK/cwd/ls"
(cd "$WORK/cwd" && "$IMGMOUNT" ls ls /) > "$WORK/out.txt" 2> "$WORK/err.txt" ||
  fail "ls with a file called ls in the current directory: $(cat "$WORK/err.txt")"
printf -- '--json\n-x\na\nb\n' | cmp -s - "$WORK/out.txt" || fail "ls ls /: $(cat "$WORK/out.txt")"

# 4. Help: every verb in --help, help VERB equals VERB --help, usage without arguments.
expect_exit 0 "imgmount --help" "$IMGMOUNT" --help
for verb in "${VERBS[@]}"; do
  grep -q "^  $verb  " "$WORK/out.txt" || fail "--help does not list $verb"
done
expect_exit 2 "imgmount without arguments" "$IMGMOUNT"
grep -q "^usage: imgmount" "$WORK/err.txt" || fail "no usage on stderr without arguments"
[ -s "$WORK/out.txt" ] && fail "imgmount without arguments wrote to stdout"
for verb in "${VERBS[@]}" "cache ls" "cache gc" "cache clear"; do
  # shellcheck disable=SC2086
  expect_exit 0 "help $verb" "$IMGMOUNT" help $verb
  cp "$WORK/out.txt" "$WORK/help-verb.txt"
  # shellcheck disable=SC2086
  expect_exit 0 "$verb --help" "$IMGMOUNT" $verb --help
  cmp -s "$WORK/help-verb.txt" "$WORK/out.txt" || fail "help $verb differs from $verb --help"
  grep -q "^usage: imgmount" "$WORK/out.txt" || fail "$verb --help has no usage line"
done
expect_exit 2 "help of an unknown command" "$IMGMOUNT" help nosuch
grep -q 'unknown command "nosuch"' "$WORK/err.txt" || fail "help nosuch: $(cat "$WORK/err.txt")"

# 5. Usage errors: exit 2, the option named, the verb's help pointed at; --version.
expect_exit 2 "unknown option" "$IMGMOUNT" ls --bogus "$image"
grep -q "unknown option --bogus (see imgmount ls --help)" "$WORK/err.txt" ||
  fail "unknown option: $(cat "$WORK/err.txt")"
expect_exit 2 "missing argument" "$IMGMOUNT" which "$image"
grep -q "missing PATH (see imgmount which --help)" "$WORK/err.txt" ||
  fail "missing argument: $(cat "$WORK/err.txt")"
expect_exit 2 "option without its value" "$IMGMOUNT" ls "$image" --platform
grep -q -- "--platform needs a value" "$WORK/err.txt" || fail "$(cat "$WORK/err.txt")"
expect_exit 2 "one argument too many" "$IMGMOUNT" ls "$image" / /etc
grep -q "unexpected argument /etc" "$WORK/err.txt" || fail "$(cat "$WORK/err.txt")"
version=$(sed -n 's/^project(imgmount VERSION \([0-9.]*\).*/\1/p' \
  "${IMGMOUNT_SOURCE_DIR:-$(dirname "$0")/../..}/CMakeLists.txt")
for flag in --version -V; do
  expect_exit 0 "$flag" "$IMGMOUNT" "$flag"
  [ "$(cat "$WORK/out.txt")" = "imgmount $version" ] || fail "$flag: $(cat "$WORK/out.txt")"
done

# 6. IMAGE:TAG and --image together: refused by every verb and on each side of diff.
multi="$WORK/tagged.tar"
for command in "ls $multi:app:1 / --image app:2" "cat $multi:app:1 /etc/hostname --image app:2" \
  "inspect $multi:app:1 --image app:2" "export $multi:app:1 $WORK/x.tar --image app:2" \
  "verify $multi:app:1 --image app:2" "verify --image app:2 $multi:app:1" \
  "which $multi:app:1 /etc --image app:2" "diff $multi:app:1 --image app:2 $multi:app:2" \
  "diff $multi $multi:app:2 --image app:1" "mount $multi:app:1 $mnt --image app:2"; do
  # shellcheck disable=SC2086
  expect_exit 2 "$command" "$IMGMOUNT" $command
  grep -q "either as IMAGE:TAG or with --image" "$WORK/err.txt" ||
    fail "$command: $(cat "$WORK/err.txt")"
done
expect_exit 2 "verify --upto (it checks every layer)" "$IMGMOUNT" verify --upto 1 "$image"

# diff's sides: options between the images are IMAGE_B's only (the labels say which state).
expect_exit 1 "diff IMAGE --upto 1 IMAGE" "$IMGMOUNT" diff "$image" --upto 1 "$image"
grep -q "Only in $image: b" "$WORK/out.txt" || fail "diff --upto between: $(cat "$WORK/out.txt")"
expect_exit 0 "diff IMAGE IMAGE --upto 1 (both sides)" "$IMGMOUNT" diff "$image" "$image" --upto 1

# 7. The mount's options: -o twice, -o cache_mb, -f, and -u -z.
mount_image "$image" "$mnt" -o allow_other -o cache_mb=8,ro || fail "mount -o allow_other -o cache_mb"
grep " $mnt fuse" /proc/self/mounts | grep -q allow_other || fail "-o allow_other did not arrive"
unmount_image "$mnt"
expect_exit 2 "-o cache_mb=0" "$IMGMOUNT" -o cache_mb=0 "$image" "$mnt"
"$IMGMOUNT" -f "$image" "$mnt" 2> "$WORK/foreground.err" &
foreground=$!
for _ in $(seq 1 100); do
  grep -q " $mnt fuse" /proc/self/mounts && break
  sleep 0.1
done
cmp -s "$mnt/-x" "$WORK/want-dash-x" || fail "-f: the mount does not serve -x"
exec 3< "$mnt/a"
expect_exit 0 "-u -z with a file open" "$IMGMOUNT" -u -z "$mnt"
exec 3<&-
wait "$foreground" || fail "-f: exit $?: $(cat "$WORK/foreground.err")"
grep -q " $mnt fuse" /proc/self/mounts && fail "-u -z left the mount"

finish

#!/usr/bin/env bash
# Mounts and layer-reading verbs straight from a registry (issue 17, the remote byte source):
# images pushed (by skopeo, or as they are by the registry API) to Debian's docker-registry on 127.0.0.1 (gzip, zstd, uncompressed,
# a multi-platform index), each mounted by reference through tests/tools/fault_proxy.py and
# compared with `umoci raw unpack` of the same image copied locally by skopeo; ls, cat, diff,
# export and verify against the same verbs on the local copy; the layer index shared by digest
# with the local copy; the chunk cache (no request on a re-read, fetched again once cleared);
# and the faults: 500s, truncated bodies, 200 for a Range request, wrong bytes for a digest and
# a registry that goes away mid-read.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"

command -v docker-registry > /dev/null || { say "SKIP: docker-registry is not installed"; exit 0; }

start_registry
start_proxy
say "registry on $REGISTRY, fault proxy on $PROXY"
CACHE=$WORK/cache/imgmount

tag_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$1/index.json"; }
push() { skopeo copy -q --dest-tls-verify=false "$@"; }
"$FIXTURE" sample oci-dir gzip "$WORK/sample" > /dev/null
"$FIXTURE" sample-plus oci-dir gzip "$WORK/plus" > /dev/null
"$FIXTURE" sample oci-dir gzip "$WORK/multi" --multi-platform > /dev/null
push "oci:$WORK/sample:$(tag_of "$WORK/sample")" "docker://$REGISTRY/s:gzip"
for compression in zstd none; do
  "$FIXTURE" sample oci-dir "$compression" "$WORK/sample-$compression" > /dev/null
  push_raw "$WORK/sample-$compression" "s:$compression"
done
push "oci:$WORK/plus:$(tag_of "$WORK/plus")" "docker://$REGISTRY/s:plus"
push --all "oci:$WORK/multi:$(tag_of "$WORK/multi")" "docker://$REGISTRY/m:v1"
# A layer of 3 MiB of random bytes (several chunks, so reads after the pass need requests).
python3 - "$WORK/big-layer.tar.gz" << 'PY'
import gzip, io, os, sys, tarfile
with gzip.open(sys.argv[1], "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
    for name, size in (("big.bin", 3 << 20), ("small.txt", 100)):
        info = tarfile.TarInfo(name)
        info.size, info.mtime = size, 1700000000
        tar.addfile(info, io.BytesIO(os.urandom(size)))
PY
"$FIXTURE" wrap oci-dir "$WORK/big" "$WORK/big-layer.tar.gz" --tag big:big > /dev/null
push "oci:$WORK/big:big" "docker://$REGISTRY/s:big"

# local_copy TAG: the image copied back from the registry by skopeo, and its umoci unpack.
local_copy() {
  local repo=${2:-s} platform=()
  [ -z "${3:-}" ] || platform=(--override-arch "$3")
  skopeo copy -q --src-tls-verify=false "${platform[@]}" "docker://$REGISTRY/$repo:$1" \
    "oci:$WORK/local-$1:$1"
  oracle_unpack "$WORK/local-$1" "$1" "$WORK/oracle-$1"
}

# 1. Each image mounted by reference equals umoci's unpack of its local copy; the requests.
# umoci cannot unpack zstd layers: the zstd image's tree is compared with the uncompressed
# copy's unpack (the same sample, as formats.sh does).
for tag in none gzip zstd; do
  if [ "$tag" = zstd ]; then
    skopeo copy -q --src-tls-verify=false "docker://$REGISTRY/s:zstd" "oci:$WORK/local-zstd:zstd"
    cp -a "$WORK/oracle-none" "$WORK/oracle-zstd"
  else
    local_copy "$tag"
  fi
  before=$(blob_requests)
  start=$(date +%s.%N)
  if mount_image "docker://$PROXY/s:$tag" "$WORK/mnt-$tag"; then
    find "$WORK/mnt-$tag" > /dev/null
    took=$(python3 -c "import sys,time; print('%.2f' % (time.time() - float(sys.argv[1])))" "$start")
    compare_trees "docker://…/s:$tag" "$WORK/oracle-$tag" "$WORK/mnt-$tag"
    blobs=$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/s:$tag" |
      python3 -c 'import json,sys; m=json.load(sys.stdin); print(sum(d["size"] for d in [m["config"]] + m["layers"]))')
    fetched=$(awk -v n="$before" 'NR > n && /\/blobs\// && $1 == "GET" {s += $NF} END {print s + 0}' \
      <(grep "^GET /v2/.*/blobs/" "$WORK/proxy.log"))
    say "   s:$tag: mount + find $took s, $(($(blob_requests) - before)) blob GETs," \
      "$fetched bytes fetched (image blobs: $blobs bytes)"
    [ -z "${DEBUG_PROXY:-}" ] || awk -v n="$before" 'NR > n' <(grep "^GET /v2/.*/blobs/" "$WORK/proxy.log")
    unmount_image "$WORK/mnt-$tag"
  else
    fail "mount of docker://$PROXY/s:$tag failed"
  fi
done

# 2. A multi-platform index, by --platform.
local_copy v1 m arm64
if mount_image "docker://$PROXY/m:v1" "$WORK/mnt-multi" --platform linux/arm64; then
  compare_trees "docker://…/m:v1 --platform linux/arm64" "$WORK/oracle-v1" "$WORK/mnt-multi"
  unmount_image "$WORK/mnt-multi"
else
  fail "mount of the multi-platform index failed"
fi

# 3. The verbs: the same output from the registry as from the local copy.
same_output() {
  local what=$1
  shift
  "$IMGMOUNT" "$@" "docker://$PROXY/s:gzip" > "$WORK/remote.out" 2> "$WORK/remote.err" ||
    fail "$what from the registry: $(head -c 400 "$WORK/remote.err")"
  "$IMGMOUNT" "$@" "$WORK/local-gzip:gzip" > "$WORK/local.out" 2> "$WORK/local.err" ||
    fail "$what of the local copy: $(head -c 400 "$WORK/local.err")"
  if cmp -s "$WORK/local.out" "$WORK/remote.out"; then
    say "ok: $what from the registry ($(wc -c < "$WORK/local.out") bytes) as from the local copy"
  else
    fail "$what differs: $(diff "$WORK/local.out" "$WORK/remote.out" | head -5)"
  fi
}
same_output "ls -l" ls -l
same_output "verify" verify
file=$(cd "$WORK/oracle-gzip" && find . -type f -size +1k | head -1)
file=${file#./}
"$IMGMOUNT" cat "docker://$PROXY/s:gzip" "$file" > "$WORK/cat.out" || fail "cat $file"
cmp -s "$WORK/cat.out" "$WORK/oracle-gzip/$file" && say "ok: cat $file equals the oracle" ||
  fail "cat $file differs from the oracle"
"$IMGMOUNT" export "docker://$PROXY/s:gzip" "$WORK/export.tar" || fail "export"
mkdir -p "$WORK/exported" && tar -xf "$WORK/export.tar" -C "$WORK/exported" 2> /dev/null || true
[ "$(cd "$WORK/exported" && find . -type f | sort)" = "$(cd "$WORK/oracle-gzip" && find . -type f | sort)" ] &&
  say "ok: export holds the oracle's files" || fail "export's files differ from the oracle's"

# diff of two tags: only the layers that differ are fetched (those of s:plus not in s:gzip).
local_copy plus
: > "$WORK/proxy.log"
"$IMGMOUNT" diff "docker://$PROXY/s:gzip" "docker://$PROXY/s:plus" > "$WORK/diff.remote" || true
"$IMGMOUNT" diff "$WORK/local-gzip:gzip" "$WORK/local-plus:plus" > "$WORK/diff.local" || true
sed -i -e "s#docker://$PROXY/s:gzip#A#g" -e "s#docker://$PROXY/s:plus#B#g" "$WORK/diff.remote"
sed -i -e "s#$WORK/local-gzip:gzip#A#g" -e "s#$WORK/local-plus:plus#B#g" "$WORK/diff.local"
cmp -s "$WORK/diff.local" "$WORK/diff.remote" && say "ok: diff of two tags as of the local copies" ||
  fail "diff differs: $(diff "$WORK/diff.local" "$WORK/diff.remote" | head -5)"
fetched=$(grep "^GET /v2/s/blobs/" "$WORK/proxy.log" | awk '{print $2}' | sort -u | sed 's#.*/##')
only_plus=$(python3 -c 'import json,sys; a={l["digest"] for l in json.load(open(sys.argv[1]))["layers"]}; b=json.load(open(sys.argv[2]))["layers"]; print("\n".join(l["digest"] for l in b if l["digest"] not in a))' \
  <(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/s:gzip") \
  <(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/s:plus"))
configs=$(for t in gzip plus; do skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/s:$t" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])'; done)
extra=$(comm -23 <(echo "$fetched" | sort) <(printf '%s\n%s\n' "$only_plus" "$configs" | sort))
[ -z "$extra" ] && say "ok: diff fetched only the differing layer(s): $(echo "$only_plus" | wc -l)" ||
  fail "diff fetched layers both tags share: $extra"

# 4. The index is shared by digest: the local copy needs no pass after the registry's.
"$IMGMOUNT" ls -v "$WORK/local-gzip:gzip" > /dev/null 2> "$WORK/local-v.err" || fail "ls -v local"
if grep -q ": indexed in" "$WORK/local-v.err"; then
  fail "the local copy was indexed again: $(cat "$WORK/local-v.err")"
else
  say "ok: the local copy's layers come from the index the registry's mount made"
fi

# 5. The chunk cache: a new process reads again without a request; cleared, it fetches again.
"$IMGMOUNT" cache ls > "$WORK/cache-ls.txt"
grep -q "registry chunks" "$WORK/cache-ls.txt" && say "ok: cache ls shows the chunk cache" ||
  fail "cache ls shows no chunk: $(cat "$WORK/cache-ls.txt")"
before=$(blob_requests)
"$IMGMOUNT" cat "docker://$PROXY/s:gzip" "$file" > "$WORK/cat2.out" || fail "cat from the chunk cache"
[ "$(blob_requests)" -eq "$before" ] && say "ok: re-reading in a new process sent no request" ||
  fail "re-reading sent $(($(blob_requests) - before)) requests"
"$IMGMOUNT" cache clear > /dev/null
"$IMGMOUNT" cache ls > "$WORK/cache-ls.txt"
grep -q "registry chunks" "$WORK/cache-ls.txt" && fail "cache clear left chunks"
before=$(blob_requests)
"$IMGMOUNT" cat "docker://$PROXY/s:gzip" "$file" > "$WORK/cat3.out" || fail "cat after clear"
[ "$(blob_requests)" -gt "$before" ] && cmp -s "$WORK/cat3.out" "$WORK/oracle-gzip/$file" &&
  say "ok: after cache clear the bytes are fetched again" || fail "nothing fetched after clear"

# 6. Faults. cat_checks WHAT: cat must give the oracle's bytes or fail, never other bytes.
cat_checks() {
  local what=$1 code=0
  shift
  "$IMGMOUNT" cat "$@" "docker://$PROXY/s:gzip" "$file" > "$WORK/fault.out" 2> "$WORK/fault.err" || code=$?
  if [ "$code" -eq 0 ] && ! cmp -s "$WORK/fault.out" "$WORK/oracle-gzip/$file"; then
    fail "$what: cat succeeded with wrong bytes"
  fi
  return "$code"
}
proxy_mode 500:2
rm -rf "$CACHE/chunks"
cat_checks "500s" --no-cache && say "ok: two 500s are retried" || fail "500s: $(cat "$WORK/fault.err")"
proxy_mode truncate
code=0; cat_checks "truncated bodies" --no-cache || code=$?
say "ok: truncated bodies: exit $code, never wrong bytes"
[ ! -e "$CACHE/chunks" ] && say "ok: --no-cache keeps no chunk cache" || fail "--no-cache wrote chunks"
proxy_mode fullbody
"$IMGMOUNT" cache clear > /dev/null
cat_checks "200 for Range" && say "ok: a 200 answer to a Range request is read right" ||
  fail "200 for Range: $(cat "$WORK/fault.err")"
"$IMGMOUNT" cache clear > /dev/null
proxy_mode pass
layer=$(echo "$only_plus" | head -1)
proxy_mode "flip:$layer"
code=0
"$IMGMOUNT" ls "docker://$PROXY/s:plus" > /dev/null 2> "$WORK/flip.err" || code=$?
[ "$code" -ne 0 ] && say "ok: a pass over wrong bytes fails (exit $code)" || fail "a pass over wrong bytes succeeded"
"$IMGMOUNT" cache ls --json > "$WORK/cache-ls.json"
grep -q "sha256-${layer#sha256:}\"" "$WORK/cache-ls.json" && fail "an index was kept from wrong bytes" ||
  say "ok: no index was kept from wrong bytes"
proxy_mode pass
"$IMGMOUNT" ls "docker://$PROXY/s:plus" > /dev/null || fail "ls of s:plus"
# Wrong bytes for an indexed blob: EIO (or the right bytes), never other bytes; the bad chunk
# is dropped, so the right bytes come back once the registry serves them.
"$IMGMOUNT" cat "docker://$PROXY/s:gzip" "$file" > /dev/null || fail "cat to index s:gzip"
failed=0
for layer in $(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/s:gzip" |
  python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(sys.stdin)["layers"]))'); do
  rm -rf "$CACHE/chunks"
  proxy_mode "flip:$layer"
  cat_checks "wrong bytes of $layer" || { failed=$((failed + 1)); grep -q "changed since indexing" "$WORK/fault.err" ||
    fail "wrong bytes: $(cat "$WORK/fault.err")"; }
  proxy_mode pass
  cat_checks "after wrong bytes" || fail "the bad chunk stayed: $(cat "$WORK/fault.err")"
done
[ "$failed" -gt 0 ] && say "ok: wrong bytes of an indexed layer give an error, then right bytes once served" ||
  fail "no layer's wrong bytes were noticed"

# 7. A registry that goes away mid-read: reads fail with EIO, then work once it is back. The
# pass over the 3 MiB layer is one streamed GET.
local_copy big
before=$(blob_requests)
if mount_image "docker://$PROXY/s:big" "$WORK/mnt-big"; then
  compare_trees "docker://…/s:big" "$WORK/oracle-big" "$WORK/mnt-big"
  layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
    <(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/s:big"))
  say "   s:big: $(($(blob_requests) - before)) blob GETs for mount + compare;" \
    "$(grep -cE "^GET /v2/s/blobs/$layer (-|bytes=[0-9]+-) " "$WORK/proxy.log") streamed GET of the 3 MiB layer"
  # The kernel reads a file by several requests at once: no range is fetched twice.
  dups=$(grep "^GET /v2/s/blobs/$layer bytes=" "$WORK/proxy.log" | awk '{print $3}' | sort | uniq -d)
  [ -z "$dups" ] && say "ok: no range of the layer was fetched twice" || fail "ranges fetched twice: $dups"
  port=${PROXY##*:}
  stop_proxy
  "$IMGMOUNT" cache clear > /dev/null
  code=0
  "$IMGMOUNT" -u "$WORK/mnt-big"
  mount_image "docker://127.0.0.1:$port/s:big" "$WORK/mnt-down" 2> /dev/null && fail "a mount with the registry away worked"
  start_proxy "$port"
  mount_image "docker://$PROXY/s:big" "$WORK/mnt-down" || fail "mount s:big again"
  stop_proxy
  cat "$WORK/mnt-down/big.bin" > /dev/null 2> "$WORK/down.err" || code=$?
  [ "$code" -ne 0 ] && grep -q "Input/output error" "$WORK/down.err" &&
    say "ok: a read while the registry is away fails with EIO" ||
    fail "read while away: exit $code $(cat "$WORK/down.err")"
  start_proxy "$port"
  cmp -s "$WORK/mnt-down/big.bin" "$WORK/oracle-big/big.bin" &&
    say "ok: reads work again once the registry is back" || fail "reads fail after the registry came back"
  unmount_image "$WORK/mnt-down"
else
  fail "mount of s:big failed"
fi
# 8. A registry that answers Range requests with the whole blob (200): the 3 MiB layer (index
# cached, chunks dropped) is downloaded once into the cache, then read from there, also by a new
# process.
rm -rf "$CACHE/chunks"
proxy_mode fullbody
: > "$WORK/proxy.log"
"$IMGMOUNT" cat "docker://$PROXY/s:big" big.bin > "$WORK/big.out" || fail "cat big.bin (200 for Range)"
cmp -s "$WORK/big.out" "$WORK/oracle-big/big.bin" || fail "cat big.bin (200 for Range) differs"
ranged=$(grep -c "^GET /v2/s/blobs/$layer bytes=" "$WORK/proxy.log" || true)
whole=$(grep -c "^GET /v2/s/blobs/$layer - 200" "$WORK/proxy.log" || true)
[ "$ranged" -le 1 ] && [ "$whole" -eq 1 ] &&
  say "ok: 200 for Range: $ranged ranged GET, then the blob downloaded once" ||
  fail "200 for Range: $ranged ranged GETs and $whole whole downloads of the layer"
: > "$WORK/proxy.log"
"$IMGMOUNT" cat "docker://$PROXY/s:big" big.bin > "$WORK/big.out" || fail "cat big.bin again"
[ "$(blob_requests "$layer")" -eq 0 ] && cmp -s "$WORK/big.out" "$WORK/oracle-big/big.bin" &&
  say "ok: a new process reads the downloaded blob without a request" ||
  fail "the downloaded blob was fetched again: $(cat "$WORK/proxy.log")"
# 9. A registry that ignores Range and serves other bytes than the digest: the whole download
# fails its digest check; the reads that follow it get EIO at once instead of downloading the
# blob again each (one download, not one per read).
rm -rf "$CACHE/chunks"
proxy_mode "fullflip:$layer"
: > "$WORK/proxy.log"
# A lazy mount (no --wait): whether the mount itself or the reads meet the wrong blob first, the
# count of downloads is what is checked.
mkdir -p "$WORK/mnt-flip"
MOUNTS+=("$WORK/mnt-flip")
if timeout 300 "$IMGMOUNT" "docker://$PROXY/s:big" "$WORK/mnt-flip"; then
  code=0
  for _ in 1 2 3; do cat "$WORK/mnt-flip/big.bin" > /dev/null 2>> "$WORK/flip-whole.err" || code=$?; done
  unmount_image "$WORK/mnt-flip"
  whole=$(grep -c "^GET /v2/s/blobs/$layer - 200" "$WORK/proxy.log" || true)
  [ "$code" -ne 0 ] && grep -q "Input/output error" "$WORK/flip-whole.err" &&
    say "ok: reads of a whole blob with other bytes fail with EIO" ||
    fail "reads of a wrong whole blob: exit $code $(cat "$WORK/flip-whole.err")"
  [ "$whole" -eq 1 ] && say "ok: the wrong whole blob was downloaded once for all reads" ||
    fail "the wrong whole blob was downloaded $whole times"
else
  fail "mount of s:big behind fullflip failed"
fi
proxy_mode pass
finish

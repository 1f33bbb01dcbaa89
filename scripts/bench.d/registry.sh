# scripts/bench.d/registry.sh: section 8 of scripts/bench, sourced by it (uses its helpers,
# data and scratch dir): the lazy image of section 6 (small top layer over the 1 GiB gzip
# layer) and a zstd:chunked copy of it, pushed with skopeo to Debian's docker-registry started on
# a free loopback port (config and storage in the scratch dir, stopped by the bench's cleanup
# whatever happens), against what users do today (skopeo copy docker://… oci:… + umoci raw
# unpack) and against the same image from the local OCI layout. Bytes fetched are counted by
# tests/tools/fault_proxy.py (mode pass) in front of the registry: the sum of its log's BYTES.
{  # one compound command, read whole before it runs (as scripts/bench is)

REG_MISSING=()
for t in docker-registry skopeo umoci python3; do have "$t" || REG_MISSING+=("$t"); done
if ((${#REG_MISSING[@]})); then
  say "registry section skipped: not installed: ${REG_MISSING[*]}"
  row "registry" "skipped: not installed: ${REG_MISSING[*]} (apt-get install -y docker-registry skopeo umoci python3)" "" "" "" "" "" "" ""
else
  say "registry: starting docker-registry and pushing the lazy image"

  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  # start_registry: serves $S/registry on a free loopback port; sets REGISTRY (127.0.0.1:PORT).
  start_registry() {
    local attempt port pid i
    for attempt in 1 2 3; do
      port=$(free_port)
      printf '%s\n' "version: 0.1" "storage: {filesystem: {rootdirectory: $S/registry}}" \
        "http: {addr: 127.0.0.1:$port}" "log: {level: error}" > "$S/registry.yml"
      docker-registry serve "$S/registry.yml" >> "$S/registry.log" 2>&1 &
      pid=$!
      SERVER_PIDS+=("$pid:$S/registry.yml")
      for ((i = 0; i < 100; i++)); do
        if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
          "http://127.0.0.1:$port/v2/" 2> /dev/null; then
          REGISTRY=127.0.0.1:$port
          return 0
        fi
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.05
      done
      kill "$pid" 2> /dev/null
    done
    say "the registry did not start: $(head -c 400 "$S/registry.log")"
    return 1
  }
  # start_proxy: fault_proxy.py (mode pass) in front of $REGISTRY, logging to $S/proxy.log;
  # sets PROXY (127.0.0.1:PORT).
  start_proxy() {
    local pid i
    python3 "$ROOT/tests/tools/fault_proxy.py" "$S/proxy.port" "$REGISTRY" "$S/proxy.log" 2>> "$LOG" &
    pid=$!
    SERVER_PIDS+=("$pid:$S/proxy.port")
    for ((i = 0; i < 100; i++)); do
      [[ -s $S/proxy.port ]] && { PROXY=127.0.0.1:$(cat "$S/proxy.port"); return 0; }
      sleep 0.05
    done
    say "the counting proxy did not start"
    return 1
  }
  # Body bytes the proxy has sent since its log was last emptied.
  proxy_bytes() { awk '{ s += $NF } END { print s + 0 }' "$S/proxy.log" 2> /dev/null || echo 0; }
  # manifest_field REF EXPR: EXPR (python, over the manifest m) of the manifest of REF.
  manifest_field() {
    skopeo inspect --raw --tls-verify=false "$1" 2>> "$LOG" |
      python3 -c 'import json, sys; m = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" 2>> "$LOG" || echo n/a
  }
  # image_bytes REF: bytes of the config and layers that REF's manifest names.
  image_bytes() { manifest_field "$1" 'm["config"]["size"] + sum(l["size"] for l in m["layers"])'; }
  # fix_diff_ids LAYOUT: sets the diff_ids of the config of LAYOUT's (only) image to the
  # sha256 of its layers as `zstd -dc` / `gzip -dc` decodes them, writing a new config and
  # manifest; prints how many changed.
  fix_diff_ids() { python3 "$ROOT/tests/tools/oci_edit.py" fix-diff-ids "$1"; }
  # push SRC DEST [SKOPEO OPTIONS]: skopeo copy to the registry (errors to the log).
  push() {
    local src=$1 dest=$2
    shift 2
    printf '$ skopeo copy %s %s %s\n' "$*" "$src" "$dest" >> "$LOG"
    skopeo copy -q --dest-tls-verify=false "$@" "$src" "$dest" >> "$LOG" 2>&1
  }

  LOCAL_REF=oci:$D/img/lazy:$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$D/img/lazy/index.json")
  if start_registry && start_proxy; then
    REF=docker://$REGISTRY/bench/lazy:1
    ZREF=docker://$REGISTRY/bench/lazy-zstd-chunked:1
    # The zstd:chunked copy, made in a local layout first: skopeo 1.9.3 writes each layer's tar
    # without the tar's trailing padding but keeps the source's diff_ids, which imgmount (rightly)
    # refuses; the config gets the digests of what the layers hold, then the copy is pushed as it
    # is, before the gzip image (skopeo 1.9 would otherwise reuse the gzip blobs the registry
    # already holds for the same content instead of recompressing them).
    rm -rf "${S:?}/zchunked"
    push "$LOCAL_REF" "oci:$S/zchunked:1" --dest-compress-format zstd:chunked &&
      FIXED=$(fix_diff_ids "$S/zchunked" 2>> "$LOG") &&
      push "oci:$S/zchunked:1" "$ZREF" --preserve-digests || say "zstd:chunked copy to $ZREF failed (see $LOG)"
    rm -rf "${S:?}/zchunked"
    ((${FIXED:-0})) && NOTES+=("registry: skopeo's zstd:chunked copy kept the diff_ids of the gzip layers though its tars lack their trailing padding: $FIXED diff_id(s) set to the digest of what the layers hold before the push")
    ZTYPES=$(manifest_field "$ZREF" '", ".join(l["mediaType"].rsplit(".", 1)[-1] + (" with TOC" if
      any(k.endswith("zstd-chunked.manifest-position") for k in l.get("annotations", {})) else "") for l in m["layers"])')
    [[ $ZTYPES == "tar+zstd with TOC, tar+zstd with TOC" ]] ||
      NOTES+=("registry: the zstd:chunked copy has layers ${ZTYPES:-unknown}, not zstd with a TOC: its row does not measure zstd:chunked")
    # the gzip image as it is: the pushed manifest must be the local one, byte for byte
    push "$LOCAL_REF" "$REF" --preserve-digests || say "skopeo copy to $REF failed (see $LOG)"
    if ! cmp -s <(skopeo inspect --raw "$LOCAL_REF" 2>> "$LOG") \
      <(skopeo inspect --raw --tls-verify=false "$REF" 2>> "$LOG"); then
      NOTES+=("registry: the manifest pushed as $REF is not the local one (skopeo changed it): its figures are not comparable")
    fi
    NOTES+=("registry: docker-registry $(docker-registry --version 2> /dev/null | awk '{ print $NF }'), $(skopeo --version 2> /dev/null), umoci $(umoci --version 2> /dev/null | awk '{ print $NF }'); zstd:chunked copy pushed by skopeo --dest-compress-format zstd:chunked, layers ${ZTYPES:-unknown}")
    IMG_BYTES=$(image_bytes "$REF")
    ZIMG_BYTES=$(image_bytes "$ZREF")
    PREF=docker://$PROXY/bench/lazy:1
    PZREF=docker://$PROXY/bench/lazy-zstd-chunked:1

    RM=$S/mnt/reg
    mkdir -p "$RM"
    # reg_mount IMAGE [THEN...]: mounts IMAGE on $RM with the cache dir $S/rcache; T runs from
    # the command's start until it returned and `ls MNT` answered (`stat MNT/` with
    # REG_PROBE=stat), then THEN (words) ran.
    reg_mount() {
      local img=$1; shift
      timed "$OP_TIMEOUT" sh -c 'env TMPDIR="$1" "$2" --cache-dir "$3" "$4" "$5" && "$6" "$5/" > /dev/null &&
        shift 6 && "$@"' sh "$S/tmp" "$IMGMOUNT" "$S/rcache" "$img" "$RM" "${REG_PROBE:-ls}" "${@:-true}"
      local ok=$?
      PID=$(daemon_pid imgmount "$RM")
      [[ -n $PID ]] && STARTED_PIDS+=("$PID:$RM")
      return $ok
    }
    reg_umount() { unmount_wait "$RM" "$PID" "$IMGMOUNT"; PID=; }
    fresh_cold() { rm -rf "${S:?}/rcache" && mkdir -p "$S/rcache" && drop_caches; }

    # 1. time to a usable mount (fresh cache dir, cold): until `ls MNT` answered (the listing of
    # the root waits for every layer's index), and until `stat MNT/` answered (as section 5)
    ts=(); ss=()
    for ((i = 0; i < REPS; i++)); do
      fresh_cold; reg_mount "$REF"; ts+=("$T"); reg_umount
      fresh_cold; REG_PROBE=stat reg_mount "$REF"; ss+=("$T"); reg_umount
    done
    REG_MOUNT=$(median "${ts[@]}")
    REG_MOUNT_STAT=$(median "${ss[@]}")

    # 2. cat of a top-layer file, cold: imgmount against skopeo copy + umoci raw unpack + cat
    ts=()
    for ((i = 0; i < REPS; i++)); do
      fresh_cold
      reg_mount "$REF" cat "$RM/app/server.js"; t=$T
      cmp -s "$OUT" "$D/server.js" || { [[ $t == fail || $t == timeout ]] || t=fail; NOTES+=("registry: cat app/server.js returned other bytes"); }
      ts+=("$t")
      reg_umount
    done
    REG_CAT=$(median "${ts[@]}")
    ts=()
    for ((i = 0; i < REPS; i++)); do
      rm -rf "${S:?}/peer" && mkdir -p "$S/peer" && drop_caches
      timed "$OP_TIMEOUT" sh -c 'skopeo copy -q --src-tls-verify=false "$1" "oci:$2/oci:1" &&
        umoci raw unpack --image "$2/oci:1" "$2/rootfs" && cat "$2/rootfs/app/server.js"' sh "$REF" "$S/peer"
      t=$T
      cmp -s "$OUT" "$D/server.js" || { [[ $t == fail || $t == timeout ]] || t=fail; }
      ts+=("$t")
    done
    rm -rf "${S:?}/peer"
    PEER_CAT=$(median "${ts[@]}")
    # the bytes of the same cat, once, through the proxy: requests completed when cat returned
    fresh_cold
    : > "$S/proxy.log"
    reg_mount "$PREF" cat "$RM/app/server.js"
    CAT_BYTES=$(proxy_bytes)
    reg_umount

    # 3. first find, cold: the image from the registry against the same from the local layout
    declare -A FIND_T FIND_N
    for src in registry local; do
      img=$([[ $src == registry ]] && echo "$REF" || echo "$D/img/lazy")
      ts=()
      for ((i = 0; i < REPS; i++)); do
        fresh_cold; reg_mount "$img" find "$RM"; ts+=("$T"); FIND_N[$src]=$(lines_of_out); reg_umount
      done
      FIND_T[$src]=$(median "${ts[@]}")
    done
    [[ ${FIND_N[registry]} == "${FIND_N[local]}" ]] ||
      NOTES+=("registry: find listed ${FIND_N[registry]} entries from the registry, ${FIND_N[local]} from the local layout")

    # 4. bytes fetched to read one small file of the base layer: zstd:chunked (no pass), gzip
    # (after its pass, index kept in the cache dir); verbs, no mount
    SMALL=$(find "$EXTRACT/files" -type f -size -16k -printf 'files/%P\n' | sort |
      awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
    declare -A SMALL_BYTES
    for z in zstd-chunked gzip; do
      ref=$([[ $z == gzip ]] && echo "$PREF" || echo "$PZREF")
      rm -rf "${S:?}/rcache" && mkdir -p "$S/rcache"
      if [[ $z == gzip ]]; then
        timed "$OP_TIMEOUT" env TMPDIR="$S/tmp" "$IMGMOUNT" ls --cache-dir "$S/rcache" "$ref" /
      fi
      : > "$S/proxy.log"
      if timed "$OP_TIMEOUT" env TMPDIR="$S/tmp" "$IMGMOUNT" cat --cache-dir "$S/rcache" "$ref" "$SMALL" &&
        cmp -s "$OUT" "$EXTRACT/$SMALL"; then
        SMALL_BYTES[$z]=$(proxy_bytes)
      else
        SMALL_BYTES[$z]=fail
      fi
    done
    rm -rf "${S:?}/rcache"

    sub="imgmount registry"
    row "registry" "usable mount (fresh cache dir, cold): returned + ls MNT" "$sub" "$(fmt_time "$REG_MOUNT")" "" "" "" "<= 200.0 ms" "$(check "$REG_MOUNT" "<= 0.2")"
    row "registry" "usable mount (fresh cache dir, cold): returned + stat MNT/" "$sub" "$(fmt_time "$REG_MOUNT_STAT")" "" "" "" "" ""
    cmp_row "registry" "cold, fresh cache dir: mount + cat app/server.js" "$sub" "$REG_CAT" "skopeo copy + umoci raw unpack + cat" "$PEER_CAT" fmt_time "<= 0.05"
    cmp_row "registry" "bytes fetched by that mount when cat returned (the base's pass included)" "$sub" "$CAT_BYTES" "skopeo copy (image bytes)" "$IMG_BYTES" fmt_bytes
    cmp_row "registry" "cold, fresh cache dir: mount + first find" "$sub" "${FIND_T[registry]}" "imgmount local layout" "${FIND_T[local]}" fmt_time "<= 1.2"
    cmp_row "registry" "bytes fetched: cat of one small file ($SMALL) of the base, fresh cache dir" "imgmount zstd:chunked" "${SMALL_BYTES[zstd-chunked]}" "zstd:chunked image bytes" "$ZIMG_BYTES" fmt_bytes "<= 0.01"
    cmp_row "registry" "bytes fetched: the same file after the base's pass (index cached)" "imgmount gzip" "${SMALL_BYTES[gzip]}" "gzip image bytes" "$IMG_BYTES" fmt_bytes
    NOTES+=("registry: docker-registry on 127.0.0.1 (plain HTTP, loopback), storage in the scratch dir; bytes are the body bytes fault_proxy.py sent (it reads each upstream body whole before sending any of it, so a blob GET still streaming counts 0 until it ends); \`ls MNT\` lists the root, which needs every layer indexed (the base's whole pass), \`stat MNT/\` does not")
  else
    row "registry" "skipped: the registry or the proxy did not start (see $LOG)" "" "" "" "" "" "" ""
  fi
  stop_servers
fi

}

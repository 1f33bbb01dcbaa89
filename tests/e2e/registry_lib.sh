# Shared by the registry tests (sourced after lib.sh): free loopback ports and Debian's
# docker-registry (distribution 2.8) started on one with a temporary config, its pid added to
# SERVER_PIDS so that lib.sh's EXIT trap stops it even when the test fails.

# free_port: prints a TCP port free on 127.0.0.1 right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry [STORE [HTTP_EXTRA [TOP_EXTRA]]]: serves $WORK/STORE (default "registry") on a
# free loopback port and sets REGISTRY=127.0.0.1:PORT and REGISTRY_PID. HTTP_EXTRA is added to
# the http: map (", tls: {...}"), TOP_EXTRA as top-level YAML lines (an auth: section). Up once
# /v2/ answers anything over HTTP or HTTPS (401 included); $READY_CLIENT_CERT/_KEY, when set,
# are the client certificate that check presents.
start_registry() {
  local store=${1:-registry} http_extra=${2:-} top_extra=${3:-} attempt port i
  for attempt in 1 2 3; do
    port=$(free_port)
    cat > "$WORK/$store.yml" << YML
version: 0.1
storage: {filesystem: {rootdirectory: $WORK/$store}}
http: {addr: 127.0.0.1:$port$http_extra}
log: {level: error}
$top_extra
YML
    docker-registry serve "$WORK/$store.yml" > "$WORK/$store.log" 2>&1 &
    REGISTRY_PID=$!
    SERVER_PIDS+=("$REGISTRY_PID")
    for i in $(seq 1 100); do
      if python3 - "$port" << 'PY' 2> /dev/null; then
import os, ssl, sys, urllib.error, urllib.request
context = ssl._create_unverified_context()
if os.environ.get("READY_CLIENT_CERT"):  # a registry that asks for a client certificate
    context.load_cert_chain(os.environ["READY_CLIENT_CERT"], os.environ["READY_CLIENT_KEY"])
for scheme in ("http", "https"):
    try:
        urllib.request.urlopen("%s://127.0.0.1:%s/v2/" % (scheme, sys.argv[1]), timeout=1,
                               context=context if scheme == "https" else None)
        sys.exit(0)
    except urllib.error.HTTPError as e:
        if e.code != 400:
            sys.exit(0)
    except Exception:
        pass
sys.exit(1)
PY
        REGISTRY=127.0.0.1:$port
        return 0
      fi
      kill -0 "$REGISTRY_PID" 2> /dev/null || break
      sleep 0.05
    done
    kill "$REGISTRY_PID" 2> /dev/null || true
  done
  say "FAIL: the registry did not start: $(head -c 600 "$WORK/$store.log")"
  exit 1
}

# wait_for_file PATH: waits up to 5 s for a server to write PATH (its port).
wait_for_file() {
  local i
  for i in $(seq 1 100); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
  say "FAIL: $1 was not written"
  exit 1
}

# start_proxy [PORT]: tests/tools/fault_proxy.py in front of $REGISTRY (PROXY=127.0.0.1:PORT),
# logging to $WORK/proxy.log; PORT reuses a port (a restart after stop_proxy).
start_proxy() {
  rm -f "$WORK/proxy.port"
  python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/fault_proxy.py" "$WORK/proxy.port" "$REGISTRY" \
    "$WORK/proxy.log" "${1:-0}" 2> "$WORK/proxy.err" &
  PROXY_PID=$!
  SERVER_PIDS+=("$PROXY_PID")
  local i
  for i in $(seq 1 100); do
    [ -s "$WORK/proxy.port" ] && { PROXY=127.0.0.1:$(cat "$WORK/proxy.port"); return 0; }
    sleep 0.05
  done
  say "FAIL: the fault proxy did not start: $(cat "$WORK/proxy.err")"
  exit 1
}

stop_proxy() {
  kill "$PROXY_PID" 2> /dev/null || true
  wait "$PROXY_PID" 2> /dev/null || true
}

# proxy_mode MODE: switches the proxy's fault (fault_proxy.py lists them).
proxy_mode() { python3 -c 'import sys,urllib.request; urllib.request.urlopen("http://%s/_proxy/%s" % (sys.argv[1], sys.argv[2]), timeout=5).read()' "$PROXY" "$1"; }

# blob_requests [DIGEST]: GETs of blobs (of DIGEST) the proxy has logged so far.
blob_requests() { grep -c "^GET /v2/.*/blobs/${1:-}" "$WORK/proxy.log" 2> /dev/null || true; }

# push_raw OCI_DIR REPO:TAG: pushes an oci-dir image's manifest and blobs as they are, with the
# distribution API (skopeo would compress uncompressed layers and may reuse other blobs).
push_raw() {
  python3 - "$1" "$REGISTRY" "$2" << 'PY'
import json, os, sys, urllib.request
src, registry, ref = sys.argv[1:]
repo, tag = ref.rsplit(":", 1)
index = json.load(open(os.path.join(src, "index.json")))
desc = index["manifests"][0]
def blob(digest):
    return open(os.path.join(src, "blobs", *digest.split(":")), "rb").read()
manifest = blob(desc["digest"])
for d in [json.loads(manifest)["config"]] + json.loads(manifest)["layers"]:
    base = "http://%s/v2/%s/blobs/uploads/" % (registry, repo)
    loc = urllib.request.urlopen(urllib.request.Request(base, method="POST")).headers["Location"]
    if loc.startswith("/"):
        loc = "http://" + registry + loc
    sep = "&" if "?" in loc else "?"
    urllib.request.urlopen(urllib.request.Request(loc + sep + "digest=" + d["digest"],
        data=blob(d["digest"]), method="PUT",
        headers={"Content-Type": "application/octet-stream"})).read()
urllib.request.urlopen(urllib.request.Request(
    "http://%s/v2/%s/manifests/%s" % (registry, repo, tag), data=manifest, method="PUT",
    headers={"Content-Type": desc["mediaType"]})).read()
PY
}

#!/usr/bin/env bash
# Registry auth, TLS, redirects and Retry-After (issue 17): Debian's docker-registry on
# 127.0.0.1 behind TLS (a CA made here with openssl) and htpasswd, then with the Bearer token
# flow (tests/tools/token_server.py), then plain behind tests/tools/registry_front.py (Basic
# auth, blob GETs redirected to another port, a 429 with Retry-After). Checked against skopeo
# reading the same registry; every output is searched for the password and the tokens.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"

command -v docker-registry > /dev/null || { say "SKIP: docker-registry is not installed"; exit 0; }
command -v htpasswd > /dev/null || { say "SKIP: htpasswd (apache2-utils) is not installed"; exit 0; }
TOOLS=$(cd "$(dirname "$0")/../tools" && pwd)
PASSWORD=Pw-$RANDOM-s3cret-$RANDOM
USERPASS=tester:$PASSWORD
# No credentials of the machine's user are read: a HOME of the test's own, no XDG dirs.
export HOME=$WORK/nohome
unset XDG_RUNTIME_DIR XDG_CONFIG_HOME REGISTRY_AUTH_FILE
# Every stdout and stderr of imgmount is kept here and searched for secrets at the end.
ALL="$WORK/all-output"
: > "$ALL"

# run CODE WHAT COMMAND...: expect_exit, keeping the outputs for the secret check.
run() {
  expect_exit "$@"
  cat "$WORK/out.txt" "$WORK/err.txt" >> "$ALL"
}
# err_has PATTERN: the last command's stderr matches PATTERN (grep -E).
err_has() { grep -qE -- "$1" "$WORK/err.txt" || fail "stderr lacks \"$1\": $(head -c 600 "$WORK/err.txt")"; }
same_bytes() {
  if cmp -s "$2" "$3"; then say "ok: $1 byte-identical"; else fail "$1 differs: $(cmp "$2" "$3" 2>&1)"; fi
}

# --- a. TLS and htpasswd ----------------------------------------------------------------------
mkdir -p "$WORK/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=imgmount-test-ca -keyout "$WORK/ca.key" -out "$WORK/certs/ca.crt" 2> /dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
  -keyout "$WORK/server.key" -out "$WORK/server.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$WORK/san.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/certs/ca.crt" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 2 -extfile "$WORK/san.ext" -out "$WORK/server.crt" 2> /dev/null
htpasswd -Bbn tester "$PASSWORD" > "$WORK/htpasswd"
start_registry store ", tls: {certificate: $WORK/server.crt, key: $WORK/server.key}" \
  "auth: {htpasswd: {realm: imgmount-test, path: $WORK/htpasswd}}"
TLS=$REGISTRY
say "TLS registry on $TLS"

"$FIXTURE" sample oci-dir gzip "$WORK/sample" > /dev/null
tag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$WORK/sample/index.json")
for repo in public/sample private/sample; do
  skopeo copy -q --dest-cert-dir "$WORK/certs" --dest-creds "$USERPASS" \
    "oci:$WORK/sample:$tag" "docker://$TLS/$repo:1"
done
IMG=docker://$TLS/private/sample:1
skopeo inspect --raw --cert-dir "$WORK/certs" --creds "$USERPASS" "$IMG" > "$WORK/manifest.skopeo"
skopeo inspect --config --raw --cert-dir "$WORK/certs" --creds "$USERPASS" "$IMG" > "$WORK/config.skopeo"

run 6 "a certificate of an unknown CA" "$IMGMOUNT" manifest --creds "$USERPASS" "$IMG"
err_has "TLS error: the certificate of registry $TLS does not verify"
run 0 "--cert-dir with the CA" "$IMGMOUNT" manifest --cert-dir "$WORK/certs" --creds "$USERPASS" "$IMG"
same_bytes "manifest over TLS with --cert-dir" "$WORK/manifest.skopeo" "$WORK/out.txt"
run 0 "--tls-verify=false" "$IMGMOUNT" config --tls-verify=false --creds "$USERPASS" "$IMG"
same_bytes "config with --tls-verify=false" "$WORK/config.skopeo" "$WORK/out.txt"
run 8 "no credentials" "$IMGMOUNT" manifest --cert-dir "$WORK/certs" "$IMG"
err_has "unauthorized: registry $TLS refuses access to repository \"private/sample\".*no credentials for $TLS"
run 8 "wrong credentials" "$IMGMOUNT" manifest --cert-dir "$WORK/certs" --creds tester:wrong "$IMG"
err_has "unauthorized: .*the credentials from --creds were refused"
# --creds USER asks the password on the terminal (a pty here, answered once the prompt shows),
# and says so when there is no terminal (setsid: no controlling terminal).
run 2 "--creds USER without a terminal" setsid -w "$IMGMOUNT" manifest --cert-dir "$WORK/certs" --creds tester "$IMG"
err_has "no terminal to ask it on"
code=0
python3 - "$PASSWORD" "$IMGMOUNT" manifest --cert-dir "$WORK/certs" --creds tester "$IMG" > "$WORK/pty.txt" <<'PY' || code=$?
import os, pty, sys
password, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b""
while b"Password for tester: " not in out:
    chunk = os.read(fd, 4096)
    if not chunk:
        break
    out += chunk
os.write(fd, password.encode() + b"\n")
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
cat "$WORK/pty.txt" >> "$ALL"
python3 -c 'import json,sys; t=open(sys.argv[1]).read(); json.loads(t[t.index("{"):])' "$WORK/pty.txt" &&
  [ "$code" -eq 0 ] && say "ok: --creds USER asked the password on the terminal, not echoed" ||
  fail "--creds USER on a terminal: exit $code: $(head -c 400 "$WORK/pty.txt")"
# Without --cert-dir, /etc/containers/certs.d/HOST:PORT is read (skopeo's and docker's default).
CERTS_D=/etc/containers/certs.d/$TLS
OUTSIDE_PATHS+=("$CERTS_D")
mkdir -p "$CERTS_D" && cp "$WORK/certs/ca.crt" "$CERTS_D/"
run 0 "the CA from /etc/containers/certs.d/$TLS" "$IMGMOUNT" manifest --creds "$USERPASS" "$IMG"
same_bytes "manifest with certs.d" "$WORK/manifest.skopeo" "$WORK/out.txt"
rm -rf "$CERTS_D"

# The auth files, each alone, with a HOME and XDG dirs of the test's own.
auth_json() { printf '{"auths":{"%s":{"auth":"%s"}}}' "$1" "$(printf %s "$2" | base64 -w0)"; }
mkdir -p "$WORK/home/.docker" "$WORK/run/containers" "$WORK/home/.config/containers"
auth_json "$TLS" "$USERPASS" > "$WORK/override.json"
auth_env=(env -u REGISTRY_AUTH_FILE -u XDG_CONFIG_HOME HOME="$WORK/home" XDG_RUNTIME_DIR="$WORK/run")
run 0 "REGISTRY_AUTH_FILE" "${auth_env[@]}" REGISTRY_AUTH_FILE="$WORK/override.json" \
  "$IMGMOUNT" manifest --cert-dir "$WORK/certs" "$IMG"
run 0 "--authfile" "${auth_env[@]}" "$IMGMOUNT" manifest --cert-dir "$WORK/certs" \
  --authfile "$WORK/override.json" "$IMG"
auth_json "$TLS/private" "$USERPASS" > "$WORK/run/containers/auth.json"
run 0 "\$XDG_RUNTIME_DIR/containers/auth.json (a repository-prefix key)" "${auth_env[@]}" \
  "$IMGMOUNT" manifest --cert-dir "$WORK/certs" "$IMG"
rm "$WORK/run/containers/auth.json"
auth_json "$TLS" "$USERPASS" > "$WORK/home/.config/containers/auth.json"
run 0 "~/.config/containers/auth.json" "${auth_env[@]}" \
  "$IMGMOUNT" manifest --cert-dir "$WORK/certs" "$IMG"
rm "$WORK/home/.config/containers/auth.json"
auth_json "https://$TLS/v1/" "$USERPASS" > "$WORK/home/.docker/config.json"
run 0 "~/.docker/config.json (a legacy https://HOST/v1/ key)" "${auth_env[@]}" \
  "$IMGMOUNT" manifest --cert-dir "$WORK/certs" "$IMG"
same_bytes "manifest with ~/.docker/config.json" "$WORK/manifest.skopeo" "$WORK/out.txt"
printf '{"credHelpers":{"%s":"secretservice"}}' "$TLS" > "$WORK/home/.docker/config.json"
run 8 "a credential helper" "${auth_env[@]}" "$IMGMOUNT" manifest --cert-dir "$WORK/certs" "$IMG"
err_has "docker-credential-secretservice .* is not supported"
run 0 "inspect --json with credentials" "$IMGMOUNT" inspect --json --cert-dir "$WORK/certs" \
  --creds "$USERPASS" "$IMG"
kill "$REGISTRY_PID"

# --- a2. a registry that asks for a client certificate (NAME.cert + NAME.key of --cert-dir) ----
mkdir -p "$WORK/client-certs"
cp "$WORK/certs/ca.crt" "$WORK/client-certs/"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=imgmount-client \
  -keyout "$WORK/client-certs/client.key" -out "$WORK/client.csr" 2> /dev/null
printf 'extendedKeyUsage=clientAuth\n' > "$WORK/client.ext"
openssl x509 -req -in "$WORK/client.csr" -CA "$WORK/certs/ca.crt" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 2 -extfile "$WORK/client.ext" -out "$WORK/client-certs/client.cert" 2> /dev/null
READY_CLIENT_CERT=$WORK/client-certs/client.cert READY_CLIENT_KEY=$WORK/client-certs/client.key \
  start_registry mtls-store \
  ", tls: {certificate: $WORK/server.crt, key: $WORK/server.key, clientcas: [$WORK/certs/ca.crt]}"
MTLS=$REGISTRY
skopeo copy -q --dest-cert-dir "$WORK/client-certs" "oci:$WORK/sample:$tag" "docker://$MTLS/sample:1"
skopeo inspect --raw --cert-dir "$WORK/client-certs" "docker://$MTLS/sample:1" > "$WORK/manifest-mtls.skopeo"
run 6 "no client certificate for a registry that asks for one" "$IMGMOUNT" manifest \
  --cert-dir "$WORK/certs" "docker://$MTLS/sample:1"
err_has "TLS error: registry $MTLS ended the TLS session with an alert.*client certificate"
run 0 "the client certificate of --cert-dir" "$IMGMOUNT" manifest --cert-dir "$WORK/client-certs" \
  "docker://$MTLS/sample:1"
same_bytes "manifest with a client certificate" "$WORK/manifest-mtls.skopeo" "$WORK/out.txt"
kill "$REGISTRY_PID"

# --- b. the Bearer token flow ------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=imgmount-token-signer \
  -keyout "$WORK/token.key" -out "$WORK/token.crt" 2> /dev/null
mkdir -p "$WORK/control"
python3 "$TOOLS/token_server.py" "$WORK/token.key" "$WORK/token.crt" "$WORK/token.port" \
  "$WORK/token.log" "$USERPASS" "$WORK/control" 2> "$WORK/token.err" &
SERVER_PIDS+=("$!")
wait_for_file "$WORK/token.port"
REALM=http://127.0.0.1:$(cat "$WORK/token.port")/token
start_registry store "" "auth: {token: {realm: \"$REALM\", service: imgmount-test, issuer: imgmount-test-issuer, rootcertbundle: $WORK/token.crt}}"
BEARER=$REGISTRY
say "Bearer registry on $BEARER, tokens from $REALM"
token_requests() { if [ -f "$WORK/token.log" ]; then wc -l < "$WORK/token.log"; else echo 0; fi; }

before=$(token_requests)
run 0 "anonymous pull of a public repository" "$IMGMOUNT" config "docker://$BEARER/public/sample:1"
same_bytes "config through the token flow" "$WORK/config.skopeo" "$WORK/out.txt"
got=$(($(token_requests) - before))
# One token for the manifest, the config's HEAD and its GET: fetched once, then reused.
if [ "$got" -eq 1 ]; then say "ok: one token for the whole run (reused)"; else fail "$got token requests for one run, expected 1"; fi
tail -1 "$WORK/token.log" | grep -q '"credentials": false' || fail "the anonymous token request carried credentials"
run 8 "a private repository without credentials" "$IMGMOUNT" manifest "docker://$BEARER/private/sample:1"
err_has "unauthorized: registry $BEARER refuses access to repository \"private/sample\""
run 0 "a private repository with --creds" "$IMGMOUNT" manifest --creds "$USERPASS" "docker://$BEARER/private/sample:1"
same_bytes "private manifest through the token flow" "$WORK/manifest.skopeo" "$WORK/out.txt"
tail -1 "$WORK/token.log" | grep -q '"right": true' || fail "the token request lacked the credentials"
run 8 "a token server refusing wrong credentials" "$IMGMOUNT" manifest --creds tester:nope "docker://$BEARER/private/sample:1"
err_has "the token server $REALM refused the credentials from --creds"
touch "$WORK/control/stale"
before=$(token_requests)
run 0 "an expired token is replaced" "$IMGMOUNT" config "docker://$BEARER/public/sample:1"
got=$(($(token_requests) - before))
grep -q '"stale": true' "$WORK/token.log" || fail "the token server issued no stale token"
if [ "$got" -eq 2 ]; then say "ok: the refused token was fetched again once"; else fail "$got token requests, expected 2 (stale, then fresh)"; fi
kill "$REGISTRY_PID"

# --- c. redirects to another origin, Retry-After ------------------------------------------------
start_registry store
python3 "$TOOLS/registry_front.py" "$REGISTRY" "$WORK/front.port" "$WORK/front.log" \
  "$USERPASS" "$WORK/control" 2> "$WORK/front.err" &
SERVER_PIDS+=("$!")
wait_for_file "$WORK/front.port"
read -r front_port storage_port < "$WORK/front.port" || true
FRONT=127.0.0.1:$front_port
run 0 "config through a redirect to another port" "$IMGMOUNT" config --creds "$USERPASS" \
  "docker://$FRONT/private/sample:1"
same_bytes "config fetched through two redirects" "$WORK/config.skopeo" "$WORK/out.txt"
python_agrees "Authorization on the redirects" "the front's log" - "$WORK/front.log" << 'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
storage = [r for r in log if r["server"] == "storage"]
hops = [r for r in log if r["server"] == "front" and r["path"].startswith("/hop/")]
problems = []
if not storage:
    problems.append("no request reached the storage origin")
if any(r["authorization"] for r in storage):
    problems.append("Authorization reached the storage origin")
if not hops or not all(r["authorization"] for r in hops):
    problems.append("the same-origin hop lacked Authorization")
print("\n".join(problems) or f"{len(storage)} storage requests without Authorization")
sys.exit(1 if problems else 0)
PY
touch "$WORK/control/throttle"
: > "$WORK/front.log"
run 0 "a 429 with Retry-After" "$IMGMOUNT" manifest --creds "$USERPASS" "docker://$FRONT/private/sample:1"
same_bytes "manifest after a 429" "$WORK/manifest.skopeo" "$WORK/out.txt"
python_agrees "the retry after a 429" "the front's log" - "$WORK/front.log" << 'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
manifests = [r for r in log if "/manifests/" in r["path"] and r["authorization"]]
statuses = [r["status"] for r in manifests]
ok = statuses[:1] == [429] and 200 in statuses[1:]
gap = manifests[1]["time"] - manifests[0]["time"] if len(manifests) > 1 else 0
print(f"statuses {statuses}, retried after {gap:.2f} s")
sys.exit(0 if ok else 1)
PY

# --- the secrets appear nowhere -------------------------------------------------------------------
tokens=$(python3 -c 'import sys; print(open(sys.argv[1]).read().count("eyJ"))' "$ALL")
if grep -qF -- "$PASSWORD" "$ALL"; then fail "the password appears in imgmount's output"; else say "ok: the password appears in no output"; fi
if grep -qF -- "$(printf %s "$USERPASS" | base64 -w0)" "$ALL"; then fail "the base64 credentials appear in imgmount's output"; fi
[ "$tokens" -eq 0 ] || fail "a JWT appears in imgmount's output"
finish

#!/usr/bin/env python3
"""A Bearer token server for the registry tests (the distribution spec's token flow).

    token_server.py KEY CERT PORTFILE LOG USER:PASSWORD [CONTROLDIR]

Serves GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] on a free 127.0.0.1 port
(written to PORTFILE once listening). Repositories under "public/" may be pulled anonymously;
everything else, and every push, needs the one user's Basic credentials; a wrong password is
refused with 401. The token is a JWT signed RS256 by KEY (openssl dgst), its certificate CERT
carried in the header's x5c so that the registry verifies it against its rootcertbundle.
Each request is appended to LOG as one JSON line (scope, whether credentials came, whether
they were right; never the credentials). A file CONTROLDIR/stale makes the next token one that
expired a minute ago (still announced with expires_in 300), and is then removed.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

KEY, CERT, PORTFILE, LOG, USERPASS = sys.argv[1:6]
CONTROL = sys.argv[6] if len(sys.argv) > 6 else None
ISSUER = "imgmount-test-issuer"
LOCK = threading.Lock()
SERIAL = [0]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def sign(message):
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=message,
                         capture_output=True, check=True)
    return out.stdout


def make_token(service, access, stale):
    now = int(time.time())
    SERIAL[0] += 1
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(cert_der()).decode()]}
    claims = {"iss": ISSUER, "sub": "test", "aud": service, "iat": now - 5,
              "nbf": now - 120 if stale else now - 5, "exp": now - 60 if stale else now + 300,
              "jti": "t%d" % SERIAL[0], "access": access}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    return signing_input.decode() + "." + b64url(sign(signing_input))


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        credentials = auth.startswith("Basic ")
        right = credentials and base64.b64decode(auth[6:]).decode() == USERPASS
        record = {"path": url.path, "scope": query.get("scope", []), "credentials": credentials,
                  "right": right}
        if credentials and not right:
            self.answer(401, {"errors": [{"code": "UNAUTHORIZED"}]}, record)
            return
        access = []
        for scope in query.get("scope", []):
            parts = scope.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            wanted = parts[2].split(",")
            granted = [a for a in wanted
                       if right or (a == "pull" and parts[1].startswith("public/"))]
            access.append({"type": "repository", "name": parts[1], "actions": granted})
        with LOCK:
            stale = CONTROL is not None and os.path.exists(os.path.join(CONTROL, "stale"))
            if stale:
                os.remove(os.path.join(CONTROL, "stale"))
            token = make_token(query.get("service", [""])[0], access, stale)
        record["stale"] = stale
        self.answer(200, {"token": token, "expires_in": 300}, record)

    def answer(self, status, body, record):
        with LOCK, open(LOG, "a") as log:
            log.write(json.dumps(record) + "\n")
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()

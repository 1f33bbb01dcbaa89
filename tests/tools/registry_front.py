#!/usr/bin/env python3
"""A front for a plain registry, for the transport tests of the registry client.

    registry_front.py UPSTREAM PORTFILE LOG USER:PASSWORD CONTROLDIR

Listens on two free 127.0.0.1 ports, written to PORTFILE as "FRONT STORAGE" once listening.
FRONT demands Basic credentials (USER:PASSWORD) for /v2/ requests, proxies them to UPSTREAM
(host:port, plain HTTP), and answers blob requests with a relative 307 to /hop/<path> on
itself, which answers with a 307 to the same path on STORAGE: another origin (another port),
as registries redirect blob GETs to object storage. STORAGE serves blobs by proxying to
UPSTREAM and records whether an Authorization header reached it (it must not). A file
CONTROLDIR/throttle makes FRONT answer the next manifest request 429 with Retry-After: 1 (and
is then removed). Every request is appended to LOG as a JSON line: which server, method,
path, status, whether Authorization came, the time.
"""
import base64
import http.server
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

UPSTREAM, PORTFILE, LOG, USERPASS, CONTROL = sys.argv[1:6]
LOCK = threading.Lock()
PORTS = {}


def log(record):
    with LOCK, open(LOG, "a") as f:
        f.write(json.dumps(record) + "\n")


class Base(http.server.BaseHTTPRequestHandler):
    role = ""

    def log_message(self, *args):
        pass

    def record(self, status):
        log({"server": self.role, "method": self.command, "path": self.path, "status": status,
             "authorization": "Authorization" in self.headers, "time": time.time()})

    def send(self, status, headers=(), body=b""):
        self.record(status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def proxy(self, path):
        request = urllib.request.Request("http://" + UPSTREAM + path, method=self.command)
        for name in ("Accept", "Range"):
            if name in self.headers:
                request.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, headers, body = answer.status, answer.getheaders(), answer.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers.items(), e.read()
        keep = [(n, v) for n, v in headers
                if n.lower() in ("content-type", "content-length", "docker-content-digest",
                                 "content-range")]
        self.send(status, keep, body)



class Front(Base):
    role = "front"

    def handle_any(self):
        expected = "Basic " + base64.b64encode(USERPASS.encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send(401, [("WWW-Authenticate", 'Basic realm="front, for tests"')])
            return
        if self.path.startswith("/hop/"):
            where = "http://127.0.0.1:%d%s" % (PORTS["storage"], self.path[4:])
            self.send(307, [("Location", where)])
            return
        if "/blobs/" in self.path:
            self.send(307, [("Location", "/hop" + self.path)])
            return
        throttle = os.path.join(CONTROL, "throttle")
        if "/manifests/" in self.path and os.path.exists(throttle):
            os.remove(throttle)
            self.send(429, [("Retry-After", "1")])
            return
        self.proxy(self.path)

    do_GET = handle_any
    do_HEAD = handle_any


class Storage(Base):
    role = "storage"

    def handle_any(self):
        self.proxy(self.path)

    do_GET = handle_any
    do_HEAD = handle_any


servers = {"front": http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front),
           "storage": http.server.ThreadingHTTPServer(("127.0.0.1", 0), Storage)}
for name, server in servers.items():
    PORTS[name] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d %d" % (PORTS["front"], PORTS["storage"]))
os.rename(PORTFILE + ".tmp", PORTFILE)
threading.Event().wait()

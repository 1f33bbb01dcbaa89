#!/usr/bin/env python3
"""A forwarding HTTP proxy in front of a registry that injects faults, for the e2e tests.

usage: fault_proxy.py PORT_FILE UPSTREAM LOG [PORT]

Listens on 127.0.0.1 (PORT, else a free port, written to PORT_FILE once listening), forwards
every request to UPSTREAM (HOST:PORT) and appends one line per request to LOG:
"METHOD PATH RANGE STATUS BYTES" (RANGE "-" when none, BYTES the body bytes sent).

The test switches the mode with GET /_proxy/MODE (not logged):
  pass             forward unchanged
  500:N            answer the next N requests with 500
  truncate         send half of every blob body, then close the connection
  fullbody         forward blob requests without their Range header (the whole blob, 200)
  flip:DIGEST      flip one byte in every KiB of every body of blob DIGEST
  fullflip:DIGEST  both: blob requests without their Range header, and DIGEST's bytes flipped
"""
import http.client
import http.server
import socketserver
import sys
import threading

LOCK = threading.Lock()
STATE = {"mode": "pass", "count": 0}


def log(path, line):
    with LOCK:
        with open(path, "a") as f:
            f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.forward()

    def do_HEAD(self):
        self.forward()

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self):
        if self.path.startswith("/_proxy/"):
            mode = self.path[len("/_proxy/"):]
            with LOCK:
                if mode.startswith("500:"):
                    STATE["mode"], STATE["count"] = "500", int(mode[4:])
                else:
                    STATE["mode"] = mode
            self.reply(200, b"ok\n")
            return
        rng = self.headers.get("Range", "-")
        is_blob = "/blobs/" in self.path
        with LOCK:
            mode = STATE["mode"]
            if mode == "500":
                STATE["count"] -= 1
                if STATE["count"] <= 0:
                    STATE["mode"] = "pass"
        if mode == "500":
            log(LOG, f"{self.command} {self.path} {rng} 500 0")
            self.reply(500, b'{"errors":[{"code":"UNKNOWN"}]}')
            return
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection")}
        if (mode == "fullbody" or mode.startswith("fullflip:")) and is_blob:
            headers.pop("Range", None)
        upstream = http.client.HTTPConnection(UPSTREAM, timeout=30)
        try:
            upstream.request(self.command, self.path, headers=headers)
            answer = upstream.getresponse()
            body = answer.read() if self.command != "HEAD" else b""
        except OSError:
            log(LOG, f"{self.command} {self.path} {rng} 502 0")
            self.reply(502)
            return
        finally:
            upstream.close()
        flip = mode.split(":", 1)[1] if mode.startswith(("flip:", "fullflip:")) else None
        if flip and is_blob and self.path.endswith(flip) and body:
            flipped = bytearray(body)
            for i in range(len(flipped) // 2 % 1024, len(flipped), 1024):
                flipped[i] ^= 0x55
            body = bytes(flipped)
        sent = body
        if mode == "truncate" and is_blob and len(body) > 1:
            sent = body[: len(body) // 2]
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        length = answer.getheader("Content-Length") if self.command == "HEAD" else str(len(body))
        if length is not None:
            self.send_header("Content-Length", length)
        if sent is not body:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(sent)
                self.wfile.flush()
            except OSError:
                pass
        log(LOG, f"{self.command} {self.path} {rng} {answer.status} {len(sent)}")
        if sent is not body:
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    PORT_FILE, UPSTREAM, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    server = Server(("127.0.0.1", port), Handler)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()

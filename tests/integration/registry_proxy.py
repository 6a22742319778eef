#!/usr/bin/env python3
"""registry_proxy.py PORTFILE UPSTREAM [--tamper DIGEST] [--rate BYTES_PER_S] [--redirect]
                   [--auth basic|bearer] [--user USER:PASS] [--anonymous] [--cut N] [--schema1]

A tiny HTTP proxy on 127.0.0.1 (a free port, written to PORTFILE) in front of
a test registry at UPSTREAM (http://127.0.0.1:PORT), for the registry tests:
  --tamper DIGEST   flips one byte in the body of GET .../blobs/DIGEST
  --rate N          sends response bodies at about N bytes a second
  --redirect        answers GET .../blobs/... with a 307 to itself, named
                    "localhost" instead of 127.0.0.1 (another host to a
                    client), under /storage/..., like a registry sending
                    clients to blob storage; requests for /storage/ that
                    carry an Authorization header are refused with 400
  --cut N           closes the connection after N bytes of the first blob
                    body it sends (a transfer that breaks once)
  --schema1         answers GET/HEAD .../manifests/... with a docker schema 1
                    signed manifest, as very old registries still do
  --auth basic      requires USER:PASS (--user) as basic auth on /v2/
  --auth bearer     requires a bearer token from its own token server at
                    /token, which hands out tokens for the scopes asked
                    (to USER:PASS, or to anyone with --anonymous: pull only);
                    a token is checked against the repository and action
Every request line is appended to PORTFILE.log (with "auth" when it carried
an Authorization header).
"""
import argparse
import base64
import json
import re
import http.client
import http.server
import sys
import time
import urllib.parse

args = None
cut_done = False


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def basic_ok(self):
        return args.user and self.headers.get("Authorization") == "Basic " + base64.b64encode(args.user.encode()).decode()

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        scopes = q.get("scope", [])
        if self.headers.get("Authorization"):
            if not self.basic_ok():
                return self.reply(401, b'{"details":"bad credentials"}')
        elif not args.anonymous:
            return self.reply(401, b'{"details":"credentials required"}')
        else:
            scopes = [re.sub(r":[a-z,*]+$", ":pull", s) if "pull" in s else "" for s in scopes]
        tok = base64.urlsafe_b64encode(json.dumps(scopes).encode()).decode()
        self.reply(200, json.dumps({"token": tok}).encode(), [("Content-Type", "application/json")])

    def authorized(self, path):
        """None when the request may pass, else the challenge to answer 401 with."""
        m = re.match(r"^/v2/(.+?)/(manifests|blobs|tags)/", path)
        if args.auth == "basic":
            return None if self.basic_ok() else 'Basic realm="ctr-proxy"'
        action = "pull" if self.command in ("GET", "HEAD") else "push"
        scope = "repository:%s:%s" % (m.group(1), action) if m else ""
        host = self.headers.get("Host")
        challenge = 'Bearer realm="http://%s/token",service="ctr-proxy"' % host
        if scope:
            challenge += ',scope="%s"' % scope
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return challenge
        try:
            granted = json.loads(base64.urlsafe_b64decode(auth[7:]))
        except Exception:
            return challenge
        if not scope:
            return None
        for g in granted:
            parts = g.rsplit(":", 1)
            if len(parts) == 2 and parts[0] == scope.rsplit(":", 1)[0] and action in parts[1].split(","):
                return None
        return challenge + ',error="insufficient_scope"'

    def handle_any(self):
        with open(args.portfile + ".log", "a") as log:
            log.write("%s %s%s%s\n" % (self.command, self.path, " auth" if self.headers.get("Authorization") else "",
                                        " range=" + self.headers["Range"] if self.headers.get("Range") else ""))
        path = self.path
        if path.startswith("/token"):
            return self.token()
        if path.startswith("/storage/"):
            if self.headers.get("Authorization"):
                return self.reply(400, b"credentials sent to blob storage")
            path = path[len("/storage"):]
        else:
            if args.auth:
                challenge = self.authorized(path)
                if challenge:
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                      [("WWW-Authenticate", challenge), ("Content-Type", "application/json")])
            if args.schema1 and self.command in ("GET", "HEAD") and "/manifests/" in path:
                name = re.match(r"^/v2/(.+?)/manifests/", path).group(1)
                doc = {"schemaVersion": 1, "name": name, "tag": path.rsplit("/", 1)[1], "architecture": "amd64",
                       "fsLayers": [], "history": [], "signatures": []}
                return self.reply(200, json.dumps(doc).encode(),
                                  [("Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws")])
            if args.redirect and self.command == "GET" and "/blobs/sha256:" in path:
                port = self.server.server_address[1]
                return self.reply(307, b"", [("Location", "http://localhost:%d/storage%s" % (port, path))])

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        up = urllib.parse.urlsplit(args.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "authorization")}
        conn.request(self.command, path, body=body, headers=headers)
        resp = conn.getresponse()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding"):
                continue
            if k.lower() == "location" and v.startswith(args.upstream):
                v = v[len(args.upstream):]
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        tamper = args.tamper and self.command == "GET" and path.endswith("/blobs/" + args.tamper)
        cut = None
        global cut_done
        if args.cut and not cut_done and self.command == "GET" and "/blobs/sha256:" in path and resp.status == 200:
            cut = args.cut
        sent = 0
        first = True
        while True:
            chunk = resp.read(16384 if not args.rate else max(1, args.rate // 20))
            if not chunk:
                break
            if tamper and first:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            first = False
            if cut is not None and sent + len(chunk) >= cut and not cut_done:
                cut_done = True
                self.wfile.write(chunk[:cut - sent])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                break
            sent += len(chunk)
            self.wfile.write(chunk)
            self.wfile.flush()
            if args.rate:
                time.sleep(0.05)
        conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("portfile")
    ap.add_argument("upstream")
    ap.add_argument("--tamper")
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--redirect", action="store_true")
    ap.add_argument("--auth", choices=["basic", "bearer"])
    ap.add_argument("--user")
    ap.add_argument("--anonymous", action="store_true")
    ap.add_argument("--cut", type=int, default=0)
    ap.add_argument("--schema1", action="store_true")
    args = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    with open(args.portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(args.portfile + ".tmp", args.portfile)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

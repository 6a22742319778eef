#!/usr/bin/env python3
"""registry_proxy.py PORTFILE UPSTREAM [--tamper DIGEST] [--rate BYTES_PER_S] [--redirect]

A tiny HTTP proxy on 127.0.0.1 (a free port, written to PORTFILE) in front of
a test registry at UPSTREAM (http://127.0.0.1:PORT), for the registry tests:
  --tamper DIGEST   flips one byte in the body of GET .../blobs/DIGEST
  --rate N          sends response bodies at about N bytes a second
  --redirect        answers GET .../blobs/... with a 307 to itself under
                    /storage/..., like a registry sending clients to blob
                    storage; requests for /storage/ that carry an
                    Authorization header are refused with 400
Every request line is appended to PORTFILE.log (with "auth" when it carried
an Authorization header).
"""
import argparse
import http.client
import http.server
import sys
import time
import urllib.parse

args = None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        with open(args.portfile + ".log", "a") as log:
            log.write("%s %s%s\n" % (self.command, self.path, " auth" if self.headers.get("Authorization") else ""))
        path = self.path
        if path.startswith("/storage/"):
            if self.headers.get("Authorization"):
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = path[len("/storage"):]
        elif args.redirect and self.command == "GET" and "/blobs/sha256:" in path:
            self.send_response(307)
            self.send_header("Location", "/storage" + path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        up = urllib.parse.urlsplit(args.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
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
        first = True
        while True:
            chunk = resp.read(16384 if not args.rate else max(1, args.rate // 20))
            if not chunk:
                break
            if tamper and first:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            first = False
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

#!/usr/bin/env python3
"""A local stand-in for the Hugging Face Hub, for clip-tui's fetch-model tests (stdlib only).

  python3 hub_server.py --root DIR --repo ORG/NAME [--token T] [--drop-after N] [--corrupt FILE] [--log FILE]

Serves the files of DIR as the Hub serves a model repository: the listing at
/api/models/ORG/NAME/revision/REV?blobs=true (commit id, sizes, git blob ids, LFS SHA-256 for
*.safetensors) and the files at /ORG/NAME/resolve/REV/FILE, LFS files through a redirect to
/cdn/SHA256 as the real Hub does, with Range requests. Binds to 127.0.0.1 only and prints
"PORT n" when ready. Faults: --drop-after N closes the connection after N bytes of the first
request for each LFS file; --corrupt FILE serves FILE with one byte changed (its listed hash
stays the true one). Every request is logged as "METHOD PATH RANGE" to --log.
"""
import argparse, hashlib, http.server, json, os, socketserver, sys, threading

a = argparse.ArgumentParser()
a.add_argument("--root", required=True)
a.add_argument("--repo", required=True)
a.add_argument("--token")
a.add_argument("--drop-after", type=int)
a.add_argument("--corrupt")
a.add_argument("--log")
args = a.parse_args()

files = {}
for dirpath, _, names in os.walk(args.root):
    for n in sorted(names):
        path = os.path.join(dirpath, n)
        files[os.path.relpath(path, args.root)] = open(path, "rb").read()
commit = hashlib.sha1(b"".join(hashlib.sha1(files[k]).digest() for k in sorted(files))).hexdigest()
lfs = {k: hashlib.sha256(v).hexdigest() for k, v in files.items() if k.endswith(".safetensors")}
by_sha = {v: k for k, v in lfs.items()}
dropped = set()
lock = threading.Lock()


def blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def listing():
    siblings = []
    for k, v in sorted(files.items()):
        s = {"rfilename": k, "size": len(v), "blobId": blob_id(v)}
        if k in lfs:
            s["lfs"] = {"sha256": lfs[k], "size": len(v), "pointerSize": 134}
        siblings.append(s)
    return json.dumps({"id": args.repo, "sha": commit, "siblings": siblings}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_body(self, code, body, ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        rng = self.headers.get("Range", "-")
        if args.log:
            with lock, open(args.log, "a") as f:
                f.write(f"{self.command} {self.path} {rng}\n")
        if args.token and self.headers.get("Authorization") != f"Bearer {args.token}":
            return self.send_body(401, b'{"error": "Invalid credentials"}')
        path = self.path.split("?")[0]
        api = f"/api/models/{args.repo}/revision/"
        resolve = f"/{args.repo}/resolve/"
        if path.startswith(api):
            rev = path[len(api):]
            if rev not in ("main", commit):
                return self.send_body(404, b'{"error": "Revision Not Found"}')
            return self.send_body(200, listing())
        if path.startswith(resolve):
            rev, _, name = path[len(resolve):].partition("/")
            if rev not in ("main", commit) or name not in files:
                return self.send_body(404, b'{"error": "Entry not found"}')
            if name in lfs:  # The Hub redirects LFS files to its CDN.
                self.send_response(302)
                self.send_header("Location", f"/cdn/{lfs[name]}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.send_file(name)
        if path.startswith("/cdn/") and path[5:] in by_sha:
            return self.send_file(by_sha[path[5:]])
        return self.send_body(404, b'{"error": "not found"}')

    def send_file(self, name):
        data = files[name]
        if name == args.corrupt:
            data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                return self.send_body(416, b"", extra=[("Content-Range", f"bytes */{len(data)}")])
        body = data[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with lock:
            drop = args.drop_after is not None and name in lfs and name not in dropped
            dropped.add(name)
        if drop:
            self.wfile.write(body[:args.drop_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()

"""A model hub stand-in for the `dllama pull` tests: serves files over HTTP on 127.0.0.1, with the
Range requests a resumed download sends, and the faults the tests need.

    python3 range_server.py --root DIR [--port 0] [--redirect] [--cut-first N --cut-at BYTES]
                            [--stall-at BYTES] [--corrupt OFFSET] [--log FILE]

A request for any path is answered with the file of the same base name in DIR (the query is
ignored), so the paths of the catalogue's Hugging Face URLs work unchanged behind
DLLAMA_MODEL_MIRROR. Prints "listening on 127.0.0.1:PORT" on standard error once it accepts
connections.

  --redirect        answer paths outside /cdn/ with a 302 to /cdn/NAME, as the hub redirects
                    to its CDN (a resumed download must keep its Range header across it)
  --cut-first N     close the connection abruptly in the middle of the first N file responses,
  --cut-at BYTES    after BYTES bytes of that response's body
  --stall-at BYTES  send BYTES bytes of every file response, then nothing (the connection stays
                    open until the client gives up)
  --corrupt OFFSET  serve the byte at OFFSET of every file inverted
  --log FILE        append one line per request: "GET PATH RANGE-HEADER-or-none"

Standard library only. Stopped by the test with SIGTERM.
"""
import argparse
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True)
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--redirect", action="store_true")
parser.add_argument("--cut-first", type=int, default=0)
parser.add_argument("--cut-at", type=int, default=0)
parser.add_argument("--stall-at", type=int, default=-1)
parser.add_argument("--corrupt", type=int, default=-1)
parser.add_argument("--log")
args = parser.parse_args()

lock = threading.Lock()
cuts_left = [args.cut_first]


def log(line):
    if args.log:
        with lock, open(args.log, "a") as f:
            f.write(line + "\n")


def parse_range(header, total):
    """(start, end inclusive) of a "bytes=START-" or "bytes=START-END" header; None when unsatisfiable."""
    spec = header.strip()
    if not spec.startswith("bytes=") or "," in spec:
        raise ValueError(header)
    first, _, last = spec[len("bytes="):].partition("-")
    start = int(first)
    end = int(last) if last else total - 1
    if start >= total:
        return None
    return start, min(end, total - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_GET(self):
        path = urlsplit(self.path).path
        log(f"GET {path} {self.headers.get('Range', 'none')}")
        name = os.path.basename(path)
        if args.redirect and not path.startswith("/cdn/"):
            self.send_response(302)
            self.send_header("Location", "/cdn/" + name)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        file_path = os.path.join(args.root, name)
        if not name or not os.path.isfile(file_path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return
        total = os.path.getsize(file_path)
        start, end, status = 0, total - 1, 200
        if "Range" in self.headers:
            span = parse_range(self.headers["Range"], total)
            if span is None:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{total}")
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                return
            start, end = span
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        self.send_header("Connection", "close")
        self.end_headers()
        with lock:
            cut = cuts_left[0] > 0
            if cut:
                cuts_left[0] -= 1
        limit = end - start + 1
        if cut:
            limit = min(limit, args.cut_at)
        if args.stall_at >= 0:
            limit = min(limit, args.stall_at)
        sent = 0
        with open(file_path, "rb") as f:
            f.seek(start)
            while sent < limit:
                chunk = bytearray(f.read(min(1 << 16, limit - sent)))
                if not chunk:
                    break
                offset = start + sent
                if args.corrupt >= 0 and offset <= args.corrupt < offset + len(chunk):
                    chunk[args.corrupt - offset] ^= 0xFF
                self.wfile.write(chunk)
                sent += len(chunk)
        self.wfile.flush()
        if cut:
            # An abrupt end: the client has fewer bytes than Content-Length announced.
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
            self.close_connection = True
        elif args.stall_at >= 0 and sent < end - start + 1:
            while True:
                time.sleep(3600)


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print(f"listening on 127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
server.serve_forever()

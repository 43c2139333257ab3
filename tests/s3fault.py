#!/usr/bin/env python3
"""s3fault.py UPSTREAM PORTFILE COUNTFILE - a bucket that fails: a proxy in
front of an S3 server (UPSTREAM, host:port) on 127.0.0.1 (a port the kernel
picks, written to PORTFILE) that, by a fixed pattern, answers 503 (SlowDown),
500 or 429 instead of forwarding, stalls a second before forwarding, or cuts
an upload in the middle (reads half the body, then closes). Every request
after the first 20 ($S3FAULT_AFTER) is faulted in turn: 1 in 3 of them. The number of faults
made is kept in COUNTFILE. Signatures pass through untouched (the proxy
forwards the bytes as they came). With $S3FAULT_LOG set, each request's
method and path (with its query) is appended to that file. With
$S3FAULT_DELAY (seconds) set, every request waits that long first: a slow
reader. With $S3FAULT_HOLD (a file) set, a request for a checkpoint or
piece (its path holds /objects/ or /log/) waits until that file exists: a
reader caught between reading a manifest and reading what it names."""
import http.client
import http.server
import os
import socketserver
import sys
import time

upstream, portfile, countfile = sys.argv[1], sys.argv[2], sys.argv[3]
FAULTS = ["503", "500", "429", "stall", "cut"]
state = {"n": 0, "faults": 0}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def fault(self):
        state["n"] += 1
        n = state["n"]
        if n <= int(os.environ.get("S3FAULT_AFTER", "20")) or n % 3:
            return None
        state["faults"] += 1
        with open(countfile + ".tmp", "w") as f:  # whole, for a reader at any moment
            f.write(str(state["faults"]))
        os.rename(countfile + ".tmp", countfile)
        return FAULTS[(n // 3) % len(FAULTS)]

    def handle_one(self):
        length = int(self.headers.get("Content-Length") or 0)
        if os.environ.get("S3FAULT_LOG"):
            with open(os.environ["S3FAULT_LOG"], "a") as f:
                f.write(f"{self.command} {self.path}\n")
        time.sleep(float(os.environ.get("S3FAULT_DELAY", "0")))
        hold = os.environ.get("S3FAULT_HOLD")
        while hold and ("/objects/" in self.path or "/log/" in self.path) and not os.path.exists(hold):
            time.sleep(0.02)
        f = self.fault()
        if f == "cut" and self.command == "PUT" and length > 1:
            self.rfile.read(length // 2)  # the client's upload dies halfway
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.rfile.read(length) if length else b""
        if f in ("503", "500", "429"):
            msg = b"<Error><Code>SlowDown</Code></Error>"
            self.send_response(int(f))
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        if f == "stall":
            time.sleep(1.0)
        host, port = upstream.rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {k: v for k, v in self.headers.items()}
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = handle_one


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()

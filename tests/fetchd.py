#!/usr/bin/env python3
"""fetchd.py DIR PORTFILE - the web server the http(s) import tests fetch
from: DIR's files on 127.0.0.1 (a port the kernel picks, written to
PORTFILE), plus /to-other (a redirect to another host, 127.0.0.2),
/to-same (a redirect to a file here) and /slow.metta (answers after 5 s)."""
import http.server
import os
import sys
import time

root, portfile = sys.argv[1], sys.argv[2]


class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)

    def log_message(self, *a):
        pass

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path == "/to-other":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{port}/a.metta")
            self.end_headers()
        elif self.path == "/to-same":
            self.send_response(302)
            self.send_header("Location", "/a.metta")
            self.end_headers()
        elif self.path == "/slow.metta":
            time.sleep(5)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"(slow)\n")
        else:
            super().do_GET()


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that stops reading (the size limit) is expected


s = Server(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()

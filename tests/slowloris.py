"""Slowloris against `pathspace serve --http`, as tests/cli_security.sh runs it.

usage: slowloris.py PORT SECONDS HEADER_TIMEOUT
Opens 100 connections from 127.0.0.2 that send a request one byte at a time
(half of them its headers, half a body after whole headers), while a client
on 127.0.0.1 asks /status/- every 0.2 s. Prints one line of findings and
exits 1 if the other client went unanswered or a slow connection outlived
its deadline by more than 2 s.
"""
import socket
import sys
import time

port, seconds, deadline = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
slow = []
for i in range(100):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", port))
        if i % 2:
            s.sendall(b"POST /upload/%24x/%24x/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Length: 1000000\r\n\r\n")
        else:
            s.sendall(b"GET /status/- HTTP/1.1\r\n")
        slow.append([s, time.monotonic(), None])
    except OSError:
        s.close()
start = time.monotonic()
answered = asked = 0
worst = 0.0
while time.monotonic() - start < seconds:
    for c in slow:
        if c[2] is None:
            try:
                c[0].send(b"X")
            except OSError:
                c[2] = time.monotonic()
    t0 = time.monotonic()
    asked += 1
    try:
        o = socket.create_connection(("127.0.0.1", port), timeout=2)
        o.sendall(b"GET /status/- HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        if o.recv(100).startswith(b"HTTP/1.1 200"):
            answered += 1
        o.close()
    except OSError:
        pass
    worst = max(worst, time.monotonic() - t0)
    time.sleep(0.2)
open_at_end = sum(1 for c in slow if c[2] is None)
lived = max((c[2] - c[1] for c in slow if c[2] is not None), default=0.0)
print(f"accepted {len(slow)} slow connections; other client answered {answered}/{asked}, "
      f"worst {worst * 1000:.0f} ms; slow ones still open {open_at_end}, longest lived "
      f"{lived:.1f} s")
ok = answered == asked and open_at_end == 0 and lived <= deadline + 2
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""freeport.py - a TCP port on 127.0.0.1 that nothing listens on, for a
server a test or benchmark starts with a port it must know beforehand.

Picked below the kernel's ephemeral range: ports there are what outgoing
connections draw their local port from, so one picked there (the kernel's
port 0) can be taken by any client's connect() before the server binds it,
which happened with the test scripts running side by side. Below that
range only another explicit bind can take it: a random pick, checked
bindable, makes that unlikely."""
import random
import socket

try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        EPHEMERAL = int(f.read().split()[0])
except OSError:
    EPHEMERAL = 32768
LOW = 10000


def bindable(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick():
    if EPHEMERAL - LOW >= 1000:
        for _ in range(200):
            port = random.randrange(LOW, EPHEMERAL)
            if bindable(port):
                return port
    s = socket.socket()  # no room below the range: the kernel's pick
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


print(pick())

#!/usr/bin/env python3
"""mapports.py IN OUT DIR - the shard map IN (pathspace shard split's) with
each shard's addresses set from the ports a test picked: DIR/s<id>.bport
(binary) and DIR/s<id>.hport (HTTP), written to OUT."""
import json
import sys

src, out, d = sys.argv[1:4]
m = json.load(open(src))
for s in m["shards"]:
    s["binary"] = "127.0.0.1:" + open(f"{d}/s{s['id']}.bport").read().strip()
    s["http"] = "127.0.0.1:" + open(f"{d}/s{s['id']}.hport").read().strip()
json.dump(m, open(out, "w"))

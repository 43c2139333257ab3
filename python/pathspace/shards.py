"""A space split by key range into shards, each a served space
(docs/replication.md, "Shards"): the shard map `pathspace shard split`
writes, routing by key, and the shards a pattern can reach.

    smap = ShardMap.load("out/shardmap.json")
    s = ShardedSpace(smap)              # a MORK client per shard (--http)
    s.add(["(parent Tom Bob)"])         # each atom to the shard of its key
    s.contains("(parent Tom Bob)")      # asked of that shard alone
    s.query("(parent Tom $x)")          # only the shards its prefix reaches

Keys are the atoms' encodings (pathspace.encode): a shard holds the atoms
whose encoding is in [lo, hi). A pattern's constant prefix (its encoding
up to the first variable) bounds the keys it can match, so a pattern goes
only to the shards whose range meets that prefix's.
"""
import json
import os
import time

from ._lib import lib
from .space import _view, encode

FORMAT = "pathspace-shardmap"


def prefix(pattern):
    """The constant prefix of a pattern's encoding: every atom it matches
    starts with these bytes."""
    raw = encode(pattern)
    v, keep = _view(raw)
    return raw[:lib.ps_atom_prefix(v)]


class Shard:
    def __init__(self, d):
        self.id = d["id"]
        self.lo = bytes.fromhex(d["lo"]) if d.get("lo") is not None else None
        self.hi = bytes.fromhex(d["hi"]) if d.get("hi") is not None else None
        self.http = d.get("http")
        self.binary = d.get("binary")
        self.bucket = d.get("bucket")  # s3://...: its space, replicated
        self.atoms = d.get("atoms")

    def holds(self, key):
        return (self.lo is None or self.lo <= key) and (self.hi is None or key < self.hi)

    def reaches(self, pre):
        """Some key starting with pre is in [lo, hi)."""
        return (self.lo is None or self.lo[:len(pre)] <= pre) and (self.hi is None or pre < self.hi)

    def __repr__(self):
        return f"Shard({self.id}, http={self.http})"


class ShardMap:
    """The ranges, in order, covering every key once."""

    def __init__(self, d):
        if d.get("format") != FORMAT or d.get("version") != 1:
            raise ValueError(f"not a {FORMAT} version 1")
        self.doc = d
        self.version = d.get("map_version", 1)
        self.shards = [Shard(s) for s in d["shards"]]
        for a, b in zip(self.shards, self.shards[1:]):
            if a.hi is None or a.hi != b.lo:
                raise ValueError(f"shards {a.id} and {b.id} do not meet")
        if not self.shards or self.shards[0].lo is not None or self.shards[-1].hi is not None:
            raise ValueError("the shards do not cover every key")

    @classmethod
    def load(cls, path):
        """From a file, or from a shard server: http://HOST:PORT (the map it
        enforces, GET /shardmap/)."""
        if path.startswith(("http://", "https://")):
            import urllib.request
            req = urllib.request.Request(path.rstrip("/") + "/shardmap/")
            token = os.environ.get("PATHSPACE_TOKEN")
            if token:
                req.add_header("Authorization", "Bearer " + token)
            with urllib.request.urlopen(req, timeout=30) as r:
                m = cls(json.loads(r.read()))
            m.path = path
            return m
        st = os.stat(path)
        with open(path) as f:
            m = cls(json.load(f))
        m.path = path
        m.stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        return m

    path = None
    stamp = None

    def changed(self):
        """Whether the map's file is no longer the one read (a new version
        is written whole and renamed into place)."""
        if not self.path or self.path.startswith(("http://", "https://")):
            return False  # a server's map: read again when a shard refuses
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_ino, st.st_mtime_ns, st.st_size) != self.stamp

    def route(self, atom):
        """The shard that holds atom (MeTTa text or its encoding)."""
        key = encode(atom)
        for s in self.shards:
            if s.holds(key):
                return s
        raise AssertionError("a map that covers every key holds every key")

    def reach(self, pattern):
        """The shards a pattern can match atoms in."""
        pre = prefix(pattern)
        return [s for s in self.shards if s.reaches(pre)]


class Moved(Exception):
    """A shard refused a key as not its own (HTTP 421): the map is old."""


class Frozen(Exception):
    """A shard's part is being moved to another shard (HTTP 423): wait."""


class ShardedSpace:
    """A MORK client per shard (each served with --http), routed by the map.
    When a shard answers that a key is not its own (its map is newer), the
    map is read again from its file and the change routed anew."""

    REROUTES = 3

    def __init__(self, smap, token=None):
        self.token = token
        self._use(smap)

    def _use(self, smap):
        from .client import MORK
        self.map = smap
        self.clients = {s.id: MORK(f"http://{s.http}", token=self.token) for s in smap.shards}

    def reload(self):
        """Reads the map's file again (a newer version routes differently)."""
        if not self.map.path:
            raise Moved("a shard holds a newer map, and this one has no file to read again")
        m = ShardMap.load(self.map.path)
        if m.version != self.map.version:
            self._use(m)
        else:
            self.map.stamp = m.stamp

    def _fresh(self):
        """Reads the map again when its file changed: a router follows a
        split on reads as well as on a shard's refusal."""
        if self.map.changed():
            self.reload()

    def _by_shard(self, atoms):
        groups = {}
        for a in atoms:
            groups.setdefault(self.map.route(a).id, []).append(a)
        return groups

    @staticmethod
    def _raise_for(status, text):
        if status == 421:
            raise Moved(text)
        if status == 423:
            raise Frozen(text)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {text}")

    def _upload(self, sid, group):
        try:
            self.clients[sid].upload("$x", "$x", "\n".join(group) + "\n")
        except RuntimeError as e:
            for code in (421, 423):
                if f"HTTP {code}" in str(e):
                    self._raise_for(code, str(e))
            raise

    def _clear(self, sid, group):
        c = self.clients[sid]
        for a in group:
            r = c.Clear(a).dispatch(c).response
            self._raise_for(r.status_code, r.text)

    FROZEN_WAIT = 60.0  # seconds a change waits out a split

    def _change(self, atoms, send):
        """Sends each shard its atoms; a shard that says the map is old
        makes it be read again, one whose part is moving makes the change
        wait (a split), and the change goes again by the map as it is then
        (what went in already is a no-op)."""
        self._fresh()
        atoms = list(atoms)
        moved, waited, pause = 0, 0.0, 0.01
        while True:
            try:
                for sid, group in self._by_shard(atoms).items():
                    send(sid, group)
                return
            except Moved:
                moved += 1
                if moved > self.REROUTES:
                    raise
                self.reload()
            except Frozen:
                if waited >= self.FROZEN_WAIT:
                    raise
                time.sleep(pause)
                waited += pause
                pause = min(pause * 2, 0.2)
                self.reload()  # the split may have ended

    def add(self, atoms):
        self._change(atoms, self._upload)

    def remove(self, atoms):
        self._change(atoms, self._clear)

    def contains(self, atom):
        self._fresh()
        c = self.clients[self.map.route(atom).id]
        return bool(c.query(atom, atom, lossless=True))

    def query(self, pattern, template=None):
        """Every distinct result of the shards the pattern reaches, in trie
        order (by their encodings)."""
        self._fresh()
        out = set()
        for s in self.map.reach(pattern):
            out.update(self.clients[s.id].query(pattern, template or pattern, lossless=True))
        return sorted(out, key=encode)

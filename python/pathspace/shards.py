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
        self.version = d.get("map_version", 1)
        self.shards = [Shard(s) for s in d["shards"]]
        for a, b in zip(self.shards, self.shards[1:]):
            if a.hi is None or a.hi != b.lo:
                raise ValueError(f"shards {a.id} and {b.id} do not meet")
        if not self.shards or self.shards[0].lo is not None or self.shards[-1].hi is not None:
            raise ValueError("the shards do not cover every key")

    @classmethod
    def load(cls, path):
        with open(path) as f:
            m = cls(json.load(f))
        m.path = path
        return m

    path = None

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
        self._use(ShardMap.load(self.map.path))

    def _by_shard(self, atoms):
        groups = {}
        for a in atoms:
            groups.setdefault(self.map.route(a).id, []).append(a)
        return groups

    def _upload(self, sid, group):
        try:
            self.clients[sid].upload("$x", "$x", "\n".join(group) + "\n")
        except RuntimeError as e:
            if "HTTP 421" in str(e):
                raise Moved(str(e)) from e
            raise

    def add(self, atoms):
        atoms = list(atoms)
        for attempt in range(self.REROUTES + 1):
            try:
                for sid, group in self._by_shard(atoms).items():
                    self._upload(sid, group)  # again after a reroute: a no-op where it went
                return
            except Moved:
                if attempt == self.REROUTES:
                    raise
                self.reload()

    def remove(self, atoms):
        for sid, group in self._by_shard(atoms).items():
            for a in group:
                self.clients[sid].Clear(a).dispatch(self.clients[sid])

    def contains(self, atom):
        c = self.clients[self.map.route(atom).id]
        return bool(c.query(atom, atom, lossless=True))

    def query(self, pattern, template=None):
        """Every distinct result of the shards the pattern reaches, in trie
        order (by their encodings)."""
        out = set()
        for s in self.map.reach(pattern):
            out.update(self.clients[s.id].query(pattern, template or pattern, lossless=True))
        return sorted(out, key=encode)

"""Queries over a sharded space as Dask graphs on a `distributed` cluster
(docs/replication.md, "Queries across shards").

    from distributed import Client
    from pathspace import dask as psd
    from pathspace.shards import ShardMap
    c = Client(scheduler_file="sched.json")
    m = ShardMap.load("out/shardmap.json")
    psd.query(c, m, "(parent $x Bob)")                       # one pattern
    psd.join(c, m, ["(parent $x $y)", "(parent $y $z)"], "(gp $x $z)")

- One pattern: a task per shard its constant prefix reaches, each asking
  that shard's server (MORK's HTTP API, lossless text), or reading the
  shard's bucket where it lies (pathspace.bucket: the checkpoint's chunks
  by byte range); the results are merged, distinct, in trie order.
  source="auto" (the default) reads a shard from its server while it
  answers and from its bucket when it does not; "server" and "bucket"
  force one. stats["sources"] says which each shard used.
- A conjunction: each pattern's bindings (the values of its variables) are
  fetched the same way, then joined on the variables they share, one pattern
  after another: by broadcasting the smaller side to every partition of the
  larger when it has at most `broadcast_max` bindings, else by Dask's task
  shuffle (a group-by on the shared values). The template is then
  instantiated with each joined binding.

Stored atoms that hold variables: a pattern is matched against each shard
by that shard's engine (full unification), but bindings are joined by
equality of their values, not unified with each other. A single machine
unifies across patterns, so when stored atoms hold variables the two can
differ; on ground data they agree (the tests compare them).
"""
import zlib

from .client import MORK
from .space import decode, encode

# ---- the text of atoms: tokens, an expression's children, templates


def _tokens(text):
    """( ) "strings" and bare words of MeTTa text, as the printer writes it."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(c)
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            out.append(text[i:j])
            i = j
    return out


def _join(toks):
    """Tokens back to text: a space between two, none after ( or before )."""
    out = []
    for t in toks:
        if out and out[-1] != "(" and t != ")":
            out.append(" ")
        out.append(t)
    return "".join(out)


def _children(text):
    """The texts of the children of the expression text."""
    toks = _tokens(text)
    if not toks or toks[0] != "(" or toks[-1] != ")":
        raise ValueError(f"not an expression: {text!r}")
    out, depth, cur = [], 0, []
    for t in toks[1:-1]:
        cur.append(t)
        depth += (t == "(") - (t == ")")
        if depth == 0:
            out.append(_join(cur))
            cur = []
    return out


def variables(pattern):
    """A pattern's variables, in the order they first appear."""
    seen = []
    for t in _tokens(pattern):
        if t.startswith("$") and t not in seen:
            seen.append(t)
    return seen


def instantiate(template, binding):
    """The template's text with each variable bound replaced by its value."""
    return decode(encode(_join([binding.get(t, t) for t in _tokens(template)])))

# ---- tasks (run on the workers)


def _fetch(http, pattern, template):
    return MORK(f"http://{http}").query(pattern, template, lossless=True)


def _fetch_text(http, pattern, template):
    """One shard's results as one string, a line each: distributed moves one
    large string far faster than a list of many small ones (8 s against
    0.1 s for 350,000 results, measured)."""
    return "\n".join(_fetch(http, pattern, template))


def _lines(text):
    return text.split("\n") if text else []


def _bucket_text(url, pattern, template):
    """_fetch_text's answer, read from the shard's bucket where it lies."""
    from .bucket import Bucket
    with Bucket(url) as b:
        return "\n".join(b.query(pattern, template))


def _text(where, pattern, template):
    """One shard's results as one string, from its server or its bucket:
    where is ("server", "host:port") or ("bucket", "s3://...")."""
    kind, at = where
    return (_bucket_text if kind == "bucket" else _fetch_text)(at, pattern, template)


def _bindings(where, pattern, names):
    """(value, ...) of names for every match of pattern on one shard."""
    rows = _lines(_text(where, pattern, "(B " + " ".join(names) + ")"))
    return [tuple(_children(r)[1:]) for r in rows]

# ---- where each shard is read: its server, or its bucket in place


def _reachable(http, timeout=1.0):
    import socket
    host, _, port = (http or "").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
        return True
    except (OSError, ValueError):
        return False


def _where(shard, source):
    """("server", http) or ("bucket", url) for one shard (docs/replication.md,
    "Where workers read"):
    - "server" or "bucket": that, always;
    - "auto": the shard's server when it answers, else its bucket (when the
      map names one). On one machine (bench/bucket.sh) a server answered
      every query shape faster than its bucket read in place, while the
      bucket moved several times fewer bytes for patterns that take whole
      relations and left the server alone: pass source="bucket" where the
      servers' links or CPUs are what is scarce (docs/replication.md,
      "Where workers read")."""
    if source == "server" or (source == "auto" and not shard.bucket):
        return ("server", shard.http)
    if source == "bucket":
        if not shard.bucket:
            raise ValueError(f"shard {shard.id} has no bucket in the map")
        return ("bucket", shard.bucket)
    if source != "auto":
        raise ValueError(f"source is 'auto', 'server' or 'bucket', not {source!r}")
    return ("server", shard.http) if _reachable(shard.http) else ("bucket", shard.bucket)


def _plan(smap, pattern, source, stats):
    """Where each shard the pattern reaches is read; stats (a dict or None)
    gets them under "sources", as {pattern: [(shard id, kind), ...]}."""
    plan = [(s, _where(s, source)) for s in smap.reach(pattern)]
    if stats is not None:
        stats.setdefault("sources", {})[pattern] = [(s.id, w[0]) for s, w in plan]
    return [w for _, w in plan]

# ---- graphs


def query(client, smap, pattern, template=None, source="auto", stats=None):
    """Every distinct result, in trie order, from the shards the pattern reaches.

    A shard answers distinct results in trie order. With no template (the
    pattern itself), each result lies in the range of the shard that holds
    it, so the shards' answers, in shard order, are already merged. A
    template may map results of two shards anywhere: those are sorted by
    their encodings. source: where workers read each shard ("auto",
    "server" or "bucket"; see _where); stats["sources"] says which."""
    futs = [client.submit(_text, w, pattern, template or pattern, pure=False)
            for w in _plan(smap, pattern, source, stats)]
    parts = [_lines(t) for t in client.gather(futs)]
    if template is None or template == pattern:
        return [r for part in parts for r in part]
    return sorted({r for part in parts for r in part}, key=encode)


def _side(smap, pattern, source="auto", stats=None):
    import dask.bag as db
    from dask import delayed
    names = variables(pattern)
    parts = [delayed(_bindings)(w, pattern, names) for w in _plan(smap, pattern, source, stats)]
    bag = db.from_delayed(parts) if parts else db.from_sequence([], npartitions=1)
    return names, bag.map(lambda row, names=tuple(names): dict(zip(names, row)))


def _stable(key):
    """A hash of a binding's shared values that every worker computes the
    same: Python's own hash of strings differs from process to process, and
    the shuffle sends each record to hash(key) % partitions."""
    return zlib.crc32("\x00".join(key).encode("utf-8", "surrogateescape"))


def _probe(part, index, shared, small_left):
    out = []
    for b in part:
        for o in index.get(tuple(b[v] for v in shared), ()):
            out.append({**o, **b} if small_left else {**b, **o})
    return out


def _broadcast(client, big, small_rows, shared, small_left):
    index = {}
    for b in small_rows:
        index.setdefault(tuple(b[v] for v in shared), []).append(b)
    # in a list: a dict given to scatter would be scattered value by value,
    # under its keys as the graph's keys
    fut = client.scatter([index], broadcast=True)[0]
    return big.map_partitions(_probe, fut, shared, small_left)


def _tag(b, shared, side):
    key = tuple(b[v] for v in shared)
    return (_stable(key), key, side, b)


def _expand(group):
    """One hash group: the pairs of a left and a right binding whose shared
    values are equal (a hash may hold several)."""
    by = {}
    for _, key, side, b in group[1]:
        by.setdefault(key, ([], []))[side].append(b)
    return [{**l, **r} for left, right in by.values() for l in left for r in right]


def _shuffle(left, right, shared):
    import dask.bag as db
    tagged = db.concat([left.map(_tag, shared, 0), right.map(_tag, shared, 1)])
    return tagged.groupby(lambda t: t[0], shuffle="tasks").map(_expand).flatten()


def join(client, smap, patterns, template, broadcast_max=100_000, stats=None, source="auto"):
    """Every distinct instantiation of template by the joined bindings of
    patterns, in trie order. stats (a dict), if given, gets how each step
    joined ('broadcast' or 'shuffle', under "joins") and where each shard
    was read (under "sources")."""
    parts = client.compute(_rendered(client, smap, patterns, template, broadcast_max, stats,
                                     source), sync=True)
    return sorted({r for part in parts for text in part for r in _lines(text)}, key=encode)


def _rendered(client, smap, patterns, template, broadcast_max=100_000, stats=None,
              source="auto"):
    """The joined bindings, instantiated on the workers: a delayed per
    partition, each a list holding one string of results, a line each."""
    names, acc = _side(smap, patterns[0], source, stats)
    bound = list(names)
    acc = client.persist(acc)
    how = []
    for p in patterns[1:]:
        names, side = _side(smap, p, source, stats)
        side = client.persist(side)
        shared = [v for v in names if v in bound]
        n_acc, n_side = client.compute([acc.count(), side.count()], sync=True)
        if min(n_acc, n_side) <= broadcast_max:
            small_left = n_acc <= n_side
            small, big = (acc, side) if small_left else (side, acc)
            acc = _broadcast(client, big, client.compute(small, sync=True), shared, small_left)
            how.append("broadcast")
        else:
            acc = _shuffle(acc, side, shared)
            how.append("shuffle")
        acc = client.persist(acc)
        bound += [v for v in names if v not in bound]
    if stats is not None:
        stats["joins"] = how
    return acc.map_partitions(_render, template).to_delayed()


def _render(part, template):
    """A partition's bindings, each template instantiated, as one string."""
    return ["\n".join({instantiate(template, b) for b in part})]


def _add_routed(part, doc):
    """Routed adds of one partition's results, made on the worker that has
    them: each goes to its shard by the map (doc: its JSON)."""
    import json
    from .shards import ShardMap, ShardedSpace
    rows = [r for text in (part if isinstance(part, list) else [part]) for r in _lines(text)]
    if rows:
        ShardedSpace(ShardMap(json.loads(doc))).add(rows)
    return len(rows)


def transform(client, smap, patterns, template, broadcast_max=100_000, source="auto"):
    """Adds every result (one pattern, or the join of several) to the sharded
    space, through routed adds made on the workers that hold the results;
    returns how many results there were (counted per partition: a result two
    partitions made counts twice, and is added once)."""
    import json
    from dask import delayed
    if isinstance(patterns, str):
        patterns = [patterns]
    if len(patterns) == 1:
        parts = [delayed(_text)(w, patterns[0], template)
                 for w in _plan(smap, patterns[0], source, None)]
    else:
        parts = _rendered(client, smap, patterns, template, broadcast_max, None, source)
    doc = json.dumps(smap.doc)
    return sum(client.compute([delayed(_add_routed)(p, doc) for p in parts], sync=True))

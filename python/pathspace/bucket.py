"""A space in an S3 bucket, queried where it lies (docs/replication.md,
"Reading a bucket in place"): what `serve --replicate s3://...` ships.

    from pathspace.bucket import Bucket, stat
    with Bucket("s3://pskb/kb/shard-0") as b:
        b.query("(parent $x Bob)")        # reads the chunks it reaches
        b.info()                          # {'in_place': 1, 'reads': 5, ...}

When the bucket holds no log after its newest checkpoint, queries read
that checkpoint's snapshot by byte range: its index, then only the chunks
they reach. Otherwise the snapshot is read whole and the changes after it
applied, in memory. Either way the answers are the space as of the last
change the bucket holds. The endpoint and keys come from the environment
(AWS_* or PATHSPACE_S3_ENDPOINT) or ~/.aws/credentials.

Everything here runs in libpathspace-net (results are printed there too),
so it never mixes handles with the core library pathspace.Space uses.
"""
import ctypes

from ._lib import net, Bytes, Buf, Diag, BucketInfo, QueryOpts
from .space import _check, _view

_FIELDS = ("seq", "ckpt_pos", "tail", "atoms", "snap_bytes", "reads", "bytes", "in_place")


def _info(i):
    return {f: int(getattr(i, f)) for f in _FIELDS}


def stat(url):
    """What Bucket(url) would find, from the newest manifest alone: seq,
    ckpt_pos, tail (changes after the checkpoint), atoms, snap_bytes and
    in_place (1 when queries would read the snapshot by range)."""
    i, d = BucketInfo(), Diag()
    _check(net.ps_bucket_stat(url.encode(), ctypes.byref(i), ctypes.byref(d)), url, d)
    return _info(i)


def _prefix(pattern):
    """The constant prefix of a single pattern's encoding (None for a
    conjunction, whose patterns are read as the search reaches them)."""
    if pattern.lstrip(" \t\n(").startswith(","):
        return None
    raw, out, d = pattern.encode(), Buf(), Diag()
    try:
        if net.ps_atom_parse(raw, len(raw), ctypes.byref(out), ctypes.byref(d)):
            return None  # the query's own parse says what is wrong
        enc = out.value()
    finally:
        net.ps_buf_free(ctypes.byref(out))
    v, keep = _view(enc)
    return enc[:net.ps_atom_prefix(v)]


class Bucket:
    def __init__(self, url):
        self.url = url
        self._h = ctypes.c_void_p()
        d = Diag()
        _check(net.ps_bucket_open(url.encode(), ctypes.byref(self._h), ctypes.byref(d)), url, d)

    def close(self):
        if self._h:
            net.ps_bucket_close(self._h)
            self._h = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def info(self):
        """stat()'s fields, with reads and bytes: the range GETs made so far
        and the bytes they read."""
        i = BucketInfo()
        net.ps_bucket_info_get(self._h, ctypes.byref(i))
        return _info(i)

    def query(self, pattern, template=None, limit=0):
        """The distinct instantiated templates of every match, as text, in
        trie order (as Space.query)."""
        if not self._h:
            raise ValueError("the bucket is closed")
        pre = _prefix(pattern)
        d = Diag()
        if pre is not None:
            v, keep = _view(pre)
            _check(net.ps_bucket_fetch(self._h, v, ctypes.byref(d)), self.url, d)
        pat = pattern.encode()
        tmpl = template.encode() if template is not None else None
        q, dst = ctypes.c_void_p(), ctypes.c_void_p()
        _check(net.ps_query_parse(pat, len(pat), tmpl, len(tmpl) if tmpl else 0, ctypes.byref(q),
                                  ctypes.byref(d)), "query", d)
        try:
            _check(net.ps_space_new(ctypes.byref(dst)), "query")
            o = QueryOpts()
            net.ps_query_opts_init(ctypes.byref(o))
            o.limit = limit
            added = ctypes.c_uint64()
            _check(net.ps_query_into(q, net.ps_bucket_source(self._h), ctypes.byref(o), dst,
                                     ctypes.byref(added), None, ctypes.byref(d)), "query", d)
            return _texts(dst)
        finally:
            net.ps_query_free(q)
            if dst:
                net.ps_space_free(dst)


def _texts(space):
    """Every atom of a net-library space, printed, in order."""
    it, p, out, ends = ctypes.c_void_p(), Bytes(), Buf(), []
    _check(net.ps_iter_new(space, Bytes(None, 0), ctypes.byref(it)), "iterate")
    try:  # printed back to back into one buffer (ps_atom_print appends)
        while net.ps_iter_next(it, ctypes.byref(p), None, None) == 0:
            _check(net.ps_atom_print(p, ctypes.byref(out)), "print")
            ends.append(out.len)
        text = out.value()
    finally:
        net.ps_iter_free(it)
        net.ps_buf_free(ctypes.byref(out))
    starts = [0] + ends[:-1]
    return [text[a:b].decode("utf-8", "surrogateescape") for a, b in zip(starts, ends)]

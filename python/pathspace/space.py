"""pathspace.Space: a set of MeTTa atoms in libpathspace's trie."""
import ctypes
import os

from ._lib import lib, Bytes, Buf, Diag, Source, QueryOpts, FORMATS, PS_SRC_SPACE

PS_E_EMPTY = 14


class Error(Exception):
    """A libpathspace error: .code (ps_err), .message, and where (.line,
    .col for text; .offset for binary input) when the input was at fault."""

    def __init__(self, code, what, diag=None):
        self.code = code
        self.line = diag.line if diag else 0
        self.col = diag.col if diag else 0
        self.offset = diag.offset if diag else 0
        msg = diag.msg.decode("utf-8", "replace") if diag and diag.msg else ""
        name = lib.ps_strerror(code).decode()
        where = f" at {self.line}:{self.col}" if self.line else ""
        self.message = f"{what}: {name}{where}" + (f": {msg}" if msg else "")
        super().__init__(self.message)


def _check(rc, what, diag=None):
    if rc:
        raise Error(rc, what, diag)


def _view(b):
    buf = ctypes.create_string_buffer(b, len(b)) if b else None
    ptr = ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8)) if buf else None
    return Bytes(ptr, len(b)), buf


def encode(text):
    """MeTTa text holding one atom -> its MORK encoding (bytes)."""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    raw = text.encode()
    out, d = Buf(), Diag()
    try:
        _check(lib.ps_atom_parse(raw, len(raw), ctypes.byref(out), ctypes.byref(d)), "parse", d)
        return out.value()
    finally:
        lib.ps_buf_free(ctypes.byref(out))


def decode(atom):
    """An atom's encoding -> MeTTa text in MORK's conventions."""
    v, keep = _view(atom)
    out = Buf()
    try:
        _check(lib.ps_atom_print(v, ctypes.byref(out)), "print")
        return out.value().decode("utf-8", "surrogateescape")
    finally:
        lib.ps_buf_free(ctypes.byref(out))


def _format(fmt, path):
    if fmt is None:
        for name, code in FORMATS.items():
            if path.endswith("." + name):
                return code
        if path.endswith(".ndjson"):
            return FORMATS["jsonl"]
        raise ValueError(f"{path}: no format given and no known extension")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    return FORMATS[fmt]


class Space:
    """A set of atoms. Atoms go in as MeTTa text (str) or as their encoding
    (bytes); they come out as text (iteration, query) or bytes (paths())."""

    def __init__(self, atoms=()):
        h = ctypes.c_void_p()
        _check(lib.ps_space_new(ctypes.byref(h)), "space")
        self._h = h
        for a in atoms:
            self.add(a)

    # -- the handle the C calls read; PersistentSpace gives its own
    def _space(self):
        if not self._h:
            raise ValueError("the space is closed")
        return self._h

    def close(self):
        if getattr(self, "_h", None):
            lib.ps_space_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def add(self, atom):
        """Adds one atom; True if it was new."""
        v, keep = _view(encode(atom))
        added = ctypes.c_int()
        _check(lib.ps_space_insert(self._space(), v, ctypes.byref(added)), "add")
        return bool(added.value)

    def update(self, atoms):
        for a in atoms:
            self.add(a)

    def remove(self, atom):
        """Removes one atom; True if it was there."""
        v, keep = _view(encode(atom))
        removed = ctypes.c_int()
        _check(lib.ps_space_remove(self._space(), v, ctypes.byref(removed)), "remove")
        return bool(removed.value)

    def discard(self, atom):
        self.remove(atom)

    def __contains__(self, atom):
        v, keep = _view(encode(atom))
        return bool(lib.ps_space_contains(self._space(), v))

    def __len__(self):
        return int(lib.ps_space_count(self._space()))

    def clear(self):
        lib.ps_space_clear(self._space())

    def paths(self, prefix=b""):
        """Every path (bytes) that starts with prefix, in order."""
        v, keep = _view(prefix)
        it = ctypes.c_void_p()
        _check(lib.ps_iter_new(self._space(), v, ctypes.byref(it)), "iterate")
        try:
            p = Bytes()
            while lib.ps_iter_next(it, ctypes.byref(p), None, None) == 0:
                yield ctypes.string_at(p.ptr, p.len) if p.len else b""
        finally:
            lib.ps_iter_free(it)

    def __iter__(self):
        for p in self.paths():
            yield decode(p)

    def atoms(self):
        return list(self)

    # -- files
    def load(self, path, format=None):
        """Adds every atom of a file: metta, paths, act, snap, json, jsonl
        or csv (by extension unless format says)."""
        d = Diag()
        rc = lib.ps_space_load_file(self._space(), os.fsencode(path), _format(format, str(path)),
                                    ctypes.byref(d))
        _check(rc, str(path), d)
        return self

    def loads(self, data, format="metta"):
        """Adds every atom of data (str or bytes) in format."""
        raw = data.encode() if isinstance(data, str) else bytes(data)
        d = Diag()
        rc = lib.ps_space_load(self._space(), raw, len(raw), _format(format, ""), ctypes.byref(d))
        _check(rc, "load", d)
        return self

    def save(self, path, format=None):
        """Writes the space: metta, paths, act or snap."""
        f = _format(format, str(path))
        tmp = f"{path}.tmp{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            d = Diag()
            rc = lib.ps_space_save(self._space(), lib.ps_sink_fd(fd), f, ctypes.byref(d))
            _check(rc, str(path), d)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, path)

    # -- queries (docs/query.md)
    def _into(self, pattern, template, out, limit=0):
        pat = pattern.encode()
        tmpl = template.encode() if template is not None else None
        q, d = ctypes.c_void_p(), Diag()
        _check(lib.ps_query_parse(pat, len(pat), tmpl, len(tmpl) if tmpl else 0, ctypes.byref(q),
                                  ctypes.byref(d)), "query", d)
        try:
            o = QueryOpts()
            lib.ps_query_opts_init(ctypes.byref(o))
            o.limit = limit
            added = ctypes.c_uint64()
            rc = lib.ps_query_into(q, Source(PS_SRC_SPACE, self._space()), ctypes.byref(o),
                                   out._space(), ctypes.byref(added), None, ctypes.byref(d))
            _check(rc, "query", d)
            return int(added.value)
        finally:
            lib.ps_query_free(q)

    def query(self, pattern, template=None, limit=0):
        """The distinct instantiated templates of every match, as text, in
        order. pattern and template may be conjunctions, (, p1 p2 ...)."""
        with Space() as out:
            self._into(pattern, template, out, limit)
            return list(out)

    def select(self, pattern, template=None, limit=0):
        """query()'s results as a new Space (no text in between)."""
        out = Space()
        self._into(pattern, template, out, limit)
        return out

    def transform(self, pattern, template):
        """Adds every instantiated template to this space; how many were new."""
        with Space() as out:
            self._into(pattern, template, out)
            before = len(self)
            self |= out
            return len(self) - before

    # -- algebra, in place and as operators
    def _alg(self, fn, other, what):
        _check(fn(self._space(), other._space()), what)
        return self

    def union(self, other):
        return self._alg(lib.ps_space_union, other, "union")

    def intersect(self, other):
        return self._alg(lib.ps_space_intersect, other, "intersect")

    def subtract(self, other):
        return self._alg(lib.ps_space_subtract, other, "subtract")

    def restrict(self, prefixes):
        """Keeps the paths that start with a path of prefixes."""
        return self._alg(lib.ps_space_restrict, prefixes, "restrict")

    __ior__ = union
    __iand__ = intersect
    __isub__ = subtract

    def copy(self):
        return Space().union(self)

    def __or__(self, o):
        return self.copy().union(o)

    def __and__(self, o):
        return self.copy().intersect(o)

    def __sub__(self, o):
        return self.copy().subtract(o)

    def __eq__(self, o):
        return isinstance(o, Space) and len(self) == len(o) and len(self & o) == len(self)

    __hash__ = None

    def __repr__(self):
        return f"<pathspace.Space of {len(self)} atoms>"


class PersistentSpace(Space):
    """A space kept in a directory: every add and remove is in its log
    before the call returns (fsync per the space's mode), and close()
    writes a checkpoint. Reads, queries and saves work as on a Space;
    changes go through add and remove (algebra in place would bypass the
    log, so it is refused)."""

    def __init__(self, directory):
        p, d = ctypes.c_void_p(), Diag()
        os.makedirs(directory, exist_ok=True)
        _check(lib.ps_pspace_open(os.fsencode(directory), None, ctypes.byref(p), None,
                                  ctypes.byref(d)), str(directory), d)
        self._p = p
        self._h = None
        self.directory = directory

    def _space(self):
        if not self._p:
            raise ValueError("the space is closed")
        return lib.ps_pspace_space(self._p)

    def add(self, atom):
        v, keep = _view(encode(atom))
        added = ctypes.c_int()
        _check(lib.ps_pspace_add(self._p, v, ctypes.byref(added)), "add")
        return bool(added.value)

    def remove(self, atom):
        v, keep = _view(encode(atom))
        removed = ctypes.c_int()
        _check(lib.ps_pspace_remove(self._p, v, ctypes.byref(removed)), "remove")
        return bool(removed.value)

    def load(self, path, format=None):
        with Space() as s:
            s.load(path, format)
            for p in s.paths():
                self.add(p)
        return self

    def loads(self, data, format="metta"):
        with Space() as s:
            s.loads(data, format)
            for p in s.paths():
                self.add(p)
        return self

    def transform(self, pattern, template):
        with Space() as out:
            self._into(pattern, template, out)
            return sum(self.add(p) for p in list(out.paths()))

    def _refuse(self, *a):
        raise TypeError("a PersistentSpace changes through add() and remove() (they are logged)")

    union = intersect = subtract = restrict = clear = _refuse
    __ior__ = __iand__ = __isub__ = _refuse

    def checkpoint(self):
        info, d = ctypes.create_string_buffer(4096), Diag()
        _check(lib.ps_pspace_checkpoint(self._p, info, ctypes.byref(d)), "checkpoint", d)

    def close(self):
        if getattr(self, "_p", None):
            d = Diag()
            rc = lib.ps_pspace_close(self._p, ctypes.byref(d))
            self._p = None
            _check(rc, "close", d)

    def __repr__(self):
        return f"<pathspace.PersistentSpace {self.directory!r}>"


def open(directory):  # noqa: A001 - pathspace.open(dir), as the CLI's `pathspace open`
    """A PersistentSpace in directory (made if missing)."""
    return PersistentSpace(directory)

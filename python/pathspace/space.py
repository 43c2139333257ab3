"""pathspace.Space: a set of MeTTa atoms in libpathspace's trie."""
import contextlib
import ctypes
import os
import threading

from ._lib import (lib, Bytes, Buf, Diag, Source, QueryOpts, PS_SRC_SPACE, ExecOpts, ExecStats,
                   EXEC_ERROR_FN, EXEC_PROGRESS_FN)

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
    """MeTTa text holding one atom -> its MORK encoding (bytes). Bytes are
    taken as an encoding, and must be exactly one whole, canonical atom."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        v, keep = _view(raw)
        n, d = ctypes.c_size_t(), Diag()
        rc = lib.ps_atom_check(v, ctypes.byref(n), ctypes.byref(d))
        if not rc and n.value != len(raw):
            rc, d.offset = 5, n.value  # PS_E_CORRUPT: bytes after the atom
        _check(rc, "atom", d)
        return raw
    if not isinstance(text, str):
        raise TypeError(f"an atom is MeTTa text (str) or its encoding (bytes), not {type(text).__name__}")
    raw = text.encode()
    out, d = Buf(), Diag()
    try:
        _check(lib.ps_atom_parse(raw, len(raw), ctypes.byref(out), ctypes.byref(d)), "parse", d)
        return out.value()
    finally:
        lib.ps_buf_free(ctypes.byref(out))


def decode(atom):
    """An atom's encoding -> MeTTa text that encode() turns back into the
    same bytes, whatever bytes its symbols hold (docs/encoding.md)."""
    v, keep = _view(atom)
    out = Buf()
    try:
        _check(lib.ps_atom_print(v, ctypes.byref(out)), "print")
        return out.value().decode("utf-8", "surrogateescape")
    finally:
        lib.ps_buf_free(ctypes.byref(out))


def _format_names():
    names, f = [], 1
    while lib.ps_format_name(f):
        names.append(lib.ps_format_name(f).decode())
        f += 1
    return names


def _format(fmt, path):
    """A format's number, from the library's table (ps_format_of): by name,
    else by the path's extension."""
    if fmt is None:
        base = os.path.basename(path)
        code = lib.ps_format_of(path.encode()) if "." in base else 0
        if not code:
            raise ValueError(f"{path}: no format given and no known extension")
        return code
    code = lib.ps_format_of(fmt.encode()) if isinstance(fmt, str) and "." not in fmt else 0
    if not code:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(_format_names())})")
    return code


class Space:
    """A set of atoms. Atoms go in as MeTTa text (str) or as their encoding
    (bytes); they come out as text (iteration, query) or bytes (paths()).

    Safe to share between threads: every call holds the space's lock (the C
    space is not thread-safe, and ctypes lets go of the GIL). An iterator
    raises RuntimeError once the space changes under it, as a dict's does,
    and a closed space raises ValueError: misuse is an exception, never a
    crash."""

    def __init__(self, atoms=()):
        self._lock = threading.RLock()
        self._gen = 0  # bumped by every change: iterators check it
        self._iters = set()  # live C iterators, freed by close()
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

    @contextlib.contextmanager
    def _use(self, change=False):
        """The C handle, under the lock (change: iterators stop)."""
        with self._lock:
            h = self._space()
            if change:
                self._gen += 1
            yield h

    @contextlib.contextmanager
    def _with(self, other, change=False):
        """Both spaces' handles, locked in one order (no deadlock when two
        threads join a to b and b to a)."""
        if not isinstance(other, Space):
            raise TypeError(f"expected a Space, not {type(other).__name__}")
        first, second = (self, other) if id(self) <= id(other) else (other, self)
        with first._lock, second._lock:
            a, b = self._space(), other._space()
            if change:
                self._gen += 1
            yield a, b

    def _drop_iters(self):
        for it in self._iters:
            lib.ps_iter_free(it)
        self._iters.clear()
        self._gen += 1

    def _release(self):
        """Frees the C handle (under the lock, iterators already gone)."""
        if getattr(self, "_h", None):
            lib.ps_space_free(self._h)
            self._h = None

    def close(self):
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            self._drop_iters()
            self._release()

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
        with self._use(True) as h:
            _check(lib.ps_space_insert(h, v, ctypes.byref(added)), "add")
        return bool(added.value)

    def add_path(self, path):
        """Adds any byte string as it is, atom or not (a prefix for
        restrict(), say); True if it was new. Iteration as text expects
        atoms: read such a space with paths()."""
        v, keep = _view(bytes(path))
        added = ctypes.c_int()
        with self._use(True) as h:
            _check(lib.ps_space_insert(h, v, ctypes.byref(added)), "add")
        return bool(added.value)

    def update(self, atoms):
        for a in atoms:
            self.add(a)

    def remove(self, atom):
        """Removes one atom; True if it was there."""
        v, keep = _view(encode(atom))
        removed = ctypes.c_int()
        with self._use(True) as h:
            _check(lib.ps_space_remove(h, v, ctypes.byref(removed)), "remove")
        return bool(removed.value)

    def discard(self, atom):
        self.remove(atom)

    def __contains__(self, atom):
        v, keep = _view(encode(atom))
        with self._use() as h:
            return bool(lib.ps_space_contains(h, v))

    def __len__(self):
        with self._use() as h:
            return int(lib.ps_space_count(h))

    def clear(self):
        with self._use(True) as h:
            lib.ps_space_clear(h)

    def paths(self, prefix=b""):
        """Every path (bytes) that starts with prefix, in order. Raises
        RuntimeError if the space changes meanwhile, ValueError if it is
        closed."""
        v, keep = _view(bytes(prefix))
        it = ctypes.c_void_p()
        with self._use() as h:
            _check(lib.ps_iter_new(h, v, ctypes.byref(it)), "iterate")
            self._iters.add(it.value)
            gen = self._gen
        try:
            p = Bytes()
            while True:
                with self._lock:
                    if it.value not in self._iters:
                        raise ValueError("the space was closed during iteration")
                    if self._gen != gen:
                        raise RuntimeError("the space changed during iteration")
                    if lib.ps_iter_next(it, ctypes.byref(p), None, None) != 0:
                        return
                    path = ctypes.string_at(p.ptr, p.len) if p.len else b""
                yield path
        finally:
            with self._lock:
                if it.value in self._iters:
                    self._iters.discard(it.value)
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
        d, f = Diag(), _format(format, str(path))
        with self._use(True) as h:
            rc = lib.ps_space_load_file(h, os.fsencode(path), f, ctypes.byref(d))
        _check(rc, str(path), d)
        return self

    def loads(self, data, format="metta"):
        """Adds every atom of data (str or bytes) in format."""
        raw = data.encode() if isinstance(data, str) else bytes(data)
        d, f = Diag(), _format(format, "")
        with self._use(True) as h:
            rc = lib.ps_space_load(h, raw, len(raw), f, ctypes.byref(d))
        _check(rc, "load", d)
        return self

    def save(self, path, format=None, skip_extended=False):
        """Writes the space: metta, paths, act or snap. An atom MORK's
        formats (paths, act) cannot hold (a symbol over 63 bytes, a list
        over 63 items) raises Error naming it, unless skip_extended leaves
        such atoms out; then the number left out is returned."""
        f = _format(format, str(path))
        skipped = ctypes.c_uint64()
        tmp = f"{path}.tmp{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            d = Diag()
            with self._use() as h:
                rc = lib.ps_space_save_with(h, lib.ps_sink_fd(fd), f, 1 if skip_extended else 0,
                                            ctypes.byref(skipped), ctypes.byref(d))
            _check(rc, str(path), d)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, path)
        return skipped.value

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
            with out._with(self, True) as (dst, src):
                rc = lib.ps_query_into(q, Source(PS_SRC_SPACE, src), ctypes.byref(o), dst,
                                       ctypes.byref(added), None, ctypes.byref(d))
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

    # -- programs: MORK's exec rules
    def run(self, steps=None, exact=False, timing=False, act_dir=None, max_results=None,
            max_bytes=None, max_work=None):
        """Runs the space's exec rules, as `mork run` (docs/exec.md): until
        no (exec ...) atom is left or the budget is spent. steps=None is
        MORK's 10^15; steps=N runs N+1 execs as MORK does, or N with
        exact=True. Returns a RunResult: .execs, .steps (MORK's count),
        .failed and .failures, a list of (step, error name, the exec atom
        as text) for the steps that failed (each wrote nothing)."""
        o = ExecOpts()
        lib.ps_exec_opts_init(ctypes.byref(o))
        if steps is not None:
            o.steps = steps
        o.exact, o.timing = int(bool(exact)), int(bool(timing))
        if act_dir is not None:
            o.act_dir = os.fsencode(act_dir)
        for k, v in (("max_results", max_results), ("max_bytes", max_bytes), ("max_work", max_work)):
            if v is not None:
                setattr(o, k, v)
        failures = []

        def on_error(ctx, f):
            f = f.contents
            atom = ctypes.string_at(f.exec_.ptr, f.exec_.len) if f.exec_.len else b""
            if len(failures) < 1000:
                failures.append((f.step, lib.ps_exec_error_name(f.code).decode(), decode(atom)))

        cb = EXEC_ERROR_FN(on_error)
        o.on_error = cb
        st, d = ExecStats(), Diag()
        with self._exec_handle() as (fn, h):
            _check(fn(h, ctypes.byref(o), ctypes.byref(st), ctypes.byref(d)), "run", d)
        return RunResult(st, failures)

    @contextlib.contextmanager
    def _exec_handle(self):
        with self._use(True) as h:
            yield lib.ps_space_exec, h

    # -- algebra, in place and as operators
    def _alg(self, fn, other, what):
        if other is self:
            other = other.copy()  # the C calls take two different spaces
        with self._with(other, True) as (a, b):
            _check(fn(a, b), what)
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
        if o is self:
            return True
        return isinstance(o, Space) and len(self) == len(o) and len(self & o) == len(self)

    __hash__ = None

    def __repr__(self):
        return f"<pathspace.Space of {len(self)} atoms>"


class RunResult:
    """What Space.run did."""

    def __init__(self, st, failures):
        self.execs = st.execs
        self.steps = st.returned
        self.failed = st.failed
        self.solutions = st.solutions
        self.added = st.added
        self.removed = st.removed
        self.seconds = st.ns / 1e9
        self.failures = failures

    def __repr__(self):
        return (f"RunResult(execs={self.execs}, steps={self.steps}, failed={self.failed}, "
                f"added={self.added}, removed={self.removed})")


class PersistentSpace(Space):
    """A space kept in a directory: every add and remove is in its log
    before the call returns (fsync per the space's mode), and close()
    writes a checkpoint. Reads, queries and saves work as on a Space;
    changes go through add and remove (algebra in place would bypass the
    log, so it is refused)."""

    def __init__(self, directory):
        self._lock = threading.RLock()
        self._gen = 0
        self._iters = set()
        self._h = self._p = None
        p, d = ctypes.c_void_p(), Diag()
        os.makedirs(directory, exist_ok=True)
        _check(lib.ps_pspace_open(os.fsencode(directory), None, ctypes.byref(p), None,
                                  ctypes.byref(d)), str(directory), d)
        self._p = p
        self.directory = directory

    def _space(self):
        if not self._p:
            raise ValueError("the space is closed")
        return lib.ps_pspace_space(self._p)

    @contextlib.contextmanager
    def _logged(self, change=True):
        """The persistent handle, under the lock (change: iterators stop)."""
        with self._lock:
            if not self._p:
                raise ValueError("the space is closed")
            if change:
                self._gen += 1
            yield self._p

    def add(self, atom):
        v, keep = _view(encode(atom))
        added = ctypes.c_int()
        with self._logged() as p:
            _check(lib.ps_pspace_add(p, v, ctypes.byref(added)), "add")
        return bool(added.value)

    def remove(self, atom):
        v, keep = _view(encode(atom))
        removed = ctypes.c_int()
        with self._logged() as p:
            _check(lib.ps_pspace_remove(p, v, ctypes.byref(removed)), "remove")
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

    @contextlib.contextmanager
    def _exec_handle(self):
        """run(): each step one logged change (a crash leaves none half done)."""
        with self._logged() as p:
            yield lib.ps_pspace_exec, p

    def _refuse(self, *a):
        raise TypeError("a PersistentSpace changes through add() and remove() (they are logged)")

    union = intersect = subtract = restrict = clear = add_path = _refuse
    __ior__ = __iand__ = __isub__ = _refuse

    def checkpoint(self):
        info, d = ctypes.create_string_buffer(4096), Diag()
        with self._logged(change=False) as p:
            _check(lib.ps_pspace_checkpoint(p, info, ctypes.byref(d)), "checkpoint", d)

    def _release(self):
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

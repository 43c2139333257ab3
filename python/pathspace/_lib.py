"""ctypes declarations for libpathspace (include/pathspace.h).

ctypes, not a C extension or cffi: the package then needs no compiler and
no build step, installs offline with pip, and works in place from a
checkout; every call it makes does real work in C (a whole load, save,
query or algebra operation), so the per-call cost of ctypes does not show.
"""
import ctypes
import ctypes.util
import os

c_size = ctypes.c_size_t
c_u8p = ctypes.POINTER(ctypes.c_uint8)


class Bytes(ctypes.Structure):  # ps_bytes
    _fields_ = [("ptr", c_u8p), ("len", c_size)]


class Buf(ctypes.Structure):  # ps_buf
    _fields_ = [("base", c_u8p), ("head", c_size), ("len", c_size), ("cap", c_size)]

    def value(self):
        if not self.len:
            return b""
        return ctypes.string_at(ctypes.addressof(self.base.contents) + self.head, self.len)


class Diag(ctypes.Structure):  # ps_diag
    _fields_ = [("code", ctypes.c_int), ("offset", ctypes.c_uint64), ("line", ctypes.c_uint32),
                ("col", ctypes.c_uint32), ("msg", ctypes.c_char * 200)]


class Sink(ctypes.Structure):  # ps_sink
    _fields_ = [("write", ctypes.c_void_p), ("patch", ctypes.c_void_p), ("ctx", ctypes.c_void_p)]


class Source(ctypes.Structure):  # ps_source
    _fields_ = [("kind", ctypes.c_int), ("ptr", ctypes.c_void_p)]


class QueryOpts(ctypes.Structure):  # ps_query_opts
    _fields_ = [("size", ctypes.c_uint32), ("mode", ctypes.c_int), ("limit", ctypes.c_uint64),
                ("snap_cache", ctypes.c_uint32), ("threads", ctypes.c_uint),
                ("max_steps", ctypes.c_uint64), ("join", ctypes.c_int)]


class BucketInfo(ctypes.Structure):  # ps_bucket_info
    _fields_ = [("seq", ctypes.c_uint64), ("ckpt_pos", ctypes.c_uint64),
                ("tail", ctypes.c_uint64), ("atoms", ctypes.c_uint64),
                ("snap_bytes", ctypes.c_uint64), ("reads", ctypes.c_uint64),
                ("bytes", ctypes.c_uint64), ("in_place", ctypes.c_int),
                ("spare", ctypes.c_uint64 * 4)]


class ExecStats(ctypes.Structure):  # ps_exec_stats
    _fields_ = [("execs", ctypes.c_uint64), ("returned", ctypes.c_uint64),
                ("failed", ctypes.c_uint64), ("solutions", ctypes.c_uint64),
                ("added", ctypes.c_uint64), ("removed", ctypes.c_uint64),
                ("dropped", ctypes.c_uint64), ("ns", ctypes.c_uint64),
                ("stopped", ctypes.c_int), ("spare32", ctypes.c_uint32),
                ("spare", ctypes.c_uint64 * 4)]


class ExecFailure(ctypes.Structure):  # ps_exec_failure
    _fields_ = [("code", ctypes.c_int), ("exec_", Bytes), ("at", ctypes.c_uint64),
                ("step", ctypes.c_uint64), ("detail", ctypes.c_int)]


EXEC_ERROR_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ExecFailure))
EXEC_PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ExecStats),
                                    ctypes.c_uint64)


class ExecOpts(ctypes.Structure):  # ps_exec_opts
    _fields_ = [("size", ctypes.c_uint32), ("exact", ctypes.c_int), ("steps", ctypes.c_uint64),
                ("timing", ctypes.c_int), ("act_dir", ctypes.c_char_p),
                ("max_results", ctypes.c_uint64), ("max_bytes", ctypes.c_uint64),
                ("max_work", ctypes.c_uint64), ("threads", ctypes.c_uint),
                ("stop_on_error", ctypes.c_int), ("stop", ctypes.c_void_p),
                ("on_error", EXEC_ERROR_FN),
                ("progress", EXEC_PROGRESS_FN), ("ctx", ctypes.c_void_p)]


PS_SRC_SPACE = 1
class LibraryNotFound(ImportError):
    """libpathspace could not be loaded (Space needs it; MORK does not)."""


def _candidates():
    """Where the library is looked for, in order: $PATHSPACE_LIB, the copy
    the wheel carries, a checkout's build/, then the system's."""
    env = os.environ.get("PATHSPACE_LIB")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    found = [os.path.join(here, "libpathspace.so.0")]
    for rel in ("../../build/libpathspace.so", "../build/libpathspace.so"):
        found.append(os.path.normpath(os.path.join(here, rel)))
    found = [p for p in found if os.path.exists(p)]
    return found + [ctypes.util.find_library("pathspace") or "libpathspace.so.0"]


def _net_candidates():
    """libpathspace-net (the core and the network parts in one library,
    for pathspace.bucket): $PATHSPACE_NET_LIB, else beside the core
    library that would be loaded, else the system's."""
    env = os.environ.get("PATHSPACE_NET_LIB")
    if env:
        return [env]
    found = []
    for p in _candidates():
        d = os.path.dirname(p)
        for name in ("libpathspace-net.so.0", "libpathspace-net.so"):
            q = os.path.join(d, name)
            if d and os.path.exists(q) and q not in found:
                found.append(q)
    return found + [ctypes.util.find_library("pathspace-net") or "libpathspace-net.so.0"]


def _load(candidates=None, what="libpathspace.so.0"):
    tried = []
    for p in (candidates or _candidates()):
        try:
            return _declare(ctypes.CDLL(p))
        except OSError as e:
            tried.append(f"{p}: {e}")
    if candidates:
        raise LibraryNotFound(f"pathspace cannot load {what} (" + "; ".join(tried) + "): "
                              "build it (make) or point PATHSPACE_NET_LIB at it.")
    raise LibraryNotFound(
        "pathspace cannot load its C library, libpathspace.so.0 (" + "; ".join(tried) + "). "
        "Install the wheel that carries it (in a checkout: make wheel, then pip install "
        "build/dist/pathspace-*.whl), or the library itself (sudo make install), or point "
        "PATHSPACE_LIB at libpathspace.so.0. pathspace.MORK, the HTTP client, needs none of "
        "these.")


class _Lazy:
    """The library, loaded on first use: `import pathspace` works without it,
    and so does everything that does not call into C."""

    _lib = None

    def __getattr__(self, name):
        if _Lazy._lib is None:
            _Lazy._lib = _load()
        return getattr(_Lazy._lib, name)


def _declare(lib):
    P = ctypes.c_void_p
    PP = ctypes.POINTER(ctypes.c_void_p)
    I = ctypes.c_int
    D = ctypes.POINTER(Diag)
    B = ctypes.POINTER(Buf)
    sigs = {
        "ps_strerror": (ctypes.c_char_p, [I]),
        "ps_format_of": (I, [ctypes.c_char_p]),
        "ps_format_name": (ctypes.c_char_p, [I]),
        "ps_space_new": (I, [PP]),
        "ps_space_free": (None, [P]),
        "ps_space_clear": (None, [P]),
        "ps_space_insert": (I, [P, Bytes, ctypes.POINTER(I)]),
        "ps_space_remove": (I, [P, Bytes, ctypes.POINTER(I)]),
        "ps_space_contains": (I, [P, Bytes]),
        "ps_space_count": (ctypes.c_uint64, [P]),
        "ps_space_union": (I, [P, P]),
        "ps_space_intersect": (I, [P, P]),
        "ps_space_subtract": (I, [P, P]),
        "ps_space_restrict": (I, [P, P]),
        "ps_space_load": (I, [P, ctypes.c_char_p, c_size, I, D]),
        "ps_space_load_file": (I, [P, ctypes.c_char_p, I, D]),
        "ps_space_save": (I, [P, Sink, I, D]),
        "ps_space_save_with": (I, [P, Sink, I, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint64), D]),
        "ps_sink_fd": (Sink, [I]),
        "ps_iter_new": (I, [P, Bytes, PP]),
        "ps_iter_next": (I, [P, ctypes.POINTER(Bytes), ctypes.POINTER(I), ctypes.POINTER(ctypes.c_uint64)]),
        "ps_iter_free": (None, [P]),
        "ps_atom_parse": (I, [ctypes.c_char_p, c_size, B, D]),
        "ps_atom_print": (I, [Bytes, B]),
        "ps_atom_check": (I, [Bytes, ctypes.POINTER(c_size), D]),
        "ps_atom_prefix": (c_size, [Bytes]),
        "ps_buf_free": (None, [B]),
        "ps_query_parse": (I, [ctypes.c_char_p, c_size, ctypes.c_char_p, c_size, PP, D]),
        "ps_query_free": (None, [P]),
        "ps_query_opts_init": (None, [ctypes.POINTER(QueryOpts)]),
        "ps_query_into": (I, [P, Source, ctypes.POINTER(QueryOpts), P, ctypes.POINTER(ctypes.c_uint64), P, D]),
        "ps_pspace_open": (I, [ctypes.c_char_p, P, PP, P, D]),
        "ps_pspace_add": (I, [P, Bytes, ctypes.POINTER(I)]),
        "ps_pspace_remove": (I, [P, Bytes, ctypes.POINTER(I)]),
        "ps_pspace_space": (P, [P]),
        "ps_pspace_sync": (I, [P]),
        "ps_pspace_checkpoint": (I, [P, P, D]),
        "ps_pspace_close": (I, [P, D]),
        "ps_version_string": (ctypes.c_char_p, []),
        "ps_exec_opts_init": (None, [ctypes.POINTER(ExecOpts)]),
        "ps_exec_error_name": (ctypes.c_char_p, [I]),
        "ps_space_exec": (I, [P, ctypes.POINTER(ExecOpts), ctypes.POINTER(ExecStats), D]),
        "ps_pspace_exec": (I, [P, ctypes.POINTER(ExecOpts), ctypes.POINTER(ExecStats), D]),
        "ps_bucket_open": (I, [ctypes.c_char_p, PP, D]),
        "ps_bucket_stat": (I, [ctypes.c_char_p, ctypes.POINTER(BucketInfo), D]),
        "ps_bucket_source": (Source, [P]),
        "ps_bucket_fetch": (I, [P, Bytes, D]),
        "ps_bucket_info_get": (None, [P, ctypes.POINTER(BucketInfo)]),
        "ps_bucket_close": (None, [P]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name, None)
        if f is None:
            continue
        f.restype = res
        f.argtypes = args
    return lib


lib = _Lazy()


class _LazyNet:
    """libpathspace-net, loaded on first use (pathspace.bucket needs it)."""

    _lib = None

    def __getattr__(self, name):
        if _LazyNet._lib is None:
            _LazyNet._lib = _load(_net_candidates(), "libpathspace-net.so.0")
        return getattr(_LazyNet._lib, name)


net = _LazyNet()

"""pathspace: spaces of MeTTa atoms in a trie (libpathspace, through
ctypes), and a client for MORK's HTTP API as `pathspace serve --http`
serves it.

    import pathspace
    s = pathspace.Space(["(parent Tom Bob)", "(parent Bob Ann)"])
    s.query("(, (parent $x $y) (parent $y $z))", "(grandparent $x $z)")
    # ['(grandparent Tom Ann)']
"""
from .space import Space, PersistentSpace, Error, encode, decode, open  # noqa: F401
from ._lib import LibraryNotFound  # noqa: F401
from .client import MORK, Client, ManagedMORK, Response  # noqa: F401

__version__ = "0.8.0"

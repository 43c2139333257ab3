"""setup.py - pyproject.toml holds the metadata; this file only says what
kind of wheel `make wheel` builds. The package calls libpathspace through
ctypes, so it has no compiled module of its own; but a wheel that carries
the library (pathspace/libpathspace.so.0) is for one platform and any
Python 3: tagged py3-none-<platform>, not pure."""
import os

from setuptools import setup
from setuptools.dist import Distribution

CARRIES = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pathspace",
                                      "libpathspace.so.0"))


class Carrying(Distribution):
    def has_ext_modules(self):
        return CARRIES


CMDS = {}
try:
    from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        def get_tag(self):
            tag = super().get_tag()
            return ("py3", "none", tag[2]) if CARRIES else tag

    CMDS["bdist_wheel"] = PlatformWheel
except ImportError:  # no wheel package: plain installs still work
    pass

setup(distclass=Carrying, cmdclass=CMDS)
